"""Run a converted ``.keras`` model under one backend, in its own process.

Usage: ``python -m keras_migrate.verification._worker REQUEST.json`` with ``KERAS_BACKEND`` set,
or ``... _worker --serve``: a warm worker (:mod:`keras_migrate.verification.pool`) reading one
request per line on stdin and answering one JSON line per request on its stdout.
The request names the model, an ``.npz`` of inputs and where to write results: the final
outputs (``out:<i>``) and, where Keras can expose them, each top-level layer call's
outputs (``val:<ir value name>``) for per-layer diffing. A separate process per backend is
the only way to load several Keras backends in one verification.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
import traceback
from collections.abc import Iterator
from typing import Any

import numpy as np

__all__ = ["main", "string_inputs_message"]


def _node_values(model: Any) -> tuple[list[Any], list[str]]:
    """Keras tensors of every top-level layer call, with the IR value name of each."""
    tensors: list[Any] = []
    names: list[str] = []
    for layer in model.layers:
        if type(layer).__name__ == "InputLayer":
            continue
        nodes = getattr(layer, "_inbound_nodes", [])
        for k, node in enumerate(nodes):
            outs = list(node.output_tensors)
            base = layer.name if k == 0 else f"{layer.name}@{k}"
            if len(outs) == 1:
                tensors.append(outs[0])
                names.append(base)
            else:
                for i, t in enumerate(outs):
                    tensors.append(t)
                    names.append(f"{base}:{i}")
    return tensors, names


def string_inputs_message(backend: str) -> str:
    """What a backend result says when Keras 3 itself cannot run a string-input model.

    Keras 3 (3.15.1) runs its string layers (StringLookup, TextVectorization, Hashing of
    strings) through TensorFlow on every backend, but a functional model converts each
    input to the backend's own array type first, and jax and torch arrays hold no strings:
    ``model(x)`` fails there before any layer runs (``predict`` fails on every backend).
    """
    return (
        f"Keras 3 cannot run a model with string inputs on the {backend} backend (its functional "
        "models convert inputs to backend arrays, which hold no strings); only tensorflow can"
    )


def _has_string_inputs(path: str) -> bool:
    try:
        with np.load(path) as data:
            return any(data[k].dtype.kind in "USO" for k in data.files)
    except (OSError, ValueError):
        return False


def _plain_array(array: np.ndarray) -> np.ndarray:
    """String outputs (TF returns bytes objects) as numpy ``str`` arrays, storable without
    pickle; bfloat16 values (an ``ml_dtypes`` type numpy cannot store or compare) as float32,
    which holds every bfloat16 exactly."""
    if array.dtype.kind in "OS":
        return np.vectorize(lambda v: v.decode("utf-8") if isinstance(v, bytes) else str(v), otypes=[str])(array)
    if array.dtype.kind == "V" and array.dtype.name == "bfloat16":
        return array.astype(np.float32)
    return array


def _load(keras: Any, path: str, user_files: list[str] | None = None) -> Any:
    """A converted model: a ``.keras`` file, or an emitted module's ``load_model()``."""
    if path.endswith(".py"):
        import importlib.util

        spec = importlib.util.spec_from_file_location("keras_migrate_converted_model", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module.load_model()
    custom = None
    if user_files:  # the user's --custom-objects, loaded (and upgraded) as the parent did
        from keras_migrate.usercode import load_user_code

        custom = load_user_code(user_files).custom_objects()
    with _zero_random_initializers(keras):
        return keras.saving.load_model(path, compile=False, safe_mode=True, custom_objects=custom)


@contextlib.contextmanager
def _zero_random_initializers(keras: Any) -> Iterator[None]:
    """Let random initializers return zeros while a saved model is rebuilt under JAX.

    Loading builds every layer with its initializers and then overwrites each variable
    with the file's values, so the initial values are never seen. Under JAX, though, each
    random initializer compiles an XLA kernel per distinct weight shape (0.2-0.7 s each):
    about half of a batch's time went there. Zeros come from one cheap kernel. Any
    variable the file failed to fill would then hold zeros, which the output comparison
    catches as surely as random values.
    """
    if keras.backend.backend() != "jax":
        yield
        return
    import inspect

    patched: dict[type, Any] = {}
    for name in dir(keras.initializers):
        cls = getattr(keras.initializers, name)
        if (
            inspect.isclass(cls)
            and "__call__" in vars(cls)
            and any(base.__name__ == "RandomInitializer" for base in cls.__mro__[1:])
        ):
            patched.setdefault(cls, vars(cls)["__call__"])
    zeros = keras.initializers.Zeros()
    try:
        for cls in patched:
            cls.__call__ = lambda self, shape, dtype=None, **_: zeros(shape, dtype=dtype)  # type: ignore[method-assign]
        yield
    finally:
        for cls, call in patched.items():
            cls.__call__ = call  # type: ignore[method-assign]


def serve() -> int:
    """Answer requests until stdin closes: the warm worker of a batch (one per backend).

    Each stdin line is a request (as in a request file); when its result file is written,
    one line ``{"id": ..., "rss": bytes}`` goes to the protocol stream. Frameworks print to
    stdout now and then, so the protocol keeps the original stdout to itself and file
    descriptor 1 is pointed at stderr before anything is imported.
    """
    proto = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        _run(req)
        _free_caches()
        proto.write(json.dumps({"id": req.get("id"), "rss": _rss_bytes()}) + "\n")
    return 0


def main(argv: list[str]) -> int:
    """Run one request, or each request of ``{"jobs": [...]}`` (one process, many models)."""
    if argv[:1] == ["--serve"]:
        return serve()
    with open(argv[0]) as fh:
        req = json.load(fh)
    for job in req.get("jobs", [req]):
        _run(job)
        _free_caches()
    return 0


#: Resident memory above which a batch worker drops its compiled-function caches.
_RSS_BUDGET = 3 << 30


def _rss_bytes() -> int:
    """Current resident set size (Linux ``/proc``; 0 where unavailable, so never a reason to clear)."""
    try:
        with open("/proc/self/statm") as fh:
            pages = int(fh.read().split()[1])
    except (OSError, ValueError, IndexError):
        return 0
    return pages * os.sysconf("SC_PAGE_SIZE")


def _clear_session(keras: Any, *, free_memory: bool) -> None:
    try:
        keras.utils.clear_session(free_memory=free_memory)
    except TypeError:  # Keras before 3.6 takes no argument and always collects
        keras.utils.clear_session()


def _free_caches() -> None:
    """Keep a long batch's memory bounded without paying for it on every model.

    Dropping JAX's and TF's compiled-kernel caches after each model made a batch of a few
    hundred small models several times slower (every primitive recompiled for every
    model), so the caches are cleared only once the process grows past a budget.
    """
    import gc

    gc.collect()
    if _rss_bytes() < _RSS_BUDGET:
        return
    if "keras" in sys.modules:
        _clear_session(sys.modules["keras"], free_memory=True)
    if "jax" in sys.modules:
        sys.modules["jax"].clear_caches()
    gc.collect()


def _run_onnx(req: dict[str, Any]) -> dict[str, Any]:
    """Run an ``.onnx`` file with onnxruntime (no Keras): graph outputs only, since ONNX
    keeps no per-layer values to compare."""
    import onnxruntime as ort

    t0 = time.perf_counter()
    options = ort.SessionOptions()
    options.log_severity_level = 3
    sess = ort.InferenceSession(req["model"], options, providers=["CPUExecutionProvider"])
    t1 = time.perf_counter()
    with np.load(req["inputs"]) as data:
        flat = [data[f"input_{i}"] for i in range(len(data.files))]
    by_name = dict(zip(req["input_names"], flat))
    feeds: dict[str, np.ndarray] = {}
    for i, spec in enumerate(sess.get_inputs()):
        array = by_name.get(spec.name, flat[i] if i < len(flat) else None)
        feeds[spec.name] = np.asarray(array).astype(_ORT_DTYPES.get(spec.type, np.float32))
    outs = sess.run(None, feeds)
    np.savez(req["output"], **{f"out:{i}": np.asarray(o) for i, o in enumerate(outs)})  # type: ignore[arg-type]
    return {"ok": True, "load_seconds": t1 - t0, "run_seconds": time.perf_counter() - t1, "backend": "onnxruntime",
            "layers_error": "ONNX keeps no per-layer values"}


#: onnxruntime's input type names and the numpy dtypes fed to them.
_ORT_DTYPES = {
    "tensor(float)": np.float32, "tensor(double)": np.float64, "tensor(float16)": np.float16,
    "tensor(int32)": np.int32, "tensor(int64)": np.int64, "tensor(bool)": np.bool_, "tensor(string)": np.str_,
}  # fmt: skip


def _run(req: dict[str, Any]) -> None:
    result: dict[str, Any] = {"ok": False}
    if req["model"].endswith(".onnx"):
        try:
            result = _run_onnx(req)
        except Exception as exc:
            result.update(error=f"{type(exc).__name__}: {exc}"[:2000], traceback=traceback.format_exc()[-4000:])
        with open(req["result"], "w") as fh:
            json.dump(result, fh)
        return
    try:
        t0 = time.perf_counter()
        import keras

        import keras_migrate  # noqa: F401  (registers compat layers)

        _clear_session(keras, free_memory=False)  # fresh name counters; memory: _free_caches
        model = _load(keras, req["model"], req.get("custom_objects"))
        t1 = time.perf_counter()
        with np.load(req["inputs"]) as data:
            flat = [data[f"input_{i}"] for i in range(len(data.files))]
        names = req["input_names"]
        structure = req["input_structure"]
        lookup = dict(zip(names, flat))

        def build(s: Any) -> Any:
            if isinstance(s, str):
                return lookup[s]
            if isinstance(s, dict):
                return {k: build(v) for k, v in s.items()}
            return [build(v) for v in s]

        inputs = build(structure)
        outputs = model(inputs, training=False)
        flat_out = [_plain_array(keras.ops.convert_to_numpy(o)) for o in keras.tree.flatten(outputs)]
        arrays: dict[str, Any] = {f"out:{i}": o for i, o in enumerate(flat_out)}
        if req.get("layers"):
            try:
                tensors, vnames = _node_values(model)
                probe = keras.Model(model.inputs, tensors)
                values = probe(inputs, training=False)
                for n, v in zip(vnames, values):
                    arrays[f"val:{n}"] = _plain_array(keras.ops.convert_to_numpy(v))
            except Exception as exc:  # per-layer values are a diagnostic, not the verdict
                result["layers_error"] = f"{type(exc).__name__}: {exc}"[:500]
        np.savez(req["output"], **arrays)
        result.update(ok=True, load_seconds=t1 - t0, run_seconds=time.perf_counter() - t1, backend=keras.backend.backend())
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        if _has_string_inputs(req["inputs"]) and os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow":
            error = f"{string_inputs_message(os.environ['KERAS_BACKEND'])} ({error})"
        result.update(error=error[:2000], traceback=traceback.format_exc()[-4000:])
    with open(req["result"], "w") as fh:
        json.dump(result, fh)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
