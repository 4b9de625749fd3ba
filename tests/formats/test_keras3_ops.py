"""Keras 3 ``.keras`` files whose functional graph holds ``keras.ops`` op nodes.

Models are built and saved by Keras 3 itself at test time (a subprocess, JAX backend),
with their outputs; each is then read, run by the numpy interpreter, converted to every
output kind, and the converted ``.keras`` and ``.py`` forms are run on jax, torch and
tensorflow (one worker process per backend for all models).
"""

from __future__ import annotations

import importlib.util
import io
import json
import os
import re
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from keras_migrate.cli import main as cli_main
from keras_migrate.formats import load
from keras_migrate.ir import serialize
from keras_migrate.ir.graph import flatten_structure
from keras_migrate.ir.interpreter import run_graph
from keras_migrate.ir.ops.keras3 import OPS, OPS_PREFIX, REQUIRED, dtype_of, result_type
from keras_migrate.verification import available_backends
from tests._arrays import interpret, load_npz
from tests.conversion._backend_runs import BACKENDS, Job, assert_outputs, run_jobs, run_module_jobs

_BUILD = textwrap.dedent(
    """
    import inspect, json, os, sys
    os.environ["KERAS_BACKEND"] = "jax"
    import numpy as np
    import keras
    from keras import layers as L, ops

    out = sys.argv[1]
    rng = np.random.default_rng(0)

    def arith():
        x = keras.Input((3, 4), name="x")
        a = ops.add(x, 1.5) - ops.subtract(2.0, x) * ops.multiply(x, x)
        b = ops.divide(x, 3.0) + x / ops.add(ops.abs(x), 1.0) + ops.true_divide(1.0, ops.add(ops.square(x), 2.0))
        c = ops.power(ops.absolute(x), 1.5) + ops.sqrt(ops.abs(x)) + ops.exp(ops.negative(x))
        d = ops.log(ops.add(ops.abs(x), 0.5)) + ops.tanh(x)
        e = ops.maximum(x, 0.2) - ops.minimum(x, np.arange(4, dtype="float32")) + ops.clip(x, -0.5, 0.75)
        f = x + ops.convert_to_tensor(np.linspace(-1, 1, 4).astype("float32")) ** 2
        return keras.Model(x, [a, b, c, d, e, f])

    def compare_logic():
        x, y = keras.Input((6,), name="x"), keras.Input((6,), name="y")
        f = lambda t: ops.cast(t, "float32")
        gt, le = ops.greater(x, y), ops.less_equal(x, 0.25)
        both = ops.logical_and(gt, ops.logical_not(le))
        either = ops.logical_or(ops.greater_equal(y, 0.0), ops.less(x, -0.5))
        eq = ops.logical_or(ops.equal(ops.multiply(x, 0.0), 0.0), ops.not_equal(x, y))
        return keras.Model([x, y], [f(gt), f(both), f(either), f(eq), ops.where(both, x, y), ops.where(le, -1.0, x)])

    def reduce():
        x = keras.Input((3, 4, 5), name="x")
        outs = [ops.sum(x, axis=1), ops.mean(x, axis=[1, 2]), ops.max(x, axis=-1, keepdims=True),
                ops.min(x, axis=2), ops.prod(ops.add(x, 1.0), axis=1), ops.sum(x), ops.mean(x, axis=-1, keepdims=True),
                ops.cast(ops.any(ops.greater(x, 1.0), axis=2), "float32"),
                ops.cast(ops.all(ops.greater(x, -1.5), axis=[1, 2]), "float32"),
                ops.argmax(x, axis=-1), ops.argmin(x, axis=1, keepdims=True)]
        return keras.Model(x, outs)

    def shapes():
        x, y = keras.Input((4, 6), name="x"), keras.Input((6, 3), name="y")
        r = ops.reshape(x, (-1, 2, 12))
        t = ops.transpose(x, (0, 2, 1))
        e = ops.squeeze(ops.expand_dims(x, 1), axis=1)
        c = ops.concatenate([x, ops.transpose(y, (0, 2, 1))], axis=1)
        s = ops.stack([x, x * 2.0], axis=-1)
        tl = ops.tile(x, (1, 2, 1))
        tk = ops.take(x, [3, 0, 1], axis=2)
        g1, g2, g3 = x[:, 1:3, ::2], x[..., None, -1], x[:, -1]
        mm = ops.matmul(x, y)
        es = ops.einsum("bij,bjk->bik", x, y)
        return keras.Model([x, y], [r, t, e, c, s, tl, tk, g1, g2, g3, mm, es, ops.squeeze(x[:, :1])])

    def int_dtypes():
        x = keras.Input((5,), dtype="int32", name="x")
        v = keras.Input((5,), name="v")
        i = ops.multiply(x, 3) - 2
        outs = [i, x / 2, ops.mean(x, axis=-1), ops.sum(i, axis=-1), ops.argmax(ops.cast(v, "int32") + x, axis=-1),
                ops.cast(v, "int32"), v + ops.cast(x, "float32"), ops.sqrt(ops.abs(x)), ops.take(v, ops.clip(x, 0, 4), axis=1)]
        return keras.Model([x, v], outs)

    def activations():
        x = keras.Input((3, 5), name="x")
        outs = [ops.relu(x), ops.sigmoid(x), ops.softmax(x, axis=1), ops.log_softmax(x), ops.gelu(x),
                ops.gelu(x, approximate=False), ops.silu(x), keras.activations.relu(x, negative_slope=0.1, max_value=1.0),
                keras.activations.relu(x, threshold=0.2)]
        return keras.Model(x, outs)

    def masked_lstm():
        x = keras.Input((6, 3), name="x")
        m = L.Masking(0.0)(x)
        h = L.LSTM(4, return_sequences=True)(m)
        g = L.GRU(2)(h)
        pooled = ops.sum(h, axis=1) / ops.sum(ops.cast(ops.any(ops.not_equal(x, 0.0), axis=-1), "float32"), axis=1, keepdims=True)
        return keras.Model(x, [g, pooled, L.Dense(2)(ops.concatenate([g, pooled], axis=-1))])

    def nested_shared():
        xi = keras.Input((4,), name="xi")
        inner = keras.Model(xi, L.Dense(3)(ops.add(ops.relu(xi), 0.5)), name="inner")
        a, b = keras.Input((4,), name="a"), keras.Input((4,), name="b")
        ha, hb = inner(a), inner(ops.multiply(b, 2.0))
        s = L.Add()([ha, hb])
        o = ops.add(ha, hb)
        c = L.Concatenate()([s, o])
        return keras.Model([a, b], [L.Dense(2)(c), ops.concatenate([c, L.Dense(1)(s)], axis=-1)])

    def max_initial():
        x = keras.Input((4,), name="x")
        return keras.Model(x, ops.max(x, axis=-1, initial=0.5))

    def unknown_ops():
        x = keras.Input((4,), name="x")
        return keras.Model(x, ops.add(ops.cumsum(x, axis=-1), ops.sort(ops.cumsum(x, axis=-1))))

    MODELS = dict(arith=arith, compare_logic=compare_logic, reduce=reduce, shapes=shapes, int_dtypes=int_dtypes,
                  activations=activations, masked_lstm=masked_lstm, nested_shared=nested_shared, max_initial=max_initial,
                  unknown_ops=unknown_ops)

    for name, fn in MODELS.items():
        keras.utils.set_random_seed(1)
        m = fn()
        for w in m.weights:
            v = np.asarray(w.numpy())
            w.assign((rng.standard_normal(v.shape) * 0.5).astype(v.dtype))
        ins = []
        for t in m.inputs:
            shape = [2] + list(t.shape[1:])
            ins.append(rng.integers(-4, 9, shape).astype("int32") if "int" in str(t.dtype)
                       else rng.standard_normal(shape).astype("float32"))
        if name == "masked_lstm":
            ins[0][0, 4:] = 0.0
            ins[0][1, 2] = 0.0
        y = m(ins if len(ins) > 1 else ins[0], training=False)
        ys = [keras.ops.convert_to_numpy(t) for t in (y if isinstance(y, (list, tuple)) else [y])]
        m.save(f"{out}/{name}.keras")
        if name in ("masked_lstm", "nested_shared", "shapes"):
            m.save(f"{out}/{name}.h5")  # Keras 3's legacy HDF5 form: configs without "module"
        np.savez(f"{out}/{name}.npz", **{f"input_{i}": a for i, a in enumerate(ins)},
                 **{f"output_{i}": np.asarray(a) for i, a in enumerate(ys)})

    # Facts about the ops, for the allowlist checks.
    import importlib
    table = json.load(open(sys.argv[2]))
    facts = {}
    for cls, (module, function) in table.items():
        c = getattr(importlib.import_module(module), cls)
        init = inspect.signature(c.__init__).parameters
        call = inspect.signature(c.call).parameters
        owner, _, fname = function.rpartition(".")
        fn = getattr(importlib.import_module(owner), fname)
        facts[cls] = {
            "params": [[k, None if p.default is inspect.Parameter.empty else p.default, p.default is inspect.Parameter.empty]
                       for k, p in init.items() if k not in ("self", "name")],
            "inputs": [("*" if p.kind is p.VAR_POSITIONAL else "") + k for k, p in call.items()
                       if k != "self" and p.kind is not p.VAR_KEYWORD],
            "function": [("*" if p.kind is p.VAR_POSITIONAL else "") + k for k, p in inspect.signature(fn).parameters.items()
                         if p.kind is not p.VAR_KEYWORD],
        }
    names = ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "float16", "float32", "float64", "int", "float"]
    resolve = {"int": int, "float": float}
    promo = {f"{a}|{b}": keras.backend.result_type(resolve.get(a, a), resolve.get(b, b)) for a in names for b in names}
    json.dump({"ops": facts, "result_type": promo}, open(f"{out}/facts.json", "w"))
    """
)

