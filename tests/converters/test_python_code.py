"""``convert MODEL -o model.py``: readable Keras 3 source plus ``model.weights.h5``.

* Every legacy fixture (Keras 2.0.8, 2.2.4, tf.keras 2.21 and, as far as the Keras 1
  reader converts them, Keras 1.2.2), in both forms, converts through the CLI to a module
  that passes ``ruff check`` (with ruff's defaults and with this repository's rules).
* Under jax, torch and tensorflow (each in ONE subprocess over every module) the module's
  ``load_model()`` reproduces the outputs the original software computed (rtol 1e-4,
  atol 1e-5) without ``keras_migrate`` being imported.
* Golden files pin the text for representative models; the text is deterministic, laid
  out as ``ruff format`` would, and a failed conversion writes nothing.
"""

from __future__ import annotations

import base64
import hashlib
import json
import marshal
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

from keras_migrate.cli import main as cli_main
from keras_migrate.converters import python as python_code
from keras_migrate.converters.python.compat_source import compat_source
from keras_migrate.converters.python.format import (
    LINE_LENGTH,
    Atom,
    Brackets,
    Call,
    Item,
    format_statement,
)
from keras_migrate.formats import load
from keras_migrate.ir.graph import Layer
from keras_migrate.ir.passes import prepare_for_output
from keras_migrate.verification import available_backends
from tests.conversion._backend_runs import (
    BACKENDS,
    Job,
    assert_backend_result,
    assert_outputs,
    run_all_backends,
    run_module_jobs,
)
from tests.conversion._fixture_cases import FIXTURES, Case, discover, source_model

GENERATIONS = ("keras-2.0.8", "keras-2.2.4", "tf-keras-2.21", "keras-1.2.2")
#: Generations whose reader may still refuse a case (then the case is skipped, not failed).
#: Empty: every generation's reader is complete, so a refusal is a failure.
PENDING: tuple[str, ...] = ()
CASES = discover(GENERATIONS)  # Lambda models included: recovered without running their code
GOLDEN = Path(__file__).parent / "golden"
#: Representative models pinned as golden files: fixture path -> golden file name.
GOLDEN_CASES = {
    "keras-2.2.4/sequential_input_shape.h5": "sequential.py",
    "keras-2.2.4/multi_input_output.h5": "multi_input_output.py",
    "keras-2.2.4/shared_nested_model.h5": "shared_nested_model.py",
    "keras-2.2.4/conv2d_channels_first.h5": "channels_first.py",
    "keras-2.0.8/rnn_return_state.h5": "rnn_return_state.py",
    "keras-2.2.4/bidirectional_merge_modes.h5": "bidirectional.py",
    "tf-keras-2.21/dict_io.h5": "dict_io.py",
    "tf-keras-2.21/layer_name_slash.h5": "layer_name_slash.py",
    "keras-2.2.4/locally_connected.h5": "locally_connected.py",
    "keras-1.2.2/maxout_highway.h5": "keras1_maxout_highway.py",
}
UPDATE = os.environ.get("KERAS_MIGRATE_UPDATE_GOLDEN") == "1"
RUFF = shutil.which("ruff", path=os.path.dirname(sys.executable)) or shutil.which("ruff")


def _stem(case: Case) -> str:
    return re.sub(r"\W", "_", case.id)


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path | None, str]]:
    """Convert every case through the CLI once: id -> (module path or None, error text)."""
    out_dir = tmp_path_factory.mktemp("python")
    results: dict[str, tuple[Path | None, str]] = {}
    for case in CASES:
        out = out_dir / f"{_stem(case)}.py"
        argv = ["convert", str(case.model), "-o", str(out)]
        if case.weights is not None:
            argv += ["--weights", str(case.weights)]
        code = cli_main(argv)
        ok = code == 0 and out.exists() and python_code.weights_path_for(str(out)) and Path(python_code.weights_path_for(str(out))).exists()
        results[case.id] = (out if ok else None, f"exit code {code}")
    return results


def _require(case: Case, generated: dict[str, tuple[Path | None, str]]) -> Path:
    path, err = generated[case.id]
    if path is None and case.generation in PENDING:
        pytest.skip(f"{case.generation} reader does not convert {case.name} yet ({err})")
    assert path is not None, f"conversion failed: {err}"
    return path


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_converts_to_python(case: Case, generated) -> None:
    path = _require(case, generated)
    text = path.read_text()
    assert "def build_model():" in text
    # a compiled source's module also compiles and loads the optimizer state (docs/training-state.md)
    assert re.search(r"def load_model\(weights_path=None(, compile=True)?\):", text)
    assert f'WEIGHTS_FILE = "{path.stem}.weights.h5"' in text
    assert "keras_migrate." not in re.sub(r"#.*", "", text), "generated code must not import keras_migrate"


