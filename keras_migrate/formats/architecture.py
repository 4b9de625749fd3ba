"""Model configs as text: ``model.to_json()`` / ``to_yaml()`` files and JSON attributes.

Parsing only: the config goes through :func:`keras_migrate.formats.pipeline.read_model`
like every other reader's. YAML is loaded safely (plus the ``python/tuple`` tag Keras'
``to_yaml`` wrote); nothing in the file is executed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from keras_migrate.errors import KerasMigrateError

__all__ = ["check_model_config", "parse_json", "read_architecture_config"]


def parse_json(text: str, path: str, what: str) -> Any:
    """``json.loads`` whose error names ``what`` and the line, as a :class:`KerasMigrateError`."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise KerasMigrateError(f"{what} is not valid JSON ({exc.msg} at line {exc.lineno})", path=path) from exc


def check_model_config(cfg: Any, path: str) -> Mapping[str, Any]:
    """``cfg`` if it has the ``{class_name, config}`` shape of a serialized Keras model."""
    if not isinstance(cfg, Mapping) or "class_name" not in cfg or "config" not in cfg:
        raise KerasMigrateError(
            "not a Keras model config (expected an object with 'class_name' and 'config')", path=path
        )
    return cfg


def _yaml_load(text: str, path: str) -> Any:
    import yaml

    class _Loader(yaml.SafeLoader):
        """Safe loading plus the python/tuple tag Keras' to_yaml wrote; nothing executes."""

    _Loader.add_constructor("tag:yaml.org,2002:python/tuple", lambda loader, node: loader.construct_sequence(node))
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise KerasMigrateError(f"not valid YAML ({exc})", path=path) from exc


def read_architecture_config(path: str) -> tuple[Mapping[str, Any], str]:
    """Parse ``model.to_json()`` / ``to_yaml()`` output: ``(config, "keras-json"|"keras-yaml")``."""
    if not os.path.exists(path):
        raise KerasMigrateError("file not found", path=path)
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise KerasMigrateError(f"cannot read architecture file ({exc})", path=path) from exc
    if text.lstrip().startswith("{"):
        return check_model_config(parse_json(text, path, "architecture file"), path), "keras-json"
    return check_model_config(_yaml_load(text, path), path), "keras-yaml"
