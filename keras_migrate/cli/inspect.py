"""`keras-migrate inspect`: print a model's IR (layers, call graph, weights, provenance)."""

from __future__ import annotations

import argparse
import os
from typing import Any

from keras_migrate.cli._common import add_model_args, load_model_arg, print_json

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "inspect",
        help="print a model's layers, call graph, weight shapes and provenance",
        description="Read MODEL into the IR and print it, one line per layer call.",
    )
    add_model_args(p)
    p.add_argument("--json", action="store_true", help="print the IR as JSON (schema keras-migrate-ir)")
    p.add_argument("--html", metavar="FILE", help="also write a one-model report page (the IR graph drawn): .html, .json or .md")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from keras_migrate.formats.unknown import keep_unknown_classes
    from keras_migrate.ir.unknown import describe_unknown, format_unknown

    with keep_unknown_classes():  # looking at a model needs no rule for its custom classes
        model = load_model_arg(args)
    unknown = describe_unknown(model.graph)
    if args.html:
        from keras_migrate.reports.data import model_entry, run_report
        from keras_migrate.reports.files import write_report

        entry = model_entry(os.path.basename(args.model.rstrip("/")), source=[args.model], model=model)
        write_report(run_report([entry]), args.html)
    if args.json:
        from keras_migrate.ir.serialize import to_dict

        data = to_dict(model)
        if model.training is not None:
            from keras_migrate.ir.training import training_summary

            data["training"] = training_summary(model.training)
        if unknown:
            data["unknown_layers"] = unknown
        print_json(data)
    else:
        from keras_migrate.ir.printer import format_model

        print(format_model(model))
        if unknown:
            print(format_unknown(unknown))
        _print_lambdas(model)
    return 0


def _print_lambdas(model: Any) -> None:
    """Each recovered Lambda as source text (its bytecode was read, never run)."""
    from keras_migrate.formats.lambdas import recovered_lambdas

    found = recovered_lambdas(model.graph)
    if found:
        print("recovered Lambda layers (bytecode read, never run):")
        for name, record in found.items():
            python = f"  # Python {record['python']} bytecode" if record["python"] else "  # a library function stored by name"
            print(f"  {name}: {record['source']}{python}")
            if record.get("assumes"):
                print(f"    assumes {record['assumes']}")
