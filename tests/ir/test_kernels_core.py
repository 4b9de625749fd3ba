"""Dense-like, no-op and Masking layers against Keras 3."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

keras = pytest.importorskip("keras")
pytestmark = pytest.mark.usefixtures("cheap_keras_init")

from kernel_harness import check_layer, check_model, rand  # noqa: E402

from keras_migrate.errors import UnsupportedError  # noqa: E402
from keras_migrate.ir.graph import GraphBuilder, Layer, TensorType  # noqa: E402
from keras_migrate.ir.interpreter import run_graph  # noqa: E402

ROWS: list[tuple[str, dict[str, Any], tuple[int, ...]]] = [
    ("Dense", {"units": 4}, (2, 6)),
    ("Dense", {"units": 3, "activation": "relu", "use_bias": False}, (2, 6)),
    ("Dense", {"units": 5, "activation": "sigmoid"}, (2, 3, 6)),
    ("EinsumDense", {"equation": "ab,bc->ac", "output_shape": 4, "bias_axes": "c"}, (2, 6)),
    ("EinsumDense", {"equation": "abc,cde->abde", "output_shape": [3, 2, 4], "bias_axes": "d"}, (2, 3, 5)),
    ("EinsumDense", {"equation": "abc,cd->abd", "output_shape": [None, 4], "activation": "tanh"}, (2, 3, 5)),
    ("Identity", {}, (2, 4)),
    ("Dropout", {"rate": 0.5}, (2, 4)),
    ("SpatialDropout1D", {"rate": 0.5}, (2, 3, 4)),
    ("SpatialDropout2D", {"rate": 0.5}, (2, 3, 3, 4)),
    ("SpatialDropout3D", {"rate": 0.5}, (2, 2, 3, 3, 4)),
    ("GaussianNoise", {"stddev": 1.0}, (2, 4)),
    ("GaussianDropout", {"rate": 0.5}, (2, 4)),
    ("AlphaDropout", {"rate": 0.5}, (2, 4)),
    ("ActivityRegularization", {"l1": 0.1}, (2, 4)),
    ("Masking", {"mask_value": 0.0}, (2, 5, 3)),
]


@pytest.mark.parametrize(("class_name", "config", "shape"), ROWS, ids=[f"{c}-{i}" for i, (c, _, _) in enumerate(ROWS)])
def test_core_layer(class_name: str, config: dict[str, Any], shape: tuple[int, ...]) -> None:
    check_layer(class_name, config, rand(shape, seed=2))


def _masked_input() -> np.ndarray:
    x = rand((2, 5, 3), seed=4)
    x[0, 3:] = 0.0
    x[1, 1] = 0.0
    x[1, 4] = 0.0
    return x


def test_masking_layer_values_and_mask() -> None:
    inp = keras.Input((5, 3))
    x = keras.layers.Masking()(inp)
    x = keras.layers.Dense(4)(x)  # passes the mask on
    x = keras.layers.Dropout(0.3)(x)
    x = keras.layers.SimpleRNN(3, return_sequences=True)(x)
    check_model(keras.Model(inp, x), _masked_input())


def test_masking_custom_value() -> None:
    x = _masked_input() + 1.0
    inp = keras.Input((5, 3))
    y = keras.layers.Masking(mask_value=1.0)(inp)
    y = keras.layers.GRU(2)(y)
    check_model(keras.Model(inp, y), x)


def test_lambda_is_unsupported() -> None:
    builder = GraphBuilder("g")
    ref = builder.add_input("x", TensorType((None, 2)))
    builder.add_layer(Layer("lam", "Lambda", {"function": "..."}))
    (out,) = builder.call("lam", (ref,))
    builder.input_structure, builder.output_structure = "x", out.name
    with pytest.raises(UnsupportedError, match="Lambda"):
        run_graph(builder.build(), np.zeros((1, 2), np.float32))


def test_every_family_is_registered() -> None:
    from keras_migrate.ir.interpreter import registered_types

    expected = {
        "Activation", "ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax", "Dense", "EinsumDense", "Identity",
        "Dropout", "Masking", "Lambda", "Reshape", "Permute", "Flatten", "RepeatVector", "ZeroPadding2D",
        "Cropping3D", "UpSampling2D", "Conv1D", "Conv2D", "Conv3D", "SeparableConv2D", "DepthwiseConv2D",
        "Conv2DTranspose", "MaxPooling2D", "AveragePooling3D", "GlobalAveragePooling1D", "BatchNormalization",
        "LayerNormalization", "GroupNormalization", "UnitNormalization", "Add", "Concatenate", "Dot",
        "Embedding", "SimpleRNN", "LSTM", "GRU", "RNN", "ConvLSTM2D", "TimeDistributed", "Bidirectional",
        "Functional", "Sequential",
    }  # fmt: skip
    assert expected <= registered_types()


@pytest.mark.parametrize(
    ("type_", "config", "match"),
    [
        ("Activation", {"activation": "my_custom"}, "layer .bad.: .*no activation"),
        ("UpSampling2D", {"size": [2, 2], "interpolation": "bicubic"}, "interpolation"),
        ("RNN", {"cell": {"class_name": "PeepholeLSTMCell", "config": {}}}, "PeepholeLSTMCell"),
    ],
)
def test_unsupported_configs_name_the_problem(type_: str, config: dict[str, Any], match: str) -> None:
    builder = GraphBuilder("g")
    ref = builder.add_input("x", TensorType((None, 2, 2, 2)))
    builder.add_layer(Layer("bad", type_, config))
    (out,) = builder.call("bad", (ref,))
    builder.input_structure, builder.output_structure = "x", out.name
    with pytest.raises(UnsupportedError, match=match):
        run_graph(builder.build(), np.zeros((1, 2, 2, 2), np.float32))
