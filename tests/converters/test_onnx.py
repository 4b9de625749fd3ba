"""``convert MODEL -o model.onnx``: ONNX built from the IR with the ``onnx`` package only.

* Every legacy fixture (Keras 1.2.2, 2.0.8, 2.2.4, tf.keras 2.21; both forms) converts
  through the CLI; the file passes ``onnx.checker`` (full check) and, under onnxruntime,
  reproduces the outputs the original software stored (rtol 1e-4, atol 1e-5) -- or the
  conversion refuses naming a layer whose type the README's support matrix lists without
  an ONNX lowering.
* The batch dimension is dynamic (a batch of one matches the numpy interpreter too); graph
  inputs, outputs and node names come from the IR.
* Several opsets, every activation and every TF op against the numpy interpreter.
* Refusals: a layer without a lowering exits 2 naming it and leaves no file; a bad opset
  exits 2; a missing ``onnx`` exits 3 naming the pip extra.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from keras_migrate.converters.onnx import build_onnx, lowered_types, registry  # noqa: E402
from keras_migrate.errors import UnsupportedError  # noqa: E402
from keras_migrate.formats import load  # noqa: E402
from keras_migrate.ir.graph import GraphBuilder, Layer, Model, TensorType, flatten_structure  # noqa: E402
from keras_migrate.ir.interpreter import run_graph  # noqa: E402
from keras_migrate.ir.interpreter.kernels.activations import ACTIVATIONS  # noqa: E402
from keras_migrate.ir.ops.tf import TF_OPS, TFOP_TYPE  # noqa: E402
from keras_migrate.ir.passes import prepare_for_output  # noqa: E402
from keras_migrate.support import IR_TYPES, LAYERS, onnx_status  # noqa: E402
from tests._cli import cli_stderr  # noqa: E402
from tests.conftest import ROOT  # noqa: E402
from tests.conversion._backend_runs import assert_outputs  # noqa: E402
from tests.conversion._fixture_cases import Case, discover  # noqa: E402

GENERATIONS = ("keras-1.2.2", "keras-2.0.8", "keras-2.2.4", "tf-keras-2.21")
CASES = discover(GENERATIONS)  # Lambda models included

_ORT_DTYPES = {"tensor(float)": np.float32, "tensor(int32)": np.int32, "tensor(int64)": np.int64}


def _session(path_or_proto: Any) -> Any:
    options = ort.SessionOptions()
    options.log_severity_level = 3
    data = path_or_proto if isinstance(path_or_proto, (str, Path)) else path_or_proto.SerializeToString()
    return ort.InferenceSession(str(data) if isinstance(data, Path) else data, options, providers=["CPUExecutionProvider"])


def _run(sess: Any, arrays: list[np.ndarray]) -> list[np.ndarray]:
    feeds = {i.name: np.asarray(a).astype(_ORT_DTYPES[i.type]) for i, a in zip(sess.get_inputs(), arrays, strict=True)}
    return list(sess.run(None, feeds))



def _model(case: Case) -> Model:
    return load(str(case.model), weights=str(case.weights) if case.weights else None)


def _unlowered_types(model: Model) -> set[str]:
    lowered = lowered_types()
    found = set()
    for _, layer in model.graph.walk_layers():
        found.add(layer.type)
        for key in ("layer", "backward_layer", "cell"):
            spec = layer.config.get(key)
            if isinstance(spec, dict) and isinstance(spec.get("class_name"), str):
                found.add(spec["class_name"])
    cells = {"SimpleRNNCell", "LSTMCell", "GRUCell", "StackedRNNCells"}
    return {t for t in found - cells if t not in lowered}


@pytest.fixture(scope="session")
def converted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path | None, int, str]]:
    """Every case through the CLI once: id -> (output or None, exit code, stderr)."""
    out_dir = tmp_path_factory.mktemp("onnx")
    results = {}
    for case in CASES:
        out = out_dir / (case.id.replace("/", "__") + ".onnx")
        argv = ["convert", str(case.model), "-o", str(out)]
        if case.weights is not None:
            argv += ["--weights", str(case.weights)]
        code, err = cli_stderr(argv)
        results[case.id] = (out if code == 0 and out.exists() else None, code, err)
    return results


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_fixture_matches_original_under_onnxruntime(case: Case, converted) -> None:
    path, code, err = converted[case.id]
    if path is None:
        # the only acceptable failure: a clear refusal for a layer with no lowering yet,
        # listed as such in the README's support matrix
        assert code == 2, err
        assert "has no ONNX lowering" in err, err
        missing = _unlowered_types(_model(case))
        assert missing, f"refused although every layer type has a lowering: {err}"
        readme = (ROOT / "README.md").read_text()
        for label in LAYERS:
            types = IR_TYPES.get(label, LAYERS[label][0])
            if missing & set(types):
                assert onnx_status(label) != "yes" and f"| {onnx_status(label)} |" in readme
        return
    onnx.checker.check_model(str(path), full_check=True)
    ins, outs = case.arrays()
    assert_outputs(_run(_session(path), ins), outs, _model(case))


@pytest.mark.parametrize("case", [c for c in CASES if c.form == "h5"], ids=lambda c: c.id)
def test_dynamic_batch_and_names(case: Case, converted) -> None:
    path, _, _ = converted[case.id]
    if path is None:
        pytest.skip("refused (checked by the fixture test)")
    proto = onnx.load(str(path))
    model = prepare_for_output(_model(case))
    graph = model.graph
    assert [i.name for i in proto.graph.input] == list(graph.inputs)
    assert [o.name for o in proto.graph.output] == list(graph.outputs)
    for value in [*proto.graph.input, *proto.graph.output]:
        assert value.type.tensor_type.shape.dim[0].dim_param == "batch"
    layer_names = {layer.name for layer in graph.layers}
    for node in proto.graph.node:
        assert node.name.split("/")[0].split("@")[0] in layer_names, node.name
    # a batch of one, against the numpy interpreter
    ins, _ = case.arrays()
    first = [a[:1] for a in ins]
    expected = run_graph(graph, first)
    flat = flatten_structure(expected) if not isinstance(expected, np.ndarray) else [expected]
    assert_outputs(_run(_session(path), first), flat, model)


OPSET_CASES = [
    c
    for c in CASES
    if c.form == "h5"
    and (c.generation, c.name)
    in {
        ("keras-2.2.4", "conv"),
        ("keras-2.2.4", "rnn_variants"),
        ("keras-2.2.4", "masking_embedding_lstm"),
        ("keras-2.2.4", "timedistributed"),
        ("tf-keras-2.21", "convlstm2d"),
        ("tf-keras-2.21", "bidirectional_merge_modes"),
        ("tf-keras-2.21", "layer_normalization"),
        ("keras-2.2.4", "pad_crop_upsample"),
    }
]


@pytest.mark.parametrize("opset", [13, 15, 18, 21])
@pytest.mark.parametrize("case", OPSET_CASES, ids=lambda c: c.id)
def test_other_opsets(case: Case, opset: int, tmp_path: Path) -> None:
    out = tmp_path / "m.onnx"
    code, err = cli_stderr(["convert", str(case.model), "-o", str(out), "--opset", str(opset)])
    assert code == 0, err
    proto = onnx.load(str(out))
    assert [o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")] == [opset]
    onnx.checker.check_model(proto, full_check=True)
    ins, outs = case.arrays()
    assert_outputs(_run(_session(out), ins), outs)


# --------------------------------------------------------------------------- tables vs the interpreter


def _single_layer_model(layer: Layer, shape: tuple[int | None, ...], n_inputs: int = 1) -> Model:
    gb = GraphBuilder("m")
    refs = [gb.add_input(f"x{i}", TensorType(shape)) for i in range(n_inputs)]
    gb.add_layer(layer)
    arg = refs[0] if n_inputs == 1 else refs
    (out,) = gb.call(layer.name, (arg,))
    gb.input_structure = refs[0].name if n_inputs == 1 else [r.name for r in refs]
    gb.output_structure = out.name
    return Model(gb.build())


def _check_against_interpreter(model: Model, arrays: list[np.ndarray], opset: int = registry.DEFAULT_OPSET) -> None:
    proto = build_onnx(model, opset)
    expected = run_graph(model.graph, arrays if len(arrays) > 1 else arrays[0])
    got = _run(_session(proto), arrays)
    np.testing.assert_allclose(got[0], expected, rtol=1e-4, atol=1e-5)


_rng = np.random.default_rng(0)
_X = (_rng.standard_normal((2, 3, 5)) * 2).astype(np.float32)


@pytest.mark.parametrize("name", sorted(a for a in ACTIVATIONS if a not in ("glu", "sparsemax", "sparse_plus", "sparse_sigmoid")))
def test_activation_matches_interpreter(name: str) -> None:
    model = _single_layer_model(Layer("act", "Activation", {"activation": name}), (None, 3, 5))
    _check_against_interpreter(model, [_X])


_TF_CASES: dict[str, tuple[dict[str, Any], int]] = {
    "add": ({"arguments": {"y": 1.5}, "tensor_arguments": ["x"]}, 1),
    "subtract": ({"arguments": {"x": 2.0}, "tensor_arguments": ["y"]}, 1),
    "multiply": ({"tensor_arguments": ["x", "y"]}, 2),
    "truediv": ({"arguments": {"y": 3.0}, "tensor_arguments": ["x"]}, 1),
    "floordiv": ({"arguments": {"y": 0.7}, "tensor_arguments": ["x"]}, 1),
    "maximum": ({"tensor_arguments": ["x", "y"]}, 2),
    "minimum": ({"arguments": {"y": 0.1}, "tensor_arguments": ["x"]}, 1),
    "pow": ({"arguments": {"y": 2.0}, "tensor_arguments": ["x"]}, 1),
    "squared_difference": ({"tensor_arguments": ["x", "y"]}, 2),
    "silu": ({"arguments": {"beta": 1.7}}, 1),
    "leaky_relu": ({"arguments": {"alpha": 0.1}}, 1),
    "gelu": ({"arguments": {"approximate": True}}, 1),
    "softmax": ({"arguments": {"axis": 1}}, 1),
    "reduce_mean": ({"arguments": {"axis": [1, 2], "keepdims": True}}, 1),
    "reduce_max": ({"arguments": {"axis": -1, "keepdims": False}}, 1),
    "clip_by_value": ({"arguments": {"clip_value_min": -0.5, "clip_value_max": 0.4}}, 1),
    "divide_no_nan": ({"tensor_arguments": ["x", "y"]}, 2),
    "floormod": ({"arguments": {"y": -0.7}, "tensor_arguments": ["x"]}, 1),
    "equal": ({"arguments": {"y": 0.0}, "tensor_arguments": ["x"]}, 1),
    "not_equal": ({"tensor_arguments": ["x", "y"]}, 2),
    "less": ({"tensor_arguments": ["x", "y"]}, 2),
    "less_equal": ({"arguments": {"y": 0.1}, "tensor_arguments": ["x"]}, 1),
    "greater": ({"tensor_arguments": ["x", "y"]}, 2),
    "greater_equal": ({"arguments": {"x": 0.2}, "tensor_arguments": ["y"]}, 1),
    "log_softmax": ({"arguments": {"axis": 1}}, 1),
    "l2_normalize": ({"arguments": {"axis": [1, 2]}}, 1),
    "reduce_logsumexp": ({"arguments": {"axis": -1, "keepdims": False}}, 1),
    "reduce_std": ({"arguments": {"axis": [1, 2], "keepdims": True}}, 1),
    "reduce_variance": ({"arguments": {"axis": 1}}, 1),
    "reduce_euclidean_norm": ({"arguments": {"axis": -1}}, 1),
    "argmax": ({"arguments": {"axis": -1}}, 1),
    "argmin": ({"arguments": {"axis": 1, "output_type": "int32"}}, 1),
    "cast": ({"arguments": {"dtype": "int32"}}, 1),
    "matmul": ({"arguments": {"transpose_b": True}, "tensor_arguments": ["a", "b"]}, 2),
    "reshape": ({"arguments": {"shape": [-1, 15]}}, 1),
    "transpose": ({"arguments": {"perm": [0, 2, 1]}}, 1),
    "expand_dims": ({"arguments": {"axis": -1}}, 1),
    "tile": ({"arguments": {"multiples": [1, 2, 1]}}, 1),
    "pad": ({"arguments": {"paddings": [[0, 0], [1, 2], [2, 1]], "mode": "SYMMETRIC"}}, 1),
    "gather": ({"arguments": {"indices": [4, 0, 2], "axis": 2}}, 1),
    "getitem": (
        {"arguments": {"slice_spec": [{"start": None, "stop": None, "step": None}, {"class_name": "__ellipsis__"}, None,
                                      {"start": 4, "stop": 0, "step": -2}]}},
        1,
    ),
    "stack": ({"arguments": {"axis": 1}, "tensor_arguments": ["values"]}, 2),
}
_POSITIVE = {"sqrt", "rsqrt", "log", "pow", "log1p"}
_LIST_OPS = {"concat", "add_n"}
#: Ops this single-float-layer check cannot feed (bool operands, several outputs, a size-1
#: axis); the tf_ops fixtures cover them under onnxruntime.
_OTHER_INPUTS = {"logical_and", "logical_or", "logical_xor", "logical_not", "where", "select", "reduce_any", "reduce_all",
                 "split", "unstack", "squeeze", "space_to_depth"}
TF_FUNCTIONS = sorted(
    {spec.op: name for name, spec in TF_OPS.items() if spec.op not in _LIST_OPS | _OTHER_INPUTS}.items()
)


@pytest.mark.parametrize(("op", "function"), TF_FUNCTIONS, ids=[op for op, _ in TF_FUNCTIONS])
def test_tf_op_matches_interpreter(op: str, function: str) -> None:
    extra, n_inputs = _TF_CASES.get(op, ({}, 1))
    spec = TF_OPS[function]
    config = {"function": function, "arguments": {}, **extra}
    config["arguments"] = {**{k: v for k, v in spec.defaults.items()}, **config["arguments"]}
    model = _single_layer_model(Layer("tf_op", TFOP_TYPE, config), (None, 3, 5), n_inputs)
    arrays = [np.abs(_X) + 0.1 if op in _POSITIVE else _X, _X[::-1].copy()][:n_inputs]
    _check_against_interpreter(model, arrays)


@pytest.mark.parametrize(("int_dtype", "float_dtype"), [("int16", "float32"), ("int32", "float64")])
def test_tf_true_division_of_integers_is_floating(int_dtype: str, float_dtype: str) -> None:
    """TF divides integers in floating point (int16 -> float32, int32 -> float64); the
    interpreter and the ONNX lowering both give TF's dtype and values."""
    gb = GraphBuilder("m")
    x = gb.add_input("x", TensorType((None, 3, 5)))
    gb.add_layer(Layer("ints", TFOP_TYPE, {"function": "cast", "arguments": {"dtype": int_dtype}, "tensor_arguments": ["x"]}))
    gb.add_layer(Layer("div", TFOP_TYPE, {"function": "math.truediv", "arguments": {"y": 4}, "tensor_arguments": ["x"]}))
    (i,) = gb.call("ints", (x,))
    (out,) = gb.call("div", (i,))
    gb.input_structure, gb.output_structure = "x", out.name
    model = Model(gb.build())
    arrays = [(_X * 4).astype(np.float32)]
    want = arrays[0].astype(int_dtype).astype(float_dtype) / 4
    expected = run_graph(model.graph, arrays[0])
    assert expected.dtype == float_dtype
    np.testing.assert_array_equal(expected, want)
    got = _run(_session(build_onnx(model)), arrays)
    assert got[0].dtype == float_dtype
    np.testing.assert_array_equal(got[0], want)


