"""Orchestrate one ``upgrade`` run: discover, process in parallel, show, write, report."""

from __future__ import annotations

import argparse
import difflib
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from keras_migrate.codemods.discovery import iter_files
from keras_migrate.codemods.records import FileResult, Status
from keras_migrate.codemods.report import REPORT_SUFFIXES, summary_rows, write_report
from keras_migrate.codemods.runner import Options, default_jobs, run_files
from keras_migrate.codemods.source import atomic_write
from keras_migrate.errors import EXIT_MISMATCH, EXIT_OK, KerasMigrateError

__all__ = ["render_diff", "run_upgrade"]


def render_diff(result: FileResult) -> Iterable[str]:
    """Unified diff lines for one changed file (per cell for notebooks)."""
    for chunk in result.chunks:
        name = result.path if result.kind == "python" else f"{result.path}:cell[{chunk.index}]"
        for line in difflib.unified_diff(
            chunk.old.splitlines(keepends=True),
            chunk.new.splitlines(keepends=True),
            fromfile=f"a/{name}",
            tofile=f"b/{name}",
        ):
            yield line if line.endswith(("\n", "\r")) else line + "\n"


def _list_rules(out: TextIO) -> int:
    from keras_migrate.codemods.rules import all_rules

    for rule in all_rules():
        out.write(f"{rule.id:14} {rule.description}\n")
    return EXIT_OK


def _validate(args: argparse.Namespace) -> tuple[Options, int]:
    from keras_migrate.codemods.rules import select_rules

    if not args.paths:
        raise KerasMigrateError("no PATH given", hint="pass files or directories to upgrade")
    if args.jobs < 0:
        raise KerasMigrateError("--jobs must be 0 (one per core) or a positive number")
    if args.report and Path(args.report).suffix.lower() not in REPORT_SUFFIXES:
        raise KerasMigrateError("--report must end in .json or .md", path=args.report)
    rules = select_rules(args.select, args.ignore)
    if not rules:
        raise KerasMigrateError("--select/--ignore left no rule to run")
    options = Options(tuple(r.id for r in rules), check_names=not args.no_name_check)
    return options, args.jobs or default_jobs()


def run_upgrade(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Run ``keras-migrate upgrade`` and return the exit code."""
    out = out or sys.stdout
    if args.list_rules:
        return _list_rules(out)
    options, jobs = _validate(args)
    files = [str(p) for p in iter_files(args.paths, notebooks=not args.no_notebooks)]
    console = Console(stderr=True)
    results = _process(files, options, jobs, console)
    changed = [r for r in results if r.changed]
    for result in results:
        if result.status == Status.FAILED:
            console.print(f"[yellow]skipped[/] {result.path}: {result.error}", highlight=False, soft_wrap=True)
    if args.mode == "diff":
        for result in changed:
            out.writelines(render_diff(result))
    elif args.mode == "check":
        for result in changed:
            out.write(f"would rewrite {result.path}\n")
    else:
        for result in changed:
            assert result.new_bytes is not None
            atomic_write(Path(result.path), result.new_bytes)
            console.print(f"rewrote {result.path}", highlight=False, soft_wrap=True)
    _summary(console, results)
    if args.report:
        write_report(Path(args.report), results)
    if args.mode in ("diff", "check") and changed:
        return EXIT_MISMATCH
    return EXIT_OK


def _process(
    files: Sequence[str], options: Options, jobs: int, console: Console
) -> list[FileResult]:
    progress = Progress(
        TextColumn("upgrading"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )
    with progress:
        task = progress.add_task("files", total=len(files))
        return run_files(files, options, jobs=jobs, on_result=lambda _: progress.advance(task))


def _summary(console: Console, results: Sequence[FileResult]) -> None:
    table = Table(title="keras-migrate upgrade", show_header=True, header_style="bold")
    table.add_column("")
    table.add_column("count", justify="right")
    for label, value in summary_rows(results):
        table.add_row(label, str(value))
    console.print(table)
