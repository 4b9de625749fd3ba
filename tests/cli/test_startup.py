"""`--help` and `inspect` must not import TensorFlow, torch or JAX (start-up speed)."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from keras_migrate.cli import COMMANDS, build_parser
from tests.conftest import FIXTURES, ROOT

PROBE = """
import sys, runpy
sys.argv = ["keras-migrate", *{argv!r}]
try:
    runpy.run_module("keras_migrate", run_name="__main__")
except SystemExit:
    pass
print("HEAVY:" + ",".join(m for m in ("tensorflow", "torch", "jax", "keras") if m in sys.modules))
"""


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["inspect", str(FIXTURES / "keras-2.2.4" / "dense_activations.h5")],
        ["inspect", "--json", str(FIXTURES / "keras-2.2.4" / "conv2d_channels_first.h5")],
        ["convert", "--help"],
        ["upgrade", "--help"],
    ],
    ids=["help", "inspect", "inspect-json", "convert-help", "upgrade-help"],
)
def test_no_framework_imported(argv: list[str]) -> None:
    proc = subprocess.run([sys.executable, "-c", PROBE.format(argv=argv)], capture_output=True, text=True, cwd=ROOT, check=False)
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("HEAVY:")]
    assert line, proc.stderr
    assert line[-1] == "HEAVY:", f"imported {line[-1][6:]}"


def test_module_and_console_script_agree() -> None:
    proc = subprocess.run([sys.executable, "-m", "keras_migrate", "--version"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0
    assert proc.stdout.startswith("keras-migrate ")


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_parser_built_for_one_command_reads_the_same(command: str) -> None:
    """The CLI builds only the subcommand it runs; the top-level ``--help`` (every
    subcommand with its one-line help) and the chosen subcommand's own help must read
    exactly as with every subcommand built."""
    full, lazy = build_parser(), build_parser(command)
    assert lazy.format_help() == full.format_help()
    full_subs, lazy_subs = _subparsers(full), _subparsers(lazy)
    assert list(lazy_subs) == list(COMMANDS)
    for name, sub in lazy_subs.items():
        if name == command:
            assert sub.format_help() == full_subs[name].format_help()
        else:  # a stand-in: no arguments of its own beyond --help
            assert [a.dest for a in sub._actions] == ["help"]


@pytest.mark.parametrize(
    ("argv", "command"),
    [
        (["convert", "m.h5", "-o", "x.keras"], "convert"),
        (["--help"], None),
        ([], None),
        (["bogus"], None),
        (["upgrade", "--check", "x.py"], "upgrade"),
    ],
)
def test_command_peeked_from_argv(argv: list[str], command: str | None) -> None:
    from keras_migrate.cli import _command

    assert _command(argv) == command
