"""Initializers written from the source file's bytes, never read whole into Python.

A legacy HDF5 weight stored contiguously, unfiltered, in native byte order and in the
initializer's dtype (:meth:`~keras_migrate.ir.weights.H5Dataset.raw_extent`) already holds,
byte for byte, what ONNX's ``raw_data`` wants (little-endian, C order) -- or a known
re-layout of it. So:

* a weight the lowering takes as it is (a Dense kernel, a bias; or only reshaped,
  :class:`~.lazy.Reshaped`) is copied file to file by the kernel
  (:func:`keras_migrate.converters.raw_copy.copy_ranges`) into the hole the writer leaves
  for it; small ones are read with one ``pread`` and written in line, which costs less
  than a copy of its own;
* a convolution kernel (:class:`~.lazy.KernelLayout`, ``out[o, i, k] = src[k, i, o]``) is
  re-laid out from a read-only map of its source range: the output is produced in blocks
  of output channels of at most :data:`BLOCK_BYTES` (one channel at least), each gathered
  from source windows of at most :data:`WINDOW_BYTES` (one source row at least) whose pages
  are dropped from the process after use (``MADV_DONTNEED``). Resident memory is one block
  plus one window whatever the kernel's size, and nothing goes through the heap, where a
  freed 9 MB array stays (glibc raises its map threshold to the size of the last freed
  mapping). A kernel larger than a block has its pages faulted in once per block: a few
  more page faults, for a peak that does not grow with the largest kernel.

Anything else (another re-layout, a cast, a chunked or compressed dataset, a big-endian
host) is read through HDF5 as before (:meth:`~.lazy.LazyWeight.chunks`).
"""

from __future__ import annotations

import mmap
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from keras_migrate.converters.onnx.lazy import KernelLayout, LazyWeight, Reshaped
from keras_migrate.errors import KerasMigrateError
from keras_migrate.ir.weights import H5Dataset, Weight

__all__ = ["BLOCK_BYTES", "INLINE_BYTES", "WINDOW_BYTES", "RawSource", "Relayout", "raw_source", "stored_array"]

#: Most bytes of output channels re-laid out at a time.
BLOCK_BYTES = 2 << 20
#: Most bytes of a source kernel resident at a time while it is re-laid out.
WINDOW_BYTES = 1 << 20
#: Up to this size a weight's bytes are read and written in line rather than copied in the kernel.
INLINE_BYTES = 64 << 10


@dataclass(frozen=True, slots=True)
class RawSource:
    """The initializer's bytes (before its re-layout, if any) are ``nbytes`` at ``offset`` of ``path``."""

    path: str
    offset: int
    nbytes: int
    #: The source kernel seen as ``(K, I, O)`` when the initializer is its :class:`KernelLayout`.
    kio: tuple[int, int, int] | None = None


def raw_source(value: LazyWeight) -> RawSource | None:
    """Where ``value``'s bytes lie in its source file, when they can be taken from there."""
    weight, transform = value.weight, value.transform
    source = weight.source
    if sys.byteorder != "little" or not hasattr(os, "pread") or weight.transforms or not isinstance(source, H5Dataset):
        return None
    if transform is not None and not isinstance(transform, (KernelLayout, Reshaped)):
        return None
    if str(np.dtype(source.dtype)) != value.dtype or not value.shape:
        return None  # a float64 weight is narrowed; a scalar is not worth it
    kio = None
    if isinstance(transform, KernelLayout):
        kio = transform.kio(tuple(int(d) for d in source.shape))
        if kio is None:
            return None
    extent = source.raw_extent()
    if extent is None or extent[1] != value.nbytes:
        return None
    return RawSource(os.path.abspath(source.file), extent[0], extent[1], kio)


def stored_array(weight: Weight) -> np.ndarray:
    """``weight.numpy()``, by one ``pread`` of its stored bytes when they are the array (no
    transform, a plain contiguous dataset: :meth:`~keras_migrate.ir.weights.H5Dataset.raw_extent`).

    For the small weights a lowering reads while it builds nodes (the 212 BatchNormalization
    statistics ResNet50's lowering folds): once the reader knows every dataset's extent, this
    costs no HDF5 call, where a read through HDF5 opens the dataset (~0.1 ms each). Anything
    else, or a file that no longer holds the range, is read through HDF5 (whose errors say why).
    """
    source = weight.source
    if not weight.transforms and isinstance(source, H5Dataset) and source.shape and hasattr(os, "pread"):
        extent = source.raw_extent()
        if extent is not None:
            try:
                fd = os.open(source.file, os.O_RDONLY)
                try:
                    data = os.pread(fd, extent[1], extent[0])
                finally:
                    os.close(fd)
            except OSError:
                data = b""
            if len(data) == extent[1]:
                return np.frombuffer(data, np.dtype(source.dtype)).reshape(source.shape)
    return np.asarray(weight.numpy())


