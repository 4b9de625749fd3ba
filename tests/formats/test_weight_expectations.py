"""Every layer kind with weights: stored arrays checked against what its config implies
(issue 16: a converted output must always load in Keras 3).

The expectations live in one IR table (:func:`keras_migrate.ir.specs.weight_specs`); the
readers check every layer's weights against it (:func:`check_weight_shapes`) before
anything is written. Each row gives a layer, weights that fit, and one weight changed so
that it no longer fits.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from keras_migrate.errors import KerasMigrateError
from keras_migrate.formats.weight_source import check_weight_shapes
from keras_migrate.ir.graph import Graph, Layer
from keras_migrate.ir.specs import weight_specs
from keras_migrate.ir.weights import Weight

_LSTM = {"units": 3}
_INNER_DENSE = {"class_name": "Dense", "config": {"units": 4}}
_INNER_GRU = {"class_name": "GRU", "config": {"units": 2, "reset_after": True}}

# (type, config, {weight: shape} that fits, weight to break, the shape that does not fit)
ROWS: list[tuple[str, dict[str, Any], dict[str, tuple[int, ...]], str, tuple[int, ...]]] = [
    ("Dense", {"units": 4}, {"kernel": (3, 4), "bias": (4,)}, "kernel", (3, 5)),
    ("Dense", {"units": 4}, {"kernel": (3, 4), "bias": (4,)}, "bias", (3,)),
    ("Conv1D", {"filters": 2, "kernel_size": [3]}, {"kernel": (3, 5, 2), "bias": (2,)}, "kernel", (4, 5, 2)),
    ("Conv2D", {"filters": 2, "kernel_size": [3, 3]}, {"kernel": (3, 3, 1, 2), "bias": (2,)}, "kernel", (3, 3, 2)),
    ("Conv3D", {"filters": 2, "kernel_size": 2}, {"kernel": (2, 2, 2, 1, 2), "bias": (2,)}, "bias", (1,)),
    ("Conv2DTranspose", {"filters": 2, "kernel_size": [3, 3]}, {"kernel": (3, 3, 2, 5), "bias": (2,)}, "kernel", (3, 3, 5, 2)),
    ("DepthwiseConv2D", {"kernel_size": [3, 3], "depth_multiplier": 2}, {"kernel": (3, 3, 4, 2), "bias": (8,)}, "kernel", (3, 3, 4, 1)),
    ("SeparableConv2D", {"filters": 6, "kernel_size": [3, 3], "depth_multiplier": 1},
     {"depthwise_kernel": (3, 3, 4, 1), "pointwise_kernel": (1, 1, 4, 6), "bias": (6,)}, "pointwise_kernel", (3, 3, 4, 6)),
    ("SeparableConv1D", {"filters": 6, "kernel_size": [3], "depth_multiplier": 2},
     {"depthwise_kernel": (3, 4, 2), "pointwise_kernel": (1, 8, 6), "bias": (6,)}, "depthwise_kernel", (3, 4, 1)),
    ("keras_migrate>LocallyConnected1D", {"filters": 2, "kernel_size": [3]}, {"kernel": (4, 9, 2), "bias": (4, 2)}, "bias", (4, 3)),
    ("keras_migrate>LocallyConnected2D", {"filters": 2, "kernel_size": [2, 2]}, {"kernel": (4, 12, 2), "bias": (2, 2, 2)}, "kernel", (4, 12)),
    ("SimpleRNN", {"units": 3}, {"kernel": (5, 3), "recurrent_kernel": (3, 3), "bias": (3,)}, "recurrent_kernel", (3, 4)),
    ("LSTM", _LSTM, {"kernel": (5, 12), "recurrent_kernel": (3, 12), "bias": (12,)}, "kernel", (5, 9)),
    ("GRU", {"units": 3, "reset_after": True}, {"kernel": (5, 9), "recurrent_kernel": (3, 9), "bias": (2, 9)}, "bias", (9,)),
    ("GRU", {"units": 3, "reset_after": False}, {"kernel": (5, 9), "recurrent_kernel": (3, 9), "bias": (9,)}, "bias", (2, 9)),
    ("ConvLSTM2D", {"filters": 2, "kernel_size": [3, 3]},
     {"kernel": (3, 3, 1, 8), "recurrent_kernel": (3, 3, 2, 8), "bias": (8,)}, "recurrent_kernel", (3, 3, 1, 8)),
    ("BatchNormalization", {}, {"gamma": (4,), "beta": (4,), "moving_mean": (4,), "moving_variance": (4,)}, "beta", (5,)),
    ("LayerNormalization", {}, {"gamma": (4,), "beta": (4,)}, "gamma", (3,)),
    ("GroupNormalization", {"groups": 2}, {"gamma": (4,), "beta": (4,)}, "beta", (4, 1)),
    ("Embedding", {"input_dim": 10, "output_dim": 4}, {"embeddings": (10, 4)}, "embeddings", (11, 4)),
    ("PReLU", {}, {"alpha": (4,)}, "alpha", (4,)),  # any shape: only the dtype is fixed (row below)
    ("Normalization", {}, {"mean": (3,), "variance": (3,), "count": ()}, "variance", (4,)),
    ("keras_migrate>LayerScale", {"init_values": 0.1, "projection_dim": 4}, {"gamma": (4,)}, "gamma", (5,)),
    ("StringLookup", {"output_mode": "tf_idf"}, {"idf_weights": (7,)}, "idf_weights", (7, 1)),
    ("MultiHeadAttention", {"num_heads": 2, "key_dim": 3},
     {"query_dense/kernel": (4, 2, 3), "query_dense/bias": (2, 3), "key_dense/kernel": (4, 2, 3),
      "key_dense/bias": (2, 3), "value_dense/kernel": (4, 2, 3), "value_dense/bias": (2, 3),
      "output_dense/kernel": (2, 3, 4), "output_dense/bias": (4,)}, "key_dense/kernel", (4, 3, 2)),
    ("Attention", {"use_scale": True}, {"scale": ()}, "scale", (1,)),
    ("AdditiveAttention", {"use_scale": True}, {"scale": (4,)}, "scale", ()),
    ("keras_migrate>MaxoutDense", {"units": 3, "nb_feature": 2}, {"kernel": (2, 5, 3), "bias": (2, 3)}, "bias", (3, 2)),
    ("keras_migrate>Highway", {}, {"kernel": (4, 4), "carry_kernel": (4, 4), "bias": (4,), "carry_bias": (4,)},
     "carry_kernel", (5, 5)),
    ("keras_migrate>ParametricSoftplus", {}, {"alpha": (4,), "beta": (4,)}, "beta", (3,)),
    ("keras_migrate>SReLU", {}, {"t_left": (4,), "a_left": (4,), "t_right": (4,), "a_right": (4,)}, "a_right", (2,)),
    ("keras_migrate>Keras1BatchNormalization", {"mode": 1},
     {"gamma": (4,), "beta": (4,), "moving_mean": (4,), "moving_variance": (4,)}, "moving_mean", (1,)),
    ("TimeDistributed", {"layer": _INNER_DENSE}, {"kernel": (3, 4), "bias": (4,)}, "kernel", (4, 3)),
    ("Bidirectional", {"layer": _INNER_GRU},
     {"forward_layer/kernel": (5, 6), "forward_layer/recurrent_kernel": (2, 6), "forward_layer/bias": (2, 6),
      "backward_layer/kernel": (5, 6), "backward_layer/recurrent_kernel": (2, 6), "backward_layer/bias": (2, 6)},
     "backward_layer/recurrent_kernel", (2, 4)),
    ("RNN", {"cell": {"class_name": "LSTMCell", "config": {"units": 2}}},
     {"kernel": (5, 8), "recurrent_kernel": (2, 8), "bias": (8,)}, "bias", (4,)),
]  # fmt: skip


def _layer(layer_type: str, config: dict[str, Any], shapes: dict[str, tuple[int, ...]], dtype: str = "float32") -> Layer:
    names = [s.name for s in weight_specs(layer_type, config)]
    assert sorted(names) == sorted(shapes), f"the table lists {names}"
    weights = tuple(Weight.of(n, np.zeros(shapes[n], dtype=dtype)) for n in names)
    return Layer(name="x", type=layer_type, config=config, weights=weights)


def _check(layer: Layer) -> None:
    check_weight_shapes(Graph("m", (layer,), (), {}, [], []), "model.h5")


@pytest.mark.parametrize(("layer_type", "config", "shapes", "broken", "bad"), ROWS,
                         ids=[f"{r[0]}-{r[3]}" for r in ROWS])  # fmt: skip
def test_fitting_weights_pass_and_misfits_are_refused(layer_type, config, shapes, broken, bad) -> None:
    _check(_layer(layer_type, config, shapes))
    if layer_type == "PReLU":
        return
    with pytest.raises(KerasMigrateError) as info:
        _check(_layer(layer_type, config, {**shapes, broken: bad}))
    line = info.value.one_line()
    assert line.startswith("model.h5: layer 'x': weight"), line
    assert f"{broken!r}" in line or "share one shape" in line, line


@pytest.mark.parametrize("dtype", ["int8", "int32", "uint8"])
@pytest.mark.parametrize("row", [r for r in ROWS if r[0] in ("Dense", "PReLU", "Embedding", "LSTM")], ids=lambda r: r[0])
def test_float_weights_of_an_integer_dtype_are_refused(row, dtype: str) -> None:
    layer_type, config, shapes, _, _ = row
    with pytest.raises(KerasMigrateError, match="needs a float dtype"):
        _check(_layer(layer_type, config, shapes, dtype))


def test_quantized_layers_keep_their_integer_kernels() -> None:
    config = {"units": 4, "dtype": {"class_name": "DTypePolicy", "config": {"name": "int8_from_float32"}}}
    _check(_layer("Dense", config, {"kernel": (3, 4), "bias": (4,)}, "int8"))


def test_normalization_count_may_be_an_integer() -> None:
    layer = _layer("Normalization", {}, {"mean": (3,), "variance": (3,), "count": ()})
    counted = tuple(Weight.of("count", np.array(5, dtype="int64")) if w.name == "count" else w for w in layer.weights)
    _check(Layer(name="x", type="Normalization", config={}, weights=counted))


def test_every_layer_kind_with_weights_is_in_the_table() -> None:
    """Each layer kind whose spec lists weights appears in ROWS (so its expectations are tested)."""
    from keras_migrate.ir import specs

    kinds = {*specs._KERNEL_BIAS, *specs._SEPARABLE, *specs._RNN, *specs._CELLS, *specs._KERAS1, *specs._MHA,
             *specs.LOOKUP_TYPES, "BatchNormalization", "LayerNormalization", "GroupNormalization", "Embedding",
             "PReLU", "Normalization", "keras_migrate>LayerScale", "EinsumDense", "Attention", "AdditiveAttention",
             "TimeDistributed", "Bidirectional", "RNN"}  # fmt: skip
    tested = {r[0] for r in ROWS}
    # the same rule as a tested row: the other convolution ranks, cells, lookups, MHA's subclass
    same_rule = {"Conv1DTranspose", "Conv3DTranspose", "DepthwiseConv1D", "ConvLSTM1D", "ConvLSTM3D",
                 "SimpleRNNCell", "LSTMCell", "GRUCell", "IntegerLookup", "TextVectorization",
                 "keras_migrate>LegacyMultiHeadAttention", "EinsumDense"}  # fmt: skip
    assert kinds - tested - same_rule == set()


@pytest.mark.parametrize(
    ("layer_type", "config", "shapes"),
    [
        ("DepthwiseConv2D", {"kernel_size": [3, 3], "depth_multiplier": 2}, {"kernel": (3, 3, 4, 2), "bias": (9,)}),
        ("SeparableConv2D", {"filters": 6, "kernel_size": [3, 3], "depth_multiplier": 2},
         {"depthwise_kernel": (3, 3, 4, 2), "pointwise_kernel": (1, 1, 4, 6), "bias": (6,)}),
    ],
    ids=["depthwise-bias", "separable-pointwise"],
)
def test_weights_that_must_fit_each_other(layer_type, config, shapes) -> None:
    """Sizes the config leaves open but the layer's other weights fix (``weight_relations``)."""
    with pytest.raises(KerasMigrateError, match="which does not fit"):
        _check(_layer(layer_type, config, shapes))
