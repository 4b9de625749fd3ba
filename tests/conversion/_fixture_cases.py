"""Discover the committed legacy fixtures and the forms each can be converted from."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tests._arrays import load_npz

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"

__all__ = ["FIXTURES", "Case", "discover", "source_model"]

#: case id -> the source model as read once per process (see :func:`source_model`).
_SOURCE_MODELS: dict[str, Any] = {}


@dataclass(frozen=True)
class Case:
    generation: str
    name: str
    form: str  # "h5" (full model) or "json" (architecture + weights-only HDF5)
    meta: dict

    @property
    def id(self) -> str:
        return f"{self.generation}/{self.name}/{self.form}"

    @property
    def model(self) -> Path:
        return FIXTURES / self.generation / (f"{self.name}.h5" if self.form == "h5" else f"{self.name}.json")

    @property
    def weights(self) -> Path | None:
        return None if self.form == "h5" else FIXTURES / self.generation / f"{self.name}_weights.h5"

    @property
    def uses_lambda(self) -> bool:
        return "Lambda" in self.meta.get("layers", [])

    def arrays(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        return load_npz(FIXTURES / self.generation / f"{self.name}.npz")


def source_model(case: Case) -> Any:
    """The case's source model (IR) read once per process, for what the matrices take from
    it: input names and structure for the backend jobs, layer dtypes for the tolerance.

    Each backend test used to read the legacy file again for these (seven reads of every
    fixture in the .keras matrix, four in the generated-code one). Tests that run or
    inspect the weights read the file themselves: the weight files are closed after every
    test (tests/conftest.py).
    """
    if case.id not in _SOURCE_MODELS:
        from keras_migrate.formats import load

        _SOURCE_MODELS[case.id] = load(str(case.model), weights=str(case.weights) if case.weights else None)
    return _SOURCE_MODELS[case.id]


def discover(generations: tuple[str, ...] | None = None) -> list[Case]:
    cases = []
    for manifest in sorted(FIXTURES.glob("*/manifest.json")):
        gen = manifest.parent.name
        if generations and gen not in generations:
            continue
        data = json.loads(manifest.read_text())
        for name, meta in sorted(data.get("cases", {}).items()):
            for form in ("h5", "json"):
                c = Case(gen, name, form, meta)
                # forms that cannot hold the model's state are checked for their refusal instead
                refused = form in meta.get("refused_forms", {})
                if c.model.exists() and (c.weights is None or c.weights.exists()) and not refused:
                    cases.append(c)
    return cases
