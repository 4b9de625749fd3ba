"""Lazy, named weights: a reference into the source file plus a layout transform.

A converted model never needs all of its weights in memory at once. Readers therefore
record *where* each array lives (an HDF5 dataset, an in-memory array, or a concatenation of
other weights) and *how* to re-lay it out (transpose, flip, reshape, ...). Nothing is read
until a writer or the interpreter calls :meth:`Weight.numpy`, and then only that one array.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol, get_args, runtime_checkable

import numpy as np

__all__ = [
    "MAP_FUNCTIONS",
    "ArraySource",
    "Cast",
    "Concat",
    "Flip",
    "GatherFlat",
    "H5Dataset",
    "InMemory",
    "Map",
    "MapFunction",
    "RawExtent",
    "Reshape",
    "SumBlocks",
    "Take",
    "Transform",
    "Transpose",
    "Weight",
    "check_array_declaration",
    "close_open_files",
    "link_problem",
    "mark_links_checked",
    "max_weight_bytes",
    "open_shared",
    "raw_extent_of",
]

Shape = tuple[int, ...]
#: Where a dataset's bytes lie in its file, as :func:`raw_extent_of` finds them:
#: ``(offset, nbytes, shape, dtype)`` (``dtype`` as ``str(numpy dtype)``).
RawExtent = tuple[int, int, Shape, str]


@runtime_checkable
class ArraySource(Protocol):
    """Where a weight's data comes from. Knowing shape and dtype must cost no I/O."""

    @property
    def shape(self) -> Shape: ...

    @property
    def dtype(self) -> str: ...

    def read(self) -> np.ndarray:
        """Return the array (a fresh or read-only array; callers never mutate it)."""
        ...

    def describe(self) -> str:
        """One short line saying where the data lives, for printers and reports."""
        ...


#: Environment variable (and the CLI's ``--max-weight-bytes``) raising the per-tensor limit.
MAX_WEIGHT_BYTES_ENV = "KERAS_MIGRATE_MAX_WEIGHT_BYTES"
#: Default per-tensor limit: 16 GiB, far above any real layer's tensor (the largest
#: embedding tables of public models are a few GiB), far below what a hostile file declares.
DEFAULT_MAX_WEIGHT_BYTES = 16 << 30

#: dtype kinds a Keras weight can hold: floats, signed and unsigned integers. Booleans,
#: complex numbers, strings, objects (variable-length data), compounds and voids are refused.
_WEIGHT_KINDS = frozenset("fiu")
#: dtype names :func:`check_array_declaration` accepted -> their item size (each declaration
#: of a model's weights names one of a few dtypes: parsed once, not once per weight).
_WEIGHT_DTYPES: dict[str, int] = {}


def max_weight_bytes() -> int:
    """The largest tensor a weight may declare, in bytes (``KERAS_MIGRATE_MAX_WEIGHT_BYTES``)."""
    raw = os.environ.get(MAX_WEIGHT_BYTES_ENV, "").strip()
    if not raw:
        return DEFAULT_MAX_WEIGHT_BYTES
    try:
        value = int(raw)
    except ValueError:
        return DEFAULT_MAX_WEIGHT_BYTES
    return value if value > 0 else DEFAULT_MAX_WEIGHT_BYTES


