"""`keras-migrate convert PATH... -o OUTDIR`: batch mode (argument handling and printing only).

The work is :func:`keras_migrate.fleet.run.run_batch`; this module turns the arguments into
:class:`~keras_migrate.fleet.run.BatchOptions`, shows a progress bar, writes the reports,
prints the closing summary table, and returns the exit code of the worst result.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from typing import Any

from keras_migrate.cli._common import stderr_console

__all__ = ["is_batch", "run_batch_cli"]


def is_batch(args: argparse.Namespace) -> bool:
    """Batch mode: several paths, a directory that is not a SavedModel, or a batch option."""
    if args.more or args.to or args.jobs or args.resume or args.shard or args.report or args.worker_memory or args.verify_workers:
        return True
    from keras_migrate.formats import is_savedmodel_dir

    return os.path.isdir(args.model) and not is_savedmodel_dir(args.model)


def _refuse_single_model_options(args: argparse.Namespace) -> None:
    from keras_migrate.errors import KerasMigrateError

    given = [f"--{n.replace('_', '-')}" for n in ("weights", "vocabulary", "source_backend", "bn_running_std", "dim_ordering") if getattr(args, n, None)]
    if given:
        raise KerasMigrateError(
            f"{', '.join(given)} apply to one model; a batch finds weights by naming convention",
            hint="convert that model on its own, or name its weights X_weights.h5 beside X.json",
        )


def run_batch_cli(args: argparse.Namespace) -> int:
    from keras_migrate.errors import KerasMigrateError
    from keras_migrate.fleet.run import BatchOptions, run_batch
    from keras_migrate.fleet.shard import parse_shard
    from keras_migrate.reports.data import exit_code
    from keras_migrate.reports.files import write_report

    _refuse_single_model_options(args)
    if os.path.isfile(args.output) or os.path.splitext(args.output)[1] in (".keras", ".onnx", ".py", ".kmir", ".h5"):
        raise KerasMigrateError("batch mode writes into a directory", path=args.output, hint="pass -o OUTDIR")
    try:
        shard = parse_shard(args.shard) if args.shard else None
    except ValueError as exc:
        raise KerasMigrateError(str(exc), hint="e.g. --shard 1/4 ... --shard 4/4") from None
    for report in args.report or []:
        if not report.endswith((".json", ".html", ".htm", ".md")):
            raise KerasMigrateError("unknown report kind", path=report, hint="name it .json, .html or .md")
    to = tuple(t.strip() for t in (args.to or "keras").split(",") if t.strip())
    if args.verify and not any(t in ("keras", "py") for t in to):
        raise KerasMigrateError("--verify runs the .keras (or .py) output", hint="add keras to --to")
    options = BatchOptions(
        paths=(args.model, *args.more), outdir=args.output, to=to, verify=args.verify,
        backends=tuple(args.backends.split(",")) if args.backends else (), jobs=args.jobs or min(os.cpu_count() or 2, 4),
        resume=args.resume, shard=shard,
        data_format="keep" if args.keep_data_format else ("channels_last" if args.channels_last else "internal"),
        opset=args.opset, verify_workers=args.verify_workers or 1,
        custom_objects=tuple(args.custom_objects or ()), lambdas=tuple(args.lambdas or ()),
        **({"worker_memory": args.worker_memory} if args.worker_memory else {}),
    )  # fmt: skip
    console = stderr_console()
    bar = _Bar(console)
    try:
        report = run_batch(options, bar)
    finally:
        bar.stop()
    for path in args.report or []:
        write_report(report, path)
    if args.json:
        from keras_migrate.cli._common import print_json

        print_json(report)
    else:
        _summary(report, console)
        for path in args.report or []:
            console.print(f"wrote {path}", soft_wrap=True)
    return exit_code(report)


class _Bar:
    """The progress bar (a terminal only), and one line per model that is not ok."""

    def __init__(self, console: Any) -> None:
        self.console = console
        self.progress: Any = None
        self.task: Any = None

    def __call__(self, entry: Mapping[str, Any], done: int, total: int) -> None:
        if self.progress is None and self.console.is_terminal:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            self.progress = Progress(TextColumn("converting"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                                     TextColumn("{task.description}"), console=self.console)  # fmt: skip
            self.progress.start()
            self.task = self.progress.add_task("", total=total)
        if entry["status"] in ("error", "mismatch") and not entry.get("resumed"):  # resumed: in the summary
            self.console.print(f"[red]{entry['status']}[/red] {entry['id']}: {(entry.get('error') or _why(entry))[:300]}",
                               soft_wrap=True, markup=True, highlight=False)  # fmt: skip
        if self.progress is not None:
            self.progress.update(self.task, completed=done, description=entry["id"][-60:])

    def stop(self) -> None:
        if self.progress is not None:
            self.progress.stop()


def _why(entry: Mapping[str, Any]) -> str:
    bad = []
    for backend, r in (entry.get("verify") or {}).items():
        if r.get("error"):
            bad.append(f"{backend}: {r['error']}")
        elif not r.get("ok"):
            bad.append(f"{backend}: max abs diff {r.get('max_abs')}, first at {r.get('first_divergence') or '(outputs only)'}")
    return "; ".join(bad)


def _summary(report: Mapping[str, Any], console: Any) -> None:
    """The closing table: per source generation, how many models ended in each status."""
    from rich.table import Table

    statuses = ("ok", "mismatch", "error", "skipped")
    rows: dict[str, dict[str, int]] = {}
    for m in report["models"]:
        group = m.get("generation") or "(unread)"
        rows.setdefault(group, dict.fromkeys(statuses, 0))[m["status"]] += 1
    table = Table(title=f"keras-migrate batch: {report['summary']['models']} models in {report.get('workers', {}).get('seconds', 0):.1f} s")
    table.add_column("generation")
    for s in statuses:
        table.add_column(s, justify="right")
    for group in sorted(rows):
        table.add_row(group, *(str(rows[group][s]) for s in statuses))
    table.add_row("[b]all[/b]", *(f"[b]{report['summary'][s]}[/b]" for s in statuses))
    console.print(table)
    resumed = sum(1 for m in report["models"] if m.get("resumed"))
    if resumed:
        console.print(f"{resumed} models were finished by an earlier run (--resume) and not redone")
