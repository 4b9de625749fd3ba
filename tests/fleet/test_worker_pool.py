"""Warm backend workers: many models in one process, a crash or a hang reported and survived,
memory bounded by replacing the process. Uses the torch backend (the quickest to start)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from keras_migrate.verification import BackendWorker, available_backends, backend_request

pytestmark = pytest.mark.skipif("torch" not in available_backends(), reason="needs keras and torch")

#: An emitted-module stand-in (the worker runs ``load_model()`` of a ``.py`` output).
_GOOD = """
import keras
def load_model():
    x = keras.Input((3,), name="x")
    return keras.Model(x, keras.layers.Dense(2, kernel_initializer="ones", name="d")(x))
"""
_HANG = """
import time
def load_model():
    time.sleep(600)
"""
_CRASH = """
import os, signal
def load_model():
    os.kill(os.getpid(), signal.SIGSEGV)
"""


def _request(tmp_path: Path, name: str, source: str) -> dict:
    module = tmp_path / f"{name}.py"
    module.write_text(source)
    inputs = tmp_path / "inputs.npz"
    np.savez(inputs, input_0=np.ones((2, 3), np.float32))
    return backend_request(str(module), ["x"], "x", str(inputs), str(tmp_path / f"{name}.npz"), str(tmp_path / f"{name}.json"))


def test_warm_worker_serves_survives_a_crash_and_recycles(tmp_path: Path) -> None:
    worker = BackendWorker("torch", timeout=300)
    try:
        first = worker.run(_request(tmp_path, "good1", _GOOD))
        second = worker.run(_request(tmp_path, "good2", _GOOD))
        assert first["ok"] and second["ok"], (first, second)
        assert worker.starts == 1  # one process served both models
        with np.load(second["arrays"]) as got:
            np.testing.assert_allclose(got["out:0"], np.full((2, 2), 3.0))
        crashed = worker.run(_request(tmp_path, "crash", _CRASH))
        assert not crashed["ok"]
        assert "crashed on this model" in crashed["error"] and "SIGSEGV" in crashed["error"]
        assert worker.crashes == 1
        after = worker.run(_request(tmp_path, "good3", _GOOD))
        assert after["ok"] and worker.starts == 2  # restarted for the next model
        worker.timeout = 3
        hung = worker.run(_request(tmp_path, "hang", _HANG))
        assert not hung["ok"] and "timed out" in hung["error"] and worker.proc is None
        worker.timeout = 300
        worker.memory_limit = 1  # every model now exceeds the bound: the process is replaced
        assert worker.run(_request(tmp_path, "good4", _GOOD))["ok"]
        assert worker.recycled == 1 and worker.proc is None and worker.starts == 3  # after the crash, after the hang
        assert worker.peak_rss > 0
    finally:
        worker.close()
