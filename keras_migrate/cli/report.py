"""`keras-migrate report merge`: one report from the per-shard reports of a batch."""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "report",
        help="merge per-shard batch reports (`report merge a.json b.json -o run.html`)",
        description="Work with the JSON reports `convert PATH... --report run.json` writes.",
    )
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    merge = sub.add_parser("merge", help="merge per-shard JSON reports into one", description=(
        "Merge the JSON reports of the shards of one batch (`--shard K/N`) into one report, "
        "written as .json, .html or .md by each -o suffix. Exit code: that of the worst model."))  # fmt: skip
    merge.add_argument("reports", nargs="+", metavar="REPORT.json")
    merge.add_argument("-o", "--output", action="append", required=True, metavar="FILE", help="merged report (.json, .html, .md); repeatable")
    merge.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from keras_migrate.reports.data import exit_code, merge_reports
    from keras_migrate.reports.files import load_report, write_report

    merged = merge_reports([load_report(p) for p in args.reports])
    for path in args.output:
        write_report(merged, path)
    print(f"merged {len(args.reports)} reports: {merged['summary']['models']} models, worst {merged['summary']['worst']}")
    return exit_code(merged)
