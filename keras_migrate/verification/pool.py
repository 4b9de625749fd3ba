"""Warm verification workers: one long-lived process per backend, serving many models.

Starting a backend process costs seconds (importing TensorFlow, JAX or torch and Keras)
and a one-model ``verify`` pays it for every backend. A batch instead keeps one
``python -m keras_migrate.verification._worker --serve`` per backend and sends it one
request line per model. Three things keep a long batch healthy:

* memory: the worker drops compiled-function caches past a budget by itself; if its
  resident size still exceeds ``memory_limit`` after a model, it is stopped and the next
  model starts a fresh one;
* crashes: a worker that dies inside a model (a segfault in a kernel, the out-of-memory
  killer) makes that model's result an error naming the crash; the next model starts a
  fresh worker, so one bad model never stops the batch;
* hangs: a model that takes longer than ``timeout`` is killed the same way.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from types import TracebackType
from typing import IO, Any

__all__ = ["DEFAULT_MEMORY_LIMIT", "BackendWorker", "WorkerPool", "worker_env"]

#: Resident bytes past which a warm worker is replaced after its current model.
DEFAULT_MEMORY_LIMIT = 6 << 30


def worker_env(backend: str) -> dict[str, str]:
    """The environment a backend worker runs in (its backend, quiet logs, no GPU probing)."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONWARNINGS": "ignore"}
    if backend != "onnxruntime":  # onnxruntime runs no Keras
        env["KERAS_BACKEND"] = backend
    env.setdefault("CUDA_VISIBLE_DEVICES", "")
    return env


class BackendWorker:
    """One warm worker process for ``backend``; :meth:`run` sends it one request.

    Not thread-safe: one caller at a time (a batch gives each backend its own thread).
    """

    def __init__(self, backend: str, *, memory_limit: int = DEFAULT_MEMORY_LIMIT, timeout: float = 900.0) -> None:
        self.backend = backend
        self.memory_limit = memory_limit
        self.timeout = timeout
        self.proc: subprocess.Popen[str] | None = None
        self.log: IO[str] | None = None
        #: How many processes were started, and how many ended by crash, timeout or memory.
        self.starts = 0
        self.crashes = 0
        self.recycled = 0
        self.peak_rss = 0
        self._ids = itertools.count()
        self._timed_out = False

    def _start(self) -> subprocess.Popen[str]:
        self.log = tempfile.TemporaryFile("w+", prefix=f"keras-migrate-{self.backend}-")  # noqa: SIM115  -- lives as long as the worker
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "keras_migrate.verification._worker", "--serve"],
            env=worker_env(self.backend), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self.log, text=True, bufsize=1,
        )  # fmt: skip
        self.starts += 1
        return self.proc

    def _log_tail(self) -> str:
        if self.log is None:
            return ""
        with contextlib.suppress(OSError, ValueError):
            self.log.seek(0)
            return self.log.read()[-1500:].strip()
        return ""

    def _stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None:
            with contextlib.suppress(OSError):
                proc.stdin.close()  # type: ignore[union-attr]
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            with contextlib.suppress(OSError):
                proc.stdout.close()  # type: ignore[union-attr]
        if self.log is not None:
            self.log.close()
            self.log = None

    def _kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._stop()

    def run(self, request: dict[str, Any]) -> dict[str, Any]:
        """Run one request (``model``, ``inputs``, ``output``, ``result``, ...); the worker's result.

        Never raises for the model's sake: a crash, a hang or a failed start becomes
        ``{"ok": False, "error": ...}`` and the next call starts a fresh worker.
        """
        proc = self.proc if self.proc is not None and self.proc.poll() is None else self._start()
        req = {**request, "id": next(self._ids)}
        with contextlib.suppress(OSError):
            os.unlink(req["result"])
        try:
            proc.stdin.write(json.dumps(req) + "\n")  # type: ignore[union-attr]
            proc.stdin.flush()  # type: ignore[union-attr]
        except OSError:
            pass  # died already: reported below
        line = self._read_line(proc, time.monotonic() + self.timeout)
        if line is None:
            return self._failed(proc)
        try:
            answer = json.loads(line)
        except json.JSONDecodeError:
            self._kill()
            self.crashes += 1
            return {"ok": False, "error": f"{self.backend} worker broke its protocol: {line[:200]!r}"}
        rss = int(answer.get("rss") or 0)
        self.peak_rss = max(self.peak_rss, rss)
        if not os.path.exists(req["result"]):
            result: dict[str, Any] = {"ok": False, "error": f"{self.backend} worker wrote no result"}
        else:
            with open(req["result"]) as fh:
                result = json.load(fh)
            result["arrays"] = req["output"]
        if rss > self.memory_limit:
            self.recycled += 1
            self._stop()
        return result

    def _read_line(self, proc: subprocess.Popen[str], deadline: float) -> str | None:
        out = proc.stdout
        assert out is not None
        self._timed_out = False
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self._timed_out = True
                return None
            ready, _, _ = select.select([out], [], [], min(left, 1.0))
            if ready:
                line = out.readline()
                return line or None  # "" = end of file: the worker died
            if proc.poll() is not None:
                return None

    def _failed(self, proc: subprocess.Popen[str]) -> dict[str, Any]:
        """The current model ended the worker (or hung): report it, leave the worker stopped."""
        self.crashes += 1
        code = proc.poll()
        if code is None and not self._timed_out:
            with contextlib.suppress(subprocess.TimeoutExpired):  # its output closed: it is exiting
                code = proc.wait(timeout=30)
        if code is None:
            self._kill()
            return {"ok": False, "error": f"{self.backend} worker timed out after {self.timeout:.0f}s on this model; it was restarted"}
        tail = self._log_tail()
        self._stop()
        if code < 0:
            with contextlib.suppress(ValueError):
                how = f"was killed by {signal.Signals(-code).name}"
        else:
            how = f"exited with code {code}"
        return {
            "ok": False,
            "error": f"{self.backend} worker crashed on this model ({how}); it was restarted"
            + (f": {tail.splitlines()[-1]}" if tail else ""),
        }

    def close(self) -> None:
        self._stop()


