"""Recurrent layers against Keras 3: cells, directions, states, masks, stacked cells."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from kernel_harness import check_layer, check_model, rand  # noqa: E402

L = keras.layers
pytestmark = pytest.mark.usefixtures("cheap_keras_init", "no_jit")
X = rand((2, 6, 3), seed=31)

ROWS: list[tuple[str, dict[str, Any]]] = [
    ("SimpleRNN", {"units": 4}),
    ("SimpleRNN", {"units": 4, "return_sequences": True, "activation": "relu"}),
    ("SimpleRNN", {"units": 4, "go_backwards": True, "return_sequences": True, "use_bias": False}),
    ("SimpleRNN", {"units": 4, "return_state": True}),
    ("LSTM", {"units": 4}),
    ("LSTM", {"units": 4, "return_sequences": True, "return_state": True}),
    ("LSTM", {"units": 4, "go_backwards": True, "return_sequences": True}),
    ("LSTM", {"units": 4, "go_backwards": True, "return_state": True}),
    ("LSTM", {"units": 4, "recurrent_activation": "hard_sigmoid", "activation": "relu", "use_bias": False}),
    ("LSTM", {"units": 4, "unroll": True, "return_sequences": True}),
    ("LSTM", {"units": 4, "stateful": True, "return_sequences": True}),
    ("GRU", {"units": 4}),
    ("GRU", {"units": 4, "reset_after": False, "return_sequences": True}),
    ("GRU", {"units": 4, "reset_after": False, "use_bias": False}),
    ("GRU", {"units": 4, "use_bias": False, "return_state": True}),
    ("GRU", {"units": 4, "go_backwards": True, "return_sequences": True, "return_state": True}),
    ("GRU", {"units": 4, "reset_after": False, "go_backwards": True, "recurrent_activation": "hard_sigmoid"}),
    ("GRU", {"units": 4, "stateful": True}),
]


@pytest.mark.parametrize(("class_name", "config"), ROWS, ids=[f"{c}-{i}" for i, (c, _) in enumerate(ROWS)])
def test_rnn_layer(class_name: str, config: dict[str, Any]) -> None:
    check_layer(class_name, config, X)


@pytest.mark.parametrize(
    ("class_name", "n_states"), [("SimpleRNN", 1), ("LSTM", 2), ("GRU", 1)]
)
@pytest.mark.parametrize("go_backwards", [False, True])
def test_initial_state(class_name: str, n_states: int, go_backwards: bool) -> None:
    states = [rand((2, 4), seed=40 + i) for i in range(n_states)]
    check_layer(
        class_name,
        {"units": 4, "return_sequences": True, "return_state": True, "go_backwards": go_backwards},
        X,
        call_kwargs={"initial_state": states},
    )


def _cells() -> dict[str, Any]:
    return {
        "SimpleRNNCell": L.SimpleRNNCell(3),
        "LSTMCell": L.LSTMCell(3),
        "GRUCell": L.GRUCell(3, reset_after=False),
        "Stacked": [L.LSTMCell(3), L.GRUCell(2), L.SimpleRNNCell(4)],
    }


@pytest.mark.parametrize("cell", ["SimpleRNNCell", "LSTMCell", "GRUCell", "Stacked"])
@pytest.mark.parametrize(
    "options",
    [{}, {"return_sequences": True, "return_state": True}, {"go_backwards": True, "return_sequences": True}],
    ids=["last", "seq-state", "backwards"],
)
def test_generic_rnn(cell: str, options: dict[str, Any]) -> None:
    check_layer(L.RNN(_cells()[cell], **options), {}, X)


def _masked_x() -> np.ndarray:
    x = rand((3, 6, 3), seed=33)
    x[0, 4:] = 0.0  # trailing padding
    x[1, :2] = 0.0  # leading padding
    x[2, 2] = 0.0  # a hole
    return x


RNN_MASK_CASES = [
    ("SimpleRNN", {}),
    ("LSTM", {"return_sequences": True}),
    ("LSTM", {"go_backwards": True, "return_sequences": True}),
    ("LSTM", {"return_state": True}),
    ("GRU", {"return_sequences": True, "reset_after": False}),
    ("GRU", {"go_backwards": True, "return_state": True}),
    ("GRU", {"return_sequences": True, "zero_output_for_mask": True}),
]


@pytest.mark.parametrize(("class_name", "options"), RNN_MASK_CASES, ids=[f"{c}-{i}" for i, (c, _) in enumerate(RNN_MASK_CASES)])
def test_rnn_with_mask(class_name: str, options: dict[str, Any]) -> None:
    inp = keras.Input((6, 3))
    x = L.Masking()(inp)
    out = getattr(L, class_name)(4, **options)(x)
    check_model(keras.Model(inp, out), _masked_x())


def test_stacked_rnn_with_mask() -> None:
    inp = keras.Input((6, 3))
    x = L.Masking()(inp)
    out = L.RNN([L.GRUCell(3), L.LSTMCell(2)], return_sequences=True, return_state=True)(x)
    check_model(keras.Model(inp, out), _masked_x())


@pytest.mark.parametrize("unroll", [False, True])
@pytest.mark.parametrize("zero_output_for_mask", [False, True])
def test_mask_with_initial_state_and_unroll(unroll: bool, zero_output_for_mask: bool) -> None:
    """Leading masked steps output the initial state (scan) or zeros (unrolled loop)."""
    mask = np.array([[0, 0, 1, 1, 0, 1], [1, 1, 0, 1, 1, 1]], dtype=bool)
    check_layer(
        "LSTM",
        {"units": 4, "return_sequences": True, "unroll": unroll, "zero_output_for_mask": zero_output_for_mask},
        X,
        call_kwargs={"mask": mask, "initial_state": [rand((2, 4), seed=5), rand((2, 4), seed=6)]},
    )


def test_per_feature_mask_masks_a_step_only_when_all_features_are_masked() -> None:
    mask = np.ones((2, 6, 3), dtype=bool)
    mask[0, 2] = False
    mask[1, 3, :2] = False  # partly masked: the step still runs
    check_layer("GRU", {"units": 4, "return_sequences": True}, X, call_kwargs={"mask": mask})


def test_explicit_mask_kwarg() -> None:
    mask = np.array([[1, 1, 1, 0, 0, 0], [0, 1, 1, 1, 1, 1]], dtype=bool)
    check_layer("LSTM", {"units": 4, "return_sequences": True}, X, call_kwargs={"mask": mask})


def test_initial_state_drops_the_input_mask() -> None:
    """Keras 3 only fills ``mask`` when the call has one tensor argument."""
    inp, h, c = keras.Input((6, 3)), keras.Input((4,)), keras.Input((4,))
    x = L.Masking()(inp)
    out = L.LSTM(4, return_sequences=True)(x, initial_state=[h, c])
    out = L.GRU(2)(out)  # still sees the Masking mask (the LSTM passes it on)
    check_model(keras.Model([inp, h, c], out), [_masked_x(), rand((3, 4), seed=1), rand((3, 4), seed=2)])


SLOW = pytest.mark.slow

CONV_LSTM: list[Any] = [
    ("ConvLSTM1D", {"filters": 3, "kernel_size": 3}, (2, 4, 7, 2)),
    pytest.param("ConvLSTM1D", {"filters": 3, "kernel_size": 3, "padding": "same", "return_sequences": True}, (2, 4, 7, 2), marks=SLOW),
    pytest.param("ConvLSTM2D", {"filters": 3, "kernel_size": 3, "padding": "same", "return_state": True}, (2, 3, 5, 6, 2), marks=SLOW),
    ("ConvLSTM2D", {"filters": 3, "kernel_size": 2, "strides": 2, "return_sequences": True}, (2, 3, 6, 5, 2)),
    (
        "ConvLSTM2D",
        {"filters": 2, "kernel_size": 3, "padding": "same", "data_format": "channels_first", "return_sequences": True, "return_state": True},
        (2, 3, 2, 5, 4),
    ),
    pytest.param("ConvLSTM2D", {"filters": 2, "kernel_size": 3, "dilation_rate": 2, "go_backwards": True}, (2, 3, 7, 6, 2), marks=SLOW),
    pytest.param("ConvLSTM3D", {"filters": 2, "kernel_size": 2, "padding": "same"}, (2, 2, 3, 4, 3, 2), marks=SLOW),
]


@pytest.mark.parametrize(("class_name", "config", "shape"), CONV_LSTM)
def test_conv_lstm(class_name: str, config: dict[str, Any], shape: tuple[int, ...]) -> None:
    check_layer(class_name, config, rand(shape, seed=35))
