"""Normalization layers against Keras 3 (random gamma/beta/statistics)."""

from __future__ import annotations

from typing import Any

import pytest

keras = pytest.importorskip("keras")
pytestmark = pytest.mark.usefixtures("cheap_keras_init")

from kernel_harness import check_layer, rand  # noqa: E402

ROWS: list[tuple[str, dict[str, Any], tuple[int, ...]]] = [
    ("BatchNormalization", {}, (2, 5)),
    ("BatchNormalization", {"epsilon": 0.1}, (2, 4, 5, 3)),
    ("BatchNormalization", {"axis": 1}, (2, 3, 4, 5)),
    ("BatchNormalization", {"axis": -2, "center": False}, (2, 4, 3, 5)),
    ("BatchNormalization", {"scale": False}, (2, 3, 4)),
    ("BatchNormalization", {"center": False, "scale": False}, (2, 3, 4)),
    ("LayerNormalization", {}, (2, 5)),
    ("LayerNormalization", {"axis": [1, 2]}, (2, 3, 4, 5)),
    ("LayerNormalization", {"axis": 1, "epsilon": 0.01}, (2, 3, 4)),
    ("LayerNormalization", {"center": False}, (2, 3, 4)),
    ("LayerNormalization", {"scale": False}, (2, 3, 4)),
    ("LayerNormalization", {"rms_scaling": True}, (2, 3, 4)),
    ("UnitNormalization", {}, (2, 5)),
    ("UnitNormalization", {"axis": [1, 2]}, (2, 3, 4)),
    ("GroupNormalization", {"groups": 2}, (2, 5, 4)),
    ("GroupNormalization", {"groups": 3, "axis": 1}, (2, 6, 4, 5)),
    ("GroupNormalization", {"groups": -1, "center": False}, (2, 3, 4)),
    ("GroupNormalization", {"groups": 1, "scale": False, "epsilon": 0.1}, (2, 4, 3, 4)),
    ("RMSNormalization", {}, (2, 3, 4)),
    ("RMSNormalization", {"axis": [1, 2], "epsilon": 0.01}, (2, 3, 4)),
]


@pytest.mark.parametrize(("class_name", "config", "shape"), ROWS, ids=[f"{c}-{i}" for i, (c, _, _) in enumerate(ROWS)])
def test_normalization_layer(class_name: str, config: dict[str, Any], shape: tuple[int, ...]) -> None:
    check_layer(class_name, config, rand(shape, seed=10, scale=2.0) + 0.5)