class WorkerPool:
    """``per_backend`` :class:`BackendWorker` slots per backend (one count, or one per backend),
    each with a lock (a context manager).

    One slot per backend is the memory-lean default; more let a slow backend verify several
    models at once (a machine with cores to spare).
    """

    def __init__(
        self,
        backends: list[str],
        *,
        per_backend: int | Mapping[str, int] = 1,
        memory_limit: int = DEFAULT_MEMORY_LIMIT,
        timeout: float = 900.0,
    ) -> None:
        counts = {b: max(1, per_backend if isinstance(per_backend, int) else per_backend.get(b, 1)) for b in backends}
        self.workers = {b: [BackendWorker(b, memory_limit=memory_limit, timeout=timeout) for _ in range(n)] for b, n in counts.items()}
        self.locks = {b: [threading.Lock() for _ in range(n)] for b, n in counts.items()}

    def run(self, backend: str, request: dict[str, Any], slot: int = 0) -> dict[str, Any]:
        with self.locks[backend][slot]:
            return self.workers[backend][slot].run(request)

    def stats(self) -> dict[str, dict[str, int]]:
        """Per backend: worker slots, processes started, crashes (and timeouts), memory recycles, peak RSS."""
        return {
            b: {
                "slots": len(ws),
                "starts": sum(w.starts for w in ws),
                "crashes": sum(w.crashes for w in ws),
                "recycled": sum(w.recycled for w in ws),
                "peak_rss": max(w.peak_rss for w in ws),
            }
            for b, ws in self.workers.items()
        }

    def close(self) -> None:
        for ws in self.workers.values():
            for w in ws:
                w.close()

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()
