"""Shared helpers for the codemod tests: run the engine on text, run the CLI in-process."""

from __future__ import annotations

import argparse
import io
import shutil
from collections.abc import Sequence
from pathlib import Path

import pytest

from keras_migrate.codemods import cli
from keras_migrate.codemods.command import run_upgrade
from keras_migrate.codemods.engine import DocumentResult
from keras_migrate.codemods.rules import rule_ids
from keras_migrate.codemods.runner import Options, _engine
from keras_migrate.errors import KerasMigrateError

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "legacy_scripts"
DATA = Path(__file__).resolve().parent / "data"


def upgrade(source: str, rules: Sequence[str] | None = None) -> DocumentResult:
    """Run the engine on one source text (all rules unless ``rules``)."""
    engine = _engine(Options(tuple(rules or rule_ids()), check_names=False))
    return engine.run([source])


def upgrade_text(source: str, rules: Sequence[str] | None = None) -> str:
    """The upgraded text only."""
    return upgrade(source, rules).texts[0]


def run_cli(*argv: str) -> tuple[int, str]:
    """Run ``keras-migrate upgrade ARGV`` in-process; returns (exit code, stdout)."""
    parser = argparse.ArgumentParser(prog="keras-migrate")
    cli.add_parser(parser.add_subparsers())
    out = io.StringIO()
    try:
        args = parser.parse_args(["upgrade", *argv])
    except SystemExit as exc:  # argparse usage errors
        return int(exc.code or 0), out.getvalue()
    try:
        code = run_upgrade(args, out=out)
    except KerasMigrateError as exc:
        return exc.exit_code, out.getvalue()
    return code, out.getvalue()


@pytest.fixture
def example_tree(tmp_path: Path) -> Path:
    """A writable copy of the example tree of legacy scripts and notebooks."""
    target = tmp_path / "legacy_scripts"
    shutil.copytree(EXAMPLES, target)
    return target
