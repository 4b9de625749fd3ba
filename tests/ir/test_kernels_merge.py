"""Merge layers against Keras 3, including mask-dependent values and output masks."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

keras = pytest.importorskip("keras")
pytestmark = pytest.mark.usefixtures("cheap_keras_init")

from kernel_harness import check_layer, check_model, rand  # noqa: E402

A, B, C = rand((2, 3, 4), seed=11), rand((2, 3, 4), seed=12), rand((2, 3, 4), seed=13)

ROWS: list[tuple[str, dict[str, Any], list[np.ndarray]]] = [
    ("Add", {}, [A, B, C]),
    ("Subtract", {}, [A, B]),
    ("Multiply", {}, [A, B, C]),
    ("Average", {}, [A, B, C]),
    ("Maximum", {}, [A, B, C]),
    ("Minimum", {}, [A, B]),
    ("Add", {}, [rand((2, 4), seed=1), rand((2, 3, 4), seed=2)]),
    ("Concatenate", {}, [A, B]),
    ("Concatenate", {"axis": 1}, [A, rand((2, 5, 4), seed=3)]),
    ("Concatenate", {"axis": -2}, [A, B, C]),
    ("Dot", {"axes": 1}, [rand((2, 5), seed=1), rand((2, 5), seed=2)]),
    ("Dot", {"axes": -1, "normalize": True}, [rand((2, 5), seed=1), rand((2, 5), seed=2)]),
    ("Dot", {"axes": [2, 2]}, [A, rand((2, 6, 4), seed=4)]),
    ("Dot", {"axes": [1, 1]}, [A, rand((2, 3, 6), seed=5)]),
    ("Dot", {"axes": [2, 1]}, [A, rand((2, 4, 6), seed=6)]),
    ("Dot", {"axes": [1, 1], "normalize": True}, [rand((2, 3), seed=7), rand((2, 3, 5), seed=8)]),
    ("Dot", {"axes": [2, 1]}, [A, rand((2, 4), seed=9)]),
]


@pytest.mark.parametrize(("class_name", "config", "inputs"), ROWS, ids=[f"{c}-{i}" for i, (c, _, _) in enumerate(ROWS)])
def test_merge_layer(class_name: str, config: dict[str, Any], inputs: list[np.ndarray]) -> None:
    check_layer(class_name, config, inputs)


def _masked_pair() -> tuple[np.ndarray, np.ndarray]:
    x = rand((2, 5, 3), seed=21)
    y = rand((2, 5, 3), seed=22)
    x[0, 3:] = 0.0
    x[1, 0] = 0.0
    y[0, 4] = 0.0
    y[1, :2] = 0.0
    return x, y


@pytest.mark.parametrize("merge", ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate"])
@pytest.mark.parametrize("second_masked", [True, False])
def test_merge_with_masks(merge: str, second_masked: bool) -> None:
    """Values of Multiply/Maximum/Minimum depend on masks; the LSTM checks the output mask."""
    xa, xb = _masked_pair()
    ia, ib = keras.Input((5, 3)), keras.Input((5, 3))
    a = keras.layers.Masking()(ia)
    b = keras.layers.Masking()(ib) if second_masked else keras.layers.Dense(3)(ib)
    m = getattr(keras.layers, merge)()([a, b])
    seq = keras.layers.LSTM(2, return_sequences=True)(m)
    check_model(keras.Model([ia, ib], [m, seq]), [xa, xb])


def test_concatenate_feature_axis_mask() -> None:
    """Concatenating masked sequences along time concatenates their masks."""
    xa, xb = _masked_pair()
    ia, ib = keras.Input((5, 3)), keras.Input((5, 3))
    m = keras.layers.Concatenate(axis=1)([keras.layers.Masking()(ia), ib])
    out = keras.layers.GRU(2)(m)
    check_model(keras.Model([ia, ib], out), [xa, xb])