def check_array_declaration(shape: Sequence[Any], dtype: Any, *, path: str | None, what: str) -> None:
    """Refuse a stored array before anything is allocated or read: a dtype no Keras weight
    has, a negative or non-integer dimension, or a size over :func:`max_weight_bytes`
    (element counts are multiplied as Python integers, so 2^40 x 2^40 cannot overflow).

    ``what`` names the array (``weight 'dense_1/kernel:0'``) in the one-line error.
    """
    from keras_migrate.errors import KerasMigrateError

    itemsize = _WEIGHT_DTYPES.get(dtype) if isinstance(dtype, str) else None
    if itemsize is None:
        try:
            dt = np.dtype(dtype)
        except (TypeError, ValueError):
            dt = None
        if dt is None or dt.kind not in _WEIGHT_KINDS or dt.fields is not None or dt.itemsize > 8:
            shown = str(dtype) if len(str(dtype)) <= 60 else str(dtype)[:57] + "..."
            raise KerasMigrateError(
                f"{what} has dtype {shown}, not a float or integer type a Keras weight can hold",
                path=path,
                hint="the file is damaged or was not written by Keras",
            )
        itemsize = dt.itemsize
        if isinstance(dtype, str):
            _WEIGHT_DTYPES[dtype] = itemsize
    count = 1
    for d in shape:
        if not isinstance(d, (int, np.integer)) or int(d) < 0:
            raise KerasMigrateError(f"{what} has an invalid shape {tuple(shape)}", path=path, hint="the file is damaged")
        count *= int(d)
    limit = max_weight_bytes()
    if count * itemsize > limit:
        raise KerasMigrateError(
            f"{what} declares shape {tuple(int(d) for d in shape)} ({count * itemsize:,} bytes), over the "
            f"limit of {limit:,} bytes per tensor",
            path=path,
            hint=f"the file is damaged; for a genuinely larger tensor raise the limit with --max-weight-bytes "
            f"or {MAX_WEIGHT_BYTES_ENV}",
        )


def link_problem(handle: Any, path: str, safe: set[str] | None = None) -> str | None:
    """What is wrong with resolving the absolute ``path`` inside the open HDF5 file
    ``handle``, found without following a single link blindly: an external link anywhere
    on the way (HDF5 would open another file), a soft link whose target is missing, soft
    links nested too deep or in a cycle; ``None`` when the path stays inside the file.
    Every component is looked at with ``getlink=True`` before it is traversed.

    ``safe``: components of ``handle`` already found to be hard links (they are skipped,
    and those found now are added), so reading every weight of one open file looks at each
    group once rather than once per weight."""
    import h5py

    budget = [256]

    def walk(target: str, depth: int) -> str | None:
        if depth > 16:
            return f"soft links nested too deep (a cycle?) at {target!r}"
        cur = ""
        for part in (p for p in target.split("/") if p not in ("", ".")):
            budget[0] -= 1
            if budget[0] < 0:
                return f"too many soft links to resolve {path!r}"
            here = f"{cur}/{part}"
            if safe is not None and here in safe:
                cur = here
                continue
            link = handle.get(here, getlink=True)
            if link is None:
                return f"{path!r} does not exist" if depth == 0 else f"a soft link points to {target!r}, which does not exist"
            if isinstance(link, h5py.ExternalLink):
                return f"{here!r} is an external link into another file ({link.filename!r})"
            if isinstance(link, h5py.SoftLink):
                inner = link.path if link.path.startswith("/") else f"{cur}/{link.path}"
                problem = walk(inner, depth + 1)
                if problem is not None:
                    return problem
            elif safe is not None and isinstance(link, h5py.HardLink):
                safe.add(here)
            cur = here
        return None

    return walk(path, 0)


_FILES: dict[str, Any] = {}
#: Per open file in ``_FILES``: the paths inside it already checked to be hard links.
_HARD_LINKS: dict[str, set[str]] = {}
#: Per open file in ``_FILES``: what ``os.stat`` said when it was opened (a file replaced
#: on disk since is opened afresh, and its link scan no longer counts).
_IDENTITY: dict[str, tuple[int, ...]] = {}
#: Open files in ``_FILES`` whose *handle* a whole-file link scan found free of anything
#: pointing outside the file (:func:`mark_links_checked`): reads skip the per-weight checks.
_LINKS_CHECKED: set[str] = set()
#: Per link-checked file: its datasets already opened and checked by a read (one
#: ``Group.__getitem__`` and shape/dtype check per weight, not per block of a large weight).
_NODES: dict[str, dict[str, Any]] = {}
#: Per link-checked file: every dataset the whole-file scan opened -> its raw extent
#: ``(offset, nbytes, shape, dtype)`` when it is one contiguous, unfiltered, allocated block of a
#: native numeric dtype, else None (:func:`mark_links_checked`; read by
#: :meth:`H5Dataset.raw_extent`, which then opens nothing).
_EXTENTS: dict[str, Mapping[str, RawExtent | None]] = {}
#: At most this many files stay open (the least recently opened is closed first; a weight
#: of a closed file reopens it on demand), so a long-lived process never runs out of handles.
_MAX_OPEN = 16
_FILES_LOCK = threading.Lock()


