"""`keras-migrate convert`: write a legacy model as Keras 3 (`.keras`, `.weights.h5`, `.kmir`) or ONNX."""

from __future__ import annotations

import argparse
import os
from typing import Any

from keras_migrate.cli._common import (
    add_model_args,
    load_model_arg,
    print_json,
    stderr_console,
    vocabulary_args,
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
    p.add_argument("-o", "--output", required=True, metavar="OUT", help="output path")
    p.add_argument("--force", action="store_true", help="overwrite OUT if it exists")
    p.add_argument("--verify", action="store_true", help="verify the result on every installed backend")
    p.add_argument("--backends", help="with --verify: comma-separated backends (default: all installed)")
    layout = p.add_mutually_exclusive_group()
    layout.add_argument("--keep-data-format", action="store_true", help="keep channels_first layers as they are")
    layout.add_argument(
        "--channels-last",
        action="store_true",
        help="also make the model's inputs and outputs channels_last (callers must transpose their data)",
    )
    p.add_argument("--opset", type=int, metavar="N", help="with .onnx: the ONNX opset to target (default 17)")
    p.add_argument("--json", action="store_true", help="print the conversion report as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from keras_migrate.converters import emit, output_kind
    from keras_migrate.converters._atomic import check_output_path
    from keras_migrate.ir.passes import prepare_for_output

    kind = output_kind(args.output)
    inputs = [args.model, args.weights or "", *vocabulary_args(args).values()]
    check_output_path(args.output, force=args.force, inputs=inputs)
    if kind == "python":
        from keras_migrate.converters.python_code import weights_path_for

        # The module's weights file is an output too: same protections.
        check_output_path(weights_path_for(args.output), force=args.force, inputs=inputs)
    console = stderr_console()
    model = load_model_arg(args)
    mode = "keep" if args.keep_data_format else ("channels_last" if args.channels_last else "internal")
    model = prepare_for_output(model, data_format=mode)
    total = sum(w.nbytes for _, w in model.iter_weights())
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn

    with Progress(
        TextColumn("writing weights"), BarColumn(), DownloadColumn(), console=console, transient=True,
        disable=total < (64 << 20) or not console.is_terminal,
    ) as progress:
        task = progress.add_task("weights", total=total)
        report = emit(model, args.output, on_weight=lambda n: progress.advance(task, n), opset=args.opset)
    verify_report = None
    if args.verify:
        from keras_migrate.verify import verify

        backends = args.backends.split(",") if args.backends else None
        verify_report = verify(model, args.output, backends=backends)
    if args.json:
        data = {
            "output": report.output,
            "kind": report.kind,
            "weight_bytes": report.weight_bytes,
            "compat_layers": report.compat,
            "notes": report.notes,
            "renamed": report.renamed,
            "verify": verify_report.to_dict() if verify_report else None,
        }
        print_json(data)
    else:
        size = os.path.getsize(args.output)
        console.print(f"wrote {args.output} ({report.kind}, {size / 1e6:.2f} MB)", soft_wrap=True)
        if report.compat:
            console.print("needs keras_migrate compat objects (import keras_migrate before loading): " + ", ".join(report.compat), soft_wrap=True)
        for note in report.notes:
            console.print(f"note: {note}", soft_wrap=True)
        for new, old in report.renamed.items():
            console.print(f"renamed layer {old!r} -> {new!r}", soft_wrap=True)
        if verify_report is not None:
            from keras_migrate.cli.verify import render

            render(verify_report, console)
    if verify_report is not None and not verify_report.ok:
        return 1
    return 0
