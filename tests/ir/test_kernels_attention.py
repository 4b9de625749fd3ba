"""Attention kernels against Keras 3 (JAX): MultiHeadAttention, its tf.keras compat
subclass, Attention and AdditiveAttention, with Keras masks (Masking in front, some steps
zeroed so whole score rows are masked), attention masks, causal masks and returned scores.

Each row builds a small Keras model, randomizes it, and runs the same graph through the
numpy interpreter; the MultiHeadAttention weights are handed over in ``layer.weights``
order under the IR names of :func:`keras_migrate.ir.specs.weight_names`, so these tests
also pin that the two orders agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

keras = pytest.importorskip("keras")
pytestmark = pytest.mark.usefixtures("cheap_keras_init")

from kernel_harness import assert_close, rand, randomize  # noqa: E402

from keras_migrate.ir.graph import GraphBuilder, Layer, TensorType, ValueRef  # noqa: E402
from keras_migrate.ir.interpreter import run_graph  # noqa: E402
from keras_migrate.ir.interpreter.kernels.attention import _mha_masked_softmax, attention_equations  # noqa: E402
from keras_migrate.ir.specs import weight_names  # noqa: E402
from keras_migrate.ir.weights import Weight  # noqa: E402

LEGACY = "keras_migrate>LegacyMultiHeadAttention"
BOTH = ("MultiHeadAttention", LEGACY)


@dataclass(frozen=True)
class Row:
    """One attention call: input shapes (``value``/``key`` None: not given), which inputs go
    through a Masking layer, and the call's options."""

    id: str
    config: dict[str, Any]
    query: tuple[int, ...]
    value: tuple[int, ...] | None = None
    key: tuple[int, ...] | None = None
    masked: tuple[str, ...] = ()
    attention_mask: bool = False
    causal: bool = False
    scores: bool = False
    types: tuple[str, ...] = BOTH
    extra: dict[str, Any] = field(default_factory=dict)


MHA_ROWS = [
    Row("self", {"num_heads": 2, "key_dim": 3}, (2, 4, 5)),
    Row("cross", {"num_heads": 2, "key_dim": 2, "output_shape": [6]}, (2, 4, 5), value=(2, 3, 4)),
    Row("key", {"num_heads": 3, "key_dim": 2}, (2, 4, 5), value=(2, 3, 4), key=(2, 3, 2)),
    Row("no_bias", {"num_heads": 2, "key_dim": 3, "use_bias": False}, (2, 4, 5)),
    Row("causal", {"num_heads": 2, "key_dim": 3}, (2, 4, 5), causal=True),
    Row("causal_cross", {"num_heads": 1, "key_dim": 2}, (2, 4, 5), value=(2, 6, 3), causal=True),
    Row("value_dim_scores", {"num_heads": 2, "key_dim": 2, "value_dim": 3}, (2, 4, 5), scores=True),
    # value_dim != key_dim on the fused path fails inside Keras 3's JAX attention
    Row("value_dim", {"num_heads": 2, "key_dim": 2, "value_dim": 3}, (2, 4, 5), types=(LEGACY,)),
    Row("query_mask_fused", {"num_heads": 2, "key_dim": 3}, (2, 4, 5), masked=("query",)),
    Row("query_mask_scores", {"num_heads": 2, "key_dim": 3}, (2, 4, 5), masked=("query",), scores=True),
    Row("query_mask_dropout", {"num_heads": 2, "key_dim": 3, "dropout": 0.2}, (2, 4, 5), masked=("query",)),
    Row("value_mask", {"num_heads": 2, "key_dim": 2}, (2, 4, 5), value=(2, 5, 3), masked=("value",), causal=True),
    Row("key_mask", {"num_heads": 2, "key_dim": 2}, (2, 4, 5), value=(2, 5, 3), key=(2, 5, 3), masked=("key", "query")),
    Row("attention_mask", {"num_heads": 2, "key_dim": 2}, (2, 4, 5), attention_mask=True),
    Row("attention_mask_scores", {"num_heads": 2, "key_dim": 2}, (2, 4, 5), attention_mask=True, scores=True),
    Row("all_masks", {"num_heads": 2, "key_dim": 2}, (2, 4, 5), masked=("query",), attention_mask=True, causal=True, scores=True),
    Row("axes_2d", {"num_heads": 2, "key_dim": 2, "attention_axes": [1, 2]}, (2, 2, 3, 4), scores=True),
    Row("axes_inner", {"num_heads": 2, "key_dim": 2, "attention_axes": [2]}, (2, 2, 3, 4), value=(2, 2, 5, 3)),
    Row("output_2d", {"num_heads": 2, "key_dim": 2, "output_shape": [2, 3]}, (2, 4, 5), scores=True),
    Row("robust", {"num_heads": 2, "key_dim": 2}, (2, 4, 5), masked=("query",), attention_mask=True,
        types=(LEGACY,), extra={"softmax_robust_masking": True}),
]


