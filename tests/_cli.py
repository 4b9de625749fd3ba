"""Running the CLI in tests: in process with its stderr captured, a conversion that must
fail cleanly, and each source converted once to each output kind."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from keras_migrate.cli import main as cli_main

__all__ = ["cli_stderr", "convert_each", "convert_fails"]


def cli_stderr(argv: list[str]) -> tuple[int, str]:
    """Run the CLI in this process: its exit code and what it wrote to stderr."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = cli_main(argv)
    return code, err.getvalue()


def convert_each(
    sources: Iterable[Any], kinds: Iterable[str], root: Path, stem: Callable[[Any], str]
) -> dict[tuple[str, str], tuple[Path | None, str]]:
    """``(source.id, kind) -> (output or None, stderr)``: every source (``.files`` = model and
    weights or None) converted once to every kind through the CLI, one folder per source (a
    ``.py`` output is imported by name, so names stay unique)."""
    kinds = tuple(kinds)
    done = {}
    for i, src in enumerate(sources):
        model, weights = src.files
        for kind in kinds:
            out = root / f"s{i}" / f"{stem(src)}.{kind}"
            out.parent.mkdir(parents=True, exist_ok=True)
            argv = ["convert", str(model), "-o", str(out)] + (["--weights", str(weights)] if weights else [])
            code, err = cli_stderr(argv)
            done[(src.id, kind)] = (out if code == 0 and out.exists() else None, err)
    return done


def convert_fails(
    argv: list[str], out: Path, capsys: pytest.CaptureFixture[str], *needles: str, one_line: bool = True
) -> str:
    """Run ``argv -o out``; assert exit code 2, no output file, a one-line error (unless
    ``one_line`` is False) holding every needle. Returns the error text."""
    code = cli_main([*argv, "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert not out.exists()
    if one_line:
        assert len(err.strip().splitlines()) == 1, err
    for needle in needles:
        assert needle in err, err
    return err
