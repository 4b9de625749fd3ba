"""Write IR weights as a Keras 3 weights file (``.weights.h5`` or a ``.keras`` member).

Keras 3 stores each layer's variables in a ``<object path>/vars`` group as datasets ``0``,
``1``..., where the object path follows attribute names and snake-cased class names, not
layer names. :func:`weight_paths` computes those paths from the IR (the same order the
loader will walk), and :func:`write_weights_h5` streams one array at a time (a large one in
row blocks) from the source file to the new one, so memory stays bounded by
:data:`CHUNK_BYTES`, not by the model or its largest tensor.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO

import numpy as np

from keras_migrate.converters.keras3_config import graph_is_chain
from keras_migrate.converters.keras3_order import keras_layer_order
from keras_migrate.converters.raw_copy import DirectCopy, copy_ranges
from keras_migrate.converters.stored_zip import RawCrc
from keras_migrate.ir.graph import COMPAT_PREFIX, Graph, Layer
from keras_migrate.ir.ops.keras3 import is_op_type
from keras_migrate.ir.specs import save_groups, snake_case
from keras_migrate.ir.unknown import is_unknown, stub_identifier, unknown_class
from keras_migrate.ir.user_code import is_user_type, user_class_name
from keras_migrate.ir.weights import H5Dataset, Weight

__all__ = ["CHUNK_BYTES", "WeightSlot", "weight_slots", "write_weights_h5"]


@dataclass(frozen=True, slots=True)
class WeightSlot:
    """A ``vars`` group to write: its path, the layer's name, and its weights in order."""

    path: str
    layer_name: str
    weights: tuple[Weight, ...]
    #: Dataset names when Keras saves these weights by name (else ``0``, ``1``...).
    keys: tuple[str, ...] = ()


def _class_name(layer: Layer) -> str:
    if layer.subgraph is not None:
        return "Sequential" if _is_sequential(layer.subgraph) else "Functional"
    t = layer.type
    if is_user_type(t):
        return user_class_name(t)
    if is_unknown(t):  # a --placeholders stub: saved under its own class name
        return stub_identifier(unknown_class(layer.config))
    return t[len(COMPAT_PREFIX) :] if t.startswith(COMPAT_PREFIX) else t


def _is_sequential(graph: Graph) -> bool:
    return graph.kind == "sequential" and graph_is_chain(graph)


def _unique(base: str, used: dict[str, int]) -> str:
    k = used.get(base, 0)
    used[base] = k + 1
    return base if k == 0 else f"{base}_{k}"


def weight_slots(graph: Graph, prefix: str = "", model_name: str | None = None) -> Iterator[WeightSlot]:
    """Every ``vars`` group Keras 3 expects for ``graph``, in its saving order."""
    yield WeightSlot(f"{prefix}vars", model_name or graph.name, ())
    layers = {lay.name: lay for lay in graph.layers}
    order = [n.layer for n in graph.nodes] if _is_sequential(graph) else keras_layer_order(graph)
    used: dict[str, int] = {}
    for lname in order:
        if lname in graph.inputs:
            key = _unique("input_layer", used)
            yield WeightSlot(f"{prefix}layers/{key}/vars", lname, ())
            continue
        layer = layers[lname]
        if is_op_type(layer.type):  # op nodes are not in model.layers and save nothing
            continue
        key = _unique(snake_case(_class_name(layer)), used)
        base = f"{prefix}layers/{key}/"
        if layer.subgraph is not None:
            yield from weight_slots(layer.subgraph, base, layer.name)
            continue
        if is_user_type(layer.type):  # the user's class: its own variables, in creation order
            yield WeightSlot(base + "vars", lname, tuple(layer.weights))
            continue
        by_name = {w.name: w for w in layer.weights}
        for group in save_groups(layer.type, layer.config):
            yield WeightSlot(base + group.path, lname, tuple(by_name[n] for n in group.weights), group.keys)


#: Largest block of one tensor held in memory while copying (larger tensors go in row blocks).
CHUNK_BYTES = 16 << 20


def _dtype(name: str) -> np.dtype[Any]:
    """``np.dtype(name)``, parsed once per name (a model's weights name a few dtypes)."""
    out = _DTYPES.get(name)
    if out is None:
        out = _DTYPES[name] = np.dtype(name)
    return out


_DTYPES: dict[str, np.dtype[Any]] = {}


def _out_dtype(dtype: str) -> np.dtype[Any]:
    """The dtype a weight of ``dtype`` is written as: its own, float64 as float32."""
    out = _dtype(dtype)
    return np.dtype(np.float32) if out == np.float64 else out


