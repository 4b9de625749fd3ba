"""`keras-migrate upgrade`: argument parsing only.

Importing this module must stay cheap (``keras-migrate --help`` imports it), so the engine,
libcst and rich are imported inside :func:`_run`.
"""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["add_parser"]

_DESCRIPTION = """\
Rewrite Keras 1, standalone Keras 2 and tf.keras scripts and notebooks for Keras 3.

PATHs are files or directories; directories are searched for .py and .ipynb files,
honouring .gitignore and skipping virtualenvs and build output. Files that mention
neither keras nor tensorflow are skipped; files that cannot be parsed are reported and
skipped. Where a change needs a human, a '# keras-migrate: ...' comment is added.
"""
_EPILOG = """\
exit codes:
  0  nothing needs changing (or --write finished)
  1  files need changes (--diff, --check)
  2  usage error
"""


def add_parser(subparsers: Any) -> None:
    """Register the ``upgrade`` subcommand on an argparse subparsers object."""
    parser = subparsers.add_parser(
        "upgrade",
        help="rewrite scripts and notebooks for Keras 3",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("paths", nargs="*", metavar="PATH", help="files or directories")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--diff",
        dest="mode",
        action="store_const",
        const="diff",
        help="print a unified diff, write nothing (default)",
    )
    mode.add_argument(
        "--check",
        dest="mode",
        action="store_const",
        const="check",
        help="write nothing; exit 1 if any file would change",
    )
    mode.add_argument(
        "--write", dest="mode", action="store_const", const="write", help="rewrite files in place"
    )
    parser.set_defaults(mode="diff")
    parser.add_argument(
        "--select",
        action="append",
        metavar="RULES",
        help="comma-separated rule ids to run (default: all)",
    )
    parser.add_argument(
        "--ignore", action="append", metavar="RULES", help="comma-separated rule ids to skip"
    )
    parser.add_argument(
        "--jobs",
        "-j",
        type=int,
        default=0,
        metavar="N",
        help="worker processes (default: one per core)",
    )
    parser.add_argument(
        "--report", metavar="FILE", help="write every change and follow-up to FILE (.json or .md)"
    )
    parser.add_argument("--no-notebooks", action="store_true", help="skip .ipynb files")
    parser.add_argument(
        "--no-name-check",
        action="store_true",
        help="do not check remaining keras.* names against installed Keras 3",
    )
    parser.add_argument("--list-rules", action="store_true", help="list rule ids and exit")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from keras_migrate.codemods.command import run_upgrade

    return run_upgrade(args)
