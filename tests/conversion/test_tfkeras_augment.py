"""tf.keras augmentation layers, Discretization and mixed precision, end to end.

The fixtures (``fixtures/oracle/cases_tfk_augment.py``, written by tf_keras 2.21 in all
five forms: ``.h5``, JSON + weights, SavedModel, JSON + TF checkpoint, tf_keras ``.keras``)
convert through the CLI to ``.keras``, ``.py`` and ``.onnx``; the numpy interpreter,
the ``.keras`` and the generated module on jax, torch and tensorflow (one subprocess per
backend over all models) and onnxruntime must reproduce tf_keras' stored inference
outputs, at the float32 tolerance, or, for the mixed precision models, at the tolerance of
their compute dtype (:mod:`keras_migrate.verification.tolerance`). Also: the converted
layers keep their dtype policies; the compat layers still augment in training; rules
refuse what cannot convert.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import textwrap
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from keras_migrate.cli import main as cli_main
from keras_migrate.errors import UnsupportedError
from keras_migrate.formats import load
from keras_migrate.formats.ruleset import TranslateContext, translate_layer
from keras_migrate.ir.graph import Model, flatten_structure
from keras_migrate.ir.interpreter import run_graph
from keras_migrate.verification import (
    ATOL,
    RTOL,
    available_backends,
    model_tolerance,
    tolerance_for,
)
from tests._arrays import load_npz
from tests.conftest import FIXTURES, ROOT
from tests.conversion._backend_runs import (
    BACKENDS,
    Job,
    assert_backend_result,
    assert_outputs,
    run_jobs,
    run_module_jobs,
)

GENERATION = FIXTURES / "tf-keras-2.21"
NAMES = (
    "augment_identity", "augment_random_crop", "augment_experimental", "discretization", "discretization_adapted",
    "mixed_float16", "mixed_bfloat16",
)
#: form -> (model file, weights file or None)
FORMS = {
    "h5": ("{case}.h5", None),
    "json": ("{case}.json", "{case}_weights.h5"),
    "savedmodel": ("{case}.savedmodel", None),
    "json+ckpt": ("{case}.json", "{case}_ckpt/ckpt"),
    "tfk.keras": ("{case}.tfk.keras", None),
}


@dataclass(frozen=True)
class Form:
    name: str
    form: str

    @property
    def id(self) -> str:
        return f"{self.name}/{self.form}"

    def argv(self, out: Path) -> list[str]:
        model, weights = FORMS[self.form]
        argv = ["convert", str(GENERATION / model.format(case=self.name)), "-o", str(out)]
        return argv + (["--weights", str(GENERATION / weights.format(case=self.name))] if weights else [])

    def load(self) -> Model:
        model, weights = FORMS[self.form]
        return load(str(GENERATION / model.format(case=self.name)),
                    weights=str(GENERATION / weights.format(case=self.name)) if weights else None)

    def arrays(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        return load_npz(GENERATION / f"{self.name}.npz")


CASES = [Form(n, f) for n in NAMES for f in FORMS]


def test_fixtures_hold_every_form() -> None:
    manifest = json.loads((GENERATION / "manifest.json").read_text())["cases"]
    for case in CASES:
        model, weights = FORMS[case.form]
        files = set(manifest[case.name]["files"])
        assert model.format(case=case.name) in files
        if weights:
            assert weights.format(case=case.name).split("/")[0] in files


def _cli(argv: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = cli_main(argv)
    return code, err.getvalue()


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    """Every case and form to .keras, .py and .onnx once: (id, suffix) -> output."""
    out_dir = tmp_path_factory.mktemp("augment")
    results = {}
    for case in CASES:
        for suffix in (".keras", ".py", ".onnx"):
            out = out_dir / (case.id.replace("/", "__").replace("+", "_").replace(".", "_") + suffix)
            code, err = _cli(case.argv(out))
            assert code == 0 and out.exists(), f"{case.id} -> {suffix}: {err}"
            results[(case.id, suffix)] = out
    return results


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_numpy_interpreter_matches_tf_keras(case: Form) -> None:
    model = case.load()
    ins, outs = case.arrays()
    result = run_graph(model.graph, ins)
    assert_outputs(flatten_structure(result) if not isinstance(result, np.ndarray) else [result], outs, model)


_runs: dict[tuple[str, str], dict[str, dict]] = {}


def _backend_run(backend: str, kind: str, converted: dict[tuple[str, str], Path], work: Path) -> dict[str, dict]:
    if (backend, kind) not in _runs:
        jobs = []
        for case in CASES:
            graph = case.load().graph
            ins, _ = case.arrays()
            jobs.append(Job(case.id, converted[(case.id, kind)], tuple(ins), tuple(graph.inputs), graph.input_structure))
        run = run_jobs if kind == ".keras" else run_module_jobs
        _runs[(backend, kind)] = run(backend, jobs, work / f"{backend}{kind.replace('.', '_')}")
    return _runs[(backend, kind)]


@pytest.mark.backends
@pytest.mark.parametrize("kind", [".keras", ".py"])
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_converted_matches_tf_keras(case: Form, backend: str, kind: str, converted, tmp_path_factory) -> None:
    if backend not in available_backends():
        pytest.skip(f"{backend} is not installed")
    res = _backend_run(backend, kind, converted, tmp_path_factory.getbasetemp())[case.id]
    ins, outs = case.arrays()
    assert_backend_result(res, backend, ins, outs, case.load())
    if case.name == "mixed_float16":  # the compute dtype survived: Keras 3 computed the Dense output in float16
        assert [np.asarray(o).dtype for o in res["outputs"]] == [np.float32, np.float16]
    if kind == ".py":
        assert res.get("imported_keras_migrate") is False, "the generated module needed keras_migrate"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_onnx_matches_tf_keras(case: Form, converted) -> None:
    ort = pytest.importorskip("onnxruntime")
    options = ort.SessionOptions()
    options.log_severity_level = 3
    sess = ort.InferenceSession(str(converted[(case.id, ".onnx")]), options, providers=["CPUExecutionProvider"])
    ins, outs = case.arrays()
    got = sess.run(None, {i.name: a for i, a in zip(sess.get_inputs(), ins, strict=True)})
    assert_outputs(got, outs, case.load())


# --------------------------------------------------------------------------- what the .keras holds


def _layers(path: Path) -> dict[str, dict]:
    with zipfile.ZipFile(path) as zf:
        config = json.loads(zf.read("config.json"))
    return {entry["config"]["name"]: entry for entry in config["config"]["layers"]}


@pytest.mark.parametrize("form", list(FORMS))
@pytest.mark.parametrize(("name", "policy"), [("mixed_float16", "mixed_float16"), ("mixed_bfloat16", "mixed_bfloat16")])
def test_dtype_policies_survive(name: str, policy: str, form: str, converted) -> None:
    layers = _layers(converted[(f"{name}/{form}", ".keras")])
    dtypes = {n: e["config"]["dtype"]["config"]["name"] for n, e in layers.items() if isinstance(e["config"].get("dtype"), dict)}
    assert dtypes["conv2d"] == dtypes["lstm"] == dtypes["batch_normalization"] == dtypes["dense"] == policy
    assert dtypes["activation_1"] == "float32"  # the float32 softmax output stays float32
    assert {e["config"]["dtype"]["class_name"] for e in layers.values() if isinstance(e["config"].get("dtype"), dict)} == {"DTypePolicy"}


def test_augmentation_targets(converted) -> None:
    layers = _layers(converted[("augment_identity/h5", ".keras")])
    kinds = {e["class_name"] if not e.get("registered_name") else e["registered_name"] for e in layers.values()}
    assert {"RandomFlip", "RandomRotation", "RandomZoom", "RandomContrast", "RandomTranslation", "RandomBrightness"} <= kinds
    assert {"keras_migrate>RandomHeight", "keras_migrate>RandomWidth"} <= kinds
    crop = _layers(converted[("augment_random_crop/h5", ".keras")])
    assert {e.get("registered_name") for e in crop.values()} >= {"keras_migrate>TFRandomCrop"}


# --------------------------------------------------------------------------- tolerances


@pytest.mark.parametrize(
    ("dtypes", "expected"),
    [
        (["float32", "float32"], (RTOL, ATOL, "float32")),
        (["int64", "float32"], (RTOL, ATOL, "float32")),
        (["mixed_float16", "float32"], (4 * 2.0**-10, 4 * 2.0**-10, "float16")),
        (["float16"], (4 * 2.0**-10, 4 * 2.0**-10, "float16")),
        (["mixed_bfloat16", "mixed_float16"], (4 * 2.0**-7, 4 * 2.0**-7, "bfloat16")),
    ],
)
def test_tolerance_follows_the_compute_dtype(dtypes: list[str], expected: tuple[float, float, str]) -> None:
    tol = tolerance_for(dtypes)
    assert (tol.rtol, tol.atol, tol.compute_dtype) == expected


def test_float32_models_keep_the_strict_tolerance() -> None:
    tol = model_tolerance(Form("discretization", "h5").load())
    assert (tol.rtol, tol.atol) == (RTOL, ATOL)
    assert model_tolerance(Form("mixed_float16", "h5").load()).compute_dtype == "float16"


@pytest.mark.parametrize(("name", "eps"), [("mixed_float16", 2.0**-10), ("mixed_bfloat16", 2.0**-7)])
def test_verify_uses_the_compute_dtype_tolerance(name: str, eps: float, converted) -> None:
    """``verify`` judges at the compute dtype's tolerance and compares per-layer values
    Keras 3 computed in float16/bfloat16 (bfloat16 arrays reach numpy as float32)."""
    if "jax" not in available_backends():
        pytest.skip("jax is not installed")
    src = Form(name, "h5")
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = cli_main(["verify", str(GENERATION / f"{name}.h5"), str(converted[(src.id, ".keras")]),
                         "--backends", "jax", "--json"])
    report = json.loads(out.getvalue())
    assert code == 0 and report["ok"], report
    assert report["rtol"] == report["atol"] == 4 * eps
    layers = report["backends"][0]["layers"]
    assert {entry["value"] for entry in layers} >= {"conv2d", "lstm", "dense"} and all(entry["ok"] for entry in layers)


# --------------------------------------------------------------------------- training still augments


_TRAINING_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    import keras
    import keras_migrate  # noqa: F401  (registers the compat layers)

    model = keras.saving.load_model(sys.argv[1])
    x = np.random.default_rng(0).uniform(0, 1, (2, 10, 14, 3)).astype("float32")
    crop = model.get_layer("random_crop")
    infer = keras.ops.convert_to_numpy(crop(x, training=False))
    train = [keras.ops.convert_to_numpy(crop(x, training=True)) for _ in range(4)]
    windows = [[bool(np.allclose(t, x[:, i:i + 6, j:j + 9])) for i in range(5) for j in range(6)] for t in train]
    h = keras.saving.get_registered_object("keras_migrate>RandomHeight")((0.5, 0.9), seed=3)
    w = keras.saving.get_registered_object("keras_migrate>RandomWidth")(0.4, seed=4)
    print(json.dumps({
        "infer_shape": list(infer.shape),
        "train_shapes": [list(t.shape) for t in train],
        "train_are_windows": [any(w_) for w_ in windows],
        "train_differs": len({t.tobytes() for t in train}) > 1,
        "height_infer_same": bool(np.array_equal(keras.ops.convert_to_numpy(h(x, training=False)), x)),
        "height_train": [int(keras.ops.convert_to_numpy(h(x, training=True)).shape[1]) for _ in range(3)],
        "width_train": [int(keras.ops.convert_to_numpy(w(x, training=True)).shape[2]) for _ in range(3)],
    }))
    """
)


