"""The CRC-32 of a file written out of order, taken from the writes instead of a read-back.

A zip member's header needs the CRC-32 of its final bytes. HDF5 writes its raw data once, in
large blocks, but seeks back to write and rewrite small metadata, so a running CRC over the
write calls is wrong. :class:`WriteLog` keeps, per written byte range, either the CRC of a
large write or a copy of a small one, cutting ranges that later writes overwrite, and at the
end folds them in file order with :func:`crc32_combine`; only ranges it cannot know (a large
write partly overwritten, a hole) are read back from the file.
"""

from __future__ import annotations

import bisect
import mmap
import os
from collections.abc import Callable
from dataclasses import dataclass

from zlib_ng import zlib_ng

__all__ = ["SMALL_WRITE", "WriteLog", "crc32", "crc32_combine", "crc32_of_range"]

#: Writes up to this size are kept as bytes (overwrites cut them exactly); larger ones as CRCs.
SMALL_WRITE = 64 << 10

#: zlib-ng's CRC-32 (several times zlib's speed: it uses the CPU's carry-less multiply) and
#: its ``crc32_combine``, which the standard ``zlib`` module does not expose.
crc32 = zlib_ng.crc32
crc32_combine = zlib_ng.crc32_combine

#: Bytes mapped at a time by :func:`crc32_of_range`.
MAP_WINDOW = 16 << 20
#: Below this a range is read into memory for its CRC rather than mapped.
_MAP_MIN = 1 << 20


def crc32_of_range(fd: int, offset: int, nbytes: int, crc: int = 0) -> int:
    """Continue ``crc`` over ``nbytes`` bytes of the open file ``fd`` from ``offset``: read
    whole when small, else through read-only maps of at most :data:`MAP_WINDOW` bytes, each
    unmapped before the next (no copy, and resident memory stays bounded whatever the size).
    ``EOFError`` when the file ends first."""
    if nbytes < _MAP_MIN:
        data = os.pread(fd, nbytes, offset)
        if len(data) != nbytes:
            raise EOFError(f"{nbytes} bytes at {offset}: the file ends first")
        return crc32(data, crc)
    pos, end = offset, offset + nbytes
    if end > os.fstat(fd).st_size:
        raise EOFError(f"{nbytes} bytes at {offset}: the file ends first")
    while pos < end:
        base = pos - pos % mmap.ALLOCATIONGRANULARITY
        length = min(end, base + MAP_WINDOW) - base
        with (
            mmap.mmap(fd, length, offset=base, access=mmap.ACCESS_READ) as window,
            memoryview(window) as view,
            view[pos - base : length] as part,
        ):
            crc = crc32(part, crc)
        pos = base + length
    return crc


@dataclass(slots=True)
class _Range:
    start: int
    end: int
    #: The bytes of a small write; None with a ``crc`` for a large one; neither when unknown.
    data: bytes | None = None
    crc: int | None = None

    def part(self, start: int, end: int) -> _Range:
        """The sub-range ``[start, end)``; a cut large write becomes unknown (read back)."""
        if self.data is not None:
            return _Range(start, end, self.data[start - self.start : end - self.start])
        if self.crc is not None and (start, end) == (self.start, self.end):
            return self
        return _Range(start, end)


class WriteLog:
    """Record writes into a file (any order, overwrites allowed) and give its final CRC-32."""

    def __init__(self) -> None:
        self._ranges: list[_Range] = []
        self._starts: list[int] = []

    def record(self, pos: int, data: bytes | memoryview, crc: int | None = None) -> None:
        """Note that ``data`` was written at ``pos`` (``crc``: its CRC-32, if already known)."""
        n = len(data) if not isinstance(data, memoryview) else data.nbytes
        if n == 0:
            return
        if n <= SMALL_WRITE:
            new = _Range(pos, pos + n, bytes(data))
        else:
            new = _Range(pos, pos + n, None, crc32(data) if crc is None else crc)
        self._insert(new)

    def record_crc(self, pos: int, n: int, crc: int) -> None:
        """Note that ``n`` bytes whose CRC-32 is ``crc`` were written at ``pos``."""
        if n > 0:
            self._insert(_Range(pos, pos + n, None, crc))

    def _insert(self, new: _Range) -> None:
        ranges = self._ranges
        if not ranges or new.start >= ranges[-1].end:  # the common case: appending
            ranges.append(new)
            self._starts.append(new.start)
            return
        i = max(0, bisect.bisect_right(self._starts, new.start) - 1)
        while i < len(ranges) and ranges[i].end <= new.start:
            i += 1
        j = i
        pieces: list[_Range] = []
        while j < len(ranges) and ranges[j].start < new.end:
            r = ranges[j]
            if r.start < new.start:
                pieces.append(r.part(r.start, new.start))
            j += 1
        pieces.append(new)
        if j > i and ranges[j - 1].end > new.end:
            r = ranges[j - 1]
            pieces.append(r.part(new.end, r.end))
        ranges[i:j] = pieces
        self._starts[i:j] = [p.start for p in pieces]

    def truncate(self, size: int) -> None:
        """The file was cut (or extended) to ``size`` bytes."""
        while self._ranges and self._ranges[-1].start >= size:
            self._ranges.pop()
            self._starts.pop()
        if self._ranges and self._ranges[-1].end > size:
            r = self._ranges[-1]
            self._ranges[-1] = r.part(r.start, size)

    def known_bytes(self) -> int:
        """How many bytes the log can checksum without reading the file back."""
        return sum(r.end - r.start for r in self._ranges if r.data is not None or r.crc is not None)

    def crc(self, size: int, read: Callable[[int, int, int], int]) -> int:
        """The CRC-32 of bytes ``[0, size)``; ``read(start, end, crc)`` reads back what is unknown."""
        crc = 0
        pos = 0
        for r in self._ranges:
            if r.start >= size:
                break
            if r.start > pos:
                crc = read(pos, r.start, crc)
            end = min(r.end, size)
            if r.data is not None:
                crc = crc32(r.data[: end - r.start], crc)
            elif r.crc is not None and end == r.end:
                crc = crc32_combine(crc, r.crc, r.end - r.start)
            else:
                crc = read(r.start, end, crc)
            pos = end
        if pos < size:
            crc = read(pos, size, crc)
        return crc