# --------------------------------------------------------------------------- ruff


def _ruff(*args: str) -> subprocess.CompletedProcess[str]:
    if RUFF is None:
        pytest.skip("ruff is not installed")
    return subprocess.run([RUFF, *args], capture_output=True, text=True, check=False)


def _modules(generated) -> list[str]:
    return sorted(str(p) for p, _ in generated.values() if p is not None)


def test_generated_code_passes_ruff_defaults(generated) -> None:
    proc = _ruff("check", "--isolated", "--no-cache", *_modules(generated))
    assert proc.returncode == 0, proc.stdout[-4000:]


def test_generated_code_passes_repository_rules(generated) -> None:
    config = Path(__file__).resolve().parents[2] / "pyproject.toml"
    proc = _ruff("check", "--config", str(config), "--no-cache", *_modules(generated))
    assert proc.returncode == 0, proc.stdout[-4000:]


def test_generated_code_is_ruff_formatted(generated) -> None:
    """The emitted part is laid out as ``ruff format`` would (copied compat code is as in
    keras_migrate's own source, so modules with compat code are left out here)."""
    plain = [p for p in _modules(generated) if "# Compat code below" not in Path(p).read_text()]
    assert len(plain) > 100
    proc = _ruff("format", "--isolated", "--no-cache", f"--line-length={LINE_LENGTH}", "--diff", *plain)
    assert proc.returncode == 0, proc.stdout[-4000:]


# --------------------------------------------------------------------------- golden files


def _source(rel: str) -> str:
    model = prepare_for_output(load(str(FIXTURES / rel)))
    return python_code.python_source(model, Path(GOLDEN_CASES[rel]).stem + ".weights.h5")


@pytest.mark.parametrize("rel", sorted(GOLDEN_CASES))
def test_golden(rel: str) -> None:
    text = _source(rel)
    golden = GOLDEN / GOLDEN_CASES[rel]
    if UPDATE:
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(text)
    assert golden.exists(), f"missing {golden}; run with KERAS_MIGRATE_UPDATE_GOLDEN=1"
    assert text == golden.read_text(), f"{golden.name} changed; rerun with KERAS_MIGRATE_UPDATE_GOLDEN=1 and review the diff"


def test_text_is_deterministic() -> None:
    rel = "keras-2.2.4/shared_nested_model.h5"
    assert _source(rel) == _source(rel)


def test_golden_files_pass_ruff() -> None:
    proc = _ruff("check", "--isolated", "--no-cache", str(GOLDEN))
    assert proc.returncode == 0, proc.stdout[-4000:]


# --------------------------------------------------------------------------- pieces


def test_formatter_splits_like_ruff() -> None:
    dense = Call(Atom("layers.Dense"), Brackets("(", ")", (Item(Atom("16")), Item(Atom('"dense_1"'), "name="))))
    call = Call(dense, Brackets("(", ")", (Item(Atom("x")),)))
    assert format_statement("y = ", call) == ['    y = layers.Dense(16, name="dense_1")(x)']
    long_args = tuple(Item(Atom(f'"{"v" * 30}"'), f"arg{i}=") for i in range(3))
    lines = format_statement("y = ", Call(Call(Atom("layers.Dense"), Brackets("(", ")", long_args)), call.args))
    assert lines[0] == "    y = layers.Dense(" and lines[-1] == "    )(x)"
    assert all(line.endswith(",") for line in lines[1:-1])


def test_compat_source_follows_helpers_and_packages() -> None:
    src = compat_source(["keras_migrate>LocallyConnected2D", "keras_migrate>legacy_hard_sigmoid"])
    assert src.names.index("_tuple") < src.names.index("_LocallyConnected") < src.names.index("LocallyConnected2D")
    assert "PACKAGE" in src.names  # followed into keras_migrate.compat._names
    assert all(not i.module.startswith("keras_migrate") for i in src.imports)