def test_no_back_to_back_transposes(converted) -> None:
    path, _, _ = converted["keras-2.2.4/convnet_channels_last/h5"]
    assert path is not None
    graph = onnx.load(str(path)).graph
    producers = {o: n for n in graph.node for o in n.output}
    for node in graph.node:
        if node.op_type == "Transpose":
            src = producers.get(node.input[0])
            assert src is None or src.op_type != "Transpose", node.name


# --------------------------------------------------------------------------- refusals


def test_unlowered_layer_is_refused_naming_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    registry.load_all()  # lowering modules load lazily: load them before replacing an entry
    monkeypatch.setitem(registry._REGISTRY, "Dense", [])
    model = ROOT / "fixtures" / "keras-2.2.4" / "dense_activations.h5"
    out = tmp_path / "model.onnx"
    code, err = cli_stderr(["convert", str(model), "-o", str(out)])
    assert code == 2
    assert "layer 'dense_relu'" in err and "Dense has no ONNX lowering" in err, err
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_bad_opset_is_refused(tmp_path: Path) -> None:
    model = ROOT / "fixtures" / "keras-2.2.4" / "dense_activations.h5"
    out = tmp_path / "model.onnx"
    code, err = cli_stderr(["convert", str(model), "-o", str(out), "--opset", "9"])
    assert code == 2 and "opset 9" in err, err
    assert list(tmp_path.iterdir()) == []


