"""tf.keras applications convert through the CLI and compute tf.keras' numbers everywhere.

One subprocess builds each application with tf_keras (``weights=None``, no classifier
activation) and gives *every* weight seeded random values, so that a weight landing in the
wrong place cannot go unnoticed: kernels, biases, gammas, betas, Normalization statistics,
and batch-norm moving statistics (measured on a calibration batch so the output keeps
depending on the input, then moving variances redrawn in [0.5, 1.5] with the gammas
compensating; see the builder's ``randomize``). It saves each model as ``.h5`` with its
outputs for a seeded input, and records how much the output depends on the input. Each
model is converted with ``keras-migrate convert``; the numpy interpreter and the converted
``.keras`` on jax, torch and tensorflow (one subprocess per backend over all models) must
reproduce tf.keras' outputs (rtol 1e-4, atol 1e-5). Swapping or permuting one batch norm's
statistics, or one LayerScale's gamma, changes the outputs by 10^3 to 10^5 times the
tolerance; float32 rounding stays under 0.6 of it.

By default one architecture per family runs. Inputs are small (64 or 96 pixels; weights
do not depend on the input size) to keep the module within minutes on two cores.
``KERAS_MIGRATE_APPS=all`` runs every application tf_keras offers (hours, and tens of GB
of temporary files); ``KERAS_MIGRATE_APPS=ResNet101,EfficientNetB3`` runs the named ones.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from keras_migrate.cli import main as cli_main
from keras_migrate.formats import load
from keras_migrate.ir.graph import flatten_structure
from keras_migrate.ir.interpreter import run_graph
from keras_migrate.verification import available_backends
from tests._arrays import load_npz
from tests.conversion.test_fixture_matrix import BACKENDS, _assert_outputs

pytestmark = pytest.mark.slow

#: One architecture per family, with the input size it is built at.
DEFAULT_APPS: dict[str, int] = {
    "VGG16": 64,
    "ResNet50": 64,
    "ResNet50V2": 64,
    "ResNetRS50": 64,
    "Xception": 96,
    "InceptionV3": 96,
    "InceptionResNetV2": 96,
    "MobileNet": 64,
    "MobileNetV2": 64,
    "MobileNetV3Small": 64,
    "DenseNet121": 64,
    "NASNetMobile": 64,
    "EfficientNetB0": 64,
    "EfficientNetV2B0": 64,
    "RegNetX002": 64,
    "RegNetY002": 64,
    "ConvNeXtTiny": 64,
}


def _size(name: str) -> int:
    """A small input size the architecture accepts (weights do not depend on it)."""
    return DEFAULT_APPS.get(name) or (96 if name.startswith(("Inception", "Xception")) else 64)


def _selected() -> dict[str, int]:
    choice = os.environ.get("KERAS_MIGRATE_APPS", "").strip()
    if not choice:
        return {name: _size(name) for name in DEFAULT_APPS}
    names = _ALL_APPS if choice == "all" else [n.strip() for n in choice.split(",") if n.strip()]
    return {name: _size(name) for name in names}


_ALL_APPS = (
    "ConvNeXtBase", "ConvNeXtLarge", "ConvNeXtSmall", "ConvNeXtTiny", "ConvNeXtXLarge", "DenseNet121",
    "DenseNet169", "DenseNet201", "EfficientNetB0", "EfficientNetB1", "EfficientNetB2", "EfficientNetB3",
    "EfficientNetB4", "EfficientNetB5", "EfficientNetB6", "EfficientNetB7", "EfficientNetV2B0",
    "EfficientNetV2B1", "EfficientNetV2B2", "EfficientNetV2B3", "EfficientNetV2L", "EfficientNetV2M",
    "EfficientNetV2S", "InceptionResNetV2", "InceptionV3", "MobileNet", "MobileNetV2", "MobileNetV3Large",
    "MobileNetV3Small", "NASNetLarge", "NASNetMobile", "RegNetX002", "RegNetX004", "RegNetX006", "RegNetX008",
    "RegNetX016", "RegNetX032", "RegNetX040", "RegNetX064", "RegNetX080", "RegNetX120", "RegNetX160",
    "RegNetX320", "RegNetY002", "RegNetY004", "RegNetY006", "RegNetY008", "RegNetY016", "RegNetY032",
    "RegNetY040", "RegNetY064", "RegNetY080", "RegNetY120", "RegNetY160", "RegNetY320", "ResNet101",
    "ResNet101V2", "ResNet152", "ResNet152V2", "ResNet50", "ResNet50V2", "ResNetRS101", "ResNetRS152",
    "ResNetRS200", "ResNetRS270", "ResNetRS350", "ResNetRS420", "ResNetRS50", "VGG16", "VGG19", "Xception",
)

APPS = _selected()

#: Runs in a fresh interpreter: tf_keras must never share a process with Keras 3.
_BUILDER = textwrap.dedent(
    '''
    import json, os, sys
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import numpy as np
    import tf_keras

    spec = json.load(open(sys.argv[1]))
    out = spec["out"]
    manifest = {}

    def fan_in(name, shape):
        if name == "depthwise_kernel":
            return int(np.prod(shape[:-2]))
        return int(np.prod(shape[:-1]))

    def randomize(model, rng, calibration):
        """Seeded values for every weight, with batch-norm statistics that fit the data.

        Kernels get He-scaled normal values, constant-initialized weights (biases, means)
        small random ones, gammas and variances values in [0.5, 1.5]. Moving statistics
        drawn at random would let the input's signal fade (or blow up) layer by layer until
        the output no longer depends on it; so each batch norm's statistics are measured on
        a calibration batch (one training pass, momentum 0, no dropout), then its moving
        variance is redrawn in [0.5, 1.5] and its gamma rescaled so that it computes the
        same function. Batch-norm betas are positive (0.5 to 1.5 gammas): a batch norm
        that fully centres what a ReLU made positive amplifies small differences by about
        1.2 per layer, and float32 rounding with them, past the test's tolerance.
        """
        for w in model.weights:
            a = w.numpy()
            if not np.issubdtype(a.dtype, np.floating):
                continue  # Normalization's sample count
            name = w.name.split("/")[-1].split(":")[0]
            if "variance" in name or name == "gamma":
                new = rng.uniform(0.5, 1.5, a.shape)
            elif "kernel" in name and a.ndim >= 2:
                new = rng.standard_normal(a.shape) * np.sqrt(2.0 / fan_in(name, a.shape))
            else:
                new = rng.standard_normal(a.shape) * 0.1
            w.assign(new.astype(a.dtype))
        layers = list(model.submodules)
        norms = [l for l in layers if type(l).__name__ == "BatchNormalization"]
        for l in norms:
            if l.beta is not None:
                gamma = l.gamma.numpy() if l.gamma is not None else 1.0
                l.beta.assign((gamma * rng.uniform(0.5, 1.5, l.beta.shape)).astype("float32"))
        drops = [l for l in layers if type(l).__name__ == "Dropout"]
        saved = [(l, "momentum", l.momentum) for l in norms] + [(l, "rate", l.rate) for l in drops]
        for l, attr, _ in saved:
            setattr(l, attr, 0.0)
        model(calibration, training=True)
        for l, attr, value in saved:
            setattr(l, attr, value)
        for l in norms:
            if l.gamma is None:
                continue  # scale=False: the measured variance stays
            var = l.moving_variance.numpy()
            new = rng.uniform(0.5, 1.5, var.shape).astype("float32")
            l.gamma.assign(l.gamma.numpy() * np.sqrt(new + l.epsilon) / np.sqrt(var + l.epsilon))
            l.moving_variance.assign(new)
        for l in layers:
            if type(l).__name__ == "Normalization" and getattr(l, "adapt_mean", None) is not None:
                l.finalize_state()  # tf_keras computes with a copy of its statistics

    for i, (name, size) in enumerate(spec["apps"]):
        try:
            tf_keras.backend.clear_session()
            fn = getattr(tf_keras.applications, name)
            kwargs = {"weights": None, "classifier_activation": None}
            if size:
                kwargs["input_shape"] = (size, size, 3)
            try:
                model = fn(**kwargs)
            except (TypeError, ValueError) as exc:  # a function without classifier_activation
                if "classifier_activation" not in str(exc):
                    raise
                del kwargs["classifier_activation"]
                model = fn(**kwargs)
            rng = np.random.default_rng(spec["seed"] + i)
            shape = [224 if d is None else d for d in model.input_shape[1:]]
            # models that preprocess their input expect pixel values
            pixels = any(type(l).__name__ in ("Rescaling", "Normalization") for l in model.layers)

            def sample(n):
                return (rng.uniform(0, 255, (n, *shape)) if pixels else rng.standard_normal((n, *shape))).astype("float32")

            randomize(model, rng, sample(8))
            x, other = sample(1), sample(1)
            # outputs of order 1: float32 rounding then stays well under the absolute tolerance
            head = [l for l in model.layers if getattr(l, "kernel", None) is not None][-1]
            factor = 1.0 / float(np.abs(model(x, training=False).numpy()).max())
            for v in [head.kernel] + ([head.bias] if getattr(head, "bias", None) is not None else []):
                v.assign(v.numpy() * factor)
            y = model(x, training=False).numpy()
            if not np.all(np.isfinite(y)):
                raise ValueError("tf.keras outputs are not finite")
            # how much the output depends on the input: a test is only as sharp as this
            sensitivity = float(np.abs(model(other, training=False).numpy() - y).max() / np.abs(y).max())
            h5 = os.path.join(out, name + ".h5")
            model.save(h5)
            np.savez(os.path.join(out, name + ".npz"), input_0=x, output_0=y)
            manifest[name] = {"h5": h5, "npz": os.path.join(out, name + ".npz"),
                              "params": int(model.count_params()), "max_abs": float(np.abs(y).max()),
                              "sensitivity": sensitivity}
        except Exception as exc:
            manifest[name] = {"error": f"{type(exc).__name__}: {exc}"[:2000]}
        print(name, manifest[name], flush=True)
    json.dump(manifest, open(os.path.join(out, "manifest.json"), "w"))
    '''
)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Build, randomize and save every selected application in one tf_keras process."""
    if importlib.util.find_spec("tf_keras") is None:
        pytest.skip("tf_keras is not installed: the applications are built with it")
    work = tmp_path_factory.mktemp("applications")
    (work / "build.py").write_text(_BUILDER)
    (work / "spec.json").write_text(json.dumps({"apps": list(APPS.items()), "out": str(work), "seed": 1234}))
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    proc = subprocess.run(
        [sys.executable, str(work / "build.py"), str(work / "spec.json")],
        env=env, capture_output=True, text=True, check=False, timeout=7200,
    )
    manifest = work / "manifest.json"
    if not manifest.exists():
        pytest.fail(f"tf_keras builder crashed:\n{proc.stderr[-4000:]}")
    return json.loads(manifest.read_text())  # type: ignore[no-any-return]