def test_compat_objects_register_under_the_same_names() -> None:
    src = compat_source(["keras_migrate>ThresholdedReLU"])
    namespace: dict = {}
    pytest.importorskip("keras")
    exec(compile("\n\n".join(src.blocks), "<compat>", "exec"), {**_imports(src), **namespace})
    import keras

    assert keras.saving.get_registered_object("keras_migrate>ThresholdedReLU") is not None


def _imports(src) -> dict:
    ns: dict = {}
    for imp in src.imports:
        line = f"from {imp.module} import {imp.name}" if imp.name else f"import {imp.module}"
        if imp.alias:
            line += f" as {imp.alias}"
        exec(line, ns)
    return ns


def test_failed_conversion_writes_nothing(tmp_path: Path, monkeypatch) -> None:
    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(python_code, "write_weights_h5", boom)
    out = tmp_path / "model.py"
    with pytest.raises(RuntimeError):
        python_code.write_python(load(str(FIXTURES / "keras-2.2.4/conv.h5")), str(out))
    assert sorted(os.listdir(tmp_path)) == []


def test_weights_beside_the_module_never_replace_an_input(tmp_path: Path) -> None:
    arch = tmp_path / "arch.json"
    weights = tmp_path / "net.weights.h5"  # a legacy weights file named like our output
    shutil.copy(FIXTURES / "keras-2.2.4/conv.json", arch)
    shutil.copy(FIXTURES / "keras-2.2.4/conv_weights.h5", weights)
    before = weights.read_bytes()
    assert cli_main(["convert", str(arch), "--weights", str(weights), "-o", str(tmp_path / "net.py")]) != 0
    assert weights.read_bytes() == before
    assert not (tmp_path / "net.py").exists()


def test_unrecoverable_lambda_is_refused_and_writes_nothing(tmp_path: Path) -> None:
    import h5py

    model = tmp_path / "in.h5"
    shutil.copy(FIXTURES / "keras-2.2.4/lambda_double.h5", model)
    with h5py.File(model, "r+") as f:  # the Lambda's code now calls print (a global name outside the allowlist)
        config = json.loads(f.attrs["model_config"])
        for layer in config["config"]["layers"]:
            if layer["class_name"] == "Lambda":
                code = base64.b64encode(marshal.dumps(compile("print", "<t>", "eval"))).decode("ascii")
                layer["config"]["function"] = [code, None, None]
        f.attrs["model_config"] = json.dumps(config)
    out = tmp_path / "out" / "model.py"
    out.parent.mkdir()
    assert cli_main(["convert", str(model), "-o", str(out)]) == 2
    assert sorted(os.listdir(out.parent)) == []


def test_weights_file_matches_keras_weights_output(tmp_path: Path) -> None:
    """``model.weights.h5`` is exactly what ``-o model.weights.h5`` writes."""
    src = str(FIXTURES / "keras-2.2.4/timedistributed.h5")
    assert cli_main(["convert", src, "-o", str(tmp_path / "m.py")]) == 0
    assert cli_main(["convert", src, "-o", str(tmp_path / "w.weights.h5")]) == 0

    def arrays(path: Path) -> dict[str, bytes]:
        out: dict[str, bytes] = {}
        with h5py.File(path, "r") as f:
            f.visititems(lambda n, o: out.__setitem__(n, np.asarray(o).tobytes()) if isinstance(o, h5py.Dataset) else None)
        return out

    assert arrays(tmp_path / "m.weights.h5") == arrays(tmp_path / "w.weights.h5")


def test_defaults_table_matches_installed_keras() -> None:
    keras = pytest.importorskip("keras")
    from keras_migrate.ir import keras3_api

    if keras.__version__ != keras3_api.KERAS_VERSION:
        pytest.skip(f"table is for Keras {keras3_api.KERAS_VERSION}, installed {keras.__version__}")
    live = keras3_api.generate_signatures()
    stored = {k: {"required": list(v.required), "defaults": v.defaults} for k, v in keras3_api.SIGNATURES.items()}
    assert stored == live, "regenerate ir/_keras3_args_data.py: render_data(generate_data())"


def test_initializer_aliases_are_exact() -> None:
    keras = pytest.importorskip("keras")
    from keras_migrate.ir.keras3_api import _VARIANCE_SCALING_ALIASES

    for (scale, mode, distribution), alias in _VARIANCE_SCALING_ALIASES.items():
        init = keras.initializers.get(alias)
        assert (init.scale, init.mode, init.distribution) == (scale, mode, distribution), alias