#: Model -> the op classes its graph must hold (``unknown_ops`` is refused).
MODELS: dict[str, set[str]] = {
    "arith": {"Add", "Subtract", "Multiply", "Divide", "TrueDivide", "Power", "Absolute", "Square", "Sqrt", "Exp",
              "Negative", "Log", "Tanh", "Maximum", "Minimum", "Clip"},
    "compare_logic": {"Greater", "LessEqual", "LogicalAnd", "LogicalNot", "LogicalOr", "GreaterEqual", "Less",
                      "Equal", "NotEqual", "Where", "Cast", "Multiply"},
    "reduce": {"Sum", "Mean", "Max", "Min", "Prod", "Any", "All", "Argmax", "Argmin", "Greater", "Cast", "Add"},
    "shapes": {"Reshape", "Transpose", "ExpandDims", "Squeeze", "Concatenate", "Stack", "Tile", "Take", "GetItem",
               "Matmul", "Einsum", "Multiply"},
    "int_dtypes": {"Multiply", "Subtract", "TrueDivide", "Mean", "Sum", "Argmax", "Cast", "Add", "Sqrt", "Absolute",
                   "Take", "Clip"},
    "activations": {"Relu", "Sigmoid", "Softmax", "LogSoftmax", "Gelu", "Silu", "ReLU"},
    "masked_lstm": {"NotEqual", "Any", "Sum", "Cast", "TrueDivide", "Concatenate"},
    "nested_shared": {"Add", "Relu", "Multiply", "Concatenate"},
    "max_initial": {"Max"},
}  # fmt: skip
RUNNABLE = tuple(MODELS)
#: Models every op of which ONNX lowers.
ONNX_MODELS = tuple(m for m in RUNNABLE if m != "max_initial")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if importlib.util.find_spec("keras") is None or importlib.util.find_spec("jax") is None:
        pytest.skip("keras 3 with the jax backend is needed to write Keras 3 archives")
    work = tmp_path_factory.mktemp("keras3_ops")
    (work / "build.py").write_text(_BUILD)
    (work / "ops.json").write_text(json.dumps({c: [s.module, s.function] for c, s in OPS.items()}))
    proc = subprocess.run(
        [sys.executable, str(work / "build.py"), str(work), str(work / "ops.json")], capture_output=True, text=True,
        check=False, timeout=900, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""},
    )
    if proc.returncode != 0:
        pytest.fail(f"Keras 3 builder failed:\n{proc.stderr[-4000:]}")
    return work