def test_missing_onnx_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "onnx", None)
    model = ROOT / "fixtures" / "keras-2.2.4" / "dense_activations.h5"
    out = tmp_path / "model.onnx"
    code, err = cli_stderr(["convert", str(model), "-o", str(out)])
    assert code == 3
    assert "keras-migrate[onnx]" in err, err
    assert not out.exists()


def test_registry_does_not_import_onnx() -> None:
    probe = (
        "import sys\n"
        "from keras_migrate.converters.onnx import lowered_types\n"
        "from keras_migrate.support import render_markdown\n"
        "assert 'Dense' in lowered_types(); render_markdown()\n"
        "print('ONNX:' + str('onnx' in sys.modules))\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=False)
    assert "ONNX:False" in proc.stdout, proc.stderr


def test_mask_passing_agrees_with_interpreter() -> None:
    """Lowerings that pass masks through are the layer types the interpreter passes them for."""
    from keras_migrate.ir.interpreter import load_kernels, mask_passing_types

    load_kernels()
    for layer_type in lowered_types():
        entry = registry.find_lowering(layer_type, registry.DEFAULT_OPSET)
        assert entry is not None
        if entry.uses_mask:
            continue
        assert entry.passes_mask == (layer_type in mask_passing_types()), layer_type


def _refuse_without_hint(call: Any) -> Any:
    raise UnsupportedError("this setting has no ONNX lowering")  # a lowering's bare refusal


def test_every_refusal_is_one_line_with_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 16: ``keras-migrate: error: FILE: layer 'NAME': what; what to do``, also when
    the lowering that refused named neither the layer nor a remedy."""
    registry.load_all()
    entry = registry._REGISTRY["Dense"][0]
    monkeypatch.setitem(registry._REGISTRY, "Dense", [dataclasses.replace(entry, fn=_refuse_without_hint)])
    model = ROOT / "fixtures" / "keras-2.2.4" / "dense_activations.h5"
    out = tmp_path / "model.onnx"
    code, err = cli_stderr(["convert", str(model), "-o", str(out)])
    assert code == 2
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith(f"keras-migrate: error: {model}: layer 'dense_relu': this setting has no ONNX lowering; "), err
    assert "convert to .keras instead" in err, err
    assert not out.exists()


# --------------------------------------------------------------------------- identities and verification


def _identity_output_model() -> Model:
    """``relu -> Dropout`` is a model output while ``relu``'s value also feeds ``tanh``:
    the Dropout lowering returns its input tensor unchanged, which must keep its name."""
    gb = GraphBuilder("m")
    x = gb.add_input("x", TensorType((None, 3, 5)))
    for layer in (
        Layer("relu", "Activation", {"activation": "relu"}),
        Layer("drop", "Dropout", {"rate": 0.5}),
        Layer("tanh", "Activation", {"activation": "tanh"}),
    ):
        gb.add_layer(layer)
    (h,) = gb.call("relu", (x,))
    (d,) = gb.call("drop", (h,))
    (t,) = gb.call("tanh", (h,))
    gb.input_structure = x.name
    gb.output_structure = [d.name, t.name]
    return Model(gb.build())


def test_identity_output_keeps_its_shared_input_defined() -> None:
    model = _identity_output_model()
    proto = build_onnx(model, registry.DEFAULT_OPSET)
    onnx.checker.check_model(proto, full_check=True)
    expected = run_graph(model.graph, _X)
    got = _run(_session(proto), [_X])
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-4, atol=1e-5)


def test_verify_runs_an_onnx_output_on_onnxruntime(tmp_path: Path) -> None:
    from keras_migrate.verification import ONNX_RUNTIME, verify_model

    model = _identity_output_model()
    out = tmp_path / "m.onnx"
    out.write_bytes(build_onnx(model, registry.DEFAULT_OPSET).SerializeToString())
    report = verify_model(model, str(out), backends=["jax"])
    assert [r.backend for r in report.backends] == [ONNX_RUNTIME]
    assert report.ok, report.backends
    assert len(report.backends[0].outputs) == 2
    # A wrong output is caught: swap the two graph outputs.
    proto = onnx.load(str(out))
    a, b = proto.graph.output[0].name, proto.graph.output[1].name
    proto.graph.output[0].name, proto.graph.output[1].name = b, a
    out.write_bytes(proto.SerializeToString())
    assert not verify_model(model, str(out)).ok
