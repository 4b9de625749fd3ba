"""tf.keras-only layers: each rule, numpy kernel and compat layer against genuine tf_keras.

One subprocess builds, with tf_keras, a tiny model per case (TF ops applied to Keras
tensors, Rescaling, Normalization, the private layers of InceptionResNetV2 and ConvNeXt)
with random weights, saves it as ``.h5`` and stores its outputs; and one model with every
case as an output. Each case must translate to the expected Keras 3 layer types and the
numpy interpreter must reproduce tf_keras; the combined model, converted through the CLI,
must reproduce it on jax, torch and tensorflow (one worker process per backend). Rules
that must refuse a config are checked on hand-written configs, without tf_keras.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from keras_migrate.cli import main as cli_main
from keras_migrate.errors import UnsupportedError
from keras_migrate.formats import load
from keras_migrate.formats.ruleset import TranslateContext, translate_layer
from keras_migrate.ir.graph import flatten_structure
from keras_migrate.ir.interpreter import run_graph
from keras_migrate.ir.interpreter.kernels.tfkeras import NUMPY
from keras_migrate.ir.ops import tf_semantics
from keras_migrate.ir.ops.legacy import TF_LEGACY_OPS
from keras_migrate.ir.ops.tf import TF_OPS, TFOP_TYPE
from keras_migrate.ir.ops.tf_semantics import TF_SEMANTICS
from keras_migrate.ir.specs import weight_specs
from keras_migrate.verification import available_backends
from tests.conversion.test_applications import _arrays, run_backends
from tests.conversion.test_fixture_matrix import BACKENDS, _assert_outputs

TFOP = TFOP_TYPE


@dataclass(frozen=True)
class Case:
    """A tf_keras expression of inputs ``x``, ``w`` (both standard normal, shape (4, 5, 3))
    and ``p`` (positive), and the Keras 3 layer types its translation must contain."""

    name: str
    expr: str
    types: tuple[str, ...]
    config: dict[str, Any] | None = None  # expected config of the (single) new layer


CASES = [
    # constants on either side: TFOp with the constant in its config
    Case("add_const", "x + 3.0", (TFOP,), {"function": "__operators__.add", "arguments": {"y": 3.0}, "tensor_arguments": ["x"]}),
    Case("radd_const", "3.0 + x", (TFOP,), {"function": "__operators__.add", "arguments": {"x": 3.0}, "tensor_arguments": ["y"]}),
    Case("math_add_const", "tf.math.add(x, 1.5)", (TFOP,)),
    Case("sub_const", "x - 2.0", (TFOP,)),
    Case("rsub_const", "2.0 - x", (TFOP,), {"function": "math.subtract", "arguments": {"x": 2.0}, "tensor_arguments": ["y"]}),
    Case("mul_const", "x * (1.0 / 6.0)", (TFOP,)),
    Case("mul_int_const", "x * 2", (TFOP,)),
    Case("rmul_const", "2 * x", (TFOP,)),
    Case("mul_list_const", "x * [1.0, -2.0, 0.5]", (TFOP,)),
    Case("div_const", "x / 3.0", (TFOP,)),
    Case("rdiv_const", "1.0 / p", (TFOP,)),
    Case("divide_const", "tf.math.divide(x, 4.0)", (TFOP,)),
    Case("floordiv_const", "x // 0.5", (TFOP,)),
    Case("pow_const", "p ** 1.5", (TFOP,)),
    Case("pow_int", "x ** 2", (TFOP,)),
    Case("max_const", "tf.math.maximum(x, 0.25)", (TFOP,)),
    Case("min_const", "tf.math.minimum(x, -0.25)", (TFOP,)),
    Case("scalar_mul", "tf.math.scalar_mul(2.5, x)", (TFOP,)),
    Case("clip", "tf.clip_by_value(x, -0.5, 0.75)", (TFOP,)),
    # one-tensor math
    Case("negative", "-x", (TFOP,)),
    Case("abs", "tf.math.abs(x)", (TFOP,)),
    Case("sqrt", "tf.math.sqrt(p)", (TFOP,)),
    Case("rsqrt", "tf.math.rsqrt(p)", (TFOP,)),
    Case("square", "tf.math.square(x)", (TFOP,)),
    Case("log", "tf.math.log(p)", (TFOP,)),
    Case("reciprocal", "tf.math.reciprocal(p)", (TFOP,)),
    Case("silu_beta", "tf.nn.silu(x, beta=0.5)", (TFOP,)),
    Case("gelu_tanh", "tf.nn.gelu(x, approximate=True)", (TFOP,)),
    # reductions
    Case("reduce_mean_keepdims", "tf.math.reduce_mean(x, axis=-1, keepdims=True)", (TFOP,)),
    Case("reduce_mean_axes", "tf.reduce_mean(x, axis=[1, 2])", (TFOP,)),
    Case("reduce_sum", "tf.math.reduce_sum(x, 1)", (TFOP,)),
    Case("reduce_max", "tf.math.reduce_max(x, axis=2)", (TFOP,)),
    Case("reduce_min", "tf.math.reduce_min(x, axis=-1, keepdims=True)", (TFOP,)),
    Case("reduce_prod", "tf.math.reduce_prod(x, axis=-1)", (TFOP,)),
    # two tensors: built-in merge layers where Keras 3 computes the same; TFOp otherwise
    Case("add_tensors", "x + w", ("Add",)),
    Case("math_add_tensors", "tf.math.add(x, w)", ("Add",)),
    Case("sub_tensors", "x - w", ("Subtract",)),
    Case("mul_tensors", "x * w", ("Multiply",)),
    Case("mul_broadcast", "x * tf.math.reduce_mean(w, axis=[1, 2], keepdims=True)", ("Multiply", TFOP)),
    Case("max_tensors", "tf.math.maximum(x, w)", ("Maximum",)),
    Case("min_tensors", "tf.math.minimum(x, w)", ("Minimum",)),
    Case("div_tensors", "x / p", (TFOP,)),
    Case("pow_tensors", "tf.math.pow(p, w)", (TFOP,)),
    Case("squared_difference", "tf.math.squared_difference(x, w)", (TFOP,)),
    Case("concat", "tf.concat([x, w, p], axis=-1)", ("Concatenate",)),
    Case("add_n", "tf.math.add_n([x, w, p])", ("Add",)),
    # activations Keras 3 has built in
    Case("relu", "tf.nn.relu(x)", ("Activation",)),
    Case("relu6", "tf.nn.relu6(x * 4.0)", ("Activation", TFOP)),
    Case("sigmoid", "tf.math.sigmoid(x)", ("Activation",)),
    Case("tanh", "tf.math.tanh(x)", ("Activation",)),
    Case("exp", "tf.math.exp(x)", ("Activation",)),
    Case("silu", "tf.nn.silu(x)", ("Activation",)),
    Case("swish", "tf.nn.swish(x)", ("Activation",)),
    Case("gelu", "tf.nn.gelu(x)", ("Activation",)),
    Case("softplus", "tf.math.softplus(x)", ("Activation",)),
    Case("elu", "tf.nn.elu(x)", ("Activation",)),
    Case("selu", "tf.nn.selu(x)", ("Activation",)),
    Case("softsign", "tf.nn.softsign(x)", ("Activation",)),
    Case("leaky_relu", "tf.nn.leaky_relu(x, alpha=0.1)", ("LeakyReLU",)),
    Case("softmax_axis", "tf.nn.softmax(x, axis=1)", ("Softmax",)),
    # elementwise math
    Case("sin", "tf.math.sin(x)", (TFOP,)),
    Case("cos", "tf.math.cos(x)", (TFOP,)),
    Case("tan", "tf.math.tan(x * 0.3)", (TFOP,)),
    Case("floor", "tf.math.floor(x * 3.0)", (TFOP,)),
    Case("ceil", "tf.math.ceil(x * 3.0)", (TFOP,)),
    Case("round", "tf.math.round(x * 2.5)", (TFOP,)),
    Case("sign", "tf.math.sign(x)", (TFOP,)),
    Case("log1p", "tf.math.log1p(p)", (TFOP,)),
    Case("expm1", "tf.math.expm1(x)", (TFOP,)),
    Case("erf", "tf.math.erf(x)", (TFOP,)),
    Case("log_sigmoid", "tf.math.log_sigmoid(x)", (TFOP,)),
    Case("divide_no_nan", "tf.math.divide_no_nan(x, tf.nn.relu(w))", (TFOP, "Activation")),
    Case("mod_operator", "x % 0.7", (TFOP,), {"function": "math.floormod", "arguments": {"y": 0.7}, "tensor_arguments": ["x"]}),
    Case("mod_negative", "tf.math.mod(x, -0.6)", (TFOP,)),
    Case("floormod_tensors", "tf.math.floormod(x, p)", (TFOP,)),
    Case("int_math", "tf.cast(x * 4.0, tf.int32) % 3 + tf.cast(w > 0, tf.int32)", (TFOP, "Add")),
    # TF divides integers in floating point: int16 / int16 is float32 (int32 would be float64)
    Case("int_truediv", "tf.cast(x * 4.0, tf.int16) / tf.cast(tf.math.abs(w) * 3.0 + 1.0, tf.int16)", (TFOP,)),
    # comparisons and logic (bool outputs, or numbers made from them)
    Case("equal", "tf.math.equal(tf.math.round(x), 0.0)", (TFOP,)),
    Case("not_equal", "tf.math.not_equal(x, w)", (TFOP,)),
    Case("less", "x < w", (TFOP,), {"function": "math.less", "arguments": {}, "tensor_arguments": ["x", "y"]}),
    Case("less_equal_const", "x <= 0.5", (TFOP,)),
    Case("greater", "tf.cast(tf.math.greater(x, w), tf.float32)", (TFOP,)),
    Case("greater_equal_rconst", "1.0 >= x", (TFOP,)),
    Case("logical_and", "(x > 0.0) & (w > 0.0)", (TFOP,)),
    Case("logical_or", "tf.math.logical_or(x > 0.5, w < -0.5)", (TFOP,)),
    Case("logical_not", "~(x > 0.0)", (TFOP,)),
    Case("logical_xor", "tf.math.logical_xor(x > 0.0, w > 0.0)", (TFOP,)),
    Case("where", "tf.where(x > 0.0, x, w)", (TFOP,)),
    Case("where_const", "tf.where(x > w, 1.0, x)", (TFOP,)),
    Case("where_v1", "tf.compat.v1.where(x > w, x, w)", (TFOP,)),
    Case("where_v1_rows", "tf.compat.v1.where(x[:, 0, 0, 0] > w[:, 0, 0, 0], x, w)", (TFOP,)),  # rows differ (seed 7)
    Case("identity", "tf.identity(x) * 2.0", ("Identity", TFOP)),
    Case("cast_int", "tf.cast(x * 3.0, tf.int32)", (TFOP,)),
    Case("cast_bool", "tf.cast(tf.math.round(x), tf.bool)", (TFOP,)),
    # more reductions, softmax family, l2_normalize, arg reductions, matmul
    Case("reduce_any", "tf.reduce_any(x > 1.0, axis=-1)", (TFOP,)),
    Case("reduce_all", "tf.math.reduce_all(x > -1.5, axis=[1, 2])", (TFOP,)),
    Case("reduce_logsumexp", "tf.math.reduce_logsumexp(x * 30.0, axis=-1)", (TFOP,)),
    Case("reduce_std", "tf.math.reduce_std(x, axis=[1, 2], keepdims=True)", (TFOP,)),
    Case("reduce_variance", "tf.math.reduce_variance(x, axis=1)", (TFOP,)),
    Case("reduce_euclidean_norm", "tf.math.reduce_euclidean_norm(x, axis=-1)", (TFOP,)),
    Case("argmax", "tf.math.argmax(x, axis=-1)", (TFOP,)),
    Case("argmin_int32", "tf.math.argmin(x, axis=1, output_type=tf.int32)", (TFOP,)),
    Case("log_softmax", "tf.nn.log_softmax(x)", ("Activation",), {"activation": "log_softmax"}),
    Case("log_softmax_axis", "tf.nn.log_softmax(x, axis=1)", (TFOP,)),
    Case("l2_normalize", "tf.math.l2_normalize(x, axis=-1)", (TFOP,)),
    Case("l2_normalize_axes", "tf.nn.l2_normalize(x, axis=[1, 2], epsilon=1e-3)", (TFOP,)),
    Case("matmul_transpose_b", "tf.matmul(x, w, transpose_b=True)", (TFOP,)),
    Case("matmul_transpose_a", "tf.linalg.matmul(x, w, transpose_a=True)", (TFOP,)),
    # shape ops
    Case("reshape", "tf.reshape(x, [-1, 15, 4])", (TFOP,)),
    Case("reshape_fold_batch", "tf.reshape(x, [-1, 3])", (TFOP,)),
    Case("transpose", "tf.transpose(x, perm=[0, 2, 1, 3])", ("Permute",), {"dims": [2, 1, 3]}),
    Case("transpose_batch", "tf.transpose(x)", (TFOP,)),
    Case("stack", "tf.stack([x, w], axis=1)", (TFOP,), {"function": "stack", "arguments": {"axis": 1}, "tensor_arguments": ["values"]}),
    Case("stack_batch_axis", "tf.stack([x, w, p])", (TFOP,)),
    Case("expand_dims", "tf.expand_dims(x, 1)", (TFOP,)),
    Case("squeeze", "tf.squeeze(x[:, :1], axis=1)", (TFOP,)),
    Case("tile", "tf.tile(x, [1, 2, 1, 3])", (TFOP,)),
    Case("pad_constant", "tf.pad(x, [[0, 0], [1, 1], [0, 2], [0, 0]], constant_values=2.0)", (TFOP,)),
    Case("pad_reflect", "tf.pad(x, [[0, 0], [1, 2], [2, 1], [0, 0]], mode='REFLECT')", (TFOP,)),
    Case("pad_symmetric", "tf.pad(x, [[0, 0], [1, 2], [2, 1], [1, 0]], mode='symmetric')", (TFOP,)),
    Case("gather", "tf.gather(x, [2, 0], axis=2)", (TFOP,)),
    Case("gather_nested", "tf.gather(x, [[0, 1], [3, 2]], axis=1)", (TFOP,)),
    # list-returning functions: the node's outputs are wired by index
    Case("split", "tf.split(x, 3, axis=-1)[1]", (TFOP,), {"function": "split", "arguments": {"num_or_size_splits": 3, "axis": -1, "num": None}, "tensor_arguments": ["value"], "outputs": 3}),
    Case("split_sizes", "tf.split(x, [1, -1], axis=1)[1]", (TFOP,)),
    Case("unstack", "tf.unstack(x, axis=1)[2]", (TFOP,), {"function": "unstack", "arguments": {"num": None, "axis": 1}, "tensor_arguments": ["value"], "outputs": 3}),
    Case("unstack_num", "tf.unstack(x, num=3, axis=-1)[0]", (TFOP,)),
    # x[...] (SlicingOpLambda)
    Case("slice_step", "x[:, ::2]", (TFOP,), {"function": "__operators__.getitem", "arguments": {"slice_spec": [{"start": None, "stop": None, "step": None}, {"start": None, "stop": None, "step": 2}], "var": None}, "tensor_arguments": ["tensor"]}),
    Case("slice_ellipsis", "x[..., 1:3]", (TFOP,)),
    Case("slice_new_axis", "x[:, None]", (TFOP,)),
    Case("slice_index", "x[:, 0]", (TFOP,)),
    Case("slice_negative_index", "x[:, -1, :]", (TFOP,)),
    Case("slice_one_item", "x[..., 0]", (TFOP,)),
    Case("slice_reverse", "x[:, 1:3, ..., ::-1]", (TFOP,)),
    Case("slice_negative_steps", "x[:, 3:0:-2, ::-2]", (TFOP,)),
    Case("slice_batch_reverse", "x[::-1]", (TFOP,)),
    Case("slice_mixed", "x[:, None, ..., None, 1]", (TFOP,)),
    # MobileNetV3's hard sigmoid, as tf.keras records it
    Case("hard_sigmoid_v3", "L.ReLU(6.0)(x + 3.0) * (1.0 / 6.0)", ("ReLU", TFOP)),
    # preprocessing layers
    Case("rescaling", "L.Rescaling(1.0 / 127.5, offset=-1.0)(x)", ("Rescaling",)),
    Case("rescaling_per_channel", "L.Rescaling([0.5, 2.0, -1.0], offset=0.25)(x)", ("Rescaling",)),
    Case("normalization_weights", "L.Normalization(axis=-1)(x)", ("Normalization",)),
    Case("normalization_axes", "L.Normalization(axis=(1, 2))(x)", ("Normalization",)),
    Case("normalization_invert", "L.Normalization(axis=-1, invert=True)(x)", ("Normalization",)),
    Case("normalization_config", "L.Normalization(axis=-1, mean=[0.5, -1.0, 2.0], variance=[4.0, 0.25, 1e-16])(x)", ("Normalization",)),
    Case("normalization_scalar", "L.Normalization(axis=None, mean=2.0, variance=3.0)(x)", ("Normalization",)),
    # private layers of tf.keras.applications
    Case("custom_scale", "CustomScaleLayer(0.17)([x, w])", ("keras_migrate>CustomScaleLayer",), {"scale": 0.17}),
    Case("layer_scale", "LayerScale(1e-6, 3)(x)", ("keras_migrate>LayerScale",)),
    Case("stochastic_depth", "StochasticDepth(0.1)(x) + w", ("Identity", "Add")),
]
CASE_IDS = [c.name for c in CASES]


def _inputs_of(expr: str) -> list[str]:
    return [n for n in ("x", "w", "p") if re.search(rf"\b{n}\b", expr)]


_BUILDER = textwrap.dedent(
    '''
    import json, os, re, sys
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import numpy as np
    import tensorflow as tf
    import tf_keras
    from tf_keras import layers as L
    from tf_keras.src.applications.convnext import LayerScale, StochasticDepth
    from tf_keras.src.applications.inception_resnet_v2 import CustomScaleLayer

    spec = json.load(open(sys.argv[1]))
    out = spec["out"]
    rng = np.random.default_rng(spec["seed"])
    data = {
        "x": rng.standard_normal((2, 4, 5, 3)).astype("float32"),
        "w": rng.standard_normal((2, 4, 5, 3)).astype("float32"),
        "p": rng.uniform(0.5, 2.0, (2, 4, 5, 3)).astype("float32"),
    }

    def randomize(model):
        for v in model.weights:
            a = v.numpy()
            if np.issubdtype(a.dtype, np.floating):
                scale = "variance" in v.name
                v.assign((rng.uniform(0.5, 1.5, a.shape) if scale else rng.standard_normal(a.shape)).astype(a.dtype))
        for layer in model.layers:
            if type(layer).__name__ == "Normalization" and getattr(layer, "adapt_mean", None) is not None:
                layer.finalize_state()

    def save(name, names, outputs, model):
        randomize(model)
        ys = model([data[n] for n in names])
        ys = ys if isinstance(ys, list) else [ys]
        model.save(os.path.join(out, name + ".h5"))
        arrays = {f"input_{i}": data[n] for i, n in enumerate(names)}
        arrays.update({f"output_{i}": np.asarray(y) for i, y in enumerate(ys)})
        np.savez(os.path.join(out, name + ".npz"), **arrays)

    every = {n: tf_keras.Input((4, 5, 3), name=n) for n in ("x", "w", "p")}
    combined = []
    for name, expr in spec["cases"]:
        names = [n for n in ("x", "w", "p") if re.search(rf"\\b{n}\\b", expr)]
        ins = {n: tf_keras.Input((4, 5, 3), name=n) for n in names}
        y = eval(expr, {"tf": tf, "L": L, "LayerScale": LayerScale, "StochasticDepth": StochasticDepth,
                        "CustomScaleLayer": CustomScaleLayer, **ins})
        save(name, names, [y], tf_keras.Model([ins[n] for n in names], y))
        combined.append(eval(expr, {"tf": tf, "L": L, "LayerScale": LayerScale, "StochasticDepth": StochasticDepth,
                                    "CustomScaleLayer": CustomScaleLayer, **every}))
    save("combined", ["x", "w", "p"], combined, tf_keras.Model([every[n] for n in ("x", "w", "p")], combined))
    '''
)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The directory holding ``<case>.h5/.npz`` and ``combined.h5/.npz``, made by tf_keras."""
    if importlib.util.find_spec("tf_keras") is None:
        pytest.skip("tf_keras is not installed: the cases are built with it")
    work = tmp_path_factory.mktemp("tfkeras_layers")
    (work / "build.py").write_text(_BUILDER)
    (work / "spec.json").write_text(json.dumps({"cases": [[c.name, c.expr] for c in CASES], "out": str(work), "seed": 7}))
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    proc = subprocess.run(
        [sys.executable, str(work / "build.py"), str(work / "spec.json")],
        env=env, capture_output=True, text=True, check=False, timeout=1200,
    )
    if not (work / "combined.npz").exists():
        pytest.fail(f"tf_keras builder failed:\n{proc.stderr[-4000:]}")
    return work


