"""Keras 1.x models (not yet supported: they need Keras 1's own config and weight rules)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from keras_migrate.errors import UnsupportedError
from keras_migrate.ir.graph import Model

__all__ = ["load"]


def load(model_config: Mapping[str, Any], weights: Any, *, path: str, keras_version: str | None, source_format: str) -> Model:
    raise UnsupportedError(
        f"Keras 1 models (keras_version {keras_version or 'absent'}) are not supported yet",
        path=path,
        hint="Keras 1 support is planned; convert with Keras 2.2.4 to a Keras 2 file meanwhile",
    )