def _data(shape: tuple[int, ...], seed: int, masked: bool) -> np.ndarray:
    x = rand(shape, seed=seed)
    if masked:  # a padded step per sample: a masked query row / value column
        x[0, -1] = 0.0
        x[1, 1] = 0.0
    return x


def _attention_mask(t: int, s: int) -> np.ndarray:
    m = np.random.default_rng(5).random((2, t, s)) > 0.4
    m[..., 0] = True
    m[1, 2, :] = False  # nothing to attend to
    return m


def _mha_layer(row: Row, layer_type: str) -> Any:
    if layer_type == LEGACY:
        from keras_migrate.compat._attention import LegacyMultiHeadAttention

        return LegacyMultiHeadAttention(name="mha", **row.config, **row.extra)
    return keras.layers.MultiHeadAttention(name="mha", **row.config)


def _ir_layer(layer: Any, layer_type: str, name: str) -> Layer:
    config = {k: v for k, v in layer.get_config().items() if k not in ("name", "trainable", "dtype")}
    names = weight_names(layer_type, config)
    assert len(names) == len(layer.weights)
    weights = tuple(Weight.of(n, np.asarray(v.numpy())) for n, v in zip(names, layer.weights, strict=True))
    return Layer(name=name, type=layer_type, config=config, weights=weights)


@pytest.mark.parametrize("layer_type", BOTH)
@pytest.mark.parametrize("row", MHA_ROWS, ids=lambda r: r.id)
def test_multi_head_attention(row: Row, layer_type: str) -> None:
    if layer_type not in row.types:
        pytest.skip("not a combination this row covers")
    shapes = {"query": row.query, "value": row.value, "key": row.key}
    arrays = {n: _data(s, seed=i, masked=n in row.masked) for i, (n, s) in enumerate(shapes.items()) if s is not None}
    value_name = "value" if row.value is not None else "query"
    if row.attention_mask:
        arrays["am"] = _attention_mask(row.query[1], shapes[value_name][1])  # type: ignore[index]

    inputs = {n: keras.Input(a.shape[1:], dtype=str(a.dtype), name=n) for n, a in arrays.items()}
    seen = {n: keras.layers.Masking(name=f"mask_{n}")(t) if n in row.masked else t for n, t in inputs.items()}
    mha = _mha_layer(row, layer_type)
    kwargs: dict[str, Any] = {"return_attention_scores": row.scores, "use_causal_mask": row.causal}
    if row.key is not None:
        kwargs["key"] = seen["key"]
    if row.attention_mask:
        kwargs["attention_mask"] = seen["am"]
    out = mha(seen["query"], seen[value_name], **kwargs)
    model = keras.Model(list(inputs.values()), list(out) if row.scores else out)
    randomize(model, seed=3)
    feed = list(arrays.values())
    expected = model(feed)

    b = GraphBuilder("g")
    refs = {n: b.add_input(n, TensorType((None, *a.shape[1:]), str(a.dtype))) for n, a in arrays.items()}
    for n in row.masked:
        b.add_layer(Layer(name=f"mask_{n}", type="Masking", config={"mask_value": 0.0}))
        (refs[n],) = b.call(f"mask_{n}", (refs[n],))
    b.add_layer(_ir_layer(mha, layer_type, "mha"))
    args: tuple[ValueRef, ...] = (refs["query"], refs[value_name]) + ((refs["key"],) if row.key is not None else ())
    ir_kwargs: dict[str, Any] = {"return_attention_scores": row.scores, "use_causal_mask": row.causal}
    if row.attention_mask:
        ir_kwargs["attention_mask"] = refs["am"]
    outs = b.call("mha", args, ir_kwargs, num_outputs=2 if row.scores else 1)
    b.input_structure = list(arrays)
    b.output_structure = [o.name for o in outs] if row.scores else outs[0].name
    actual = run_graph(b.build(), feed)
    assert_close(expected, actual)


def test_fully_masked_rows_differ_as_documented() -> None:
    """The rows the two types disagree on: tf.keras (like Keras 3's fused path) spreads a
    fully masked row uniformly, Keras 3's scores path zeroes it; other rows agree."""
    scores = rand((1, 2, 3, 3), seed=1)
    mask = np.array([[[True, True, False], [False, False, False], [True, False, True]]])
    zeroed = _mha_masked_softmax(scores, mask, 1, "zero_masked")
    uniform = _mha_masked_softmax(scores, mask, 1, "additive")
    replaced = _mha_masked_softmax(scores, mask, 1, "where")
    np.testing.assert_array_equal(zeroed[0, :, 1], 0.0)
    np.testing.assert_allclose(uniform[0, :, 1], 1.0 / 3.0, rtol=1e-6)
    np.testing.assert_allclose(replaced[0, :, 1], 1.0 / 3.0, rtol=1e-6)
    for probs in (uniform, replaced):
        np.testing.assert_allclose(probs[0, :, [0, 2]], zeroed[0, :, [0, 2]], rtol=1e-6)