def _app(built: dict[str, dict[str, Any]], name: str) -> dict[str, Any]:
    entry = built[name]
    assert "error" not in entry, f"tf_keras could not build {name}: {entry['error']}"
    return entry


@pytest.fixture(scope="module")
def converted(built: dict[str, dict[str, Any]], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path | None]:
    """Convert every built application through the CLI: name -> .keras path (None on failure)."""
    out_dir = tmp_path_factory.mktemp("applications_keras")
    results: dict[str, Path | None] = {}
    for name, entry in built.items():
        if "error" in entry:
            results[name] = None
            continue
        out = out_dir / f"{name}.keras"
        code = cli_main(["convert", entry["h5"], "-o", str(out)])
        results[name] = out if code == 0 and out.exists() else None
    return results


def _arrays(entry: dict[str, Any]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """A built model's stored inputs and tf.keras outputs (``input_<i>``, ``output_<i>``)."""
    return load_npz(entry["npz"])


def run_backends(
    backends: list[str], built: dict[str, dict[str, Any]], converted: dict[str, Path | None], work: Path
) -> dict[str, dict[str, dict[str, Any]]]:
    """Run every converted model under each backend: one worker process per backend, the
    backends concurrently (their slow phases are single-threaded).

    ``built`` maps a name to ``{"h5", "npz"}`` (the source file, its inputs and outputs),
    ``converted`` to its ``.keras`` (``None``: skipped). Returns backend -> name -> the
    worker's result, with ``output`` naming the ``.npz`` of its outputs (``out:<i>``).
    """
    models = []
    for name, path in converted.items():
        if path is None:
            continue
        entry = built[name]
        graph = load(entry["h5"]).graph
        inputs = str(work / f"{name}.in.npz")
        ins, _ = _arrays(entry)
        np.savez(inputs, **{f"input_{i}": a for i, a in enumerate(ins)})
        models.append((name, path, inputs, graph))
    procs = []
    for backend in backends:
        jobs = [
            {
                "id": name,
                "model": str(path),
                "inputs": inputs,
                "input_names": list(graph.inputs),
                "input_structure": graph.input_structure,
                "output": str(work / f"{name}.{backend}.npz"),
                "result": str(work / f"{name}.{backend}.json"),
                "layers": False,
            }
            for name, path, inputs, graph in models
        ]
        req = work / f"jobs-{backend}.json"
        req.write_text(json.dumps({"jobs": jobs}))
        env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
        procs.append((backend, jobs, subprocess.Popen([sys.executable, "-m", "keras_migrate.verification._worker", str(req)], env=env)))
    results: dict[str, dict[str, dict[str, Any]]] = {}
    for backend, jobs, proc in procs:
        try:
            proc.wait(timeout=7200)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        results[backend] = {}
        for job in jobs:
            res = Path(job["result"])
            out = json.loads(res.read_text()) if res.exists() else {"ok": False, "error": "worker crashed or timed out"}
            results[backend][job["id"]] = {**out, "output": job["output"]}
    return results


_backend_cache: dict[str, dict[str, dict[str, Any]]] = {}


@pytest.fixture(scope="module")
def backend_results(built, converted, tmp_path_factory):
    def get(backend: str) -> dict[str, dict[str, Any]]:
        if not _backend_cache:
            work = tmp_path_factory.mktemp("applications_backends")
            _backend_cache.update(run_backends([b for b in BACKENDS if b in available_backends()], built, converted, work))
        return _backend_cache[backend]

    return get


@pytest.mark.parametrize("name", list(APPS))
def test_converts_through_cli(name: str, built, converted) -> None:
    _app(built, name)
    assert converted[name] is not None, f"keras-migrate convert failed for {name}"


@pytest.mark.parametrize("name", list(APPS))
def test_numpy_interpreter_matches_tf_keras(name: str, built) -> None:
    entry = _app(built, name)
    # the comparison is only as sharp as the output's dependence on the input (and weights)
    assert entry["sensitivity"] > 0.05, f"{name}'s randomized output barely depends on its input"
    ins, expected = _arrays(entry)
    actual = run_graph(load(entry["h5"]).graph, ins)
    _assert_outputs(flatten_structure(actual) if not isinstance(actual, np.ndarray) else [actual], expected)


@pytest.mark.backends
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", list(APPS))
def test_converted_matches_tf_keras(name: str, backend: str, built, converted, backend_results) -> None:
    if backend not in available_backends():
        pytest.skip(f"{backend} is not installed")
    _app(built, name)
    assert converted[name] is not None, f"keras-migrate convert failed for {name}"
    res = backend_results(backend)[name]
    assert res.get("ok"), res.get("error")
    _, expected = _arrays(built[name])
    with np.load(res["output"]) as got:
        _assert_outputs([got[f"out:{i}"] for i in range(len(expected))], expected)
