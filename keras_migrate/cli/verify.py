"""`keras-migrate verify`: compare a converted model with the legacy one on every backend."""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING, Any

from keras_migrate.cli._common import (
    add_layout_args,
    add_model_args,
    data_format_arg,
    model_options,
    print_json,
    stderr_console,
)

if TYPE_CHECKING:
    from keras_migrate.verification import VerifyReport

__all__ = ["add_parser", "render", "run"]


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "verify",
        help="check a converted model reproduces the legacy model's outputs",
        description=(
            "Run MODEL through the numpy reference interpreter and CONVERTED through Keras 3 on "
            "each backend (each in its own process), on the same inputs; compare outputs "
            "(rtol 1e-4, atol 1e-5; float16/bfloat16 compute: 4 eps of that dtype) and show the first layer where values diverge. Exit 1 on mismatch."
        ),
    )
    add_model_args(p)
    p.add_argument("converted", help="the converted .keras file")
    p.add_argument("--backends", help="comma-separated: jax,torch,tensorflow (default: all installed)")
    p.add_argument("--inputs", metavar="FILE.npz", help="inputs (keys input_0.. or input names); default random")
    p.add_argument("--batch-size", type=int, default=2, help="batch size of random inputs (default 2)")
    p.add_argument("--seed", type=int, default=0, help="seed of random inputs")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    add_layout_args(
        p,
        keep_help="CONVERTED was written with --keep-data-format (its channels_first layers kept)",
        last_help="CONVERTED was written with --channels-last: the source's inputs are transposed for it and its "
        "outputs compared with the source's, transposed the same way",
    )
    p.add_argument("--report", metavar="FILE", help="also write a report page (graph by verdict, per-layer divergence plot): .html, .json or .md")
    p.set_defaults(func=run)


def render(report: VerifyReport, console: Any) -> None:
    """Print ``report`` as a table, then the first diverging layers of each failing backend."""
    from rich.table import Table

    table = Table(title=f"verify {report.converted}  (rtol {report.rtol:g}, atol {report.atol:g})")
    for col in ("backend", "result", "max abs diff", "first divergent layer", "load s", "run s"):
        table.add_column(col)
    for b in report.backends:
        if b.error:
            table.add_row(b.backend, "[red]ERROR[/red]", "-", b.error[:80], "-", "-")
            continue
        worst = max((d.max_abs for d in b.outputs), default=0.0)
        table.add_row(
            b.backend,
            "[green]match[/green]" if b.ok else "[red]MISMATCH[/red]",
            f"{worst:.3g}",
            b.first_divergence or ("-" if b.ok else "(outputs only)"),
            f"{b.load_seconds:.2f}",
            f"{b.run_seconds:.2f}",
        )
    console.print(table)
    for note in report.notes:
        console.print(f"reference: {note}", soft_wrap=True)
    for b in report.backends:
        if not b.ok and b.layers:
            bad = [(n, d) for n, d in b.layers if not d.ok][:5]
            for n, d in bad:
                console.print(f"  {b.backend}: %{n} max abs diff {d.max_abs:.3g} {d.note}")


def run(args: argparse.Namespace) -> int:
    from keras_migrate.api import load, verify

    model = load(args.model, **model_options(args))
    report = verify(
        model,
        args.converted,
        backends=args.backends.split(",") if args.backends else None,
        inputs=args.inputs,
        batch_size=args.batch_size,
        seed=args.seed,
        data_format=data_format_arg(args),  # type: ignore[arg-type]
    )
    if args.report:
        from keras_migrate.reports.data import model_entry, run_report
        from keras_migrate.reports.files import write_report

        entry = model_entry(os.path.basename(args.model.rstrip("/")), source=[args.model, args.converted], model=model, verification=report)
        write_report(run_report([entry], backends=[b.backend for b in report.backends]), args.report)
    if args.json:
        print_json(report.to_dict())
    else:
        render(report, stderr_console())
    return 0 if report.ok else 1
