"""ONNX lowerings of the attention layers agree with the numpy kernels.

The tf.keras fixtures reach only the compat MultiHeadAttention through ONNX; these rows
also lower Keras 3's own MultiHeadAttention (read from Keras 3 files), whose fully masked
score rows differ by path, and the dense attention layers with explicit masks, causal
masks, returned scores and several opsets. Inputs carry Keras masks (a Masking layer in
front, padded steps zeroed) and an attention mask with an all-False row, so every masking
branch changes the numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from keras_migrate.converters.onnx import build_onnx  # noqa: E402
from keras_migrate.errors import UnsupportedError  # noqa: E402
from keras_migrate.ir.graph import GraphBuilder, Layer, Model, TensorType  # noqa: E402
from keras_migrate.ir.interpreter import run_graph  # noqa: E402
from keras_migrate.ir.specs import weight_names  # noqa: E402
from keras_migrate.ir.weights import Weight  # noqa: E402

LEGACY = "keras_migrate>LegacyMultiHeadAttention"


@dataclass(frozen=True)
class Row:
    id: str
    layer_type: str
    config: dict[str, Any]
    query: tuple[int, ...] = (2, 4, 5)
    value: tuple[int, ...] | None = None
    key: tuple[int, ...] | None = None
    masked: tuple[str, ...] = ()
    attention_mask: str | None = None  # dtype of an attention_mask input
    kwargs: dict[str, Any] = field(default_factory=dict)


ROWS = [
    Row("mha_fused_masks", "MultiHeadAttention", {"num_heads": 2, "key_dim": 3}, masked=("query",), attention_mask="int32"),
    Row("mha_scores_masks", "MultiHeadAttention", {"num_heads": 2, "key_dim": 3}, masked=("query",),
        kwargs={"return_attention_scores": True, "use_causal_mask": True}),
    Row("mha_dropout", "MultiHeadAttention", {"num_heads": 1, "key_dim": 2, "dropout": 0.3}, value=(2, 6, 3),
        masked=("query", "value")),
    Row("legacy_masks", LEGACY, {"num_heads": 2, "key_dim": 2, "value_dim": 3, "output_shape": [2, 3]},
        value=(2, 6, 3), key=(2, 6, 4), masked=("query", "key"), attention_mask="int32"),
    Row("legacy_lone_numeric", LEGACY, {"num_heads": 2, "key_dim": 2}, attention_mask="float32"),
    Row("legacy_robust", LEGACY, {"num_heads": 2, "key_dim": 2, "softmax_robust_masking": True},
        masked=("query",), attention_mask="int32", kwargs={"return_attention_scores": True}),
    Row("legacy_axes_2d", LEGACY, {"num_heads": 2, "key_dim": 2, "attention_axes": [1, 2], "use_bias": False},
        query=(2, 2, 3, 4), kwargs={"return_attention_scores": True}),
    Row("legacy_causal_cross", LEGACY, {"num_heads": 2, "key_dim": 2}, value=(2, 6, 3), kwargs={"use_causal_mask": True}),
]  # fmt: skip


def _weights(layer_type: str, config: dict[str, Any], dims: dict[str, int]) -> tuple[Weight, ...]:
    n, kd = int(config["num_heads"]), int(config["key_dim"])
    vd = int(config.get("value_dim") or kd)
    out = list(config.get("output_shape") or [dims["query"]])
    shapes = {
        "query_dense/kernel": (dims["query"], n, kd), "query_dense/bias": (n, kd),
        "key_dense/kernel": (dims["key"], n, kd), "key_dense/bias": (n, kd),
        "value_dense/kernel": (dims["value"], n, vd), "value_dense/bias": (n, vd),
        "output_dense/kernel": (n, vd, *out), "output_dense/bias": tuple(out),
    }  # fmt: skip
    rng = np.random.default_rng(7)
    return tuple(
        Weight.of(name, (rng.standard_normal(shapes[name]) * 0.7).astype(np.float32))
        for name in weight_names(layer_type, config)
    )


def _data(shape: tuple[int, ...], seed: int, masked: bool) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    if masked:
        x[0, -1] = 0.0
        x[1, 1] = 0.0
    return x


def _check(model: Model, feed: list[np.ndarray], opset: int) -> None:
    proto = build_onnx(model, opset)
    onnx.checker.check_model(proto, full_check=True)
    options = ort.SessionOptions()
    options.log_severity_level = 3
    sess = ort.InferenceSession(proto.SerializeToString(), options, providers=["CPUExecutionProvider"])
    got = sess.run(None, {i.name: a for i, a in zip(sess.get_inputs(), feed, strict=True)})
    expected = run_graph(model.graph, feed)
    expected = expected if isinstance(expected, list) else [expected]
    assert len(got) == len(expected)
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_allclose(g, np.asarray(e), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("opset", [13, 17, 21])
@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.id)
def test_multi_head_attention_lowering(row: Row, opset: int) -> None:
    shapes = {"query": row.query, "value": row.value, "key": row.key}
    arrays = {n: _data(s, i, n in row.masked) for i, (n, s) in enumerate(shapes.items()) if s is not None}
    value = "value" if row.value is not None else "query"
    if row.attention_mask:
        am = np.random.default_rng(3).random((2, row.query[1], shapes[value][1])) > 0.4  # type: ignore[index]
        am[..., 0], am[1, 2, :] = True, False
        arrays["am"] = am.astype(row.attention_mask)
    b = GraphBuilder("m")
    refs = {n: b.add_input(n, TensorType((None, *a.shape[1:]), str(a.dtype))) for n, a in arrays.items()}
    for n in row.masked:
        b.add_layer(Layer(f"mask_{n}", "Masking", {"mask_value": 0.0}))
        (refs[n],) = b.call(f"mask_{n}", (refs[n],))
    dims = {n: a.shape[-1] for n, a in arrays.items() if n != "am"}
    dims.setdefault("value", dims["query"])
    dims.setdefault("key", dims["value"])
    b.add_layer(Layer("mha", row.layer_type, row.config, weights=_weights(row.layer_type, row.config, dims)))
    args = (refs["query"], refs[value]) + ((refs["key"],) if row.key is not None else ())
    kwargs = dict(row.kwargs)
    if row.attention_mask:
        kwargs["attention_mask"] = refs["am"]
    outs = b.call("mha", args, kwargs, num_outputs=2 if kwargs.get("return_attention_scores") else 1)
    b.input_structure = list(arrays)
    b.output_structure = [o.name for o in outs]
    _check(Model(b.build()), list(arrays.values()), opset)


@pytest.mark.parametrize(
    ("layer_type", "config", "weights", "masked", "kwargs"),
    [
        ("Attention", {"use_scale": True}, {"scale": 1.7}, ("query", "value"), {}),
        ("Attention", {"use_scale": True, "score_mode": "concat"}, {"scale": 0.6, "concat_score_weight": -1.3},
         ("value",), {"return_attention_scores": True, "use_causal_mask": True}),
        ("Attention", {"use_scale": False}, {}, ("query",), {"use_causal_mask": True}),
        ("AdditiveAttention", {"use_scale": True}, {"scale": [0.5, -1.0, 2.0]}, ("query", "value"),
         {"return_attention_scores": True}),
        ("AdditiveAttention", {"use_scale": False}, {}, (), {"use_causal_mask": True}),
    ],
)  # fmt: skip
@pytest.mark.parametrize("with_key", [False, True])
def test_dense_attention_lowering(
    layer_type: str, config: dict[str, Any], weights: dict[str, Any], masked: tuple[str, ...], kwargs: dict[str, Any], with_key: bool
) -> None:
    arrays = {"query": _data((2, 4, 3), 1, "query" in masked), "value": _data((2, 5, 3), 2, "value" in masked)}
    if with_key:
        arrays["key"] = _data((2, 5, 3), 3, False)
    b = GraphBuilder("m")
    refs = {n: b.add_input(n, TensorType((None, *a.shape[1:]))) for n, a in arrays.items()}
    for n in masked:
        b.add_layer(Layer(f"mask_{n}", "Masking", {"mask_value": 0.0}))
        (refs[n],) = b.call(f"mask_{n}", (refs[n],))
    assert weight_names(layer_type, config) == list(weights)
    ws = tuple(Weight.of(n, np.asarray(v, dtype=np.float32)) for n, v in weights.items())
    b.add_layer(Layer("att", layer_type, config, weights=ws))
    outs = b.call("att", (list(refs.values()),), kwargs, num_outputs=2 if kwargs.get("return_attention_scores") else 1)
    b.input_structure = list(arrays)
    b.output_structure = [o.name for o in outs]
    _check(Model(b.build()), list(arrays.values()), 17)


def test_keras3_only_options_are_refused_naming_the_layer() -> None:
    config = {"num_heads": 1, "key_dim": 2, "use_gate": True}
    b = GraphBuilder("m")
    x = b.add_input("x", TensorType((None, 3, 2)))
    b.add_layer(Layer("gated", "MultiHeadAttention", config, weights=_weights("MultiHeadAttention", config, {"query": 2, "key": 2, "value": 2})))
    (out,) = b.call("gated", (x, x))
    b.input_structure, b.output_structure = "x", out.name
    with pytest.raises(UnsupportedError, match="use_gate") as info:
        build_onnx(Model(b.build()))
    assert info.value.layer == "gated"
