"""Nested Sequential/Functional models inside a model, with masks crossing the boundary."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")
pytestmark = pytest.mark.usefixtures("cheap_keras_init")

from kernel_harness import check_model, rand  # noqa: E402

L = keras.layers


def test_nested_sequential() -> None:
    inner = keras.Sequential([keras.Input((4,)), L.Dense(5, activation="relu"), L.Dense(3)], name="inner")
    inp = keras.Input((4,))
    out = L.Dense(2)(inner(inp))
    check_model(keras.Model(inp, out), rand((2, 4), seed=71))


def test_nested_functional_multi_io_shared_twice() -> None:
    a, b = keras.Input((4,)), keras.Input((4,))
    inner = keras.Model([a, b], [L.Add()([L.Dense(3)(a), L.Dense(3)(b)]), L.Dense(2)(b)], name="inner")
    x, y = keras.Input((4,)), keras.Input((4,))
    s1, t1 = inner([x, y])
    s2, _ = inner([y, x])  # shared: the same subgraph and weights run twice
    out = L.Concatenate()([s1, t1, s2])
    check_model(keras.Model([x, y], out), [rand((2, 4), seed=72), rand((2, 4), seed=73)])


def test_mask_flows_into_and_out_of_nested_model() -> None:
    seq_in = keras.Input((5, 3))
    inner = keras.Model(seq_in, L.Dense(4)(seq_in), name="inner")
    inp = keras.Input((5, 3))
    y = inner(L.Masking()(inp))
    y = L.LSTM(2, return_sequences=True)(y)
    x = rand((2, 5, 3), seed=74)
    x[0, 3:] = 0.0
    x[1, 0] = 0.0
    check_model(keras.Model(inp, y), x)


def test_nested_model_with_masking_inside() -> None:
    seq_in = keras.Input((5,), dtype="int32")
    inner = keras.Model(seq_in, L.Embedding(9, 3, mask_zero=True)(seq_in), name="embedder")
    inp = keras.Input((5,), dtype="int32")
    y = L.GRU(2)(inner(inp))
    ids = np.array([[1, 2, 0, 0, 0], [0, 3, 4, 5, 0]], dtype="int32")
    check_model(keras.Model(inp, y), ids)
