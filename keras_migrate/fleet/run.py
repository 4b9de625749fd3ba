"""Run a batch: discover, shard, skip what is done, convert in parallel, verify on warm workers.

The parent process imports no framework. Conversions run in ``jobs`` spawned processes
(:func:`keras_migrate.fleet.task.convert_one`: read, write every kind, compute the numpy
reference). Each converted model then goes to one thread per backend, each feeding one
warm worker process (:class:`keras_migrate.verification.WorkerPool`), so the backends
verify different models at the same time and none restarts per model. A model's entry is
saved to the resume state when all its backends are judged.

One bad model never stops the batch: a conversion error, a crashing conversion process,
a crashing or hanging backend worker all become that model's entry.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import queue
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from keras_migrate.fleet.discover import ModelSource, discover
from keras_migrate.fleet.shard import in_shard
from keras_migrate.fleet.state import StateStore, content_hash, state_key
from keras_migrate.fleet.task import OUTPUT_SUFFIXES, convert_one

__all__ = ["BatchOptions", "run_batch"]


@dataclass(frozen=True, slots=True)
class BatchOptions:
    """What a batch does; ``key_options`` (what shapes the outputs) goes into the resume key."""

    paths: tuple[str, ...]
    outdir: str
    to: tuple[str, ...] = ("keras",)
    verify: bool = False
    backends: tuple[str, ...] = ()
    jobs: int = 2
    resume: bool = False
    shard: tuple[int, int] | None = None
    data_format: str = "internal"
    opset: int | None = None
    seed: int = 0
    batch_size: int = 2
    timeout: float = 900.0
    worker_memory: int = 6 << 30
    #: Warm workers per backend: one count for all, or ``{backend: count}`` (missing: 1).
    verify_workers: int | Mapping[str, int] = 1
    #: The user's code (``--custom-objects``, ``--lambda``), loaded by every task.
    custom_objects: tuple[str, ...] = ()
    lambdas: tuple[str, ...] = ()

    def key_options(self) -> dict[str, Any]:
        return {
            "to": list(self.to), "verify": self.verify, "backends": list(self.backends),
            "data_format": self.data_format, "opset": self.opset, "seed": self.seed, "batch_size": self.batch_size,
            **({"custom_objects": list(self.custom_objects), "lambdas": list(self.lambdas)}
               if self.custom_objects or self.lambdas else {}),
        }  # fmt: skip


#: Called as each model finishes: (entry, done so far, total).
Progress = Callable[[Mapping[str, Any], int, int], None]


def _skipped_entry(model_id: str, reason: str) -> dict[str, Any]:
    from keras_migrate.reports.data import model_entry

    entry = model_entry(model_id, source=[model_id], status="skipped")
    entry["error"] = reason
    return entry


def run_batch(options: BatchOptions, progress: Progress | None = None) -> dict[str, Any]:
    """Run the batch and return its report (see :mod:`keras_migrate.reports.data`)."""
    from keras_migrate.reports.data import run_report

    unknown = [k for k in options.to if k not in OUTPUT_SUFFIXES]
    if unknown:
        from keras_migrate.errors import KerasMigrateError

        raise KerasMigrateError(f"unknown output kinds {unknown}", hint=f"--to takes {', '.join(OUTPUT_SUFFIXES)}")
    backends: list[str] = []
    if options.verify:
        from keras_migrate.verification import check_backends

        backends = check_backends(list(options.backends) or None)
    found = discover(list(options.paths))
    models = list(found.models)
    skipped = list(found.skipped)
    if options.shard is not None:
        k, n = options.shard
        models = [m for m in models if in_shard(m.id, k, n)]
        skipped = [s for s in skipped if in_shard(s[0], k, n)]
    key_opts = {**options.key_options(), "backends": backends}
    os.makedirs(options.outdir, exist_ok=True)
    store = StateStore(options.outdir)
    entries: dict[str, dict[str, Any]] = {s[0]: _skipped_entry(*s) for s in skipped}
    total = len(models) + len(skipped)
    done = [len(entries)]
    lock = threading.Lock()

    def finish(entry: dict[str, Any], key: str | None) -> None:
        with lock:
            entries[entry["id"]] = entry
            if key is not None:
                store.put(entry["id"], key, entry)
            done[0] += 1
            if progress is not None:
                progress(entry, done[0], total)

    todo: list[tuple[ModelSource, str]] = []
    for m in models:
        key = state_key(content_hash(m.files), key_opts)
        saved = store.get(m.id, key) if options.resume else None
        if saved is not None:
            saved["resumed"] = True
            finish(saved, None)
        else:
            todo.append((m, key))
    t0 = time.perf_counter()
    stats: dict[str, Any] = {}
    scratch = tempfile.mkdtemp(prefix="keras-migrate-batch-")
    try:
        stats = _convert_and_verify(todo, options, backends, scratch, found.root, finish)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    stats["seconds"] = round(time.perf_counter() - t0, 3)
    shard = f"{options.shard[0]}/{options.shard[1]}" if options.shard else None
    return run_report(
        entries.values(), options=key_opts, backends=backends, shard=shard, workers=stats, root=found.root, outdir=options.outdir
    )


def _convert_and_verify(
    todo: list[tuple[ModelSource, str]],
    options: BatchOptions,
    backends: list[str],
    scratch: str,
    root: str,
    finish: Callable[[dict[str, Any], str | None], None],
) -> dict[str, Any]:
    """Convert ``todo`` in processes; verify each converted model on every backend's warm worker."""
    from keras_migrate.verification import WorkerPool

    task_opts = {**options.key_options(), "to": list(options.to)}
    pool = WorkerPool(backends, per_backend=options.verify_workers, memory_limit=options.worker_memory, timeout=options.timeout)
    slots = {b: len(pool.workers[b]) for b in backends}
    pending: dict[str, dict[str, Any]] = {}  # model id -> {"entry", "key", "reference", "results": {backend: BackendResult}}
    queues: dict[str, queue.Queue[Any]] = {b: queue.Queue() for b in backends}
    pending_lock = threading.Lock()

    def judged(model_id: str, backend: str, result: Any) -> None:
        with pending_lock:
            item = pending[model_id]
            item["results"][backend] = result
            if len(item["results"]) < len(backends):
                return
            del pending[model_id]
        _finish_verified(item, backends, finish)

    def backend_loop(backend: str, slot: int) -> None:
        from keras_migrate.verification import backend_request, judge

        while True:
            job = queues[backend].get()
            if job is None:
                return
            model_id, ver, reference = job
            request = backend_request(
                ver["converted"], ver["input_names"], ver["input_structure"], ver["inputs"],
                os.path.join(ver["work"], f"{backend}.npz"), os.path.join(ver["work"], f"{backend}.json"),
                custom_objects=[*options.custom_objects, *(spec.split("=", 1)[-1].rpartition(":")[0] for spec in options.lambdas)],
            )  # fmt: skip
            raw = pool.run(backend, request, slot)
            try:
                result = judge(backend, raw, reference)
            except Exception as exc:  # unreadable arrays: this model's backend result, not the batch's end
                from keras_migrate.verification import BackendResult

                result = BackendResult(backend, error=f"could not judge the outputs: {type(exc).__name__}: {exc}")
            judged(model_id, backend, result)

    threads = [threading.Thread(target=backend_loop, args=(b, i), daemon=True) for b in backends for i in range(slots[b])]
    for t in threads:
        t.start()

    def converted(source: ModelSource, key: str, result: Mapping[str, Any]) -> None:
        entry = dict(result["entry"])
        ver = result.get("verify")
        if not backends or entry["status"] == "error":
            finish(entry, key)
            return
        if ver is None or "error" in ver:
            entry["verify"] = {b: _error_result(b, (ver or {}).get("error", "not verified")) for b in backends}
            entry["status"] = "mismatch"
            finish(entry, key)
            return
        from keras_migrate.verification import Reference

        try:  # once per model, not once per backend
            reference = Reference.load(ver["reference"])
        except Exception as exc:  # an unreadable reference: this model's verdict, not the batch's end
            message = f"could not judge the outputs: {type(exc).__name__}: {exc}"
            entry["verify"] = {b: _error_result(b, message) for b in backends}
            entry["status"] = "mismatch"
            finish(entry, key)
            return
        with pending_lock:
            pending[source.id] = {"entry": entry, "key": key, "results": {}, "reference": reference}
        for b in backends:
            queues[b].put((source.id, ver, reference))

    try:
        _convert_all(todo, options, scratch, root, task_opts, converted, finish)
    finally:
        for b in backends:
            for _ in range(slots[b]):
                queues[b].put(None)
        for t in threads:
            t.join()
        pool.close()
    return {"jobs": options.jobs, "backends": pool.stats()}


