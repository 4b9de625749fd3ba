"""TimeDistributed and Bidirectional against Keras 3."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from kernel_harness import check_layer, check_model, rand  # noqa: E402

L = keras.layers
pytestmark = pytest.mark.usefixtures("cheap_keras_init", "no_jit")
X = rand((2, 5, 3), seed=51)

TIME_DISTRIBUTED: list[tuple[Any, tuple[int, ...]]] = [
    (lambda: L.Dense(4, activation="relu"), (2, 5, 3)),
    (lambda: L.Conv2D(3, 2, padding="same"), (2, 3, 4, 5, 2)),
    (lambda: L.BatchNormalization(), (2, 4, 3)),
    (lambda: L.Flatten(), (2, 3, 2, 4)),
    (lambda: L.LSTM(3), (2, 4, 5, 2)),
]


@pytest.mark.parametrize(("make", "shape"), TIME_DISTRIBUTED, ids=["Dense", "Conv2D", "BatchNorm", "Flatten", "LSTM"])
def test_time_distributed(make: Any, shape: tuple[int, ...]) -> None:
    check_layer(L.TimeDistributed(make()), {}, rand(shape, seed=52))


def test_time_distributed_passes_mask() -> None:
    x = X.copy()
    x[0, 3:] = 0.0
    inp = keras.Input((5, 3))
    y = L.Masking()(inp)
    y = L.TimeDistributed(L.Dense(4))(y)
    y = L.GRU(2, return_sequences=True)(y)
    check_model(keras.Model(inp, y), x)


BIDIRECTIONAL: list[tuple[Any, dict[str, Any]]] = [
    (lambda: L.LSTM(3), {}),
    (lambda: L.LSTM(3, return_sequences=True), {"merge_mode": "sum"}),
    (lambda: L.GRU(3, return_sequences=True), {"merge_mode": "mul"}),
    (lambda: L.GRU(3, reset_after=False), {"merge_mode": "ave"}),
    (lambda: L.SimpleRNN(3, return_sequences=True), {"merge_mode": None}),
    (lambda: L.LSTM(3, return_state=True), {}),
    (lambda: L.GRU(3, return_sequences=True, return_state=True), {"merge_mode": None}),
    (lambda: L.LSTM(3, return_sequences=True), {"backward_layer": L.LSTM(2, go_backwards=True, return_sequences=True)}),
    (lambda: L.RNN([L.LSTMCell(2), L.GRUCell(3)], return_sequences=True), {}),
]


@pytest.mark.parametrize(("make", "options"), BIDIRECTIONAL, ids=[f"row{i}" for i in range(len(BIDIRECTIONAL))])
def test_bidirectional(make: Any, options: dict[str, Any]) -> None:
    check_layer(L.Bidirectional(make(), **options), {}, X)


def test_bidirectional_initial_state() -> None:
    states = [rand((2, 3), seed=60 + i) for i in range(4)]
    layer = L.Bidirectional(L.LSTM(3, return_sequences=True, return_state=True))
    check_layer(layer, {}, X, call_kwargs={"initial_state": states})


@pytest.mark.parametrize(
    "make",
    [
        lambda: L.Bidirectional(L.LSTM(3, return_sequences=True)),
        lambda: L.Bidirectional(L.GRU(3, return_sequences=True), merge_mode=None),
        lambda: L.Bidirectional(L.LSTM(3)),
        lambda: L.Bidirectional(L.SimpleRNN(3, return_sequences=True, return_state=True)),
        lambda: L.Bidirectional(L.LSTM(3, return_sequences=True, unroll=True)),
    ],
    ids=["seq", "seq-none", "last", "seq-state", "unrolled"],
)
def test_bidirectional_with_mask(make: Any) -> None:
    x = rand((3, 5, 3), seed=53)
    x[0, 3:] = 0.0
    x[1, :2] = 0.0
    x[2, 2] = 0.0
    inp = keras.Input((5, 3))
    y = make()(L.Masking()(inp))
    first = y[0] if isinstance(y, (list, tuple)) else y
    if len(first.shape) == 3:
        y = [*(y if isinstance(y, (list, tuple)) else [y]), L.GRU(2)(first)]  # the mask must reach it
    check_model(keras.Model(inp, y), x)


def test_bidirectional_explicit_mask() -> None:
    mask = np.array([[1, 1, 1, 0, 0], [1, 0, 1, 1, 1]], dtype=bool)
    check_layer(L.Bidirectional(L.LSTM(3, return_sequences=True)), {}, X, call_kwargs={"mask": mask})
