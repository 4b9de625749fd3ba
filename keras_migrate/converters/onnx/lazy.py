"""Initializers that are read only when written: a layer weight plus a lowering's re-layout.

Lowerings ask for a weight (``Call.weight(name, transform)``) while they build nodes; the
array is not needed until the file is written, and the writer must know every initializer's
size before it writes the first byte (protobuf length prefixes). :class:`LazyWeight` keeps
the :class:`~keras_migrate.ir.weights.Weight` and the transform, and knows its shape and
dtype without any I/O: the transform is run once on a zero-stride stand-in of the weight's
shape (``np.broadcast_to`` of one zero; transposes, reshapes and slices of it are views),
so only its *shape* is computed. The writer then takes each weight's bytes from its source
file when it can (:mod:`.raw_init`; the re-layouts it knows are named:
:class:`KernelLayout`, :class:`Reshaped`), else reads it once, in row blocks when no
transform re-lays it out (:meth:`LazyWeight.chunks`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from keras_migrate.ir.weights import Weight

__all__ = ["KernelLayout", "LazyWeight", "Reshaped", "initializer_array", "lazy_weight"]

Transform = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True, slots=True)
class Reshaped:
    """A weight reshaped in C order (a bias as ``(C, 1, 1)``), after a cast to ``dtype`` if
    given: named rather than a closure because the bytes do not move, so the writer can take
    them from the source file as they are (:mod:`.raw_init`) when the cast changes nothing."""

    shape: tuple[int, ...]
    dtype: str | None = None

    def __call__(self, w: np.ndarray) -> np.ndarray:
        return (w if self.dtype is None else w.astype(self.dtype)).reshape(self.shape)


@dataclass(frozen=True, slots=True)
class KernelLayout:
    """Keras' convolution kernel ``(*window, I, O)`` to ONNX's ``(O, I, *window)``.

    With ``merge`` (a depthwise kernel), the last two axes ``(C, M)`` are taken as one
    ``(1, C * M)`` first (output channel ``c * M + m``). A named re-layout rather than a
    closure: whatever the shapes, it is ``out[o, i, k] = src[k, i, o]`` over the source
    seen as ``(K, I, O)`` (:meth:`kio`), so the writer can re-lay the bytes out straight
    from the source file in bounded pieces (:mod:`.raw_init`) instead of reading the weight.
    """

    rank: int
    merge: bool = False

    def __call__(self, w: np.ndarray) -> np.ndarray:
        if self.merge:
            w = w.reshape((*w.shape[: self.rank], 1, w.shape[-2] * w.shape[-1]))
        return np.transpose(w, (self.rank + 1, self.rank, *range(self.rank)))

    def kio(self, shape: tuple[int, ...]) -> tuple[int, int, int] | None:
        """The source of ``shape`` seen as ``(K, I, O)``; None when it is not a kernel of this rank."""
        if len(shape) != self.rank + 2:
            return None
        window = math.prod(shape[: self.rank])
        if self.merge:
            return window, 1, shape[-2] * shape[-1]
        return window, shape[-2], shape[-1]


@dataclass(frozen=True, eq=False)
class LazyWeight:
    """An initializer to read at write time: ``transform(weight.numpy())``, float64 as float32."""

    weight: Weight
    transform: Transform | None
    shape: tuple[int, ...]
    dtype: str

    @property
    def nbytes(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) * np.dtype(self.dtype).itemsize

    def numpy(self) -> np.ndarray:
        """The whole array, C-contiguous, checked against the shape and dtype announced."""
        arr = np.asarray(self.weight.numpy())
        if self.transform is not None:
            arr = np.asarray(self.transform(arr))
        arr = _settle(arr)
        if tuple(arr.shape) != self.shape or str(arr.dtype) != self.dtype:
            raise RuntimeError(
                f"initializer from {self.weight.name!r} is {arr.dtype}{list(arr.shape)}, "
                f"expected {self.dtype}{list(self.shape)} (a value-dependent re-layout?)"
            )
        return arr

    def chunks(self, max_bytes: int, relayout_bytes: int = 1 << 20) -> Iterator[np.ndarray]:
        """The array in C order as blocks of rows (axis 0), to write one after the other.

        Without a re-layout, blocks of about ``max_bytes`` are read from the source
        (:meth:`Weight.read_chunks`). With one, the source is read whole and the re-laid-out
        view is copied out ``relayout_bytes`` at a time, so the re-laid-out array never
        exists in full beside its source (a transposed kernel costs its size plus a block);
        those blocks share one buffer, so use each block before asking for the next.
        """
        if self.transform is not None:
            yield from self._relayout_blocks(relayout_bytes)
            return
        if self.nbytes <= max_bytes or not self.shape:
            yield self.numpy()
            return
        for _, block in self.weight.read_chunks(max_bytes):
            block = _settle(np.asarray(block))
            if str(block.dtype) != self.dtype:
                raise RuntimeError(f"initializer from {self.weight.name!r}: block is {block.dtype}, expected {self.dtype}")
            yield block

    def _relayout_blocks(self, block_bytes: int) -> Iterator[np.ndarray]:
        assert self.transform is not None
        view = np.asarray(self.transform(np.asarray(self.weight.numpy())))
        if view.dtype == np.float64:
            view = view.astype(np.float32)
        if tuple(view.shape) != self.shape or str(view.dtype) != self.dtype:
            yield self.numpy()  # raises the mismatch
            return
        if view.ndim == 0 or view.nbytes <= block_bytes:
            yield _contiguous(view)
            return
        row_bytes = max(1, view.nbytes // max(view.shape[0], 1))
        step = max(1, block_bytes // row_bytes)
        # One block buffer for the whole weight, each block written before the next is
        # copied: a fresh megabyte per block costs its page faults every time.
        buffer = np.empty((min(step, view.shape[0]), *view.shape[1:]), view.dtype)
        for start in range(0, view.shape[0], step):
            part = view[start : start + step]
            yield _contiguous(part, out=buffer[: part.shape[0]])


def _contiguous(view: np.ndarray, tile: int = 64, max_copies: int = 1 << 16, out: np.ndarray | None = None) -> np.ndarray:
    """A C-order copy of ``view`` (a re-laid-out view of a weight), copied tile by tile.

    ``np.ascontiguousarray`` of a transposed kernel (HWIO viewed as OIHW) walks the output
    in order and reads the source a row apart each step: nearly every element touches a
    new cache line. Copying ``tile`` x ``tile`` blocks of the axis innermost in the source
    and the (large) axis innermost in the output, one position of the small remaining axes
    (a kernel's 3 x 3 window) at a time, keeps both sides in cache: 2-10x faster on
    ResNet50's kernels. The bytes are those of ``np.ascontiguousarray(view)``. ``out``: a
    C-contiguous array of ``view``'s shape and dtype to copy into (and return).
    """
    if view.ndim < 2 or view.flags.c_contiguous:
        if out is None:
            return np.ascontiguousarray(view)
        out[...] = view
        return out
    if out is None:
        out = np.empty(view.shape, view.dtype)
    src_inner = min(range(view.ndim), key=lambda a: (view.shape[a] <= 1, abs(view.strides[a])))
    large = [a for a in range(view.ndim) if a != src_inner and view.shape[a] > _SMALL_AXIS]
    if view.shape[src_inner] <= _SMALL_AXIS or not large or max(large) < src_inner:
        out[...] = view  # no large transposed pair: the plain copy streams
        return out
    dst_inner = max(large)
    rest = [a for a in range(view.ndim) if a not in (src_inner, dst_inner)]
    small = [a for a in rest if view.shape[a] <= _SMALL_AXIS]
    points = list(np.ndindex(*(view.shape[a] for a in small)))
    tiles = math.ceil(view.shape[src_inner] / tile) * math.ceil(view.shape[dst_inner] / tile)
    if tiles * len(points) > max_copies:
        out[...] = view
        return out
    index: list[slice | int] = [slice(None)] * view.ndim
    for point in points:  # one plane of the window at a time, then its tiles
        for axis, at in zip(small, point, strict=True):
            index[axis] = at
        src, dst = view[tuple(index)], out[tuple(index)]
        a, b = (src_inner, dst_inner) if src_inner < dst_inner else (dst_inner, src_inner)
        a -= sum(1 for x in small if x < a)
        b -= sum(1 for x in small if x < b)
        plane: list[slice] = [slice(None)] * src.ndim
        for i in range(0, src.shape[a], tile):
            plane[a] = slice(i, i + tile)
            for j in range(0, src.shape[b], tile):
                plane[b] = slice(j, j + tile)
                key = tuple(plane)
                dst[key] = src[key]
    return out


#: Axes of at most this size stay whole inside a tile (or are walked one position at a time).
_SMALL_AXIS = 16


def _settle(arr: np.ndarray) -> np.ndarray:
    """What :meth:`Builder.weight` always did to an initializer: float64 to float32, C order."""
    if arr.dtype == np.float64:
        arr = arr.astype(np.float32)
    return np.array(arr, order="C", copy=True) if arr.ndim == 0 else np.ascontiguousarray(arr)


def lazy_weight(weight: Weight, transform: Transform | None) -> LazyWeight | None:
    """A :class:`LazyWeight`, or None when the transform's result shape cannot be found
    without the data (the caller then reads the weight at once, as before)."""
    dtype = np.dtype(weight.dtype)
    shape = tuple(int(d) for d in weight.shape)
    if transform is not None:
        stand_in = np.broadcast_to(np.zeros((), dtype), shape)
        try:
            with np.errstate(all="ignore"):
                out = np.asarray(transform(stand_in))
        except Exception:  # a transform that needs real (writable) data
            return None
        shape, dtype = tuple(int(d) for d in out.shape), out.dtype
    if dtype == np.float64:
        dtype = np.dtype(np.float32)
    return LazyWeight(weight, transform, shape, str(dtype))


def initializer_array(value: np.ndarray | LazyWeight) -> np.ndarray:
    """The array of an initializer record (reads a lazy one)."""
    return value.numpy() if isinstance(value, LazyWeight) else value
