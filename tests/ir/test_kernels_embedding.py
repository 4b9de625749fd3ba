"""Embedding against Keras 3, including the mask it starts."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")
pytestmark = pytest.mark.usefixtures("cheap_keras_init")

from kernel_harness import check_layer, check_model  # noqa: E402

IDS = np.array([[1, 4, 0, 0, 2], [3, 0, 7, 0, 0]])


@pytest.mark.parametrize("dtype", ["int32", "int64", "float32"])
@pytest.mark.parametrize("mask_zero", [False, True])
def test_embedding(dtype: str, mask_zero: bool) -> None:
    check_layer("Embedding", {"input_dim": 8, "output_dim": 3, "mask_zero": mask_zero}, IDS.astype(dtype))


@pytest.mark.parametrize("rnn", ["SimpleRNN", "LSTM", "GRU"])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_embedding_mask_reaches_rnn(rnn: str, return_sequences: bool) -> None:
    inp = keras.Input((5,), dtype="int32")
    x = keras.layers.Embedding(8, 3, mask_zero=True)(inp)
    x = getattr(keras.layers, rnn)(4, return_sequences=return_sequences)(x)
    check_model(keras.Model(inp, x), IDS.astype("int32"))


def test_embedding_mask_reaches_average_pooling() -> None:
    inp = keras.Input((5,), dtype="int32")
    x = keras.layers.Embedding(8, 3, mask_zero=True)(inp)
    x = keras.layers.GlobalAveragePooling1D()(x)
    x = keras.layers.Dense(2)(x)
    check_model(keras.Model(inp, x), IDS.astype("int32"))
