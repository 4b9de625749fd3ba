"""`keras-migrate upgrade`: placeholder registration, replaced by the codemods work."""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["add_parser"]


def add_parser(subparsers: Any) -> None:
    """Register the `upgrade` subcommand."""
    p = subparsers.add_parser("upgrade", help="rewrite scripts and notebooks for Keras 3")
    p.add_argument("paths", nargs="+")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    raise NotImplementedError
