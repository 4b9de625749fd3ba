"""Builder records to an ONNX file in one streaming pass, without the ``onnx`` package.

Every message but the initializers' payloads is encoded in memory (nodes, names, value
infos, small constants: kilobytes). Each initializer's size follows from its shape and
dtype (:class:`~.lazy.LazyWeight` knows both without reading), so the ``GraphProto`` and
``ModelProto`` length prefixes are computed first; then the file is written front to back.
A weight whose bytes can be taken from its source file (:mod:`.raw_init`: stored plainly,
as it is or as a convolution kernel) is never read into Python: a large one is left as a
hole that the kernel fills by a file-to-file copy once the file is closed, a kernel is
re-laid out from bounded maps of the source. Any other weight is read and written in turn
(row blocks of at most :data:`CHUNK_BYTES` when it needs no re-layout), never holding more
than one weight.

Models whose initializers reach ``external_threshold`` bytes (protobuf's 2 GiB message
limit) put every initializer of at least :data:`EXTERNAL_MIN_BYTES` into ``<out>.data``
beside the model (``data_location = EXTERNAL``, with ``location`` relative to the model,
``offset`` and ``length``; tensors of 1 MiB or more start on a 4 KiB boundary).

Fields are written in field-number order and exactly as ``onnx.helper`` sets them, so
the bytes equal ``onnx.save_model`` of :func:`~.proto.to_model`'s proto (the tests check).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, BinaryIO

import numpy as np

from keras_migrate.converters.onnx import wire
from keras_migrate.converters.onnx.builder import Builder
from keras_migrate.converters.onnx.lazy import LazyWeight
from keras_migrate.converters.onnx.peephole import all_uses
from keras_migrate.converters.onnx.raw_init import INLINE_BYTES, RawSource, Relayout, raw_source
from keras_migrate.converters.onnx.tensors import TensorAttr, elem_type

__all__ = [
    "CHUNK_BYTES",
    "EXTERNAL_MIN_BYTES",
    "PROTO_LIMIT",
    "Written",
    "encode_subgraph",
    "ir_version",
    "max_known_opset",
    "producer_version",
    "prune_initializers",
    "write_model",
]

#: Protobuf cannot serialize 2 GiB; from this many initializer bytes on, weights go external.
PROTO_LIMIT = 1_900_000_000
#: Initializers smaller than this stay inside the model even when weights go external.
EXTERNAL_MIN_BYTES = 1024
#: Row-block size for streaming a weight that needs no re-layout.
CHUNK_BYTES = 4 << 20
#: Take weights from their source files' bytes where they can be (:mod:`.raw_init`); off,
#: every weight is read through HDF5 (the tests compare both).
RAW = True
_ALIGN, _ALIGN_FROM = 4096, 1 << 20

#: (newest opset, IR version) pairs, from ``onnx.helper.VERSION_TABLE`` (onnx 1.23): the IR
#: version written for an opset is that of the first row reaching it.
_IR_VERSIONS = ((8, 3), (9, 4), (10, 5), (11, 6), (14, 7), (18, 8), (20, 9), (22, 10), (23, 11), (24, 12), (27, 13), (28, 14))


def ir_version(opset: int) -> int:
    for newest, ir in _IR_VERSIONS:
        if newest >= opset:
            return ir
    return _IR_VERSIONS[-1][1]


def max_known_opset() -> int:
    """The newest opset this writer knows the IR version of."""
    return _IR_VERSIONS[-1][0]


def producer_version() -> str:
    """keras-migrate's version, from the installed distribution's metadata.

    Not ``keras_migrate.__version__``: the package imports the converters through its
    library API, so a converter importing the package back would close an import cycle.
    The distribution's ``METADATA`` is read directly (:func:`_metadata_version`) because
    importing :mod:`importlib.metadata` costs ~25 ms (it imports ``email``, ``zipfile``,
    ``csv``, ...); anything unusual falls back to it.
    """
    found = _metadata_version(_DIST)
    if found is not None:
        return found
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(_DIST)
    except PackageNotFoundError:  # run from a source tree that was never installed
        return ""


_DIST = "keras-migrate"


def _metadata_version(dist: str) -> str | None:
    """The ``Version:`` of the first ``<dist>-*.dist-info`` on ``sys.path`` (the one
    :func:`importlib.metadata.version` finds), or None when that is not the plain case."""
    want = re.sub(r"[-_.]+", "_", dist).lower()
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        hits = [n for n in names if re.sub(r"[-_.]+", "_", n.partition("-")[0]).lower() == want and "-" in n]
        if not hits:
            continue
        if len(hits) != 1 or not hits[0].endswith(".dist-info"):
            return None  # an egg-info, several versions, ...: importlib.metadata decides
        try:
            with open(os.path.join(entry or ".", hits[0], "METADATA"), encoding="utf-8") as f:
                for line in f:
                    if line.startswith("Version:"):
                        return line[len("Version:") :].strip()
                    if not line.strip():
                        break
        except OSError:
            pass
        return None
    return None


def prune_initializers(b: Builder) -> None:
    """Drop initializers no node (or graph output) reads."""
    used = all_uses(b) | {o for o, _, _ in b.outputs}
    for key in [k for k in b.initializers if k not in used]:
        del b.initializers[key]


# --------------------------------------------------------------------------- encoding


def _tensor_attr(value: Any) -> bytes | None:
    if isinstance(value, TensorAttr):
        arr = np.asarray(value.array)
        return wire.tensor_proto("value", arr, elem_type(str(arr.dtype)))
    return None


def _nodes(b: Builder) -> bytes:
    out = bytearray()
    for n in b.nodes:
        attrs = [
            wire.attribute(k, v, lambda g, n=n: _subgraph(g, n.name), _tensor_attr)
            for k, v in sorted(n.attrs.items())
            if v is not None
        ]
        out += wire.field_bytes(1, wire.node(n.op_type, n.inputs, n.outputs, n.name, attrs))
    return bytes(out)


def _subgraph(value: Any, node_name: str) -> bytes | None:
    return encode_subgraph(value, f"{node_name}/body") if isinstance(value, Builder) else None


def _io(b: Builder) -> bytes:
    fields = [wire.field_bytes(11, wire.value_info(nm, elem_type(dt), s)) for nm, dt, s in b.inputs]
    fields += [wire.field_bytes(12, wire.value_info(nm, elem_type(dt), s)) for nm, dt, s in b.outputs]
    return b"".join(fields)


def encode_subgraph(b: Builder, name: str) -> bytes:
    """A ``GraphProto`` without initializers (a ``Loop``/``Scan`` body)."""
    return _nodes(b) + wire.str_field(2, name) + _io(b)


@dataclass
class _Init:
    """One root initializer as written: its leading bytes, then ``nbytes`` streamed."""

    name: str
    head: bytes
    source: np.ndarray | LazyWeight | None  # None: nothing to stream (external or complete)
    nbytes: int
    #: Offset in the external data file (external initializers only).
    offset: int = -1
    #: Where its bytes lie in the source file, when they are taken from there (:mod:`.raw_init`).
    raw: RawSource | None = None

    @property
    def field_len(self) -> int:
        return len(self.head) + (self.nbytes if self.source is not None else 0)


def _plan(b: Builder, location: str | None) -> tuple[list[_Init], int]:
    """Every initializer's encoding; with ``location``, the large ones go external.
    Returns the initializers and the external file's size."""
    inits = []
    offset = 0
    for name, value in b.initializers.items():
        shape = value.shape if isinstance(value, LazyWeight) else tuple(value.shape)
        dtype = value.dtype if isinstance(value, LazyWeight) else str(value.dtype)
        elem = elem_type(str(dtype))
        nbytes = int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize
        raw = raw_source(value) if isinstance(value, LazyWeight) and RAW else None
        if location is not None and nbytes >= EXTERNAL_MIN_BYTES:
            if nbytes >= _ALIGN_FROM and offset % _ALIGN:
                offset += _ALIGN - offset % _ALIGN
            head = wire.external_tensor(name, shape, elem, location, offset, nbytes)
            inits.append(_Init(name, head, None, nbytes, offset, raw))
            offset += nbytes
        elif isinstance(value, LazyWeight):
            inits.append(_Init(name, wire.tensor_header(name, shape, elem, nbytes), value, nbytes, raw=raw))
        else:
            inits.append(_Init(name, wire.tensor_proto(name, value, elem), None, nbytes))
    return inits, offset


