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

import contextlib
import errno
import os
import threading
from collections.abc import Callable, Iterator, Sequence
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


#: Ranges totalling at least this many bytes have their CRC-32s taken on a second thread
#: while the kernel copies them (both release the GIL, so on two cores the CRC costs no
#: wall time); below it the thread is not worth starting. A module constant so tests can
#: lower it.
PARALLEL_CRC_BYTES = 32 << 20


def copy_ranges(out: str, copies: Sequence[DirectCopy], raw_crc: RawCrc | None = None) -> None:
    """Copy every range into ``out`` (a file HDF5 has written and closed) and, with
    ``raw_crc``, record each range's CRC-32 at its offset (in the order of ``copies``,
    taken on a second thread for a large total). A source that no longer holds a range (it
    shrank since it was read) is refused in one line."""
    if not copies:
        return
    crcs = _CrcThread(copies) if raw_crc is not None and sum(c.nbytes for c in copies) >= PARALLEL_CRC_BYTES else None
    try:
        dst = os.open(out, os.O_WRONLY)
        try:
            with _sources() as fd_of:
                unsupported: dict[str, set[str]] = {}
                for c in copies:
                    src = fd_of(c.source)
                    _copy(src, dst, c, unsupported.setdefault(c.source, set()))
                    if raw_crc is not None and crcs is None:
                        raw_crc.add_crc(c.offset, c.nbytes, _range_crc(src, c))
        finally:
            os.close(dst)
    except BaseException:
        if crcs is not None:
            crcs.stop()
        raise
    if crcs is not None and raw_crc is not None:
        for c, crc in zip(copies, crcs.result(), strict=True):
            raw_crc.add_crc(c.offset, c.nbytes, crc)


def _range_crc(src: int, c: DirectCopy) -> int:
    """The CRC-32 of ``c``'s bytes in the open source ``src``."""
    try:
        return crc32_of_range(src, c.source_offset, c.nbytes)
    except EOFError:
        raise _short_read(c) from None


class _CrcThread:
    """The CRC-32 of each range, in order, taken on a thread of its own from its own
    descriptors of the sources (the zlib-ng CRC and the maps release the GIL)."""

    def __init__(self, copies: Sequence[DirectCopy]) -> None:
        self._copies = copies
        self._crcs: list[int] = []
        self._error: BaseException | None = None
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="keras-migrate-crc", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            with _sources() as fd_of:
                for c in self._copies:
                    if self._stopped:
                        return
                    self._crcs.append(_range_crc(fd_of(c.source), c))
        except BaseException as exc:  # raised in the caller by result()
            self._error = exc

    def stop(self) -> None:
        """Stop after the range in hand and wait for the thread."""
        self._stopped = True
        self._thread.join()

    def result(self) -> list[int]:
        """Every range's CRC-32, once the thread is done; its error, if it met one."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._crcs


@contextlib.contextmanager
def _sources() -> Iterator[Callable[[str], int]]:
    """``fd_of(path)``: a read-only descriptor of each source, opened once, closed at the end."""
    opened: dict[str, int] = {}

    def fd_of(path: str) -> int:
        fd = opened.get(path)
        if fd is None:
            fd = opened[path] = os.open(path, os.O_RDONLY)
        return fd

    try:
        yield fd_of
    finally:
        for fd in opened.values():
            os.close(fd)


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
