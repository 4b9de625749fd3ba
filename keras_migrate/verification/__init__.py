"""Verification: prove a converted model computes what the legacy model did.

The reference is the IR's numpy interpreter run on the *source* model; each requested
backend loads the *converted* file in its own process (:mod:`.backends`) and runs the same
inputs (:mod:`.inputs`). Outputs decide the verdict (:mod:`.compare`: :data:`RTOL`,
:data:`ATOL`; for float16/bfloat16 compute a tolerance derived from the compute dtype,
:mod:`.tolerance`); per-layer values (where Keras exposes them) show where divergence starts.
The results are the records of :mod:`.report`.

Most callers want :func:`keras_migrate.verify`, which also reads the source file;
:func:`verify_model` is the step below it, for a model already in the IR.
"""

from __future__ import annotations

import os
import tempfile

import numpy as np

from keras_migrate.errors import KerasMigrateError, MissingDependencyError
from keras_migrate.ir.graph import Model
from keras_migrate.verification.backends import ALL_BACKENDS, available_backends, run_backend
from keras_migrate.verification.compare import ATOL, RTOL, Diff, diff
from keras_migrate.verification.inputs import load_inputs, make_inputs
from keras_migrate.verification.report import BackendResult, VerifyReport
from keras_migrate.verification.tolerance import Tolerance, model_tolerance, tolerance_for

__all__ = [
    "ALL_BACKENDS",
    "ATOL",
    "RTOL",
    "BackendResult",
    "Diff",
    "Tolerance",
    "VerifyReport",
    "available_backends",
    "diff",
    "load_inputs",
    "make_inputs",
    "model_tolerance",
    "tolerance_for",
    "verify_model",
]


def _backends(backends: list[str] | None) -> list[str]:
    """The backends to run, refusing unknown or uninstalled ones before any work."""
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
    return wanted


def verify_model(
    model: Model,
    converted: str,
    *,
    backends: list[str] | None = None,
    inputs: str | list[np.ndarray] | None = None,
    batch_size: int = 2,
    seed: int = 0,
    timeout: float = 900.0,
    layers_reference: Model | None = None,
) -> VerifyReport:
    """Compare the numpy interpretation of ``model`` with ``converted`` on each backend.

    ``inputs``: an ``.npz`` path, the arrays themselves (flat input order), or None for
    random inputs (``batch_size``, ``seed``). ``layers_reference``: the IR that was written
    to ``converted`` when it is not ``model`` itself (``model`` after the layout pass): its
    inputs and outputs are ``model``'s, but its layer values have the converted file's names
    and layouts, so per-layer diffs are taken against it while outputs are judged against
    ``model``.
    """
    from keras_migrate.ir.interpreter import run_graph

    if not os.path.exists(converted):
        raise KerasMigrateError("converted model not found", path=converted)
    wanted = _backends(backends)
    if isinstance(inputs, str):
        arrays = load_inputs(model, inputs)
    elif inputs is None:
        arrays = make_inputs(model, batch_size=batch_size, seed=seed)
    else:
        arrays = list(inputs)
    reference = run_graph(model.graph, arrays, intermediates=True)
    ref_outputs = [reference[n] for n in model.graph.outputs]
    layered = model if layers_reference is None else layers_reference
    if layered is not model:
        reference = run_graph(layered.graph, arrays, intermediates=True)
    order = [o for node in layered.graph.nodes for o in node.outputs]
    tol = model_tolerance(model)
    results = []
    with tempfile.TemporaryDirectory(prefix="keras-migrate-verify-") as work:
        inputs_npz = os.path.join(work, "inputs.npz")
        np.savez(inputs_npz, **{f"input_{i}": a for i, a in enumerate(arrays)})  # type: ignore[arg-type]
        for backend in wanted:
            raw = run_backend(backend, converted, model, inputs_npz, work, timeout)
            timing = {"load_seconds": raw.get("load_seconds", 0.0), "run_seconds": raw.get("run_seconds", 0.0)}
            if not raw.get("ok"):
                results.append(BackendResult(backend, error=str(raw.get("error", "unknown failure")), **timing))
                continue
            error = ""
            outputs: list[Diff] = []
            layers: list[tuple[str, Diff]] = []
            with np.load(raw["arrays"]) as got:
                outs = [got[f"out:{i}"] for i in range(sum(1 for k in got.files if k.startswith("out:")))]
                if len(outs) != len(ref_outputs):
                    error = f"converted model has {len(outs)} outputs, the source has {len(ref_outputs)}"
                else:
                    outputs = [diff(r, o, rtol=tol.rtol, atol=tol.atol) for r, o in zip(ref_outputs, outs)]
                for name in order:
                    key = f"val:{name}"
                    if key in got.files and name in reference:
                        layers.append((name, diff(reference[name], got[key], rtol=tol.rtol, atol=tol.atol)))
            results.append(
                BackendResult(
                    backend, tuple(outputs), tuple(layers), error=error,
                    layers_error=raw.get("layers_error", ""), **timing,
                )
            )  # fmt: skip
    return VerifyReport(converted, tuple(results), rtol=tol.rtol, atol=tol.atol)
