"""Where an output goes: the kind its suffix selects, the paths it may not replace, and
atomic writes.

Writes go to a temporary file beside the target, renamed into place, so a crash or an
error mid-way never leaves a partial or corrupt output, and an existing file is replaced
only when the new one is complete.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator

from keras_migrate.errors import KerasMigrateError

__all__ = ["SUFFIXES", "atomic_output", "check_output_path", "output_kind"]

#: Output suffixes and the kind of output each selects.
SUFFIXES = {".keras": "keras", ".weights.h5": "weights", ".kmir": "ir", ".py": "python", ".onnx": "onnx"}


def output_kind(path: str) -> str:
    """The kind of output ``path`` selects (the longest matching suffix wins)."""
    for suffix, kind in sorted(SUFFIXES.items(), key=lambda kv: -len(kv[0])):
        if path.endswith(suffix):
            return kind
    raise KerasMigrateError(
        "cannot tell the output kind from its suffix",
        path=path,
        hint=f"use one of {', '.join(SUFFIXES)}",
    )


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
