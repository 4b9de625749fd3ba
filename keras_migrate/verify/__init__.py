"""``verify``: prove a converted model computes what the legacy model did.

The reference is the IR's numpy interpreter run on the *source* model; each requested
backend loads the *converted* file in its own process and runs the same inputs. Outputs
decide the verdict; per-layer values (where Keras exposes them) show where divergence starts.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from keras_migrate.errors import KerasMigrateError, MissingDependencyError
from keras_migrate.ir.graph import Model
from keras_migrate.verify._compare import ATOL, RTOL, Diff, diff
from keras_migrate.verify.inputs import load_inputs, make_inputs

__all__ = ["ALL_BACKENDS", "BackendResult", "VerifyReport", "available_backends", "verify"]

ALL_BACKENDS = ("jax", "torch", "tensorflow")
_PACKAGES = {"jax": "jax", "torch": "torch", "tensorflow": "tensorflow"}


def available_backends() -> list[str]:
    """Backends whose framework and Keras 3 are importable (checked without importing them)."""
    if importlib.util.find_spec("keras") is None:
        return []
    return [b for b in ALL_BACKENDS if importlib.util.find_spec(_PACKAGES[b]) is not None]


@dataclass
class BackendResult:
    """One backend's run: its output diffs, per-layer diffs, and any error."""

    backend: str
    outputs: list[Diff] = field(default_factory=list)
    layers: list[tuple[str, Diff]] = field(default_factory=list)
    error: str = ""
    layers_error: str = ""
    load_seconds: float = 0.0
    run_seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.error and bool(self.outputs) and all(d.ok for d in self.outputs)

    @property
    def first_divergence(self) -> str | None:
        for name, d in self.layers:
            if not d.ok:
                return name
        return None


@dataclass
class VerifyReport:
    """The verdict over all backends."""

    converted: str
    backends: list[BackendResult]
    rtol: float = RTOL
    atol: float = ATOL

    @property
    def ok(self) -> bool:
        return bool(self.backends) and all(b.ok for b in self.backends)

    def to_dict(self) -> dict[str, Any]:
        return {
            "converted": self.converted,
            "ok": self.ok,
            "rtol": self.rtol,
            "atol": self.atol,
            "backends": [
                {
                    "backend": b.backend,
                    "ok": b.ok,
                    "error": b.error or None,
                    "outputs": [{"max_abs": d.max_abs, "max_rel": d.max_rel, "ok": d.ok, "note": d.note} for d in b.outputs],
                    "first_divergence": b.first_divergence,
                    "layers": [{"value": n, "max_abs": d.max_abs, "ok": d.ok} for n, d in b.layers],
                    "load_seconds": round(b.load_seconds, 3),
                    "run_seconds": round(b.run_seconds, 3),
                }
                for b in self.backends
            ],
        }


def _run_backend(backend: str, converted: str, model: Model, inputs_npz: str, work: str, timeout: float) -> dict[str, Any]:
    req = {
        "model": os.path.abspath(converted),
        "inputs": inputs_npz,
        "input_names": list(model.graph.inputs),
        "input_structure": model.graph.input_structure,
        "output": os.path.join(work, f"{backend}.npz"),
        "result": os.path.join(work, f"{backend}.json"),
        "layers": True,
    }
    req_path = os.path.join(work, f"{backend}.request.json")
    with open(req_path, "w") as fh:
        json.dump(req, fh)
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONWARNINGS": "ignore"}
    env.setdefault("CUDA_VISIBLE_DEVICES", "")
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "keras_migrate.verify._worker", req_path],
            env=env, capture_output=True, text=True, timeout=timeout, check=False,
        )
    except subprocess.TimeoutExpired:
        return {"ok": False, "error": f"timed out after {timeout:.0f}s"}
    if not os.path.exists(req["result"]):
        return {"ok": False, "error": f"worker crashed (exit {proc.returncode}): {proc.stderr[-1500:]}"}
    with open(req["result"]) as fh:
        result: dict[str, Any] = json.load(fh)
    result["arrays"] = req["output"]
    return result


def verify(
    model: Model,
    converted: str,
    *,
    backends: list[str] | None = None,
    inputs: str | list[np.ndarray] | None = None,
    batch_size: int = 2,
    seed: int = 0,
    timeout: float = 900.0,
) -> VerifyReport:
    """Compare the numpy interpretation of ``model`` with ``converted`` on each backend."""
    from keras_migrate.ir.interpreter import run_graph

    if not os.path.exists(converted):
        raise KerasMigrateError("converted model not found", path=converted)
    wanted = list(backends) if backends else available_backends()
    unknown = [b for b in wanted if b not in ALL_BACKENDS]
    if unknown:
        raise KerasMigrateError(f"unknown backends {unknown}", hint=f"choose from {', '.join(ALL_BACKENDS)}")
    have = set(available_backends())
    missing = [b for b in wanted if b not in have]
    if missing or not wanted:
        raise MissingDependencyError(
            f"backends not installed: {', '.join(missing) or 'none at all'}",
            hint="pip install 'keras-migrate[all]' (or the extra for each backend)",
        )
    if isinstance(inputs, str):
        arrays = load_inputs(model, inputs)
    elif inputs is None:
        arrays = make_inputs(model, batch_size=batch_size, seed=seed)
    else:
        arrays = list(inputs)
    reference = run_graph(model.graph, arrays, intermediates=True)
    ref_outputs = [reference[n] for n in model.graph.outputs]
    order = [o for node in model.graph.nodes for o in node.outputs]
    results = []
    with tempfile.TemporaryDirectory(prefix="keras-migrate-verify-") as work:
        inputs_npz = os.path.join(work, "inputs.npz")
        np.savez(inputs_npz, **{f"input_{i}": a for i, a in enumerate(arrays)})  # type: ignore[arg-type]
        for backend in wanted:
            raw = _run_backend(backend, converted, model, inputs_npz, work, timeout)
            br = BackendResult(backend, load_seconds=raw.get("load_seconds", 0.0), run_seconds=raw.get("run_seconds", 0.0))
            if not raw.get("ok"):
                br.error = str(raw.get("error", "unknown failure"))
                results.append(br)
                continue
            br.layers_error = raw.get("layers_error", "")
            with np.load(raw["arrays"]) as got:
                outs = [got[f"out:{i}"] for i in range(sum(1 for k in got.files if k.startswith("out:")))]
                if len(outs) != len(ref_outputs):
                    br.error = f"converted model has {len(outs)} outputs, the source has {len(ref_outputs)}"
                else:
                    br.outputs = [diff(r, o) for r, o in zip(ref_outputs, outs)]
                for name in order:
                    key = f"val:{name}"
                    if key in got.files and name in reference:
                        br.layers.append((name, diff(reference[name], got[key])))
            results.append(br)
    return VerifyReport(converted, results)