def _identity(path: str) -> tuple[int, ...]:
    st = os.stat(path)
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def _close(key: str) -> None:
    handle = _FILES.pop(key, None)
    _HARD_LINKS.pop(key, None)
    _IDENTITY.pop(key, None)
    _LINKS_CHECKED.discard(key)
    _NODES.pop(key, None)
    _EXTENTS.pop(key, None)
    if handle is not None:
        with contextlib.suppress(Exception):  # already closed by h5py's own finalizer
            handle.close()


def open_shared(path: str) -> Any:
    """The one read-only ``h5py.File`` of ``path`` this process reads through: the readers
    (its attributes, its weights walk, its link scan) and the lazy weights share it, so a
    file is opened once per conversion, not once per step. Reopened when the file on disk
    is no longer the one opened (device, inode, size, mtime). The handle stays open until
    :func:`close_open_files`: callers must not close it. h5py's errors (a file HDF5 cannot
    open) and ``OSError`` (a file gone) propagate as they are."""
    import h5py

    key = os.path.abspath(path)
    ident = _identity(key)
    with _FILES_LOCK:
        handle = _FILES.get(key)
        if handle is not None and handle.id.valid and _IDENTITY.get(key) == ident:
            return handle
        _close(key)
        while len(_FILES) >= _MAX_OPEN:
            _close(next(iter(_FILES)))
        handle = h5py.File(key, "r")
        _FILES[key] = handle
        _IDENTITY[key] = ident
        _HARD_LINKS[key] = set()
        return handle


def _held(path: str) -> Any:
    """The open handle a lazy weight reads from: the shared one as it is (a conversion reads
    its weights right after the reader opened and scanned the file; :func:`open_shared`'s
    ``os.stat`` is for the next reader), else :func:`open_shared`."""
    handle = _FILES.get(path)
    if handle is not None and handle.id.valid:
        return handle
    return open_shared(path)


def mark_links_checked(handle: Any, extents: Mapping[str, RawExtent | None] | None = None) -> None:
    """Record that a whole-file link scan of ``handle`` (an open file from
    :func:`open_shared`; ``keras_migrate.formats.hdf5.scan_links``) found no external or
    user-defined link, virtual dataset or external raw storage anywhere: lazy reads from
    this very handle then skip their per-weight link checks, which could find nothing
    more. ``extents``: what :func:`raw_extent_of` said of every dataset the scan opened
    (absolute path -> extent or None), so :meth:`H5Dataset.raw_extent` opens nothing again.
    A handle :func:`open_shared` does not hold is ignored."""
    key = os.path.abspath(handle.filename)
    with _FILES_LOCK:
        held = _FILES.get(key)
        if held is not None and held is handle and held.id.valid:
            _LINKS_CHECKED.add(key)
            if extents is not None:
                _EXTENTS[key] = extents


#: ``str`` of each numpy dtype seen by :func:`raw_extent_of` (``str(dtype)`` costs ~10 us).
_DTYPE_NAMES: dict[Any, str] = {}


def raw_extent_of(
    dsid: Any,
    plist: Any,
    shape: Sequence[int] | None,
    dtype: Any,
    *,
    layout: int | None = None,
    external: int | None = None,
) -> RawExtent | None:
    """Where the bytes of the open dataset ``dsid`` (an h5py ``DatasetID``; ``plist`` its
    creation property list, ``shape`` and ``dtype`` as HDF5 declares them) lie in its file,
    when copying that byte range *is* copying the dataset: contiguous layout, no filters, no
    external storage, a native-order float or integer dtype, allocated as exactly
    ``shape``'s bytes. None otherwise. Whether the range lies inside the file is checked by
    :meth:`H5Dataset.raw_extent`, against the file's size. ``layout``, ``external``: what
    ``plist`` says of them, when the caller asked already."""
    from h5py import h5d

    if not shape or dtype.kind not in "fiu" or dtype.metadata or not dtype.isnative:
        return None
    if layout is None:
        layout = plist.get_layout()
    if external is None:
        external = plist.get_external_count()
    if layout != h5d.CONTIGUOUS or external or plist.get_nfilters():
        return None
    nbytes = _count(shape) * dtype.itemsize
    if not nbytes or dsid.get_storage_size() != nbytes:
        return None
    offset = dsid.get_offset()
    if offset is None:
        return None
    name = _DTYPE_NAMES.get(dtype)
    if name is None:
        name = _DTYPE_NAMES[dtype] = str(dtype)
    return int(offset), nbytes, tuple(int(d) for d in shape), name


