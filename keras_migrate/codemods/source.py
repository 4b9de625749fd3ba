"""Reading and writing source files without disturbing what the rewrite did not touch.

Rewrites are spliced into the original decoded text, so encoding (PEP 263 cookie or BOM),
line endings and every untouched byte survive; writes go to a temporary file beside the
target and are renamed over it, keeping the file mode, so a crash never leaves half a file.
"""

from __future__ import annotations

import io
import os
import re
import stat
import tempfile
import tokenize
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path

from keras_migrate.codemods.codegen import fast_path_cached

__all__ = ["LineTable", "SourceText", "atomic_write", "decode_python", "line_starts", "newline_of"]

_NEWLINE = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True, slots=True)
class SourceText:
    """A decoded Python source and how to encode it back byte-for-byte."""

    text: str
    encoding: str


def decode_python(data: bytes) -> SourceText:
    """Decode Python source bytes honouring a BOM or coding cookie (PEP 263).

    Raises:
        SyntaxError: the coding cookie names an unknown encoding.
        UnicodeDecodeError: the bytes do not match the declared encoding.
    """
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    return SourceText(data.decode(encoding), encoding)


def newline_of(text: str) -> str:
    """The file's first line ending, used for inserted lines ("\\n" when there is none)."""
    match = _NEWLINE.search(text)
    return match.group(0) if match else "\n"


def line_starts(text: str) -> list[int]:
    """Offset of the first character of every line (``\\r\\n``, ``\\r`` and ``\\n`` end a
    line, as for ``ast``). Without ``\\r`` the lengths of ``split("\\n")``'s pieces give
    the same offsets without a regex match object per line (fast path only)."""
    if "\r" not in text and fast_path_cached():
        pieces = text.split("\n")
        pieces.pop()
        return list(accumulate(map(len, pieces), _next_start, initial=0))
    starts = [0]
    starts.extend(match.end() for match in _NEWLINE.finditer(text))
    return starts


def _next_start(start: int, length: int) -> int:
    return start + length + 1


class LineTable:
    """Maps ``ast`` positions (1-based lines, UTF-8 byte columns) to offsets in the text.

    ``ast`` counts lines like the tokenizer (``\\r\\n``, ``\\r`` and ``\\n`` only), which
    ``str.splitlines`` does not, hence the explicit regex.
    """

    __slots__ = ("_ascii", "lines", "starts", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts: list[int] = line_starts(text)
        self.lines: int = len(self.starts)
        self._ascii = text.isascii()

    def line_start(self, line: int) -> int:
        """Offset of the first character of ``line`` (past the end for line count + 1)."""
        if line > self.lines:
            return len(self.text)
        return self.starts[line - 1]

    def line_end(self, line: int) -> int:
        """Offset just past the line ending of ``line``."""
        return self.line_start(line + 1)

    def line_text(self, line: int) -> str:
        """The text of ``line`` including its line ending."""
        return self.text[self.line_start(line) : self.line_end(line)]

    def offset(self, line: int, byte_col: int) -> int:
        """Offset of an ``ast`` (line, UTF-8 byte column) position."""
        start = self.line_start(line)
        if self._ascii:
            return start + byte_col
        raw = self.line_text(line).encode("utf-8")
        return start + len(raw[:byte_col].decode("utf-8", errors="replace"))


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically, keeping its permission bits.

    A symlink is followed so the link itself survives and its target is rewritten.
    """
    target = path.resolve()
    mode = stat.S_IMODE(target.stat().st_mode) if target.exists() else None
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".km-tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
