"""Run many converted ``.keras`` models under one Keras backend in ONE subprocess.

Shared by the fixture matrices: each test module collects jobs (a converted model and
its inputs), :func:`run_jobs` runs every job of one backend in a single worker process
(``keras_migrate.verification._worker``) and returns each job's outputs. Jobs whose model
archive (config and weights) and inputs are identical run once.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "BACKENDS",
    "JAX_CACHE_ENV",
    "Job",
    "assert_backend_result",
    "assert_outputs",
    "backend_env",
    "digest",
    "run_all_backends",
    "run_jobs",
    "run_module_jobs",
    "run_onnx",
]

BACKENDS = ("jax", "torch", "tensorflow")

#: Directory of the JAX compilation cache the backend subprocesses of one test session
#: share (set by tests/conftest.py for the whole session, xdist workers included).
JAX_CACHE_ENV = "KERAS_MIGRATE_TEST_JAX_CACHE"

#: How .keras jobs are run: the product's batch worker (``keras_migrate.verification._worker``),
#: after importing Keras and freezing the garbage collector. The worker collects garbage
#: after every model; with TensorFlow, torch or JAX loaded each full collection walked the
#: millions of objects the frameworks' imports leave behind (2-3 s a model on this machine,
#: a third of a backend run). Frozen, a collection sees only what the models made.
_KERAS_LAUNCHER = (
    "import gc, sys\n"
    "import keras, keras_migrate\n"
    "gc.collect()\n"
    "gc.freeze()\n"
    "from keras_migrate.verification._worker import main\n"
    "raise SystemExit(main(sys.argv[1:]))\n"
)


def backend_env(backend: str) -> dict[str, str]:
    """Environment of a backend subprocess: its backend, quiet logs, no GPU probing, and the
    session's shared JAX compilation cache. The matrices run the same architectures as
    ``.keras`` files and as generated modules (and other modules again); with the cache each
    distinct XLA kernel is compiled once per session instead of once per process. Compiled
    kernels are keyed by their program, so a hit is the same executable, the same numbers."""
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    cache = os.environ.get(JAX_CACHE_ENV)
    if backend == "jax" and cache:
        env.setdefault("JAX_COMPILATION_CACHE_DIR", cache)
        env.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
        env.setdefault("JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "-1")
    return env


def run_all_backends(run: Any, backends: list[str], jobs: list[Job], work: Path) -> dict[str, dict[str, dict[str, Any]]]:
    """``{backend: run(backend, jobs, work/backend)}``, the backends' subprocesses at once
    (at most as many as there are cores: each is CPU-bound; the pytest process only waits)."""
    if not backends:
        return {}
    width = max(1, min(len(backends), os.cpu_count() or 1))
    with ThreadPoolExecutor(width) as pool:
        futures = {b: pool.submit(run, b, jobs, work / b) for b in backends}
    return {b: f.result() for b, f in futures.items()}


def assert_outputs(actual: list[np.ndarray], expected: list[np.ndarray], model: Any = None) -> None:
    """Allclose at the project's tolerance, or, given the source ``model`` (IR), at the
    tolerance its compute dtype calls for (float16/bfloat16 policies; float32 unchanged)."""
    # Imported here, not at module level: this file also runs as the backend worker, which
    # must prove generated modules run without keras_migrate imported.
    from keras_migrate.verification import ATOL, RTOL, model_tolerance

    rtol, atol = (RTOL, ATOL) if model is None else (model_tolerance(model).rtol, model_tolerance(model).atol)
    assert len(actual) == len(expected), f"{len(actual)} outputs, expected {len(expected)}"
    for i, (a, e) in enumerate(zip(actual, expected)):
        np.testing.assert_allclose(np.asarray(a), e, rtol=rtol, atol=atol, err_msg=f"output {i}")


#: What Keras 3 (3.15.1) raises when a functional model with string inputs is called on a
#: backend whose arrays hold no strings (generated modules report Keras' own error).
_KERAS_STRING_ERRORS = {"jax": "data type 'string' not understood", "torch": "Invalid dtype: str"}


def run_onnx(path: Path, inputs: list[np.ndarray]) -> list[np.ndarray]:
    """Run an ``.onnx`` file with onnxruntime on the CPU (inputs in the graph's order)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    sess = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    feeds = {i.name: a for i, a in zip(sess.get_inputs(), inputs, strict=True)}
    return list(sess.run(None, feeds))


def assert_backend_result(
    res: dict[str, Any], backend: str, inputs: list[np.ndarray], expected: list[np.ndarray], model: Any = None
) -> None:
    """The run matched the original, or, for a string-input model on jax or torch, failed
    saying that Keras 3 cannot run string inputs there (Keras 3's own limit, not ours)."""
    if backend != "tensorflow" and any(np.asarray(a).dtype.kind in "USO" for a in inputs):
        from keras_migrate.verification._worker import string_inputs_message

        assert not res.get("ok"), f"Keras 3 now runs string inputs on {backend}: update the tests and README"
        error = str(res.get("error", ""))
        assert string_inputs_message(backend) in error or _KERAS_STRING_ERRORS[backend] in error, error
        return
    assert res.get("ok"), f"{res.get('error')}\n{res.get('traceback', '')}"
    assert_outputs(res["outputs"], expected, model)


def digest(path: Path) -> str:
    """Content of a .keras archive that decides its outputs: config and weight arrays."""
    import h5py

    h = hashlib.sha256()
    with zipfile.ZipFile(path) as zf:
        h.update(zf.read("config.json"))
        with h5py.File(io.BytesIO(zf.read("model.weights.h5")), "r") as f:
            f.visititems(lambda n, o: h.update(n.encode() + np.asarray(o).tobytes()) if isinstance(o, h5py.Dataset) else None)
    return h.hexdigest()


@dataclass(frozen=True)
class Job:
    """One converted model to run: inputs in ``input_names`` order (the IR's flat inputs)."""

    id: str
    model: Path
    inputs: tuple[np.ndarray, ...]
    input_names: tuple[str, ...]
    input_structure: Any


def _key(job: Job) -> str:
    h = hashlib.sha256(digest(job.model).encode())
    for a in job.inputs:
        h.update(str(a.shape).encode() + str(a.dtype).encode() + np.ascontiguousarray(a).tobytes())
    h.update(json.dumps([list(job.input_names), job.input_structure]).encode())
    return h.hexdigest()


def _run_resuming(backend: str, requests: list[dict[str, Any]], work: Path, timeout: int) -> None:
    """Run the requests in as few worker processes as possible, resuming after a crash.

    If the process dies, the first unfinished job is recorded as the cause (with the
    stderr tail) and the rest run in a fresh process, so one bad model cannot hide the
    results of the others.
    """
    env = backend_env(backend)
    pending = list(requests)
    attempt = 0
    while pending:
        req = work / f"jobs-{backend}-{attempt}.json"
        req.write_text(json.dumps({"jobs": pending}))
        proc = subprocess.run(
            [sys.executable, "-c", _KERAS_LAUNCHER, str(req)],
            env=env, check=False, timeout=timeout, capture_output=True, text=True,
        )
        remaining = [r for r in pending if not Path(r["result"]).exists()]
        if remaining:
            Path(remaining[0]["result"]).write_text(
                json.dumps({"ok": False, "error": f"worker died (exit {proc.returncode}): {proc.stderr[-800:]}"})
            )
            remaining = remaining[1:]
        pending = remaining
        attempt += 1


def run_jobs(backend: str, jobs: list[Job], work: Path, *, timeout: int = 3000) -> dict[str, dict[str, Any]]:
    """``{job id: worker result}``; each result has ``ok``, ``error`` and ``outputs`` (arrays)."""
    work.mkdir(parents=True, exist_ok=True)
    requests: list[dict[str, Any]] = []
    first_of: dict[str, str] = {}
    alias: dict[str, str] = {}
    for k, job in enumerate(jobs):
        key = _key(job)
        if key in first_of:
            alias[job.id] = first_of[key]
            continue
        first_of[key] = job.id
        stem = work / f"job{k}"
        arrays: dict[str, Any] = {f"input_{i}": a for i, a in enumerate(job.inputs)}
        np.savez(f"{stem}.in.npz", **arrays)
        requests.append(
            {
                "id": job.id,
                "model": str(job.model),
                "inputs": f"{stem}.in.npz",
                "input_names": list(job.input_names),
                "input_structure": job.input_structure,
                "output": f"{stem}.{backend}.npz",
                "result": f"{stem}.{backend}.json",
                "layers": False,
            }
        )
    _run_resuming(backend, requests, work, timeout)
    results: dict[str, dict[str, Any]] = {}
    for r in requests:
        res_path = Path(r["result"])
        res = json.loads(res_path.read_text()) if res_path.exists() else {"ok": False, "error": "worker crashed"}
        outputs: list[np.ndarray] = []
        if res.get("ok") and Path(r["output"]).exists():
            with np.load(r["output"]) as got:
                outputs = [got[f"out:{i}"] for i in range(sum(k.startswith("out:") for k in got.files))]
        results[r["id"]] = {**res, "outputs": outputs}
    for a, b in alias.items():
        results[a] = results[b]
    return results


# --------------------------------------------------------------------------- generated code


def run_module_jobs(backend: str, jobs: list[Job], work: Path, *, timeout: int = 3000) -> dict[str, dict[str, Any]]:
    """Like :func:`run_jobs` for generated Python modules (``Job.model`` is a ``.py`` file).

    One subprocess per backend imports every module and runs its ``load_model()``; each
    result also says whether ``keras_migrate`` got imported (generated code must need only
    Keras). Jobs with equal ``Job.id`` prefixes are not merged: the caller dedupes.
    """
    work.mkdir(parents=True, exist_ok=True)
    requests: list[dict[str, Any]] = []
    for k, job in enumerate(jobs):
        stem = work / f"module{k}"
        np.savez(f"{stem}.in.npz", **{f"input_{i}": a for i, a in enumerate(job.inputs)})  # type: ignore[arg-type]
        requests.append(
            {
                "id": job.id,
                "model": str(job.model),
                "inputs": f"{stem}.in.npz",
                "input_names": list(job.input_names),
                "input_structure": job.input_structure,
                "output": f"{stem}.{backend}.npz",
                "result": f"{stem}.{backend}.json",
            }
        )
    req = work / f"modules-{backend}.json"
    req.write_text(json.dumps({"jobs": requests}))
    env = backend_env(backend)
    root = str(Path(__file__).resolve().parents[2])
    subprocess.run(
        [sys.executable, "-m", "tests.conversion._backend_runs", str(req)],
        env=env, cwd=root, check=False, timeout=timeout,
    )
    results: dict[str, dict[str, Any]] = {}
    for r in requests:
        res_path = Path(r["result"])
        res = json.loads(res_path.read_text()) if res_path.exists() else {"ok": False, "error": "worker crashed"}
        outputs: list[np.ndarray] = []
        if res.get("ok") and Path(r["output"]).exists():
            with np.load(r["output"]) as got:
                outputs = [got[f"out:{i}"] for i in range(sum(k.startswith("out:") for k in got.files))]
        results[r["id"]] = {**res, "outputs": outputs}
    return results


def _run_module(req: dict[str, Any], index: int) -> None:
    import importlib.util
    import traceback

    result: dict[str, Any] = {"ok": False}
    try:
        import keras

        keras.utils.clear_session()
        spec = importlib.util.spec_from_file_location(f"keras_migrate_generated_{index}", req["model"])
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        model = module.load_model()
        with np.load(req["inputs"]) as data:
            flat = [data[f"input_{i}"] for i in range(len(data.files))]
        lookup = dict(zip(req["input_names"], flat))

        def build(s: Any) -> Any:
            if isinstance(s, str):
                return lookup[s]
            if isinstance(s, dict):
                return {k: build(v) for k, v in s.items()}
            return [build(v) for v in s]

        structure = req["input_structure"]
        if isinstance(structure, list) and len(structure) == 1:
            structure = structure[0]  # generated code writes a one-input list as the input itself
        outputs = model(build(structure), training=False)
        flat_out = [keras.ops.convert_to_numpy(o) for o in keras.tree.flatten(outputs)]
        np.savez(req["output"], **{f"out:{i}": o for i, o in enumerate(flat_out)})  # type: ignore[arg-type]
        result.update(ok=True, imported_keras_migrate="keras_migrate" in sys.modules)
    except Exception as exc:
        result.update(error=f"{type(exc).__name__}: {exc}"[:2000], traceback=traceback.format_exc()[-4000:])
    with open(req["result"], "w") as fh:
        json.dump(result, fh)


def _zero_random_initializers(keras: Any) -> None:
    """Under JAX, let random initializers return zeros in this module-running process.

    ``load_model()`` builds every layer (its initializers run) and then loads the weights
    file over every variable; under JAX each random initializer compiles an XLA kernel per
    weight shape. As in the product's worker (``keras_migrate.verification._worker``), zeros
    cost one cheap kernel, and a variable the weights file failed to fill would hold zeros,
    which the comparison with the original outputs catches as surely as random values.
    """
    if keras.backend.backend() != "jax":
        return
    import inspect

    zeros = keras.initializers.Zeros()
    for name in dir(keras.initializers):
        cls = getattr(keras.initializers, name)
        if (
            inspect.isclass(cls)
            and "__call__" in vars(cls)
            and any(base.__name__ == "RandomInitializer" for base in cls.__mro__[1:])
        ):
            cls.__call__ = lambda self, shape, dtype=None, **_: zeros(shape, dtype=dtype)  # type: ignore[method-assign]


if __name__ == "__main__":
    import gc

    import keras as _keras  # once, before any module; keras_migrate is never imported here

    _zero_random_initializers(_keras)
    gc.collect()
    gc.freeze()  # see _KERAS_LAUNCHER
    with open(sys.argv[1]) as _fh:
        _request = json.load(_fh)
    for _i, _job in enumerate(_request["jobs"]):
        _run_module(_job, _i)