def close_open_files() -> None:
    """Close every HDF5 file opened to read lazy weights (tests and long-lived tools)."""
    with _FILES_LOCK:
        for key in list(_FILES):
            _close(key)


@dataclass(frozen=True, slots=True)
class H5Dataset:
    """A dataset inside an HDF5 file, read on demand."""

    #: Path of the HDF5 file.
    file: str
    #: Path of the dataset inside the file.
    dataset: str
    shape: Shape
    dtype: str

    def __post_init__(self) -> None:
        # Every HDF5 weight (a legacy weights group, a .keras member, a .kmir file) is
        # declared here: refuse what no Keras weight can be before anything is read.
        check_array_declaration(self.shape, self.dtype, path=self.file, what=f"weight {self.dataset!r}")

    def _node(self, handle: Any) -> Any:
        import h5py

        key = os.path.abspath(self.file)
        checked = key in _LINKS_CHECKED
        nodes = _NODES.setdefault(key, {}) if checked else None
        if nodes is not None and (node := nodes.get(self.dataset)) is not None:
            return node
        if not checked:
            problem = link_problem(handle, self.dataset, _HARD_LINKS.setdefault(key, set()))
            if problem is not None:
                raise KeyError(problem)
        node = handle.get(self.dataset)
        if not isinstance(node, h5py.Dataset) or (not checked and (node.is_virtual or node.external)):
            raise KeyError(f"{self.dataset} is not a plain dataset of this file")
        if tuple(node.shape) != tuple(self.shape) or str(node.dtype) != self.dtype:
            raise KeyError(f"{self.dataset} changed since the file was read")
        if nodes is not None:
            nodes[self.dataset] = node
        return node

    def _guarded(self, read: Any) -> np.ndarray:
        """Read through h5py; its errors once the file is open (a corrupt chunk, a filter that
        fails, a dataset that is not a plain one of this file) become ours."""
        from keras_migrate.errors import KerasMigrateError

        handle = _held(os.path.abspath(self.file))  # a file gone since it was read: its OSError, as is
        try:
            return np.asarray(read(self._node(handle)))
        except KerasMigrateError:
            raise
        except (OSError, RuntimeError, KeyError, ValueError, TypeError) as exc:
            raise KerasMigrateError(
                f"cannot read weight {self.dataset!r}, the HDF5 file is corrupt ({_short(exc)})",
                path=self.file,
                hint="re-save the model from its original Keras, or restore the file from a backup",
            ) from exc

    def read(self) -> np.ndarray:
        return self._guarded(_read_whole)

    def raw_extent(self) -> tuple[int, int] | None:
        """``(offset, nbytes)``: where this dataset's bytes lie in its file, when copying
        that byte range *is* copying the dataset (contiguous, unfiltered, allocated, stored
        in native byte order as the declared numeric dtype, wholly inside the file); else
        None, and the dataset is read through HDF5, whose checks word any problem. Lets a
        writer copy raw bytes file to file (:mod:`keras_migrate.converters.raw_copy`)."""
        path = os.path.abspath(self.file)
        try:
            handle = _held(path)
            known = _EXTENTS.get(path) if path in _LINKS_CHECKED else None
            if known is not None and self.dataset in known:  # the clean scan opened it
                extent = known[self.dataset]
                size = _IDENTITY[path][2]  # the file's size when opened
            else:
                node = self._node(handle)
                extent = raw_extent_of(node.id, node.id.get_create_plist(), node.shape, node.dtype)
                size = os.path.getsize(path)
        except (OSError, RuntimeError, KeyError, ValueError, TypeError):
            return None
        if extent is None:
            return None
        offset, nbytes, shape, dtype = extent
        if shape != tuple(self.shape) or dtype != self.dtype or offset + nbytes > size:
            return None
        return offset, nbytes

    def read_rows(self, start: int, stop: int) -> np.ndarray:
        """Rows ``start:stop`` along axis 0 (an HDF5 slice read: only those bytes are read)."""
        return self._guarded(lambda node: node[start:stop])

    def describe(self) -> str:
        return f"h5:{self.dataset}"


