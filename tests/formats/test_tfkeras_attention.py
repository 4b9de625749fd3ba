"""tf.keras attention layers and EinsumDense: rules, call rewrites, weight specs and the
paths Keras 3 saves attention weights under.

The rules run on hand-written tf.keras configs (what tf_keras 2.21 and older tf.keras
write); the weight tables are checked against Keras 3 itself: ``layer.weights`` order and
the groups of a ``.weights.h5`` file it saves. Numerics against genuine tf_keras live in
the fixtures (``fixtures/tf-keras-2.21``: mha_self_cross, mha_masks_scores,
attention_layers, einsum_dense), the kernels against Keras 3 in
tests/ir/test_kernels_attention.py.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from keras_migrate.errors import UnsupportedError
from keras_migrate.formats.keras2.topology import num_outputs
from keras_migrate.formats.ruleset import TranslateContext, rewrite_call, translate_layer
from keras_migrate.ir.graph import ValueRef
from keras_migrate.ir.ops.attention import LEGACY_MHA
from keras_migrate.ir.specs import save_groups, weight_names

_GLOROT = {"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": None}, "registered_name": None}

#: What tf_keras 2.21 writes for MultiHeadAttention(num_heads=2, key_dim=3), called on (None, 4, 6).
TFK_MHA = {
    "name": "mha", "trainable": True, "dtype": "float32", "num_heads": 2, "key_dim": 3, "value_dim": 3,
    "dropout": 0.0, "use_bias": True, "output_shape": None, "attention_axes": [1],
    "kernel_initializer": _GLOROT, "bias_initializer": {"class_name": "Zeros", "config": {}},
    "kernel_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
    "kernel_constraint": None, "bias_constraint": None, "query_shape": [None, 4, 6],
    "key_shape": [None, 5, 3], "value_shape": [None, 5, 3], "softmax_robust_masking": False,
}  # fmt: skip


def _ctx(generation: str = "tf.keras") -> TranslateContext:
    return TranslateContext(layer_name="layer", path="model.h5", generation=generation)


def _mha(**changes: Any) -> dict[str, Any]:
    return {**TFK_MHA, **changes}


@pytest.mark.parametrize(
    ("class_name", "config", "generation", "expected_type", "expected"),
    [
        # build shapes dropped, tf.keras' robust-masking option kept on the compat layer
        ("MultiHeadAttention", _mha(), "tf.keras", LEGACY_MHA,
         {"num_heads": 2, "key_dim": 3, "attention_axes": [1], "softmax_robust_masking": False}),
        ("MultiHeadAttention", _mha(softmax_robust_masking=True, dropout=0.1), "tf.keras", LEGACY_MHA,
         {"softmax_robust_masking": True, "dropout": 0.1}),
        # negative axes count from the projected query's rank (input rank + 1) in tf.keras
        ("MultiHeadAttention", _mha(attention_axes=[-3], query_shape=[None, 2, 3, 4]), "tf.keras", LEGACY_MHA,
         {"attention_axes": [2]}),
        ("MultiHeadAttention", _mha(attention_axes=-4, query_shape=[None, 2, 3, 4]), "tf.keras", LEGACY_MHA,
         {"attention_axes": [1]}),
        ("MultiHeadAttention", _mha(attention_axes=None, query_shape=None), "tf.keras", LEGACY_MHA,
         {"attention_axes": None}),
        # a Keras 3 file keeps Keras 3's layer
        ("MultiHeadAttention", {k: v for k, v in TFK_MHA.items() if not k.endswith("_shape")} | {"use_gate": False,
         "sliding_window": None, "flash_attention": None, "output_shape": [6]}, "keras3", "MultiHeadAttention",
         {"num_heads": 2, "output_shape": [6]}),
        ("Attention", {"name": "a", "dropout": 0.0, "use_scale": True, "score_mode": "concat"}, "tf.keras",
         "Attention", {"dropout": 0.0, "use_scale": True, "score_mode": "concat"}),
        # tf.keras < 2.10 stored the causal flag; False means nothing
        ("Attention", {"name": "a", "causal": False, "dropout": 0.0, "use_scale": False}, "tf.keras",
         "Attention", {"dropout": 0.0, "use_scale": False}),
        ("AdditiveAttention", {"name": "a", "causal": False, "dropout": 0.0, "use_scale": True}, "tf.keras",
         "AdditiveAttention", {"dropout": 0.0, "use_scale": True}),
        ("EinsumDense", {"name": "e", "output_shape": [None, 5], "equation": "abc,cd->abd", "activation": "relu",
         "bias_axes": "d", "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None, "dtype": "float32"}}},
         "tf.keras", "EinsumDense", {"output_shape": [None, 5], "equation": "abc,cd->abd", "activation": "relu",
         "bias_axes": "d", "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}}}),
        ("EinsumDense", {"name": "e", "output_shape": 4, "equation": "ab,bc->ac", "activation": "hard_sigmoid",
         "bias_axes": None}, "tf.keras", "EinsumDense",
         {"output_shape": 4, "activation": "keras_migrate>legacy_hard_sigmoid", "bias_axes": None}),
    ],
)  # fmt: skip
def test_rule(class_name: str, config: dict[str, Any], generation: str, expected_type: str, expected: dict[str, Any]) -> None:
    layer_type, cfg = translate_layer(class_name, config, _ctx(generation))
    assert layer_type == expected_type
    assert {k: cfg.get(k) for k in expected} == expected
    assert not {"name", "trainable", "dtype", "query_shape", "key_shape", "value_shape", "causal"} & set(cfg)


@pytest.mark.parametrize(
    ("class_name", "config", "generation", "message"),
    [
        ("Attention", {"name": "a", "causal": True, "dropout": 0.0, "use_scale": False}, "tf.keras", "causal=True"),
        ("AdditiveAttention", {"name": "a", "causal": True, "use_scale": True}, "tf.keras", "causal=True"),
        ("MultiHeadAttention", _mha(attention_axes=[-2], query_shape=None), "tf.keras", "negative axes"),
        ("MultiHeadAttention", {**_mha(), "use_gate": True}, "keras3", "use_gate"),
        ("MultiHeadAttention", {**_mha(), "sliding_window": 4}, "keras3", "sliding_window"),
        ("Attention", {"name": "a", "score_mode": "dot", "use_scale": False, "bogus": 1}, "tf.keras", "bogus"),
    ],
)
def test_rule_refuses(class_name: str, config: dict[str, Any], generation: str, message: str) -> None:
    with pytest.raises(UnsupportedError, match=re.escape(message)) as info:
        translate_layer(class_name, config, _ctx(generation))
    assert info.value.layer == "layer"


Q, V, K, M = ValueRef("q"), ValueRef("v"), ValueRef("k"), ValueRef("m")


@pytest.mark.parametrize(
    ("args", "kwargs", "expected_args", "expected_kwargs"),
    [
        ((Q,), {"value": V}, (Q, V), {}),
        ((Q,), {"value": V, "key": K, "attention_mask": M, "return_attention_scores": True},
         (Q, V, K), {"attention_mask": M, "return_attention_scores": True}),
        ((Q,), {"value": V, "key": None, "use_causal_mask": True}, (Q, V), {"use_causal_mask": True}),
        ((Q, V), {"key": K}, (Q, V, K), {}),  # Keras 3 nodes pass the value positionally
        ((Q, V, K), {}, (Q, V, K), {}),
    ],
)  # fmt: skip
def test_mha_call_takes_value_and_key_positionally(
    args: tuple[Any, ...], kwargs: dict[str, Any], expected_args: tuple[Any, ...], expected_kwargs: dict[str, Any]
) -> None:
    assert rewrite_call("MultiHeadAttention", LEGACY_MHA, {}, args, kwargs) == (expected_args, expected_kwargs)


def test_mha_call_with_value_twice_is_refused() -> None:
    with pytest.raises(UnsupportedError, match="value both positionally and by keyword"):
        rewrite_call("MultiHeadAttention", LEGACY_MHA, {}, (Q, V), {"value": V})


@pytest.mark.parametrize(
    ("layer_type", "kwargs", "expected"),
    [
        (LEGACY_MHA, {"return_attention_scores": True}, 2),
        (LEGACY_MHA, {"return_attention_scores": False}, 1),
        ("Attention", {"return_attention_scores": True, "use_causal_mask": True}, 2),
        ("AdditiveAttention", {}, 1),
        ("Attention", None, 1),
    ],
)
def test_calls_returning_scores_have_two_outputs(layer_type: str, kwargs: dict[str, Any] | None, expected: int) -> None:
    assert num_outputs(layer_type, {}, None, kwargs) == expected


# --------------------------------------------------------------------------- Keras 3 layouts


def _keras() -> Any:
    os.environ.setdefault("KERAS_BACKEND", "jax")
    return pytest.importorskip("keras")


def _mha_layer(keras: Any, layer_type: str, config: dict[str, Any]) -> Any:
    if layer_type == LEGACY_MHA:
        from keras_migrate.compat._attention import LegacyMultiHeadAttention

        return LegacyMultiHeadAttention(name="att", **config)
    return keras.layers.MultiHeadAttention(name="att", **config)


LAYOUT_ROWS = [
    ("MultiHeadAttention", {"num_heads": 2, "key_dim": 3}, [(4, 6), (5, 3)]),
    ("MultiHeadAttention", {"num_heads": 2, "key_dim": 3, "use_bias": False, "output_shape": [2, 3]}, [(4, 6), (5, 3)]),
    (LEGACY_MHA, {"num_heads": 1, "key_dim": 2, "value_dim": 4}, [(4, 6), (5, 3), (5, 2)]),
    (LEGACY_MHA, {"num_heads": 2, "key_dim": 2, "use_bias": False}, [(4, 6), (5, 3)]),
    ("Attention", {"use_scale": True, "score_mode": "concat"}, [(4, 3), (5, 3)]),
    ("Attention", {"use_scale": False}, [(4, 3), (5, 3)]),
    ("AdditiveAttention", {"use_scale": True}, [(4, 3), (5, 3)]),
    ("AdditiveAttention", {"use_scale": False}, [(4, 3), (5, 3)]),
]


@pytest.mark.parametrize(("layer_type", "config", "shapes"), LAYOUT_ROWS, ids=lambda v: v if isinstance(v, str) else None)
def test_weight_specs_and_save_paths_match_keras(
    layer_type: str, config: dict[str, Any], shapes: list[tuple[int, ...]], tmp_path: Path
) -> None:
    """``weight_names`` follows ``layer.weights``; ``save_groups`` lists exactly the groups
    Keras 3 writes for the layer, each weight at the index Keras gives it."""
    import h5py

    keras = _keras()
    inputs = [keras.Input(s) for s in shapes]
    if layer_type in ("Attention", "AdditiveAttention"):
        layer = getattr(keras.layers, layer_type)(name="att", **config)
        layer(inputs)
    else:
        layer = _mha_layer(keras, layer_type, config)
        layer(*inputs[:2], key=inputs[2] if len(inputs) > 2 else None)
    model = keras.Model(inputs, layer.output)
    rng = np.random.default_rng(0)
    for v in layer.weights:
        v.assign(rng.standard_normal(tuple(v.shape)).astype("float32"))
    ir_config = {k: v for k, v in layer.get_config().items() if k not in ("name", "trainable", "dtype")}
    names = weight_names(layer_type, ir_config)
    assert len(names) == len(layer.weights)
    values = dict(zip(names, (np.asarray(v.numpy()) for v in layer.weights), strict=True))
    path = tmp_path / "m.weights.h5"
    model.save_weights(path)
    with h5py.File(path, "r") as f:
        (key,) = [k for k in f["layers"] if not k.startswith("input_layer")]
        saved: dict[str, list[np.ndarray]] = {}

        def visit(rel: str, obj: Any) -> None:
            if rel.endswith("vars") and isinstance(obj, h5py.Group):
                saved[rel] = [np.asarray(obj[str(i)]) for i in range(len(obj))]

        f[f"layers/{key}"].visititems(visit)
        if "vars" in f[f"layers/{key}"]:
            saved["vars"] = [np.asarray(f[f"layers/{key}/vars/{i}"]) for i in range(len(f[f"layers/{key}/vars"]))]
    groups = save_groups(layer_type, ir_config)
    assert sorted(g.path for g in groups) == sorted(saved)
    for g in groups:
        assert len(g.weights) == len(saved[g.path]), g.path
        for name, array in zip(g.weights, saved[g.path], strict=True):
            np.testing.assert_array_equal(array, values[name], err_msg=f"{g.path}: {name}")