# --------------------------------------------------------------------------- backends


def _key(path: Path, case: Case) -> str:
    """Modules that differ only in their source file name run once."""
    text = re.sub(r"^(# Source:|WEIGHTS_FILE).*$", "", path.read_text(), flags=re.M)
    h = hashlib.sha256(text.encode())
    with h5py.File(python_code.weights_path_for(str(path)), "r") as f:
        f.visititems(lambda n, o: h.update(n.encode() + np.asarray(o).tobytes()) if isinstance(o, h5py.Dataset) else None)
    h.update(str(FIXTURES / case.generation / case.name).encode())
    return h.hexdigest()


_backend_cache: dict[str, dict[str, dict]] = {}


@pytest.fixture(scope="session")
def backend_results(generated, tmp_path_factory):
    """Run every module under every installed backend at once (one process per backend)."""

    def run_all() -> None:
        jobs, alias, first = [], {}, {}
        for case in CASES:
            path, _ = generated[case.id]
            if path is None:
                continue
            key = _key(path, case)
            if key in first:
                alias[case.id] = first[key]
                continue
            first[key] = case.id
            model = source_model(case)
            ins, _ = case.arrays()
            jobs.append(Job(case.id, path, tuple(ins), tuple(model.graph.inputs), model.graph.input_structure))
        backends = [b for b in BACKENDS if b in available_backends()]
        for b, results in run_all_backends(run_module_jobs, backends, jobs, tmp_path_factory.mktemp("py-runs")).items():
            results.update({a: results[f] for a, f in alias.items()})
            _backend_cache[b] = results

    def get(backend: str) -> dict[str, dict]:
        if not _backend_cache:
            run_all()
        return _backend_cache[backend]

    return get


@pytest.mark.backends
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_generated_code_matches_original(case: Case, backend: str, generated, backend_results) -> None:
    if backend not in available_backends():
        pytest.skip(f"{backend} is not installed")
    _require(case, generated)
    res = backend_results(backend)[case.id]
    ins, outs = case.arrays()
    assert_backend_result(res, backend, ins, outs, source_model(case))
    if res.get("ok"):
        assert res.get("imported_keras_migrate") is False, "the generated module needed keras_migrate"


# --------------------------------------------------------------------------- tf.keras-only compat


def _tf_op(name: str, function: str, arguments: dict, tensors: list[str], outputs: int | None = None) -> Layer:
    """A ``keras_migrate>TFOp`` layer of TF ``function``."""
    config = {"function": function, "arguments": arguments, "tensor_arguments": tensors}
    if outputs is not None:
        config["outputs"] = outputs
    return Layer(name, "keras_migrate>TFOp", config)


def _tf_only_model() -> tuple:
    """A hand-built IR using the tf.keras compat layers (no fixture has them)."""
    from keras_migrate.ir.graph import GraphBuilder, Layer, Model, Provenance, TensorType
    from keras_migrate.ir.weights import InMemory, Weight

    b = GraphBuilder("tf_ops")
    x = b.add_input("x", TensorType((None, 4, 3)))
    gamma = np.linspace(0.5, 1.5, 3).astype("float32")
    b.add_layer(Layer("scale", "keras_migrate>LayerScale", {"init_values": 0.1, "projection_dim": 3},
                      weights=(Weight("gamma", InMemory(gamma)),)))
    b.add_layer(_tf_op("times3", "math.multiply", {"y": 3.0}, ["x"]))
    b.add_layer(_tf_op("mean", "math.reduce_mean", {"axis": 1, "keepdims": True}, ["input_tensor"]))
    b.add_layer(Layer("residual", "keras_migrate>CustomScaleLayer", {"scale": 0.17}))
    (s,) = b.call("scale", (x,))
    (t,) = b.call("times3", (s,))
    (m,) = b.call("mean", (t,))
    b.call("residual", ([t, m],))
    b.input_structure, b.output_structure = "x", "residual"
    model = Model(b.build(), Provenance(source_format="hand-built", generation="tf.keras"))
    ins = [np.random.default_rng(0).standard_normal((2, 4, 3)).astype("float32")]
    return model, ins