def _entry(work: Path, name: str) -> dict[str, str]:
    return {"h5": str(work / f"{name}.h5"), "npz": str(work / f"{name}.npz")}


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_translation_and_numpy_interpreter(case: Case, built: Path) -> None:
    model = load(str(built / f"{case.name}.h5"))
    types = {layer.type for layer in model.graph.layers}
    assert set(case.types) <= types, f"translated to {sorted(types)}"
    if case.config is not None:
        (layer,) = [lay for lay in model.graph.layers if lay.type == case.types[0]]
        assert dict(layer.config) == case.config
    ins, outs = _arrays(_entry(built, case.name))
    got = run_graph(model.graph, ins)
    _assert_outputs(flatten_structure(got) if not isinstance(got, np.ndarray) else [got], outs)


@pytest.fixture(scope="module")
def combined_keras(built: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tfkeras_layers_keras") / "combined.keras"
    assert cli_main(["convert", str(built / "combined.h5"), "-o", str(out)]) == 0
    return out


_backend_cache: dict[str, dict[str, Any]] = {}


@pytest.mark.backends
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("index", range(len(CASES)), ids=CASE_IDS)
def test_converted_matches_tf_keras(index: int, backend: str, built: Path, combined_keras: Path, tmp_path_factory) -> None:
    if backend not in available_backends():
        pytest.skip(f"{backend} is not installed")
    if not _backend_cache:
        work = tmp_path_factory.mktemp("tfkeras_layers_backends")
        backends = [b for b in BACKENDS if b in available_backends()]
        runs = run_backends(backends, {"combined": _entry(built, "combined")}, {"combined": combined_keras}, work)
        _backend_cache.update({b: r["combined"] for b, r in runs.items()})
    res = _backend_cache[backend]
    assert res.get("ok"), res.get("error")
    _, outs = _arrays(_entry(built, "combined"))
    with np.load(res["output"]) as got:
        _assert_outputs([got[f"out:{index}"]], [outs[index]])


# --------------------------------------------------------------------------- refusals


def _ctx(nodes: Any = None, name: str = "op") -> TranslateContext:
    return TranslateContext(layer_name=name, path="model.h5", generation="tf.keras", inbound_nodes=nodes)


def _namespace_names() -> set[str]:
    """Every ``xp.NAME`` the hand-written TF semantics compute with, and every ``ops.NAME``
    of the legacy-op table's cases the derived ones run."""
    tree = ast.parse(Path(tf_semantics.__file__).read_text(encoding="utf-8"))
    names = {
        n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == "xp"
    }
    for symbol, spec in TF_OPS.items():
        entry = TF_LEGACY_OPS.get(symbol)
        if entry is None or spec.op not in tf_semantics.DERIVED:
            continue
        for case in entry.cases:
            names |= {
                n.attr
                for n in ast.walk(ast.parse(case.template, mode="eval"))
                if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == "ops"
            }
    return names


def test_every_tf_op_has_a_numpy_kernel_a_keras_op_and_an_onnx_lowering() -> None:
    """One meaning per canonical op, and every consumer can compute it: the numpy kernel
    and the compat layer run the same table (so each namespace must have every function it
    uses), the ONNX lowering table has the same keys (or names why an op is not lowered)."""
    ops = {spec.op for spec in TF_OPS.values()}
    assert ops == set(TF_SEMANTICS)
    # one place: every op the table expresses is derived from it, the rest hand-written
    assert set(TF_SEMANTICS) == set(tf_semantics.DERIVED) | set(tf_semantics.HAND_WRITTEN)
    assert not set(tf_semantics.DERIVED) & set(tf_semantics.HAND_WRITTEN)
    assert all(any(s in TF_LEGACY_OPS for s, spec in TF_OPS.items() if spec.op == op) for op in tf_semantics.DERIVED)
    assert not any(s in TF_LEGACY_OPS for s, spec in TF_OPS.items() if spec.op in tf_semantics.HAND_WRITTEN)
    names = _namespace_names()
    assert names, "the semantics table should compute with xp.* functions"
    assert not sorted(n for n in names if not hasattr(NUMPY, n)), "numpy namespace lacks these"
    if importlib.util.find_spec("keras") is not None:
        from keras_migrate.compat._tfkeras import KERAS_NAMESPACE

        assert not sorted(n for n in names if not hasattr(KERAS_NAMESPACE, n)), "keras namespace lacks these"
    if importlib.util.find_spec("onnx") is not None:
        from keras_migrate.converters.onnx.compat import TF_LOWERINGS, TF_NOT_LOWERED

        assert not set(TF_LOWERINGS) & set(TF_NOT_LOWERED)
        assert all(reason for reason in TF_NOT_LOWERED.values())
        assert ops == set(TF_LOWERINGS) | set(TF_NOT_LOWERED)


def test_unknown_tf_function_names_op_layer_and_supported_ones() -> None:
    nodes = [[["dense", 0, 0, {"name": None}]]]
    with pytest.raises(UnsupportedError) as info:
        translate_layer("TFOpLambda", {"name": "tf.math.bessel_i0", "function": "math.bessel_i0"}, _ctx(nodes, "tf.math.bessel_i0"))
    text = str(info.value)
    assert "tf.math.bessel_i0" in text and "model.h5" in text and "reduce_mean" in text


_FULL = {"start": None, "stop": None, "step": None}


@pytest.mark.parametrize(
    ("function", "nodes", "message"),
    [
        ("math.reduce_mean", [[["a", 0, 0, {"axis": ["b", 0, 0]}]]], "tensor as 'axis'"),
        ("math.multiply", [[["a", 0, 0, {"y": 2.0, "name": None, "foo": 1}]]], "argument 'foo'"),
        ("math.multiply", [[["a", 0, 0, {"y": 2.0}]], [["b", 0, 0, {"y": 3.0}]]], "different arguments"),
        ("math.multiply", [[["a", 0, 0, {}]]], "does not record its argument 'y'"),
        ("concat", [[["a", 0, 0, {"axis": -1}], ["_CONSTANT_VALUE", -1, 1.0, {"axis": -1}]]], "list of Keras tensors"),
        ("stack", [[["a", 0, 0, {"axis": 1}], ["_CONSTANT_VALUE", -1, 1.0, {"axis": 1}]]], "list of Keras tensors"),
        ("math.add", [[["a", 0, 0, {"y": [["b", 0, 0], 1.0]}]]], "mixing tensors and constants"),
        ("math.add", None, "outside a functional model"),
        # shapes, indices and slice bounds must be constants (no tf.shape)
        ("reshape", [[["a", 0, 0, {"shape": ["b", 0, 0]}]]], "tensor as 'shape'"),
        ("reshape", [[["a", 0, 0, {"shape": [["b", 0, 0], 4]}]]], "mixing tensors and constants"),
        ("reshape", [[["a", 0, 0, {"shape": [-1, -1, 4]}]]], "shape=[-1, -1, 4]"),
        ("__operators__.getitem", [[["a", 0, 0, {"slice_spec": [_FULL, {"start": ["b", 0, 0], "stop": None, "step": None}]}]]], "slice bound"),
        ("__operators__.getitem", [[["a", 0, 0, {"slice_spec": [_FULL, {"start": None, "stop": None, "step": 0}]}]]], "zero slice step"),
        ("__operators__.getitem", [[["a", 0, 0, {"slice_spec": [{"start": 3, "stop": 0, "step": -1}]}]]], "bounded negative step along the batch"),
        ("__operators__.getitem", [[["a", 0, 0, {"slice_spec": [{"class_name": "__ellipsis__"}] * 2}]]], "more than one ellipsis"),
        # results that depend on the data or the batch, or that have no exact equivalent
        ("compat.v1.squeeze", [[["a", 0, 0, {"axis": None, "name": None}]]], "no axis"),
        ("where", [[["a", 0, 0, {}]]], "only a condition"),
        ("compat.v1.gather", [[["a", 0, 0, {"indices": [0, 1], "axis": 1, "batch_dims": 1}]]], "batch_dims=1"),
        ("compat.v1.gather", [[["a", 0, 0, {"indices": [0, -1], "axis": 1, "batch_dims": 0}]]], "negative indices"),
        ("compat.v1.pad", [[["a", 0, 0, {"paddings": [[1, 1], [0, 0]], "mode": "REFLECT"}]]], "REFLECT padding along the batch axis"),
        ("compat.v1.pad", [[["a", 0, 0, {"paddings": [[0, 0], [1, 1]], "mode": "WRAP"}]]], "mode='WRAP'"),
        ("cast", [[["a", 0, 0, {"dtype": "complex64"}]]], "dtype='complex64'"),
        ("linalg.matmul", [[["a", 0, 0, {"b": ["b", 0, 0], "output_type": "float16"}]]], "output_type='float16'"),
        ("split", [[["a", 0, 0, {"num_or_size_splits": ["b", 0, 0], "axis": 1}]]], "tensor as 'num_or_size_splits'"),
        ("split", [[["a", 0, 0, {"num_or_size_splits": [2, -1, -1], "axis": 1}]]], "num_or_size_splits"),
        # tf_keras records these without operands: tf_keras cannot reload them either
        ("__operators__.eq", [[["a", 0, 0, {}]]], "without its right operand"),
        ("einsum", [[["_CONSTANT_VALUE", -1, "ij,ij->i", {}]]], "without its tensor operands"),
    ],
)
def test_tf_op_calls_that_cannot_be_reproduced_are_refused(function: str, nodes: Any, message: str) -> None:
    with pytest.raises(UnsupportedError, match=re.escape(message)):
        translate_layer("TFOpLambda", {"name": "op", "function": function}, _ctx(nodes))


@pytest.mark.parametrize(
    ("class_name", "config"),
    [
        ("StochasticDepth", {"name": "sd", "survival_probability": 0.5}),  # tfa's: adds a scaled residual
        ("LayerScale", {"name": "ls", "init_values": 0.1}),
        ("CustomScaleLayer", {"name": "cs", "scale": 0.1, "activation": "relu"}),
        ("Normalization", {"name": "n", "axis": -1, "mean": [1.0]}),
    ],
)
def test_private_layers_with_other_configs_are_refused(class_name: str, config: dict[str, Any]) -> None:
    with pytest.raises(UnsupportedError):
        translate_layer(class_name, config, _ctx())


def test_normalization_statistics_are_weights_only_without_config_values() -> None:
    specs = weight_specs("Normalization", {"axis": -1, "mean": None, "variance": None})
    assert [(s.name, s.trainable) for s in specs] == [("mean", False), ("variance", False), ("count", False)]
    assert weight_specs("Normalization", {"axis": -1, "mean": [1.0], "variance": [2.0]}) == []


def _op_layer(function: str, name: str, source: str) -> dict[str, Any]:
    return {
        "class_name": "TFOpLambda",
        "name": name,
        "config": {"name": name, "trainable": True, "dtype": "float32", "function": function},
        "inbound_nodes": [[[source, 0, 0, {"name": None}]]],
    }


def test_cli_lists_every_unsupported_tf_function_and_layer(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """One message names every unsupported TF function with all its layers, nested models
    included, before anything is translated; exit code 2 and no output."""
    inner = {
        "class_name": "Functional",
        "name": "inner",
        "config": {
            "name": "inner",
            "layers": [
                {"class_name": "InputLayer", "name": "i", "config": {"name": "i", "batch_input_shape": [None, 3], "dtype": "float32"}, "inbound_nodes": []},
                _op_layer("math.bessel_i0", "tf.math.bessel_i0_1", "i"),
            ],
            "input_layers": [["i", 0, 0]],
            "output_layers": [["tf.math.bessel_i0_1", 0, 0]],
        },
        "inbound_nodes": [[["tf.image.resize", 0, 0, {}]]],
    }
    config = {
        "class_name": "Functional",
        "config": {
            "name": "m",
            "layers": [
                {"class_name": "InputLayer", "name": "x", "config": {"name": "x", "batch_input_shape": [None, 3], "dtype": "float32"}, "inbound_nodes": []},
                _op_layer("math.bessel_i0", "tf.math.bessel_i0", "x"),
                _op_layer("image.resize", "tf.image.resize", "tf.math.bessel_i0"),
                _op_layer("math.sin", "tf.math.sin", "tf.image.resize"),
                inner,
            ],
            "input_layers": [["x", 0, 0]],
            "output_layers": [["inner", 1, 0]],
        },
        "keras_version": "2.15.0",
        "backend": "tensorflow",
    }
    path = tmp_path / "arch.json"
    path.write_text(json.dumps(config))
    out = tmp_path / "out.keras"
    assert cli_main(["convert", str(path), "-o", str(out)]) == 2
    assert not out.exists()
    err = capsys.readouterr().err
    assert (
        "unsupported TF functions: math.bessel_i0 (layers 'tf.math.bessel_i0', 'tf.math.bessel_i0_1'); "
        "image.resize (layer 'tf.image.resize')"
    ) in err
    assert "math.sin" not in err.split("(supported")[0] and "arch.json" in err


_UNSUPPORTED_BUILDER = textwrap.dedent(
    """
    import os, sys
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf
    import tf_keras

    out = sys.argv[1]
    x = tf_keras.Input((4, 4, 3), name="x")
    y = tf.math.bessel_i0(x) + tf.math.bessel_i0(x * 2.0)
    z = tf.image.resize(tf_keras.layers.Dense(3)(x), (8, 8))
    e = tf.einsum("bijk,bijk->bi", x, x)
    model = tf_keras.Model(x, [y, z, e])
    model.save(os.path.join(out, "m.h5"))
    model.save(os.path.join(out, "m.savedmodel"), save_format="tf")
    model.save(os.path.join(out, "m.tfk.keras"))
    model.save_weights(os.path.join(out, "ckpt", "ckpt"))
    open(os.path.join(out, "m.json"), "w").write(model.to_json())
    """
)


@pytest.fixture(scope="module")
def unsupported_forms(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tf_keras model calling unsupported TF functions, in every form tf_keras writes."""
    if importlib.util.find_spec("tf_keras") is None:
        pytest.skip("tf_keras is not installed: the model is built with it")
    work = tmp_path_factory.mktemp("tf_unsupported")
    (work / "build.py").write_text(_UNSUPPORTED_BUILDER)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    proc = subprocess.run([sys.executable, str(work / "build.py"), str(work)], env=env, capture_output=True, text=True, check=False, timeout=600)
    if not (work / "m.json").exists():
        pytest.fail(f"tf_keras builder failed:\n{proc.stderr[-4000:]}")
    return work


@pytest.mark.parametrize(
    ("form", "model", "weights"),
    [
        ("h5", "m.h5", None),
        ("json+h5", "m.json", "m.h5"),
        ("savedmodel", "m.savedmodel", None),
        ("json+ckpt", "m.json", "ckpt/ckpt"),
        ("tfk.keras", "m.tfk.keras", None),
    ],
)
def test_every_reader_lists_every_unsupported_tf_function(
    form: str, model: str, weights: str | None, unsupported_forms: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.keras"
    argv = ["convert", str(unsupported_forms / model), "-o", str(out)]
    if weights is not None:
        argv += ["--weights", str(unsupported_forms / weights)]
    assert cli_main(argv) == 2
    assert not out.exists()
    err = capsys.readouterr().err
    assert (
        "unsupported TF functions: math.bessel_i0 (layers 'tf.math.bessel_i0', 'tf.math.bessel_i0_1'); "
        "image.resize (layer 'tf.image.resize'); einsum (layer 'tf.einsum': tf_keras records tf.einsum "
        "without its tensor operands)"
    ) in err
    assert "EinsumDense" in err