def _raw_bytes(array: np.ndarray) -> memoryview | None:
    """``array``'s bytes as HDF5 stores them in a contiguous dataset created from it (a
    numeric or boolean native-order array: HDF5 copies such bytes as they are), else None."""
    if array.dtype.kind not in "fiub" or not array.dtype.isnative or not array.flags.c_contiguous:
        return None
    return array.reshape(-1).view(np.uint8).data


def _raw_offset(dataset: Any, nbytes: int) -> int | None:
    """The file offset of the raw data of ``dataset`` (an h5py ``DatasetID``) once written,
    if it is one contiguous block of ``nbytes`` bytes (else None: its bytes are read back
    for the CRC instead)."""
    if dataset.get_storage_size() != nbytes:
        return None
    offset = dataset.get_offset()
    return None if offset is None else int(offset)


class _H5Writer:
    """Groups, ``name`` attributes and datasets through h5py's low-level API, with the
    property lists and types made once: h5py's high-level calls cost ~0.1-0.2 ms each in
    Python (a new property list, type checks) per group, attribute and dataset, about a
    tenth of a ResNet50 conversion's write. The file is the same: contiguous datasets of
    the array's own type, never filled (``FILL_TIME_NEVER``: each raw byte is written
    exactly once), no timestamps (h5py's default), ``name`` a variable-length UTF-8 string."""

    def __init__(self, f: Any, chunk_bytes: int, raw_crc: RawCrc | None, direct: list[DirectCopy] | None = None) -> None:
        import h5py
        from h5py import h5d, h5p, h5s, h5t

        self._file = f
        self._h5py = h5py
        self._limit = chunk_bytes
        self._raw_crc = raw_crc
        self._lcpl = h5p.create(h5p.LINK_CREATE)
        self._lcpl.set_create_intermediate_group(True)
        self._dcpl = h5p.create(h5p.DATASET_CREATE)
        self._dcpl.set_fill_time(h5d.FILL_TIME_NEVER)
        self._dcpl.set_obj_track_times(False)
        #: Raw ranges copied file to file after HDF5 closes the file (None: write everything
        #: through HDF5, e.g. into a file object); their datasets are allocated at creation.
        self._direct = direct
        self._dcpl_early = self._dcpl.copy()
        self._dcpl_early.set_alloc_time(h5d.ALLOC_TIME_EARLY)
        #: HDF5 types of the dtypes written so far (HDF5 copies a type into each dataset it
        #: creates, so one type object serves every dataset of its dtype).
        self._types: dict[np.dtype[Any], Any] = {}
        #: Each source file's absolute path (the direct copies name it once per weight).
        self._abspaths: dict[str, str] = {}
        self._str_type = h5t.py_create(h5py.string_dtype(), logical=True)
        self._str_dtype = h5py.string_dtype()
        self._scalar = h5s.create(h5s.SCALAR)

    def group(self, path: str, layer_name: str) -> Any:
        """The group at ``path`` (created with its parents), its ``name`` attribute set."""
        from h5py import h5a, h5g

        try:
            gid = h5g.create(self._file.id, path.encode(), lcpl=self._lcpl)
        except ValueError:  # it exists already (a path seen before): the high-level way
            group = self._file.require_group(path)
            group.attrs["name"] = layer_name
            return group.id
        attr = h5a.create(gid, b"name", self._str_type, self._scalar)
        attr.write(np.array(layer_name, dtype=self._str_dtype))
        return gid

    def _create(self, gid: Any, name: str, shape: tuple[int, ...], dtype: np.dtype[Any], *, early: bool = False) -> Any:
        from h5py import h5d, h5s, h5t

        space = h5s.create_simple(shape) if shape else self._scalar
        dcpl = self._dcpl_early if early else self._dcpl
        tid = self._types.get(dtype) if dtype.metadata is None else None
        if tid is None:
            tid = h5t.py_create(dtype, logical=True)
            if dtype.metadata is None:  # (h5py's special dtypes compare equal to plain ones)
                self._types[dtype] = tid
        return h5d.create(gid, name.encode(), tid, space, dcpl=dcpl)

    def _direct_copy(self, gid: Any, name: str, weight: Weight) -> int | None:
        """Allocate ``gid[name]`` and note its bytes for a file-to-file copy, when the weight
        is a stored dataset's bytes as they are (no re-layout, the output's dtype, a raw
        extent: :meth:`~keras_migrate.ir.weights.H5Dataset.raw_extent`); else None."""
        source = weight.source
        if self._direct is None or weight.transforms or not isinstance(source, H5Dataset) or not weight.shape:
            return None
        dtype = _dtype(weight.dtype)
        if _out_dtype(weight.dtype) != dtype or (extent := source.raw_extent()) is None:
            return None
        dataset = self._create(gid, name, tuple(int(d) for d in weight.shape), dtype, early=True)
        at = _raw_offset(dataset, extent[1])
        if at is None:  # not one contiguous allocated block after all: HDF5 writes it
            return self._write_rows(dataset, weight, dtype)
        file = self._abspaths.get(source.file)
        if file is None:
            file = self._abspaths[source.file] = os.path.abspath(source.file)
        self._direct.append(DirectCopy(file, extent[0], at, extent[1]))
        return extent[1]

    def dataset(self, gid: Any, name: str, weight: Weight) -> int:
        """Copy one weight into ``gid[name]``; a large tensor goes in row blocks, never whole.
        The raw bytes of each block go to ``raw_crc`` at their file offset."""
        from h5py import h5s

        raw_crc = self._raw_crc
        if (copied := self._direct_copy(gid, name, weight)) is not None:
            return copied
        if weight.nbytes <= self._limit or not weight.shape:
            array = np.asarray(weight.numpy())
            if array.dtype == np.float64:
                array = array.astype(np.float32)
            if array.dtype.kind not in "fiub":  # not a plain number: h5py's own conversions
                self._h5py.Group(gid).create_dataset(name, data=array)
                return int(array.nbytes)
            if not array.flags.c_contiguous:  # (np.ascontiguousarray would make a 0-d array 1-d)
                array = array.copy(order="C")
            dataset = self._create(gid, name, tuple(int(d) for d in array.shape), array.dtype)
            if array.size:
                dataset.write(h5s.ALL, h5s.ALL, array)
                if raw_crc is not None and (raw := _raw_bytes(array)) is not None:
                    at = _raw_offset(dataset, array.nbytes)
                    if at is not None:
                        raw_crc.add(at, raw)
            return int(array.nbytes)
        dtype = _out_dtype(weight.dtype)
        return self._write_rows(self._create(gid, name, tuple(weight.shape), dtype), weight, dtype)

    def _write_rows(self, dataset: Any, weight: Weight, dtype: np.dtype[Any]) -> int:
        """Copy ``weight`` into ``dataset`` in row blocks of at most the chunk size."""
        raw_crc = self._raw_crc
        view = self._h5py.Dataset(dataset)
        total = 0
        offset: int | None = None
        row_bytes = dtype.itemsize * int(np.prod(weight.shape[1:], dtype=np.int64))
        for start, block in weight.read_chunks(self._limit):
            block = np.ascontiguousarray(block, dtype=dtype)
            view[start : start + block.shape[0]] = block
            if raw_crc is not None and (raw := _raw_bytes(block)) is not None:
                if offset is None:
                    offset = _raw_offset(dataset, int(np.prod(weight.shape, dtype=np.int64)) * dtype.itemsize)
                if offset is not None:
                    raw_crc.add(offset + start * row_bytes, raw)
            total += int(block.nbytes)
            del block
        return total