@pytest.mark.backends
@pytest.mark.parametrize("backend", BACKENDS)
def test_compat_layers_augment_in_training(backend: str, converted, tmp_path: Path) -> None:
    if backend not in available_backends():
        pytest.skip(f"{backend} is not installed")
    script = tmp_path / "train.py"
    script.write_text(_TRAINING_SCRIPT)
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(ROOT), "CUDA_VISIBLE_DEVICES": ""}
    proc = subprocess.run([sys.executable, str(script), str(converted[("augment_random_crop/h5", ".keras")])],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got["infer_shape"] == [2, 6, 9, 3]
    assert got["train_shapes"] == [[2, 6, 9, 3]] * 4
    assert all(got["train_are_windows"]), "training crops must be windows of the input (Keras 3's random crop)"
    assert got["train_differs"]
    assert got["height_infer_same"]
    assert all(15 <= h <= 19 for h in got["height_train"]) and len(set(got["height_train"])) > 1
    assert all(8 <= w <= 19 for w in got["width_train"])


# --------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("class_name", "config", "message"),
    [
        ("Discretization", {"bin_boundaries": None, "num_bins": None}, "neither bin_boundaries nor num_bins"),
        ("Discretization", {"bin_boundaries": [0.0, 1.0], "output_mode": "one_hot", "sparse": True}, "sparse=True"),
        ("Discretization", {"bin_boundaries": [1.0, 0.0]}, "not sorted"),
        ("Discretization", {"bin_boundaries": [0.0], "output_mode": "tf_idf"}, "output_mode='tf_idf'"),
        ("RandomRotation", {"factor": 0.1, "fill_mode": "mirror"}, "fill_mode='mirror'"),
        ("RandomZoom", {"height_factor": [0.1, 0.2, 0.3]}, "height_factor"),
        ("RandomHeight", {"factor": 0.2, "interpolation": "gaussian"}, "interpolation='gaussian'"),
        ("RandomFlip", {"mode": "diagonal"}, "mode='diagonal'"),
        ("RandomCrop", {"height": "8", "width": 4}, "height='8' is not a positive integer"),
        ("RandomCrop", {"width": 4}, "height=None"),
        ("RandomTranslation", {"height_factor": 0.1, "width_factor": 0.1, "fill_value": "x"}, "fill_value='x'"),
        ("RandomBrightness", {"factor": 0.1, "value_range": [0, "x"]}, "value_range"),
        ("Discretization", {"bin_boundaries": [0.0, "a"]}, "not a list of numbers"),
        ("RandomRotation", {"fill_mode": "constant"}, "factor is missing"),
        ("RandomTranslation", {"height_factor": 0.2}, "width_factor is missing"),
        ("RandomZoom", {"height_factor": [0.1, True]}, "height_factor"),
    ],
)
def test_refusals_name_the_setting(class_name: str, config: dict, message: str) -> None:
    with pytest.raises(UnsupportedError, match=message.replace("(", r"\(").replace("[", r"\[")):
        translate_layer(class_name, {"name": "x", **config}, TranslateContext("x"))