class _Payloads:
    """Writes initializer data into one file: from the source file's bytes when they can be
    taken from there (:mod:`.raw_init`), else read through HDF5 in blocks.

    A weight copied file to file leaves a hole of its size, where :attr:`copies` says to
    copy it once the file is written and closed (:func:`_copy_ranges`).
    """

    def __init__(self, f: BinaryIO, relayout: Relayout) -> None:
        self.f = f
        self.pos = 0
        self.relayout = relayout
        #: (source range, offset in this file) of each weight left to a file-to-file copy.
        self.copies: list[tuple[RawSource, int]] = []

    def write(self, data: bytes | memoryview) -> None:
        self.f.write(data)
        self.pos += len(data) if isinstance(data, bytes) else data.nbytes

    def skip_to(self, offset: int) -> None:
        """Advance to ``offset`` (the bytes between read as zeros: a hole or written ones)."""
        if offset > self.pos:
            self.f.seek(offset)
            self.pos = offset


def _blocks(source: np.ndarray | LazyWeight) -> Iterator[memoryview]:
    for block in source.chunks(CHUNK_BYTES) if isinstance(source, LazyWeight) else [source]:
        arr = np.ascontiguousarray(block)
        if arr.dtype.byteorder == ">":
            arr = arr.astype(arr.dtype.newbyteorder("<"))
        yield arr.reshape(-1).view(np.uint8).data