class Relayout:
    """Re-lays out kernels (:class:`RawSource` with ``kio``) from maps of their source files.

    One block buffer serves every kernel of a model; files are opened once; :meth:`close`
    releases both.
    """

    def __init__(self, block_bytes: int | None = None, window_bytes: int | None = None) -> None:
        self._block = BLOCK_BYTES if block_bytes is None else block_bytes
        self._window = WINDOW_BYTES if window_bytes is None else window_bytes
        self._buffer: np.ndarray | None = None
        self._files: dict[str, int] = {}

    def close(self) -> None:
        for fd in self._files.values():
            os.close(fd)
        self._files.clear()
        self._buffer = None

    def _fd(self, path: str) -> int:
        fd = self._files.get(path)
        if fd is None:
            fd = self._files[path] = os.open(path, os.O_RDONLY)
        return fd

    def read(self, raw: RawSource) -> bytes:
        """All of ``raw``'s bytes (a small weight written in line)."""
        data = os.pread(self._fd(raw.path), raw.nbytes, raw.offset)
        if len(data) != raw.nbytes:
            raise _changed(raw)
        return data

    def write(self, raw: RawSource, dtype: str, write: Callable[[memoryview], object]) -> None:
        """Hand ``write`` the re-laid-out kernel, block by block (each block is overwritten
        by the next: write it before returning)."""
        assert raw.kio is not None
        k, i, o = raw.kio
        item = np.dtype(dtype).itemsize
        fd = self._fd(raw.path)
        if os.fstat(fd).st_size < raw.offset + raw.nbytes:  # a map past the end faults
            raise _changed(raw)
        base = raw.offset - raw.offset % mmap.ALLOCATIONGRANULARITY
        start = raw.offset - base
        try:
            mapped = mmap.mmap(fd, start + raw.nbytes, access=mmap.ACCESS_READ, offset=base)
        except (OSError, ValueError):  # a file system that cannot map: read the kernel whole
            self._copy(self.read(raw), 0, (k, i, o), np.dtype(dtype), item, write)
            return
        with mapped:
            self._copy(mapped, start, (k, i, o), np.dtype(dtype), item, write)

    def _copy(
        self, mapped: mmap.mmap | bytes, start: int, kio: tuple[int, int, int], dtype: np.dtype, item: int,
        write: Callable[[memoryview], object],
    ) -> None:  # fmt: skip
        k, i, o = kio
        row = i * k * item  # one output channel
        step = max(1, min(o, self._block // max(row, 1)))
        if self._buffer is None or self._buffer.nbytes < step * row:
            self._buffer = None
            self._buffer = np.empty(step * row, np.uint8)
        buffer = self._buffer
        # source rows of one window position (``i_step`` of them: one row is ``o`` items)
        i_step = max(1, min(i, self._window // max(o * item, 1)))
        drop = getattr(mapped, "madvise", None)
        src = np.frombuffer(mapped, dtype, k * i * o, start).reshape(k, i, o)
        try:
            for o0 in range(0, o, step):
                o1 = min(o, o0 + step)
                block = buffer[: (o1 - o0) * row].view(dtype).reshape(o1 - o0, i, k)
                for kk in range(k):
                    for i0 in range(0, i, i_step):
                        i1 = min(i, i0 + i_step)
                        block[:, i0:i1, kk] = src[kk, i0:i1, o0:o1].T
                        if drop is not None:  # these source pages leave the process
                            at = start + (kk * i + i0) * o * item
                            page = at - at % mmap.PAGESIZE
                            drop(mmap.MADV_DONTNEED, page, start + (kk * i + i1) * o * item - page)
                write(block.data.cast("B"))
                del block
        finally:
            del src  # the map cannot close while a view of it lives


def _changed(raw: RawSource) -> KerasMigrateError:
    return KerasMigrateError(
        f"the file ended inside a weight's data ({raw.nbytes:,} bytes at offset {raw.offset:,}): it changed while being converted",
        path=raw.path,
        hint="convert it again once nothing is writing to it",
    )