def test_tf23_bins_argument_is_read_as_boundaries() -> None:
    kind, cfg = translate_layer("Discretization", {"name": "d", "bins": [0.0, 0.5], "output_mode": "binary"}, TranslateContext("d"))
    assert (kind, cfg["bin_boundaries"], cfg["output_mode"]) == ("Discretization", [0.0, 0.5], "multi_hot")


def test_adapted_discretization_needs_its_weights(tmp_path: Path) -> None:
    out = tmp_path / "m.keras"
    code, err = _cli(["convert", str(GENERATION / "discretization_adapted.json"), "-o", str(out)])
    assert code == 2 and not out.exists()
    assert "Discretization was adapted" in err and "--weights" in err and "discretization" in err


def test_adapted_discretization_boundaries_are_tf_keras_own(tmp_path: Path) -> None:
    """The boundaries computed from each stored summary equal tf_keras' own
    ``get_bin_boundaries`` of it (run in a subprocess), for the stored summaries and a few
    more (merged summaries of other sizes, num_bins larger than the summary)."""
    from keras_migrate.formats.tfkeras.augmentation import adapted_bin_boundaries

    raw = load(str(GENERATION / "discretization_adapted.h5"), weights=None)
    assert all(not layer.weights and layer.config["bin_boundaries"] for layer in raw.graph.layers if layer.type == "Discretization")
    import h5py

    rng = np.random.default_rng(3)
    summaries = []
    with h5py.File(GENERATION / "discretization_adapted.h5", "r") as f:
        f["model_weights"].visititems(lambda n, o: summaries.append(np.asarray(o)) if n.endswith("summary:0") else None)
    assert len(summaries) == 2
    values = np.sort(rng.standard_normal(7)).astype("float32")
    summaries += [np.stack([values, np.ones(7, "float32") * 3]), np.stack([np.sort(rng.uniform(0, 9, 300)), rng.uniform(1, 4, 300)]).astype("float32")]
    cases = [(s_, n) for s_ in summaries for n in (2, 3, 5, 10)]
    np.savez(tmp_path / "s.npz", **{f"s{i}": s_ for i, (s_, _) in enumerate(cases)})
    script = textwrap.dedent(
        f"""
        import json, numpy as np
        from tf_keras.src.layers.preprocessing.discretization import get_bin_boundaries
        data = np.load({str(tmp_path / "s.npz")!r})
        bins = {[n for _, n in cases]!r}
        print(json.dumps([np.asarray(get_bin_boundaries(data[f"s{{i}}"], n)).astype(float).tolist() for i, n in enumerate(bins)]))
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600, check=False,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""})
    assert proc.returncode == 0, proc.stderr[-2000:]
    expected = json.loads(proc.stdout.strip().splitlines()[-1])
    for (summary, n), want in zip(cases, expected, strict=True):
        assert adapted_bin_boundaries(summary, n) == want, (summary.shape, n)
