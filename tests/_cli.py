"""Running the CLI in tests: a conversion that must fail cleanly."""

from __future__ import annotations

from pathlib import Path

import pytest

from keras_migrate.cli import main as cli_main

__all__ = ["convert_fails"]


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
