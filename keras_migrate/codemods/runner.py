"""Process files, in parallel over cores, into :class:`FileResult` records.

Each worker builds the engine once (rules, rename tables, Keras index) and then handles
whole files, so the only data crossing processes are paths in and small records out.
"""

from __future__ import annotations

import gc
import multiprocessing
import multiprocessing.context
import os
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import lru_cache, partial
from pathlib import Path

from keras_migrate.codemods.engine import DocumentResult, Engine, InvalidRewriteError
from keras_migrate.codemods.notebook import dump_notebook, load_notebook, unmask
from keras_migrate.codemods.records import (
    Change,
    ChunkOutput,
    FileResult,
    Finding,
    FollowUp,
    Location,
    Status,
)
from keras_migrate.codemods.repository import Exports, collect_exports, module_name
from keras_migrate.codemods.source import decode_python

__all__ = ["Options", "default_jobs", "process_file", "run_files"]


@dataclass(frozen=True, slots=True)
class Options:
    """What to run: selected rule ids, and whether to post-check Keras names."""

    rules: tuple[str, ...]
    check_names: bool = True


@lru_cache(maxsize=4)
def _engine(options: Options) -> Engine:
    from keras_migrate.codemods.rules import all_rules

    every = all_rules()
    chosen = [rule for rule in every if rule.id in options.rules]
    return Engine(chosen, every, check_names=options.check_names)


def _records(
    path: str, result: DocumentResult, cells: Sequence[int] | None
) -> tuple[tuple[Change, ...], tuple[FollowUp, ...], tuple[Finding, ...]]:
    """Engine notes as records with file locations (cell numbers for notebooks)."""

    def loc(chunk: int, line: int) -> Location:
        return Location(path, line, None if cells is None else cells[chunk])

    changes = tuple(
        Change(n.note.rule, loc(n.chunk, n.line), n.note.message) for n in result.changes
    )
    follow_ups = tuple(
        FollowUp(n.note.rule, loc(n.chunk, n.line), n.note.message) for n in result.follow_ups
    )
    findings = tuple(
        Finding(f.kind, loc(chunk, f.location.line), f.name, f.covered)
        for chunk, f in result.findings
    )
    return changes, follow_ups, findings


def _failed(path: str, reason: str, kind: str = "python") -> FileResult:
    return FileResult(path=path, status=Status.FAILED, kind=kind, error=reason)


def _syntax_reason(exc: SyntaxError) -> str:
    where = f"line {exc.lineno}: " if exc.lineno else ""
    return f"cannot parse ({where}{exc.msg}); not upgraded"


def process_file(path: str, options: Options, exports: Exports | None = None) -> FileResult:
    """Upgrade one file in memory (nothing is written here); ``exports`` are the Keras
    names the run's other modules re-export (see :mod:`repository`)."""
    try:
        with open(path, "rb") as handle:  # Path(path).read_bytes(), without the Path
            data = handle.read()
    except OSError as exc:
        return _failed(path, f"cannot read: {exc.strerror or exc}")
    if b"keras" not in data and b"tensorflow" not in data and not (
        exports and exports.mentioned_in(data)
    ):
        return FileResult(path=path, status=Status.SKIPPED)
    if path.endswith(".ipynb"):
        return _process_notebook(path, data, options, exports)
    try:
        source = decode_python(data)
    except (SyntaxError, UnicodeDecodeError, LookupError) as exc:
        return _failed(path, f"cannot decode: {exc}")
    engine = _engine(options)
    try:
        result = engine.run(
            [source.text],
            exports=exports,
            module=module_name(path) if exports else None,
            # only read with ``exports`` (relative imports of the run's own modules)
            is_package=bool(exports) and Path(path).stem == "__init__",
        )
    except SyntaxError as exc:
        return _failed(path, _syntax_reason(exc))
    except (InvalidRewriteError, RecursionError) as exc:
        return _failed(path, f"internal error, file left unchanged: {exc}")
    new_text = result.texts[0]
    changes, follow_ups, findings = _records(path, result, None)
    changed = new_text != source.text
    return FileResult(
        path=path,
        status=Status.CHANGED if changed else Status.UNCHANGED,
        chunks=(ChunkOutput(0, source.text, new_text),) if changed else (),
        changes=changes,
        follow_ups=follow_ups,
        findings=findings,
        new_bytes=new_text.encode(source.encoding) if changed else None,
    )


