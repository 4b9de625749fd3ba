"""Pieces shared by the subcommands: loading with options, output, progress."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

__all__ = ["add_model_args", "load_model_arg", "print_json", "stderr_console"]


def add_model_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", help="legacy model: .h5, architecture .json/.yaml, .kmir, ...")
    p.add_argument("--weights", metavar="W", help="weights file for an architecture-only MODEL")


def load_model_arg(args: argparse.Namespace) -> Any:
    from keras_migrate.formats import load

    return load(args.model, weights=args.weights)


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


def stderr_console() -> Any:
    from rich.console import Console

    return Console(stderr=True, highlight=False)
