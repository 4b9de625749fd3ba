"""The backends a verification can use, and running one: a worker process per backend.

Keras picks its backend once per process (``KERAS_BACKEND``), so each backend loads the
converted file in its own ``python -m keras_migrate.verification._worker`` process; the
request and the results travel as JSON and ``.npz`` files in a scratch directory.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from typing import Any

__all__ = ["ALL_BACKENDS", "ONNX_RUNTIME", "available_backends", "backends_for", "run_backend"]

#: Every backend a converted model can be verified on.
ALL_BACKENDS = ("jax", "torch", "tensorflow")
_PACKAGES = {"jax": "jax", "torch": "torch", "tensorflow": "tensorflow"}

#: The one runtime an ``.onnx`` output is verified on (Keras backends cannot load ONNX).
ONNX_RUNTIME = "onnxruntime"


def backends_for(converted: str, wanted: list[str] | None) -> list[str] | None:
    """The runtimes that can load ``converted``: onnxruntime for ``.onnx``, else ``wanted``
    (Keras backends; None means every installed one)."""
    return [ONNX_RUNTIME] if converted.endswith(".onnx") else wanted


def available_backends() -> list[str]:
    """Backends whose framework and Keras 3 are importable (checked without importing them)."""
    if importlib.util.find_spec("keras") is None:
        return []
    return [b for b in ALL_BACKENDS if importlib.util.find_spec(_PACKAGES[b]) is not None]


def run_backend(backend: str, request: dict[str, Any], work: str, timeout: float) -> dict[str, Any]:
    """Run one worker ``request`` (see :func:`~keras_migrate.verification.reference.backend_request`)
    on ``backend`` in a fresh process; the worker's result.

    The result holds ``ok``, ``error``, timings and ``arrays`` (the ``.npz`` of outputs).
    """
    from keras_migrate.verification.pool import worker_env

    req_path = os.path.join(work, f"{backend}.request.json")
    with open(req_path, "w") as fh:
        json.dump(request, fh)
    result_path = request["result"]
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "keras_migrate.verification._worker", req_path],
            env=worker_env(backend), capture_output=True, text=True, timeout=timeout, check=False,
        )
    except subprocess.TimeoutExpired:
        return {"ok": False, "error": f"timed out after {timeout:.0f}s"}
    if not os.path.exists(result_path):
        return {"ok": False, "error": f"worker crashed (exit {proc.returncode}): {proc.stderr[-1500:]}"}
    with open(result_path) as fh:
        result: dict[str, Any] = json.load(fh)
    result["arrays"] = request["output"]
    return result