def _process_notebook(
    path: str, data: bytes, options: Options, exports: Exports | None = None
) -> FileResult:
    kind = "notebook"
    try:
        text = data.decode("utf-8")
        cells = load_notebook(text)
    except (UnicodeDecodeError, ValueError, Exception) as exc:  # nbformat raises many types
        return _failed(path, f"cannot read notebook: {exc}", kind)
    if not cells.cells:
        return FileResult(path=path, status=Status.UNCHANGED, kind=kind)
    engine = _engine(options)
    indices = [index for index, _ in cells.cells]
    try:
        result = engine.run([masked for _, masked in cells.cells], exports=exports)
    except SyntaxError as exc:
        return _failed(path, f"a code cell {_syntax_reason(exc)}", kind)
    except (InvalidRewriteError, RecursionError) as exc:
        return _failed(path, f"internal error, notebook left unchanged: {exc}", kind)
    outputs = []
    notebook = cells.notebook
    for chunk, (index, masked) in enumerate(cells.cells):
        new = result.texts[chunk]
        if new != masked:
            old = notebook.cells[index].source
            notebook.cells[index].source = unmask(new)
            outputs.append(ChunkOutput(index, old, notebook.cells[index].source))
    changes, follow_ups, findings = _records(path, result, indices)
    if not outputs:
        return FileResult(
            path=path,
            status=Status.UNCHANGED,
            kind=kind,
            changes=changes,
            follow_ups=follow_ups,
            findings=findings,
        )
    try:
        new_text = dump_notebook(notebook, text)
    except Exception as exc:  # nbformat.ValidationError and friends
        return _failed(path, f"rewritten notebook would be invalid: {exc}", kind)
    return FileResult(
        path=path,
        status=Status.CHANGED,
        kind=kind,
        chunks=tuple(outputs),
        changes=changes,
        follow_ups=follow_ups,
        findings=findings,
        new_bytes=new_text.encode("utf-8"),
    )


def _warm(options: Options) -> None:
    """Build the engine and Keras index before forking so workers inherit them."""
    from keras_migrate.codemods.postcheck import keras_index

    _engine(options)
    if options.check_names:
        keras_index()


def run_files(
    paths: Sequence[str],
    options: Options,
    *,
    jobs: int,
    on_result: Callable[[FileResult], None] | None = None,
) -> list[FileResult]:
    """Process ``paths`` with ``jobs`` worker processes (in-process when 1)."""
    _warm(options)
    # libcst allocates millions of small objects that never form cycles worth collecting
    # mid-run; the cyclic GC scanning them costs ~20% of a run. Freeze what startup built
    # and collect rarely while files are processed.
    gc.freeze()
    thresholds = gc.get_threshold()
    gc.set_threshold(200_000, 50, 100)
    try:
        return _run(paths, options, jobs, on_result)
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def _run(
    paths: Sequence[str],
    options: Options,
    jobs: int,
    on_result: Callable[[FileResult], None] | None,
) -> list[FileResult]:
    exports = collect_exports(paths) if len(paths) > 1 else Exports()
    work = partial(process_file, options=options, exports=exports or None)
    results: list[FileResult] = []
    if jobs <= 1 or len(paths) < 2:
        for path in paths:
            result = work(path)
            results.append(result)
            if on_result:
                on_result(result)
        return results
    workers = min(jobs, len(paths))
    chunksize = max(1, len(paths) // (workers * 8))
    with ProcessPoolExecutor(max_workers=workers, mp_context=_mp_context()) as pool:
        for result in pool.map(work, paths, chunksize=chunksize):
            results.append(result)
            if on_result:
                on_result(result)
    return results


def _mp_context() -> multiprocessing.context.BaseContext:
    """``fork`` (workers inherit the warmed engine) unless a multithreaded framework is
    loaded in this process (e.g. when called from a notebook or a test session that
    imported JAX, TensorFlow or torch): forking those can deadlock, so start fresh workers.
    """
    threaded = any(sys.modules.get(m) is not None for m in ("jax", "tensorflow", "torch"))
    if threaded or "fork" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    return multiprocessing.get_context("fork")


def default_jobs() -> int:
    """One worker per available core."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