def _write_payload(out: _Payloads, init: _Init, source: np.ndarray | LazyWeight) -> None:
    """One initializer's data: re-laid out from a map, read in line or left to a copy when
    its bytes can be taken from the source file, else read in blocks."""
    raw = init.raw
    start = out.pos
    if raw is None:
        for block in _blocks(source):
            out.write(block)
    elif raw.kio is not None:
        assert isinstance(source, LazyWeight)
        out.relayout.write(raw, source.dtype, out.write)
    elif raw.nbytes <= INLINE_BYTES:
        out.write(out.relayout.read(raw))
    else:
        out.copies.append((raw, out.pos))
        out.skip_to(out.pos + raw.nbytes)
    if out.pos - start != init.nbytes:
        raise RuntimeError(f"initializer {init.name!r}: wrote {out.pos - start} bytes, planned {init.nbytes}")


def _copy_ranges(path: str, copies: list[tuple[RawSource, int]]) -> None:
    """Fill the holes left in ``path`` (written and closed) by copying each source range
    file to file (:func:`keras_migrate.converters.raw_copy.copy_ranges`). Imported only
    when there is something to copy: it brings the zip writer's CRC machinery (~3 ms)."""
    if not copies:
        return
    from keras_migrate.converters.raw_copy import DirectCopy, copy_ranges

    copy_ranges(path, [DirectCopy(raw.path, raw.offset, at, raw.nbytes) for raw, at in copies])


@dataclass(frozen=True)
class Written:
    """What :func:`write_model` wrote."""

    #: Bytes of initializer data (inside the model or in the external file).
    weight_bytes: int
    #: The external data file's path, when weights went there.
    external: str | None


def write_model(
    b: Builder,
    path: str,
    name: str,
    doc: str,
    metadata: Mapping[str, str],
    *,
    data_path: str | None = None,
    location: str | None = None,
    external_threshold: int = PROTO_LIMIT,
) -> Written:
    """Write the model of root builder ``b`` to ``path``, streaming initializers.

    When the initializers total ``external_threshold`` bytes or more, the large ones go to
    ``data_path`` (recorded in the model as ``location``, relative to the model's folder).
    """
    prune_initializers(b)
    total = sum(_nbytes(v) for v in b.initializers.values())
    external = total >= external_threshold
    if external and (data_path is None or location is None):
        raise ValueError("weights need an external data file: pass data_path and location")
    inits, _ = _plan(b, location if external else None)
    pre = _nodes(b) + wire.str_field(2, name)
    post = _io(b)
    graph_len = len(pre) + len(post) + sum(len(wire.len_prefix(5, i.field_len)) + i.field_len for i in inits)
    head = (
        wire.field_varint(1, ir_version(b.opset))
        + wire.str_field(2, "keras-migrate")
        + wire.str_field(3, producer_version())
        + wire.str_field(6, doc)
        + wire.len_prefix(7, graph_len)
    )
    tail = wire.field_bytes(8, wire.opset_id("", b.opset)) + wire.metadata(metadata)
    relayout = Relayout()
    try:
        with open(path, "wb") as f:
            out = _Payloads(f, relayout)
            out.write(head + pre)
            for init in inits:
                out.write(wire.len_prefix(5, init.field_len) + init.head)
                if init.source is not None:
                    _write_payload(out, init, init.source)
            out.write(post + tail)
        _copy_ranges(path, out.copies)
        if external:
            assert data_path is not None
            with open(data_path, "wb") as f:
                out = _Payloads(f, relayout)
                for init in inits:
                    if init.offset >= 0:
                        out.skip_to(init.offset)
                        _write_payload(out, init, b.initializers[init.name])
                f.truncate(out.pos)  # a hole left last still counts
            _copy_ranges(data_path, out.copies)
    finally:
        relayout.close()
    return Written(total, data_path if external else None)


def _nbytes(value: np.ndarray | LazyWeight) -> int:
    return int(value.nbytes)