@pytest.mark.parametrize(
    ("rank", "axes", "expected"),
    [
        (4, (1,), ("aecd,abcd->acbe", "acbe,aecd->abcd")),
        (5, (1, 2), ("afgde,abcde->adbcfg", "adbcfg,afgde->abcde")),
        (5, (2,), ("abfde,abcde->abdcf", "abdcf,abfde->abcde")),
    ],
)
def test_attention_equations(rank: int, axes: tuple[int, ...], expected: tuple[str, str]) -> None:
    assert attention_equations(rank, axes) == expected


# --------------------------------------------------------------------------- dense attention


@dataclass(frozen=True)
class DenseRow:
    id: str
    class_name: str
    config: dict[str, Any]
    with_key: bool = False
    masked: tuple[str, ...] = ()
    causal: bool = False
    scores: bool = False


DENSE_ROWS = [
    DenseRow("dot", "Attention", {}),
    DenseRow("dot_scale", "Attention", {"use_scale": True}, masked=("query", "value")),
    DenseRow("concat", "Attention", {"score_mode": "concat"}, with_key=True, scores=True),
    DenseRow("concat_scale", "Attention", {"score_mode": "concat", "use_scale": True}, masked=("value",), causal=True),
    DenseRow("causal_scores", "Attention", {}, masked=("query",), causal=True, scores=True),
    DenseRow("additive", "AdditiveAttention", {}),
    DenseRow("additive_masks", "AdditiveAttention", {"use_scale": True}, masked=("query", "value"), scores=True),
    DenseRow("additive_unscaled", "AdditiveAttention", {"use_scale": False}, with_key=True, causal=True),
]


@pytest.mark.parametrize("row", DENSE_ROWS, ids=lambda r: r.id)
def test_dense_attention(row: DenseRow) -> None:
    arrays = {"query": _data((2, 4, 3), 1, "query" in row.masked), "value": _data((2, 5, 3), 2, "value" in row.masked)}
    if row.with_key:
        arrays["key"] = rand((2, 5, 3), seed=3)
    inputs = {n: keras.Input(a.shape[1:], name=n) for n, a in arrays.items()}
    seen = [keras.layers.Masking(name=f"mask_{n}")(t) if n in row.masked else t for n, t in inputs.items()]
    layer = getattr(keras.layers, row.class_name)(name="att", **row.config)
    out = layer(seen, return_attention_scores=row.scores, use_causal_mask=row.causal)
    model = keras.Model(list(inputs.values()), list(out) if row.scores else out)
    randomize(model, seed=4)
    feed = list(arrays.values())
    expected = model(feed)

    b = GraphBuilder("g")
    refs = {n: b.add_input(n, TensorType((None, *a.shape[1:]))) for n, a in arrays.items()}
    for n in row.masked:
        b.add_layer(Layer(name=f"mask_{n}", type="Masking", config={"mask_value": 0.0}))
        (refs[n],) = b.call(f"mask_{n}", (refs[n],))
    config = {k: v for k, v in layer.get_config().items() if k not in ("name", "trainable", "dtype")}
    names = weight_names(row.class_name, config)
    assert names == [v.name for v in layer.weights]
    b.add_layer(Layer(name="att", type=row.class_name, config=config,
                      weights=tuple(Weight.of(v.name, np.asarray(v.numpy())) for v in layer.weights)))
    kwargs = {"return_attention_scores": row.scores, "use_causal_mask": row.causal}
    outs = b.call("att", (list(refs.values()),), kwargs, num_outputs=2 if row.scores else 1)
    b.input_structure = list(arrays)
    b.output_structure = [o.name for o in outs] if row.scores else outs[0].name
    assert_close(expected, run_graph(b.build(), feed))


@pytest.mark.parametrize("option", [{"use_gate": True}, {"sliding_window": 2}])
def test_keras3_only_options_are_refused_naming_the_layer(option: dict[str, Any]) -> None:
    from keras_migrate.errors import UnsupportedError

    b = GraphBuilder("g")
    x = b.add_input("x", TensorType((None, 3, 2)))
    b.add_layer(Layer(name="gated", type="MultiHeadAttention", config={"num_heads": 1, "key_dim": 2, **option}))
    (out,) = b.call("gated", (x, x))
    b.input_structure, b.output_structure = "x", out.name
    with pytest.raises(UnsupportedError, match=next(iter(option))) as info:
        run_graph(b.build(), rand((1, 3, 2)))
    assert info.value.layer == "gated"