_arrays = load_npz


def _run(model: Any, ins: list[np.ndarray]) -> list[np.ndarray]:
    return interpret(model.graph, ins)


def _op_classes(model: Any) -> set[str]:
    return {lay.type[len(OPS_PREFIX) :] for _, lay in model.graph.walk_layers() if lay.type.startswith(OPS_PREFIX)}


def _config(path: Path) -> dict[str, Any]:
    with zipfile.ZipFile(path) as zf:
        return dict(json.loads(zf.read("config.json")))


def _op_entries(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every op entry by name (nested models included): module, class, config, node args."""
    out: dict[str, dict[str, Any]] = {}

    def strip(v: Any) -> Any:  # tensor shapes are informative only; keep the history
        if isinstance(v, dict) and v.get("class_name") == "__keras_tensor__":
            return ["tensor", *v["config"]["keras_history"]]
        if isinstance(v, dict):
            return {k: strip(x) for k, x in v.items()}
        if isinstance(v, list):
            return [strip(x) for x in v]
        return v

    def visit(cfg: dict[str, Any]) -> None:
        for e in cfg["config"]["layers"]:
            if str(e.get("module", "")).startswith(("keras.src.ops.", "keras.src.activations")):
                out[e["name"]] = {k: strip(e[k]) for k in ("module", "class_name", "config", "registered_name", "inbound_nodes")}
            elif e["class_name"] in ("Functional", "Sequential"):
                visit(e)

    visit(config)
    return out


# --------------------------------------------------------------------------- the allowlist


def test_allowlist_matches_keras(built: Path) -> None:
    """Every accepted op's constructor, call and public function are as the table says."""
    facts = json.loads((built / "facts.json").read_text())["ops"]
    for cls, spec in OPS.items():
        f = facts[cls]
        params = tuple((k, REQUIRED if required else default) for k, default, required in f["params"])
        assert spec.params == params, cls
        assert list(spec.inputs) == f["inputs"], cls
        fn = f["function"]
        if spec.config_first:
            assert fn == [k for k, _ in spec.params] + list(spec.inputs), cls
        else:
            assert fn[: len(spec.inputs)] == list(spec.inputs), cls
            assert {k for k, _ in spec.params} <= set(fn), cls


def test_result_type_matches_keras(built: Path) -> None:
    promo = json.loads((built / "facts.json").read_text())["result_type"]
    weak = {"int": 1, "float": 1.0}
    checked = 0
    for key, want in promo.items():
        a, b = key.split("|")
        ours = result_type(*(dtype_of(weak[d]) if d in weak else (d, False) for d in (a, b)))
        assert ours == want, key
        checked += 1
    assert checked == 13 * 13


# --------------------------------------------------------------------------- reading and the interpreter


@pytest.mark.parametrize("name", RUNNABLE)
def test_translation(name: str, built: Path) -> None:
    model = load(str(built / f"{name}.keras"))
    assert model.provenance.generation == "keras3"
    assert _op_classes(model) == MODELS[name]
    for _, layer in model.graph.walk_layers():
        if layer.type.startswith(OPS_PREFIX):
            assert layer.origin.class_name == layer.type[len(OPS_PREFIX) :] and not layer.weights


@pytest.mark.parametrize("name", RUNNABLE)
def test_interpreter_matches_keras(name: str, built: Path) -> None:
    ins, outs = _arrays(built / f"{name}.npz")
    assert_outputs(_run(load(str(built / f"{name}.keras")), ins), outs)


def test_explicit_mask_reaches_the_lstm(built: Path) -> None:
    """Masking's NotEqual + Any nodes feed the LSTM as ``mask=``: dropping it changes values."""
    from dataclasses import replace

    model = load(str(built / "masked_lstm.keras"))
    (lstm,) = [n for n in model.graph.nodes if model.graph.layer(n.layer).type == "LSTM"]
    producer = model.graph.producer(lstm.kwargs["mask"].name)
    assert producer is not None and model.graph.layer(producer.layer).type == "keras.ops>Any"
    ins, outs = _arrays(built / "masked_lstm.npz")
    masking = next(n for n in model.graph.nodes if model.graph.layer(n.layer).type == "Masking")
    # The LSTM reads the unmasked input, without mask=: nothing masks its steps.
    plain = replace(lstm, args=(masking.args[0],), kwargs={k: v for k, v in lstm.kwargs.items() if k != "mask"})
    unmasked = replace(model.graph, nodes=tuple(plain if n is lstm else n for n in model.graph.nodes))
    assert not np.allclose(flatten_structure(run_graph(unmasked, ins))[0], outs[0], atol=1e-3)


@pytest.mark.parametrize("name", ["masked_lstm", "nested_shared", "shapes"])
def test_keras3_legacy_h5(name: str, built: Path, tmp_path: Path) -> None:
    """Keras 3's ``.h5`` drops ``module``: ops are told from same-named layers by their config."""
    model = load(str(built / f"{name}.h5"))
    assert model.provenance.generation == "keras3" and _op_classes(model) == MODELS[name]
    ins, outs = _arrays(built / f"{name}.npz")
    assert_outputs(_run(model, ins), outs)
    out = tmp_path / f"{name}.keras"
    assert cli_main(["convert", str(built / f"{name}.h5"), "-o", str(out)]) == 0
    assert _op_entries(_config(out)) == _op_entries(_config(built / f"{name}.keras"))
    assert_outputs(_run(load(str(out)), ins), outs)


# --------------------------------------------------------------------------- emitters


@pytest.mark.parametrize("name", RUNNABLE)
def test_keras_output_writes_ops_back_natively(name: str, built: Path, tmp_path: Path) -> None:
    src = built / f"{name}.keras"
    out = tmp_path / f"{name}.keras"
    assert cli_main(["convert", str(src), "-o", str(out)]) == 0
    ours, theirs = _op_entries(_config(out)), _op_entries(_config(src))
    assert ours == theirs
    with zipfile.ZipFile(src) as a, zipfile.ZipFile(out) as b:
        import h5py

        def groups(data: bytes) -> list[str]:
            names: list[str] = []
            with h5py.File(io.BytesIO(data), "r") as f:
                f.visititems(lambda n, o: names.append(f"{n}{list(o.shape)}") if isinstance(o, h5py.Dataset) else None)
            return sorted(names)

        assert groups(a.read("model.weights.h5")) == groups(b.read("model.weights.h5"))
    ins, outs = _arrays(built / f"{name}.npz")
    assert_outputs(_run(load(str(out)), ins), outs)


@pytest.mark.parametrize("name", RUNNABLE)
def test_kmir_round_trip(name: str, built: Path, tmp_path: Path) -> None:
    src = load(str(built / f"{name}.keras"))
    out = tmp_path / f"{name}.kmir"
    assert cli_main(["convert", str(built / f"{name}.keras"), "-o", str(out)]) == 0
    back = serialize.load(str(out))
    assert serialize.to_dict(back, weight_refs=False)["graph"] == serialize.to_dict(src, weight_refs=False)["graph"]
    ins, outs = _arrays(built / f"{name}.npz")
    assert_outputs(_run(back, ins), outs)


def test_weights_only_and_inspect(built: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "nested.weights.h5"
    assert cli_main(["convert", str(built / "nested_shared.keras"), "-o", str(out)]) == 0
    import h5py

    with h5py.File(out, "r") as f:
        top = sorted(f["layers"])
    assert top == ["add", "concatenate", "dense", "dense_1", "functional", "input_layer", "input_layer_1"]
    assert cli_main(["inspect", str(built / "shapes.keras")]) == 0
    text = capsys.readouterr().out
    assert "keras.ops>Einsum" in text and "keras.ops>GetItem" in text


def test_python_code_calls_keras_ops(built: Path, tmp_path: Path) -> None:
    out = tmp_path / "shapes.py"
    assert cli_main(["convert", str(built / "shapes.keras"), "-o", str(out)]) == 0
    text = out.read_text()
    for call in ("keras.ops.einsum(\"bij,bjk->bik\", x, y)", "x[:, 1:3, ::2]", "x[..., None, -1]", "keras.ops.take(x, [3, 0, 1], axis=2)"):
        assert call in text, call
    ruff = Path(sys.executable).with_name("ruff")
    if ruff.exists():
        proc = subprocess.run([str(ruff), "check", "--no-cache", "--isolated", str(out)], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout


@pytest.mark.parametrize("name", ONNX_MODELS)
def test_onnx_matches_keras(name: str, built: Path, tmp_path: Path) -> None:
    if importlib.util.find_spec("onnx") is None or importlib.util.find_spec("onnxruntime") is None:
        pytest.skip("onnx and onnxruntime are needed")
    import onnxruntime as ort

    out = tmp_path / f"{name}.onnx"
    assert cli_main(["convert", str(built / f"{name}.keras"), "-o", str(out)]) == 0
    model = load(str(built / f"{name}.keras"))
    ins, outs = _arrays(built / f"{name}.npz")
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    got = session.run(None, dict(zip(model.graph.inputs, ins, strict=True)))
    assert_outputs(got, outs)


def test_onnx_refuses_naming_the_node(built: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if importlib.util.find_spec("onnx") is None:
        pytest.skip("onnx is needed")
    out = tmp_path / "max_initial.onnx"
    assert cli_main(["convert", str(built / "max_initial.keras"), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert re.search(r"layer 'max(_\d+)?': keras.ops.max with initial= has no ONNX lowering", err) and not out.exists()


def test_unknown_ops_are_listed(built: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = str(built / "unknown_ops.keras")
    for out in (tmp_path / "o.keras", tmp_path / "o.py", tmp_path / "o.kmir"):
        assert cli_main(["convert", src, "-o", str(out)]) == 2
        err = capsys.readouterr().err
        assert not out.exists()
        assert re.search(r"keras\.src\.ops\.numpy\.Cumsum \(at 'cumsum(_\d+)?' in model '\w+', 'cumsum(_\d+)?' in model", err)
        assert re.search(r"keras\.src\.ops\.numpy\.Sort \(at 'sort(_\d+)?' in model", err)
    assert cli_main(["inspect", src]) == 2


# --------------------------------------------------------------------------- Keras 3 on every backend

_RESULTS: dict[str, dict[str, dict[str, Any]]] = {}


def _backend_results(kind: str, backend: str, built: Path, work: Path) -> dict[str, dict[str, Any]]:
    """Every converted model (``.keras`` or ``.py``) under ``backend``, one worker for all."""
    key = f"{kind}:{backend}"
    if key not in _RESULTS:
        jobs = []
        for name in RUNNABLE:
            model = load(str(built / f"{name}.keras"))
            out = work / f"{kind}_{name}.{'keras' if kind == 'keras' else 'py'}"
            if not out.exists():
                assert cli_main(["convert", str(built / f"{name}.keras"), "-o", str(out)]) == 0
            ins, _ = _arrays(built / f"{name}.npz")
            jobs.append(Job(name, out, tuple(ins), tuple(model.graph.inputs), model.graph.input_structure))
        run = run_jobs if kind == "keras" else run_module_jobs
        _RESULTS[key] = run(backend, jobs, work / f"run-{key.replace(':', '-')}")
    return _RESULTS[key]


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("keras3_ops_backends")


@pytest.mark.backends
@pytest.mark.parametrize("kind", ["keras", "python"])
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", RUNNABLE)
def test_converted_model_matches_keras_on_backend(name: str, backend: str, kind: str, built: Path, work: Path) -> None:
    if backend not in available_backends():
        pytest.skip(f"{backend} is not installed")
    res = _backend_results(kind, backend, built, work)[name]
    assert res.get("ok"), f"{res.get('error')}\n{res.get('traceback', '')}"
    _, outs = _arrays(built / f"{name}.npz")
    assert_outputs(res["outputs"], outs)
    if kind == "python":
        assert res.get("imported_keras_migrate") is False


@pytest.mark.backends
def test_verify_keras3_ops_model(built: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if "jax" not in available_backends():
        pytest.skip("jax is not installed")
    copy = tmp_path / "masked.keras"
    assert cli_main(["convert", str(built / "masked_lstm.keras"), "-o", str(copy)]) == 0
    capsys.readouterr()
    code = cli_main(["verify", str(built / "masked_lstm.keras"), str(copy), "--backends", "jax", "--json",
                     "--inputs", str(built / "masked_lstm.npz")])
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["ok"] is True
