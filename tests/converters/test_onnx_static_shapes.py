"""Static shape rules (``converters/onnx/shapes.py``) against the interpreter probe, the oracle.

Every fixture whose layers all have a rule is typed both ways; the types must agree exactly.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from keras_migrate.formats import load
from keras_migrate.ir.graph import Model
from keras_migrate.ir.passes.infer_types import infer_graph_types
from keras_migrate.ir.shapes import static_graph_types
from keras_migrate.ir.weights import close_open_files
from tests.conftest import FIXTURES

CASES = sorted(p for p in FIXTURES.glob("*/*.h5") if not p.name.endswith("_weights.h5"))


def _load(path: Path) -> Model | None:
    try:
        return load(str(path))
    except Exception:  # fixtures for refused models and weights-only files
        return None


@pytest.mark.parametrize("path", CASES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_static_types_match_the_probe(path: Path) -> None:
    model = _load(path)
    if model is None:
        pytest.skip("not a loadable model")
    static = static_graph_types(model.graph)
    if static is None:
        pytest.skip("a layer without a static rule")
    with np.errstate(all="ignore"):
        probed = infer_graph_types(model.graph)
    close_open_files()
    for name, value in probed.values.items():
        assert static.values[name].type == value.type, name


def test_rules_cover_resnet_style_graphs() -> None:
    """At least the plain conv / dense fixtures are covered (else the rules never run)."""
    covered = 0
    for path in CASES:
        model = _load(path)
        if model is not None and static_graph_types(model.graph) is not None:
            covered += 1
    close_open_files()
    assert covered >= 5
