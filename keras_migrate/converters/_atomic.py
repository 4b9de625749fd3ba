"""Write outputs atomically: a temporary file beside the target, renamed into place.

A crash or an error mid-way therefore never leaves a partial or corrupt output, and an
existing file is replaced only when the new one is complete.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator

from keras_migrate.errors import KerasMigrateError

__all__ = ["atomic_output", "check_output_path"]


def check_output_path(out: str, *, force: bool, inputs: list[str]) -> None:
    """Refuse to overwrite an input, or an existing file without ``force``."""
    for src in inputs:
        if src and os.path.exists(src) and os.path.exists(out) and os.path.samefile(src, out):
            raise KerasMigrateError("refusing to overwrite an input file", path=out, hint="choose another output path")
        if src and os.path.abspath(src) == os.path.abspath(out):
            raise KerasMigrateError("refusing to overwrite an input file", path=out, hint="choose another output path")
    if os.path.exists(out) and not force:
        raise KerasMigrateError("output already exists", path=out, hint="pass --force to overwrite")
    parent = os.path.dirname(os.path.abspath(out))
    if not os.path.isdir(parent):
        raise KerasMigrateError("output directory does not exist", path=parent)


@contextlib.contextmanager
def atomic_output(out: str, suffix: str = "") -> Iterator[str]:
    """Yield a temporary path beside ``out``; rename it to ``out`` if the block succeeds."""
    parent = os.path.dirname(os.path.abspath(out)) or "."
    fd, tmp = tempfile.mkstemp(prefix=".keras-migrate-", suffix=suffix or ".tmp", dir=parent)
    os.close(fd)
    try:
        yield tmp
        os.replace(tmp, out)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