def test_tf_keras_compat_layers_in_generated_code(tmp_path: Path) -> None:

    model, ins = _tf_only_model()
    out = tmp_path / "tf_ops.py"
    python_code.write_python(model, str(out))
    text = out.read_text()
    # TF ops are written as the legacy-op table's keras.ops expressions, not as a copied class
    assert "keras.ops.multiply(" in text and "keras.ops.mean(" in text
    assert "class TFOp" not in text and "TF_SEMANTICS" not in text
    _lint_and_match(out, model, ins, tmp_path)


def _lint_and_match(out: Path, model: object, ins: list, tmp_path: Path) -> None:
    """The generated module passes ruff, runs on an installed backend and matches the
    reference interpreter on ``ins`` (one input ``x``)."""
    from keras_migrate.ir.interpreter import run_graph

    proc = _ruff("check", "--isolated", "--no-cache", str(out))
    assert proc.returncode == 0, proc.stdout
    backend = next(iter(available_backends()), None)
    if backend is None:
        pytest.skip("no Keras backend installed")
    res = run_module_jobs(backend, [Job(out.stem, out, tuple(ins), ("x",), "x")], tmp_path / "run")[out.stem]
    assert res.get("ok"), res.get("error")
    expected = run_graph(model.graph, ins)  # type: ignore[attr-defined]
    assert_outputs(res["outputs"], [np.asarray(expected)])


def _tf_helpers_model() -> tuple:
    """TF ops the table cannot express (a reversed slice, mirrored padding, a ``-1`` split
    size) next to table cases selected by their arguments (transposed matmul, integer
    division, an l2 norm over every axis)."""
    from keras_migrate.ir.graph import GraphBuilder, Model, Provenance, TensorType

    b = GraphBuilder("tf_helpers")
    x = b.add_input("x", TensorType((None, 4, 3)))
    b.add_layer(_tf_op("flip", "__operators__.getitem", {"slice_spec": [{"start": None, "stop": None, "step": None},
                                                                       {"start": None, "stop": None, "step": -1}]}, ["tensor"]))
    b.add_layer(_tf_op("mirror", "pad", {"paddings": [[0, 0], [1, 2], [0, 0]], "mode": "REFLECT"}, ["tensor"]))
    b.add_layer(_tf_op("parts", "split", {"num_or_size_splits": [2, -1], "axis": 1}, ["value"], outputs=2))
    b.add_layer(_tf_op("gram", "linalg.matmul", {"transpose_b": True}, ["a", "b"]))
    b.add_layer(_tf_op("norm", "math.l2_normalize", {}, ["x"]))
    b.add_layer(_tf_op("count", "cast", {"dtype": "int32"}, ["x"]))
    b.add_layer(_tf_op("halves", "math.truediv", {"y": 2}, ["x"]))
    b.add_layer(_tf_op("back", "cast", {"dtype": "float32"}, ["x"]))
    b.add_layer(_tf_op("total", "__operators__.add", {}, ["x", "y"]))
    (f,) = b.call("flip", (x,))
    (m,) = b.call("mirror", (f,))
    p0, p1 = b.call("parts", (m,), num_outputs=2)
    (g,) = b.call("gram", ([p0, p1],))
    (n,) = b.call("norm", (g,))
    (c,) = b.call("count", (n,))
    (h,) = b.call("halves", (c,))
    (k,) = b.call("back", (h,))
    b.call("total", ([n, k],))
    b.input_structure, b.output_structure = "x", "total"
    model = Model(b.build(), Provenance(source_format="hand-built", generation="tf.keras"))
    ins = [np.random.default_rng(1).standard_normal((2, 4, 3)).astype("float32") * 3]
    return model, ins


def test_tf_op_helpers_in_generated_code(tmp_path: Path) -> None:
    """Only the hand-written helpers a model's TF ops name are copied (module-level
    functions of keras.ops); the rest are the table's cases, selected by the arguments and
    the known dtypes; the module matches the reference interpreter."""

    model, ins = _tf_helpers_model()
    out = tmp_path / "tf_helpers.py"
    python_code.write_python(model, str(out))
    text = out.read_text()
    assert "def getitem(" in text and "def mirror_pad(" in text and "def split_sizes(" in text
    assert "def select(" not in text and "def space_to_depth(" not in text
    assert "keras.ops.matmul(" in text and "keras.ops.swapaxes(" in text
    assert "keras.ops.rsqrt(" in text  # l2_normalize over every axis: TF's formula
    assert "float64" in text  # TF divided integers to float64
    assert "keras_migrate" not in re.sub(r"#.*", "", text)
    _lint_and_match(out, model, ins, tmp_path)
