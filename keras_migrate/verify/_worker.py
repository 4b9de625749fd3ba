"""Run a converted ``.keras`` model under one backend, in its own process.

Usage: ``python -m keras_migrate.verify._worker REQUEST.json`` with ``KERAS_BACKEND`` set.
The request names the model, an ``.npz`` of inputs and where to write results: the final
outputs (``out:<i>``) and, where Keras can expose them, each top-level layer call's
outputs (``val:<ir value name>``) for per-layer diffing. A separate process per backend is
the only way to load several Keras backends in one verification.
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from typing import Any

import numpy as np

__all__ = ["main"]


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


def _load(keras: Any, path: str) -> Any:
    """A converted model: a ``.keras`` file, or an emitted module's ``load_model()``."""
    if path.endswith(".py"):
        import importlib.util

        spec = importlib.util.spec_from_file_location("keras_migrate_converted_model", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module.load_model()
    return keras.saving.load_model(path, compile=False, safe_mode=True)


def main(argv: list[str]) -> int:
    """Run one request, or each request of ``{"jobs": [...]}`` (one process, many models)."""
    with open(argv[0]) as fh:
        req = json.load(fh)
    for job in req.get("jobs", [req]):
        _run(job)
        _free_caches()
    return 0


def _free_caches() -> None:
    """Keep a long batch's memory flat: drop Keras state and compiled-function caches."""
    import gc

    if "keras" in sys.modules:
        sys.modules["keras"].utils.clear_session(free_memory=True)
    if "jax" in sys.modules:
        sys.modules["jax"].clear_caches()
    gc.collect()


def _run(req: dict[str, Any]) -> None:
    result: dict[str, Any] = {"ok": False}
    try:
        t0 = time.perf_counter()
        import keras

        import keras_migrate  # noqa: F401  (registers compat layers)

        keras.utils.clear_session()
        model = _load(keras, req["model"])
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
        flat_out = [keras.ops.convert_to_numpy(o) for o in keras.tree.flatten(outputs)]
        arrays = {f"out:{i}": o for i, o in enumerate(flat_out)}
        if req.get("layers"):
            try:
                tensors, vnames = _node_values(model)
                probe = keras.Model(model.inputs, tensors)
                values = probe(inputs, training=False)
                for n, v in zip(vnames, values):
                    arrays[f"val:{n}"] = keras.ops.convert_to_numpy(v)
            except Exception as exc:  # per-layer values are a diagnostic, not the verdict
                result["layers_error"] = f"{type(exc).__name__}: {exc}"[:500]
        np.savez(req["output"], **arrays)
        result.update(ok=True, load_seconds=t1 - t0, run_seconds=time.perf_counter() - t1, backend=keras.backend.backend())
    except Exception as exc:
        result.update(error=f"{type(exc).__name__}: {exc}"[:2000], traceback=traceback.format_exc()[-4000:])
    with open(req["result"], "w") as fh:
        json.dump(result, fh)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
