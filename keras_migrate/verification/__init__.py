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
from keras_migrate.ir.passes.layout import IOLayout
from keras_migrate.ir.user_code import reference_notes
from keras_migrate.verification.backends import (
    ALL_BACKENDS,
    ONNX_RUNTIME,
    available_backends,
    backends_for,
    run_backend,
)
from keras_migrate.verification.compare import ATOL, RTOL, Diff, diff
from keras_migrate.verification.inputs import load_inputs, make_inputs
from keras_migrate.verification.pool import BackendWorker, WorkerPool
from keras_migrate.verification.reference import (
    Reference,
    backend_request,
    compute_reference,
    judge,
    relayout_inputs,
)
from keras_migrate.verification.report import BackendResult, VerifyReport
from keras_migrate.verification.tolerance import Tolerance, model_tolerance, tolerance_for

__all__ = [
    "ALL_BACKENDS",
    "ATOL",
    "RTOL",
    "BackendResult",
    "BackendWorker",
    "Diff",
    "Reference",
    "Tolerance",
    "VerifyReport",
    "WorkerPool",
    "available_backends",
    "backend_request",
    "check_backends",
    "compute_reference",
    "diff",
    "judge",
    "load_inputs",
    "make_inputs",
    "model_tolerance",
    "tolerance_for",
    "verify_model",
]


def check_backends(backends: list[str] | None) -> list[str]:
    """The backends to run, refusing unknown or uninstalled ones before any work."""
    if backends == [ONNX_RUNTIME]:
        import importlib.util

        if importlib.util.find_spec("onnxruntime") is None:
            raise MissingDependencyError("verifying an .onnx output needs onnxruntime", hint="pip install onnxruntime")
        return [ONNX_RUNTIME]
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
    workers: WorkerPool | None = None,
    io_layout: IOLayout | None = None,
) -> VerifyReport:
    """Compare the numpy interpretation of ``model`` with ``converted`` on each backend.

    ``inputs``: an ``.npz`` path, the arrays themselves (flat input order), or None for
    random inputs (``batch_size``, ``seed``). ``layers_reference``: the IR that was written
    to ``converted`` when it is not ``model`` itself (``model`` after the layout pass): its
    inputs and outputs are ``model``'s, but its layer values have the converted file's names
    and layouts, so per-layer diffs are taken against it while outputs are judged against
    ``model``. ``workers``: warm backend workers to reuse (a batch); by default each backend
    runs in a process of its own. ``io_layout``: how ``--channels-last`` re-laid out the
    written model's inputs and outputs (:func:`keras_migrate.ir.passes.layout.channels_last_io`);
    the backends get the source's inputs re-laid out and are judged against the source's outputs.
    """
    if not os.path.exists(converted):
        raise KerasMigrateError("converted model not found", path=converted)
    wanted = check_backends(backends_for(converted, backends))
    if isinstance(inputs, str):
        arrays = load_inputs(model, inputs)
    elif inputs is None:
        arrays = make_inputs(model, batch_size=batch_size, seed=seed)
    else:
        arrays = list(inputs)
    reference = compute_reference(model, arrays, layers_reference, io_layout)
    arrays = relayout_inputs(model, arrays, io_layout)
    results = []
    with tempfile.TemporaryDirectory(prefix="keras-migrate-verify-") as work:
        inputs_npz = os.path.join(work, "inputs.npz")
        np.savez(inputs_npz, **{f"input_{i}": a for i, a in enumerate(arrays)})  # type: ignore[arg-type]
        for backend in wanted:
            request = backend_request(
                converted, list(model.graph.inputs), model.graph.input_structure, inputs_npz,
                os.path.join(work, f"{backend}.npz"), os.path.join(work, f"{backend}.json"),
                custom_objects=sorted({o.origin for o in model.user_code}),
            )  # fmt: skip
            raw = workers.run(backend, request) if workers is not None else run_backend(backend, request, work, timeout)
            results.append(judge(backend, raw, reference))
    return VerifyReport(converted, tuple(results), rtol=reference.tolerance.rtol, atol=reference.tolerance.atol,
                        notes=tuple(reference_notes(model)))  # fmt: skip