def write_weights_h5(
    graph: Graph,
    path: str | BinaryIO,
    *,
    on_weight: Callable[[int], None] | None = None,
    chunk_bytes: int | None = None,
    optimizer_variables: Sequence[Weight] | None = None,
    userblock_size: int = 0,
    raw_crc: RawCrc | None = None,
) -> int:
    """Write every weight into a new HDF5 file at ``path`` (a path or a seekable file-like
    object, e.g. a ``.keras`` archive member); returns bytes written.

    Each weight is read once from its source and written once; tensors larger than
    ``chunk_bytes`` (default :data:`CHUNK_BYTES`) are copied in row blocks so memory stays
    bounded. ``optimizer_variables``: a compiled model's optimizer state, written to the
    ``optimizer/vars`` group in order (see :mod:`~keras_migrate.converters.keras3_training`).
    ``userblock_size``: bytes HDF5 leaves free at the start of the file (a ``.keras``
    archive's local header goes there); ``raw_crc``: given every raw-data block written, at
    its file offset, for the archive member's CRC-32.
    """
    import h5py

    limit = CHUNK_BYTES if chunk_bytes is None else chunk_bytes

    total = 0
    direct: list[DirectCopy] | None = [] if isinstance(path, str) else None
    with h5py.File(path, "w", userblock_size=userblock_size or None) as f:
        out = _H5Writer(f, limit, raw_crc, direct)
        for slot in weight_slots(graph):
            gid = out.group(slot.path, slot.layer_name)
            for i, w in enumerate(slot.weights):
                n = out.dataset(gid, slot.keys[i] if slot.keys else str(i), w)
                total += n
                if on_weight is not None:
                    on_weight(n)
        if optimizer_variables is not None:
            # Keras 3 loads these positionally into the compiled model's optimizer.
            gid = f.require_group("optimizer/vars").id
            for i, w in enumerate(optimizer_variables):
                total += out.dataset(gid, str(i), w)
    if direct:
        assert isinstance(path, str)
        copy_ranges(path, direct, raw_crc)
    return total