def _error_result(backend: str, error: str) -> dict[str, Any]:
    return {"ok": False, "error": error, "max_abs": None, "first_divergence": None, "layers": [], "layers_error": None,
            "load_seconds": 0.0, "run_seconds": 0.0}  # fmt: skip


def _finish_verified(item: Mapping[str, Any], backends: list[str], finish: Callable[[dict[str, Any], str | None], None]) -> None:
    from keras_migrate.reports.data import verification_entry
    from keras_migrate.verification import VerifyReport

    entry = dict(item["entry"])
    tolerance = item["reference"].tolerance  # the compute dtype's, as the verdicts used
    report = VerifyReport(
        entry["outputs"][0]["path"] if entry["outputs"] else "", tuple(item["results"][b] for b in backends),
        rtol=tolerance.rtol, atol=tolerance.atol,
    )
    entry["verify"] = verification_entry(report)
    entry["verify_seconds"] = round(sum(r.load_seconds + r.run_seconds for r in report.backends), 3)
    entry["status"] = "ok" if report.ok else "mismatch"
    finish(entry, item["key"])


def _convert_all(
    todo: list[tuple[ModelSource, str]],
    options: BatchOptions,
    scratch: str,
    root: str,
    task_opts: Mapping[str, Any],
    converted: Callable[[ModelSource, str, Mapping[str, Any]], None],
    finish: Callable[[dict[str, Any], str | None], None],
) -> None:
    """Convert in ``options.jobs`` spawned processes. A process that dies (a native crash)
    breaks the pool; its models are retried one at a time, each in a fresh process, so the
    model that crashes is named and the rest are converted."""
    ctx = multiprocessing.get_context("spawn")
    retry: list[tuple[ModelSource, str]] = []
    with cf.ProcessPoolExecutor(max_workers=max(1, options.jobs), mp_context=ctx) as ex:
        futures = {ex.submit(convert_one, m, options.outdir, scratch, task_opts, root): (m, key) for m, key in todo}
        for fut in cf.as_completed(futures):
            m, key = futures[fut]
            try:
                result = fut.result()
            except cf.process.BrokenProcessPool:
                retry.append((m, key))
                continue
            except Exception as exc:  # the task could not even be sent or returned
                result = {"entry": {**_skipped_entry(m.id, ""), "status": "error", "error": f"internal error: {type(exc).__name__}: {exc}"}}
            converted(m, key, result)
    for m, key in retry:
        with cf.ProcessPoolExecutor(max_workers=1, mp_context=ctx) as ex:
            try:
                converted(m, key, ex.submit(convert_one, m, options.outdir, scratch, task_opts, root).result())
            except cf.process.BrokenProcessPool:
                entry = _skipped_entry(m.id, "")
                entry.update(status="error", error=f"keras-migrate: error: {m.path}: the conversion process crashed on this model "
                             "(a native library failed on the file: it is corrupt or damaged)")  # fmt: skip
                entry["source"] = [os.path.relpath(f, root).replace(os.sep, "/") for f in m.files]
                finish(entry, key)