def _read_whole(node: Any) -> np.ndarray:
    """All of dataset ``node``: a plain numeric one straight into a new array through h5py's
    low-level read (``node[()]`` spends ~0.3 ms per call in h5py's selection machinery,
    a third of a ResNet50 conversion's reads); anything else through ``node[()]``."""
    dtype = node.dtype
    if dtype.kind not in "fiu" or dtype.metadata or not node.shape:
        return node[()]
    from h5py import h5s

    out = np.empty(node.shape, dtype=dtype)
    if out.size:
        node.id.read(h5s.ALL, h5s.ALL, out)
    return out


def _short(exc: BaseException) -> str:
    """An exception's text on one short line (h5py's messages can span several)."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."


@dataclass(frozen=True, slots=True, eq=False)
class InMemory:
    """An array already in memory (fresh initializations, small derived constants)."""

    array: np.ndarray

    @property
    def shape(self) -> Shape:
        return tuple(int(d) for d in self.array.shape)

    @property
    def dtype(self) -> str:
        return str(self.array.dtype)

    def read(self) -> np.ndarray:
        return self.array

    def describe(self) -> str:
        return "memory"


@dataclass(frozen=True, slots=True)
class Concat:
    """Several weights concatenated along an axis (e.g. Keras 1 per-gate RNN arrays)."""

    parts: tuple[Weight, ...]
    axis: int = -1

    @property
    def shape(self) -> Shape:
        shapes = [p.shape for p in self.parts]
        axis = self.axis % len(shapes[0])
        out = list(shapes[0])
        out[axis] = sum(s[axis] for s in shapes)
        return tuple(out)

    @property
    def dtype(self) -> str:
        return self.parts[0].dtype

    def read(self) -> np.ndarray:
        return np.concatenate([p.numpy() for p in self.parts], axis=self.axis)

    def describe(self) -> str:
        return "concat(" + ", ".join(p.source.describe() for p in self.parts) + ")"


# --------------------------------------------------------------------------- transforms


class Transform(Protocol):
    """A pure re-layout of one array; ``shape`` maps the input shape without any I/O."""

    def apply(self, array: np.ndarray) -> np.ndarray: ...

    def out_shape(self, shape: Shape) -> Shape: ...


@dataclass(frozen=True, slots=True)
class Transpose:
    """Permute axes (e.g. Theano/'th' kernels OIHW to Keras HWIO)."""

    axes: tuple[int, ...]

    def apply(self, array: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(np.transpose(array, self.axes))

    def out_shape(self, shape: Shape) -> Shape:
        return tuple(shape[a] for a in self.axes)


@dataclass(frozen=True, slots=True)
class Flip:
    """Reverse the given axes (true convolution to cross-correlation: spatial kernel flip)."""

    axes: tuple[int, ...]

    def apply(self, array: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(np.flip(array, self.axes))

    def out_shape(self, shape: Shape) -> Shape:
        return shape


@dataclass(frozen=True, slots=True)
class Reshape:
    """Reshape to a fixed shape (same size)."""

    shape: Shape

    def apply(self, array: np.ndarray) -> np.ndarray:
        return np.reshape(array, self.shape)

    def out_shape(self, shape: Shape) -> Shape:
        return self.shape


@dataclass(frozen=True, slots=True)
class Take:
    """Reorder along one axis by an index list (e.g. Dense rows after a layout change)."""

    indices: tuple[int, ...]
    axis: int = 0

    def apply(self, array: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(np.take(array, np.asarray(self.indices), axis=self.axis))

    def out_shape(self, shape: Shape) -> Shape:
        out = list(shape)
        out[self.axis % len(shape)] = len(self.indices)
        return tuple(out)


@dataclass(frozen=True, slots=True)
class Cast:
    """Change dtype (e.g. float64 weights from a hand-made file to float32)."""

    dtype: str

    def apply(self, array: np.ndarray) -> np.ndarray:
        return array.astype(self.dtype)

    def out_shape(self, shape: Shape) -> Shape:
        return shape


@dataclass(frozen=True, slots=True)
class GatherFlat:
    """Pick elements by flat index into a new shape (general re-layouts, e.g. dense to patches)."""

    indices: tuple[int, ...]
    shape: Shape

    def apply(self, array: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(array.reshape(-1)[np.asarray(self.indices, dtype=np.int64)].reshape(self.shape))

    def out_shape(self, shape: Shape) -> Shape:
        return self.shape


@dataclass(frozen=True, slots=True)
class SumBlocks:
    """Split axis 0 into ``count`` equal blocks and add them (a CuDNN RNN's separate input
    and recurrent biases become the one bias Keras' LSTM adds: the sum is exact)."""

    count: int

    def apply(self, array: np.ndarray) -> np.ndarray:
        blocks = array.reshape(self.count, array.shape[0] // self.count, *array.shape[1:])
        return np.ascontiguousarray(blocks.sum(axis=0, dtype=array.dtype))

    def out_shape(self, shape: Shape) -> Shape:
        return (shape[0] // self.count, *shape[1:])


#: Elementwise functions :class:`Map` may name; kept closed so serialization stays data.
MapFunction = Literal["square", "sqrt", "negate", "add", "sub_from"]
MAP_FUNCTIONS: tuple[MapFunction, ...] = get_args(MapFunction)

_UNARY = {
    "square": np.square,
    "sqrt": np.sqrt,
    "negate": np.negative,
}


@dataclass(frozen=True, slots=True)
class Map:
    """A named elementwise function (e.g. Keras <= 1.0.5 BatchNormalization std to variance).

    Args:
        function: one of ``square``, ``sqrt``, ``negate``, ``add``, ``sub_from``.
        operand: the constant for ``add`` (x + c) and ``sub_from`` (c - x).
    """

    function: MapFunction
    operand: float = 0.0

    def apply(self, array: np.ndarray) -> np.ndarray:
        if self.function == "add":
            return (array + self.operand).astype(array.dtype)
        if self.function == "sub_from":
            return (self.operand - array).astype(array.dtype)
        return _UNARY[self.function](array).astype(array.dtype)

    def out_shape(self, shape: Shape) -> Shape:
        return shape


def _count(shape: Sequence[int]) -> int:
    """Element count as a Python integer (no 64-bit overflow)."""
    out = 1
    for d in shape:
        out *= int(d)
    return out


def _in_range(indices: Sequence[int], low: int, high: int) -> bool:
    """Every index in ``[low, high)`` (vectorized: re-layout index lists can be long)."""
    if not indices:
        return True
    arr = np.asarray(indices, dtype=np.int64)
    return bool(arr.min() >= low and arr.max() < high)


def _row_local(weight: Weight) -> bool:
    """True when every transform maps row ``i`` of the source to row ``i`` of the result.

    Then reading the source in row blocks and transforming each block gives the same array
    as transforming the whole; re-layouts that move data across rows (a reshape, a gather,
    a transpose or flip of axis 0) are not.
    """
    shape = tuple(weight.source.shape)
    for t in weight.transforms:
        n = len(shape)
        if isinstance(t, (Cast, Map)):
            pass
        elif isinstance(t, Transpose):
            if n == 0 or t.axes[0] % n != 0:
                return False
        elif isinstance(t, Flip):
            if n == 0 or any(a % n == 0 for a in t.axes):
                return False
        elif isinstance(t, Take):
            if n == 0 or t.axis % n == 0:
                return False
        else:
            return False
        shape = t.out_shape(shape)
    return True


# --------------------------------------------------------------------------- weight


@dataclass(frozen=True, slots=True)
class Weight:
    """One named weight of a layer: a lazy source plus the transforms to apply, in order.

    Names are relative to the layer and follow Keras 3's variable names (``kernel``,
    ``bias``, ``moving_variance``; wrappers prefix the inner layer, e.g.
    ``forward_layer/kernel``), so writers and the interpreter can find them by role.
    """

    name: str
    source: ArraySource
    transforms: tuple[Transform, ...] = ()
    trainable: bool = True
    #: Where the data came from in the legacy file (dataset name), for reports.
    origin: str = field(default="", compare=False)

    @property
    def shape(self) -> Shape:
        shape = tuple(self.source.shape)
        for t in self.transforms:
            shape = t.out_shape(shape)
        return shape

    @property
    def dtype(self) -> str:
        dtype = self.source.dtype
        for t in self.transforms:
            if isinstance(t, Cast):
                dtype = t.dtype
        return dtype

    @property
    def nbytes(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) * np.dtype(self.dtype).itemsize

    def layout_problem(self) -> str | None:
        """Why the declared shapes cannot go through this weight's re-layout (concatenated
        parts that do not fit together, a reshape of another size, an axis or index out of
        range), or ``None``. Looks at shapes only: nothing is read. Readers check this
        before anything is written, so a damaged file fails with a message, not inside numpy."""
        source = self.source
        if isinstance(source, Concat):
            for part in source.parts:
                if (problem := part.layout_problem()) is not None:
                    return problem
            shapes = [tuple(p.shape) for p in source.parts]
            if not shapes or len({len(s) for s in shapes}) != 1 or not shapes[0]:
                return f"its concatenated parts have shapes {shapes}"
            axis = source.axis % len(shapes[0])
            rest = {s[:axis] + s[axis + 1 :] for s in shapes}
            if len(rest) != 1:
                return f"its concatenated parts have shapes {shapes}, which differ outside axis {source.axis}"
        shape = tuple(source.shape)
        for t in self.transforms:
            n = len(shape)
            bad = False
            if isinstance(t, Transpose):
                bad = len(t.axes) != n or sorted(a % n for a in t.axes) != list(range(n)) if n else bool(t.axes)
            elif isinstance(t, Flip):
                bad = any(not -n <= a < n for a in t.axes)
            elif isinstance(t, Reshape):
                bad = _count(shape) != _count(t.shape)
            elif isinstance(t, Take):
                bad = not -n <= t.axis < n or not _in_range(t.indices, -shape[t.axis], shape[t.axis])
            elif isinstance(t, SumBlocks):
                bad = n == 0 or t.count < 1 or shape[0] % t.count != 0
            elif isinstance(t, GatherFlat):
                bad = len(t.indices) != _count(t.shape) or not _in_range(t.indices, 0, _count(shape))
            if bad:
                return f"its stored shape {tuple(source.shape)} does not fit the re-layout {t!r} (at shape {shape})"
            shape = t.out_shape(shape)
        return None

    def numpy(self) -> np.ndarray:
        """Materialize: read the source and apply every transform."""
        array = self.source.read()
        for t in self.transforms:
            array = t.apply(array)
        return array

    def read_chunks(self, max_bytes: int) -> Iterator[tuple[int, np.ndarray]]:
        """Materialize in blocks of rows along axis 0: yield ``(first_row, block)`` pairs.

        Writers copy large tensors this way so peak memory stays near ``max_bytes`` instead of
        growing with the largest tensor. Only an HDF5 source whose transforms keep rows
        independent (:func:`_row_local`) is split; anything else comes as one block.
        """
        shape = self.shape
        source = self.source
        if not (isinstance(source, H5Dataset) and len(shape) >= 1 and _row_local(self)):
            yield 0, self.numpy()
            return
        rows = source.shape[0]
        row_bytes = max(self.nbytes, int(np.prod(source.shape, dtype=np.int64)) * np.dtype(source.dtype).itemsize)
        row_bytes = max(1, row_bytes // max(rows, 1))
        step = max(1, max_bytes // row_bytes)
        for start in range(0, rows, step):
            block = source.read_rows(start, min(rows, start + step))
            for t in self.transforms:
                block = t.apply(block)
            yield start, block

    def then(self, *transforms: Transform) -> Weight:
        """Return a copy with more transforms appended (composition stays lazy)."""
        return replace(self, transforms=self.transforms + tuple(transforms))

    def renamed(self, name: str) -> Weight:
        return replace(self, name=name)

    @staticmethod
    def of(name: str, array: Any, *, trainable: bool = True) -> Weight:
        """A weight holding an in-memory array."""
        return Weight(name, InMemory(np.asarray(array)), trainable=trainable)

    @staticmethod
    def concat(name: str, parts: Sequence[Weight], axis: int = -1, *, trainable: bool = True) -> Weight:
        return Weight(name, Concat(tuple(parts), axis), trainable=trainable)
