"""`keras-migrate convert`: write a legacy model as Keras 3 (`.keras`, `.weights.h5`, `.kmir`) or ONNX."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from keras_migrate.cli._common import (
    add_layout_args,
    add_model_args,
    byte_count,
    data_format_arg,
    model_options,
    print_json,
    stderr_console,
    worker_counts,
)

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "convert",
        help="convert a legacy model to Keras 3",
        description=(
            "Convert MODEL to OUT; the output kind follows OUT's suffix: .keras (a Keras 3 "
            "model), .weights.h5 (Keras 3 weights only), .kmir (keras-migrate IR), .py (Keras 3 source plus "
            "<name>.weights.h5 beside it), .onnx (ONNX). "
            "channels_first models compute in channels_last inside by default (TensorFlow on "
            "CPU cannot run channels_first convolutions) and keep their input/output layout."
        ),
    )
    add_model_args(p)
    p.add_argument("more", nargs="*", metavar="PATH", help="batch mode: more models or directories (then OUT is a directory)")
    p.add_argument("-o", "--output", required=True, metavar="OUT", help="output path (batch mode: the output directory)")
    p.add_argument("--force", action="store_true", help="overwrite OUT if it exists")
    p.add_argument("--verify", action="store_true", help="verify the result on every installed backend")
    p.add_argument("--backends", help="with --verify: comma-separated backends (default: all installed)")
    add_layout_args(
        p,
        keep_help="keep channels_first layers as they are",
        last_help="also make the model's inputs and outputs channels_last (callers must transpose their data)",
    )
    p.add_argument(
        "--inference-only",
        action="store_true",
        help="drop the training state (compile configuration, optimizer state): the model loads uncompiled",
    )
    p.add_argument(
        "--optimizer-step",
        type=int,
        metavar="N",
        help="the training step to resume from when the file does not store it (Keras 1/2.0-2.2 RMSprop, "
        "Adagrad, Adadelta)",
    )
    p.add_argument(
        "--placeholders",
        action="store_true",
        help="with .py: write a stub class for each custom layer class no rule converts (fill in its call())",
    )
    p.add_argument("--opset", type=int, metavar="N", help="with .onnx: the ONNX opset to target (default 17)")
    p.add_argument("--json", action="store_true", help="print the conversion report as JSON")
    batch = p.add_argument_group(
        "batch mode (several PATHs, a directory, or any option below): every legacy model found under the paths, "
        "the tree mirrored in OUT"
    )
    batch.add_argument("--to", metavar="KINDS", help="comma-separated output kinds: keras,py,onnx,weights,kmir (default keras)")
    batch.add_argument("--jobs", type=int, metavar="N", help="conversion processes (default: cores, at most 4)")
    batch.add_argument("--resume", action="store_true", help="skip models whose sources and options are unchanged since a finished run")
    batch.add_argument("--shard", metavar="K/N", help="convert only shard K of N (deterministic by model path); merge with `report merge`")
    batch.add_argument("--report", action="append", metavar="FILE", help="write the report: .json, .html or .md (repeatable)")
    batch.add_argument(
        "--verify-workers", type=worker_counts, metavar="N|B=N,...",
        help="with --verify: warm workers per backend, each verifying other models: N for every backend, or e.g. "
        "jax=2,torch=1 (default 1; each holds a framework in memory)",
    )  # fmt: skip
    batch.add_argument(
        "--worker-memory", type=byte_count, metavar="N",
        help="with --verify: replace a backend worker once it holds more than N bytes (default 6G)",
    )  # fmt: skip
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from keras_migrate.cli.batch import is_batch, run_batch_cli

    if is_batch(args):
        return run_batch_cli(args)
    from keras_migrate.api import convert

    # rich (~40 ms to import) only where it shows something: a terminal, or --verify's table.
    console = stderr_console() if args.verify or _is_terminal(sys.stderr) else _PlainConsole()
    progress = _WeightProgress(console)
    try:
        report = convert(
            args.model,
            args.output,
            force=args.force,
            data_format=data_format_arg(args),  # type: ignore[arg-type]
            opset=args.opset,
            inference_only=args.inference_only,
            optimizer_step=args.optimizer_step,
            placeholders=args.placeholders,
            verify=args.verify,
            backends=args.backends.split(",") if args.backends else None,
            on_weight=progress,
            **model_options(args),
        )
    finally:
        progress.stop()
    if args.json:
        print_json(report.to_dict())
    else:
        size = os.path.getsize(report.output)
        console.print(f"wrote {report.output} ({report.kind}, {size / 1e6:.2f} MB)", soft_wrap=True)
        if report.compat_layers:
            console.print(
                "needs keras_migrate compat objects (import keras_migrate before loading): " + ", ".join(report.compat_layers),
                soft_wrap=True,
            )
        for note in report.notes:
            console.print(f"note: {note}", soft_wrap=True)
        for new, old in report.renamed.items():
            console.print(f"renamed layer {old!r} -> {new!r}", soft_wrap=True)
        if report.verification is not None:
            from keras_migrate.cli.verify import render

            render(report.verification, console)
    return 0 if report.ok else 1


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


class _PlainConsole:
    """What ``run`` needs of a rich console when stderr is not a terminal: plain lines."""

    is_terminal = False

    def print(self, text: str, *, soft_wrap: bool = True) -> None:
        print(text, file=sys.stderr)


class _WeightProgress:
    """A transient progress bar for writing weights, shown for 64 MB or more on a terminal.

    Created on the first call, when the total is known; removed once every byte is written.
    """

    def __init__(self, console: Any) -> None:
        self.console = console
        self.progress: Any = None
        self.task: Any = None
        self.done = False

    def __call__(self, nbytes: int, total: int) -> None:
        if self.done:
            return
        if self.progress is None:
            if total < (64 << 20) or not self.console.is_terminal:
                self.done = True
                return
            from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn

            self.progress = Progress(TextColumn("writing weights"), BarColumn(), DownloadColumn(), console=self.console, transient=True)
            self.progress.start()
            self.task = self.progress.add_task("weights", total=total)
        self.progress.advance(self.task, nbytes)
        if self.progress.tasks[0].completed >= total:
            self.stop()

    def stop(self) -> None:
        if self.progress is not None and not self.done:
            self.progress.stop()
        self.done = True
