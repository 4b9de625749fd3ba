"""Command-line entry point: `keras-migrate` and `python -m keras_migrate`.

Each subcommand lives in its own module exposing ``add_parser(subparsers)``; building the
parser imports only those light modules, so ``--help`` never loads a framework. Only the
subcommand being run gets its arguments built (the others are listed by name and one-line
help). Heavy work is imported inside each command's ``run`` function, after the crash-guard
fork (:mod:`keras_migrate.cli._isolate`).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
from collections.abc import Sequence

from keras_migrate import __version__
from keras_migrate.cli._common import MAX_WEIGHT_BYTES_ENV
from keras_migrate.errors import EXIT_INPUT, KerasMigrateError

__all__ = ["COMMANDS", "build_parser", "main"]

_EPILOG = """\
exit codes:
  0  success
  1  verification mismatch, or files that need changes (upgrade --check / --diff)
  2  usage error, or an input that is malformed or cannot be converted exactly
  3  an optional dependency needed for this step is not installed
"""


#: The subcommands, in ``--help`` order: name -> the module whose ``add_parser`` builds it.
COMMANDS = {
    "inspect": "keras_migrate.cli.inspect",
    "convert": "keras_migrate.cli.convert",
    "verify": "keras_migrate.cli.verify",
    "report": "keras_migrate.cli.report",
    "upgrade": "keras_migrate.codemods.cli",
}


class _Stop(Exception):
    pass


class _HelpOnly:
    """Stands in for argparse's subparsers action: takes the one-line help a module's
    ``add_parser`` gives its subcommand, then stops it before it adds any argument."""

    help: str | None = None

    def add_parser(self, name: str, **kwargs: object) -> None:
        self.help = str(kwargs["help"]) if kwargs.get("help") is not None else None
        raise _Stop


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser: every subcommand fully built, or, given ``command``, only that
    one (the others are listed with their one-line help, so ``--help`` reads the same).

    Building every subcommand's arguments is work the CLI need not do for the one it runs.
    """
    parser = argparse.ArgumentParser(
        prog="keras-migrate",
        description="Move legacy Keras models and code to Keras 3, with proof.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(module_name)
        if command is None or name == command:
            module.add_parser(sub)
            continue
        stand_in = _HelpOnly()
        with contextlib.suppress(_Stop):
            module.add_parser(stand_in)
        sub.add_parser(name, help=stand_in.help)
    return parser


def _command(argv: Sequence[str]) -> str | None:
    """The subcommand ``argv`` names: its first word (the top-level options take no value)."""
    first = next((a for a in argv if not a.startswith("-")), None)
    return first if first in COMMANDS else None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit code.

    Commands that read a model run in a forked child (:mod:`keras_migrate.cli._isolate`):
    a file that crashes a C library (HDF5) ends in one clear line, not a dead process.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    command = _command(argv)
    parser = build_parser(command) if command is not None else build_parser("")
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_INPUT
    limit = getattr(args, "max_weight_bytes", None)
    previous = os.environ.get(MAX_WEIGHT_BYTES_ENV)
    if limit is not None:  # read by keras_migrate.ir.weights, in this process or the child
        os.environ[MAX_WEIGHT_BYTES_ENV] = str(limit)
    try:
        model = getattr(args, "model", None)
        if model is None:
            return _run(args, None)
        from keras_migrate.cli._isolate import run_isolated

        return run_isolated(lambda: _run(args, str(model)), input_path=str(model), output=getattr(args, "output", None))
    finally:
        if limit is not None:
            if previous is None:
                os.environ.pop(MAX_WEIGHT_BYTES_ENV, None)
            else:
                os.environ[MAX_WEIGHT_BYTES_ENV] = previous


def _run(args: argparse.Namespace, model: str | None) -> int:
    """The command itself: every :class:`KerasMigrateError` becomes one line naming the
    file (the model given, when the error names none)."""
    try:
        return int(args.func(args) or 0)
    except KerasMigrateError as exc:
        print(f"keras-migrate: error: {exc.one_line(default_path=model)}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("keras-migrate: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # Output piped into e.g. `head` that stopped reading: not an error of ours.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
