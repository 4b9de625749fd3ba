"""Copy a weight's raw bytes file to file, never through Python memory.

A legacy HDF5 weight stored contiguously, unfiltered and in the output's dtype is, byte for
byte, what the output's contiguous dataset of that weight holds. So the writer lets HDF5
allocate the output dataset (early allocation, never filled), notes where its bytes go
(:class:`DirectCopy`), and after HDF5 has closed the file copies each range with the
kernel's file-to-file copy: ``copy_file_range`` (on one filesystem it may share the blocks
or copy inside the kernel), else ``sendfile``, else ``pread``/``pwrite`` through one reused
buffer. The h5py path it replaces made two copies through a fresh numpy array per block (read
into it, write from it); this makes one, in the kernel. The zip member's CRC-32 is taken
from the source range through small read-only memory maps (no copy, bounded resident
memory), which :class:`~keras_migrate.converters.stored_zip.RawCrc` folds in at the
range's offset.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from keras_migrate.converters.crc32 import crc32_of_range
from keras_migrate.converters.stored_zip import RawCrc
from keras_migrate.errors import KerasMigrateError

__all__ = ["DirectCopy", "copy_ranges"]

#: Bytes buffered at a time by the last-resort copy.
_WINDOW = 16 << 20
#: ``copy_file_range`` errors that mean "not between these files": fall back, do not fail.
_UNSUPPORTED = {errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.EBADF, errno.EPERM, errno.ETXTBSY}


@dataclass(frozen=True, slots=True)
class DirectCopy:
    """``nbytes`` bytes at ``source_offset`` of ``source`` belong at ``offset`` of the output."""

    source: str
    source_offset: int
    offset: int
    nbytes: int


def copy_ranges(out: str, copies: Sequence[DirectCopy], raw_crc: RawCrc | None = None) -> None:
    """Copy every range into ``out`` (a file HDF5 has written and closed) and, with
    ``raw_crc``, record each range's CRC-32 at its offset. A source that no longer holds a
    range (it shrank since it was read) is refused in one line."""
    if not copies:
        return
    dst = os.open(out, os.O_WRONLY)
    try:
        opened: dict[str, int] = {}
        unsupported: dict[str, set[str]] = {}
        try:
            for c in copies:
                src = opened.get(c.source)
                if src is None:
                    src = opened[c.source] = os.open(c.source, os.O_RDONLY)
                _copy(src, dst, c, unsupported.setdefault(c.source, set()))
                if raw_crc is not None:
                    try:
                        crc = crc32_of_range(src, c.source_offset, c.nbytes)
                    except EOFError:
                        raise _short_read(c) from None
                    raw_crc.add_crc(c.offset, c.nbytes, crc)
        finally:
            for fd in opened.values():
                os.close(fd)
    finally:
        os.close(dst)


def _short_read(c: DirectCopy) -> KerasMigrateError:
    return KerasMigrateError(
        f"the file ended inside a weight's data ({c.nbytes:,} bytes at offset {c.source_offset:,}): it changed while being converted",
        path=c.source,
        hint="convert it again once nothing is writing to it",
    )


def _copy(src: int, dst: int, c: DirectCopy, unsupported: set[str] | None = None) -> None:
    """Copy one range; ``unsupported``: the kernel copies that failed as unsupported between
    these two files before (not tried again; those failing now are added)."""
    done = 0
    skip = set() if unsupported is None else unsupported

    def through(step: Callable[[int], int]) -> bool:
        """Copy the rest with ``step(done) -> bytes copied``; False when the kernel cannot
        copy between these files (the next way is tried from where this one stopped)."""
        nonlocal done
        try:
            while done < c.nbytes:
                n = step(done)
                if n == 0:
                    raise _short_read(c)
                done += n
        except OSError as exc:
            if exc.errno not in _UNSUPPORTED:
                raise
            return False
        return True

    copy_file_range = getattr(os, "copy_file_range", None)
    if copy_file_range is not None and "copy_file_range" not in skip:
        if through(lambda at: copy_file_range(src, dst, c.nbytes - at, c.source_offset + at, c.offset + at)):
            return
        skip.add("copy_file_range")
    if hasattr(os, "sendfile") and "sendfile" not in skip:
        os.lseek(dst, c.offset + done, os.SEEK_SET)
        if through(lambda at: os.sendfile(dst, src, c.source_offset + at, c.nbytes - at)):
            return
        skip.add("sendfile")
    buffer = bytearray(min(_WINDOW, c.nbytes - done))
    with memoryview(buffer) as view:
        while done < c.nbytes:
            want = min(len(buffer), c.nbytes - done)
            n = os.preadv(src, [view[:want]], c.source_offset + done)
            if n == 0:
                raise _short_read(c)
            os.pwrite(dst, view[:n], c.offset + done)
            done += n
