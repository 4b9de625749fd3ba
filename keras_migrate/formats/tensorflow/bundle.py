"""TensorFlow tensor bundles read as data: CRC32C, snappy, the SSTable index and the data shards.

``model.save_weights("prefix")`` (tf.keras, no ``.h5`` suffix) and a SavedModel's
``variables/variables`` are *tensor bundles*:

* ``prefix.index`` is an immutable sorted string table (LevelDB's SSTable format: data
  blocks of prefix-compressed keys, an index block, a 48-byte footer ending in a magic
  number; each block followed by a compression byte and a masked CRC32C). Key ``""`` holds
  a ``BundleHeaderProto`` (``num_shards=1, endianness=2``); every other key a
  ``BundleEntryProto`` (``dtype=1, shape=2, shard_id=3, offset=4, size=5, crc32c=6,
  slices=7``).
* ``prefix.data-SSSSS-of-NNNNN`` hold the tensors' bytes, ``[offset, offset+size)`` in
  shard ``shard_id``, little-endian, C order; strings as varint lengths, a CRC of the
  lengths, then the bytes.

Each tensor is handed out as a lazy :class:`BundleTensor`, read (and its checksum
verified) when the weight is written. Nothing here imports TensorFlow.
"""

from __future__ import annotations

import math
import os
import struct
from dataclasses import dataclass

import numpy as np

from keras_migrate.errors import KerasMigrateError, UnsupportedError
from keras_migrate.formats.limits import MAX_CHECKPOINT_SHARDS, MAX_RANK
from keras_migrate.formats.tensorflow.object_graph import ObjectGraph
from keras_migrate.formats.tensorflow.protobuf import Message, ProtobufError, decode, read_varint

__all__ = ["OBJECT_GRAPH_KEY", "BundleTensor", "TensorBundle", "crc32c"]

OBJECT_GRAPH_KEY = "_CHECKPOINTABLE_OBJECT_GRAPH"
_TABLE_MAGIC = 0xDB4775248B80FB57
_FOOTER_SIZE = 48

#: TF DataType enum -> numpy dtype (little-endian); bfloat16 is widened to float32 on read.
_DTYPES: dict[int, str] = {
    1: "<f4", 2: "<f8", 3: "<i4", 4: "u1", 5: "<i2", 6: "i1", 9: "<i8", 10: "?",
    17: "<u2", 19: "<f2", 22: "<u4", 23: "<u8", 14: "<u2",
}  # fmt: skip
_DT_STRING = 7
_DT_BFLOAT16 = 14
_DT_NAMES = {7: "string", 8: "complex64", 18: "complex128", 20: "resource", 21: "variant"}


# --------------------------------------------------------------------------- CRC32C


def crc32c(data: bytes | memoryview) -> int:
    """CRC-32C (Castagnoli) of ``data``, as TF bundles and LevelDB tables store it.

    Google's C library (``google-crc32c``, hardware CRC instructions where the CPU has them)
    does the work: about 5 GB/s against the 8 MB/s of a table-driven loop in numpy.
    """
    import google_crc32c

    return int(google_crc32c.value(bytes(data) if isinstance(data, memoryview) else data))


def _unmask(masked: int) -> int:
    rot = (masked - 0xA282EAD8) & 0xFFFFFFFF
    return ((rot >> 17) | (rot << 15)) & 0xFFFFFFFF


# --------------------------------------------------------------------------- SSTable


def _snappy_decompress(data: bytes) -> bytes:
    """Decode a raw snappy block (TF's table writer may compress index blocks)."""
    n, pos = read_varint(data, 0)
    out = bytearray()
    end = len(data)
    while pos < end:
        tag = data[pos]
        pos += 1
        kind = tag & 3
        if kind == 0:  # literal
            length = tag >> 2
            if length >= 60:
                extra = length - 59
                length = int.from_bytes(data[pos : pos + extra], "little")
                pos += extra
            length += 1
            out += data[pos : pos + length]
            pos += length
            continue
        if kind == 1:
            length = ((tag >> 2) & 7) + 4
            offset = ((tag >> 5) << 8) | data[pos]
            pos += 1
        elif kind == 2:
            length = (tag >> 2) + 1
            offset = int.from_bytes(data[pos : pos + 2], "little")
            pos += 2
        else:
            length = (tag >> 2) + 1
            offset = int.from_bytes(data[pos : pos + 4], "little")
            pos += 4
        if offset == 0 or offset > len(out):
            raise ValueError("bad snappy back-reference")
        for _ in range(length):  # may overlap itself
            out.append(out[-offset])
    if len(out) != n:
        raise ValueError("snappy length mismatch")
    return bytes(out)


def _read_table(path: str) -> dict[str, bytes]:
    """Every key/value of an SSTable file (the tensor bundle's ``.index``)."""

    def bad(why: str) -> KerasMigrateError:
        return KerasMigrateError(f"checkpoint index is corrupt or truncated ({why})", path=path)

    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as exc:
        raise KerasMigrateError(f"cannot read checkpoint index ({exc.strerror})", path=path) from exc
    if len(raw) < _FOOTER_SIZE:
        raise bad(f"{len(raw)} bytes, shorter than the table footer")
    footer = raw[-_FOOTER_SIZE:]
    lo, hi = struct.unpack_from("<II", footer, 40)
    if (hi << 32) | lo != _TABLE_MAGIC:
        raise bad("no table magic number at the end")

    def block(handle: bytes, pos: int = 0) -> tuple[bytes, int]:
        offset, pos = read_varint(handle, pos)
        size, pos = read_varint(handle, pos)
        if offset + size + 5 > len(raw) - _FOOTER_SIZE:
            raise bad("a block lies beyond the end of the file")
        contents = raw[offset : offset + size]
        kind = raw[offset + size]
        (stored,) = struct.unpack_from("<I", raw, offset + size + 1)
        if crc32c(raw[offset : offset + size + 1]) != _unmask(stored):
            raise bad("block checksum mismatch")
        if kind == 1:
            try:
                contents = _snappy_decompress(contents)
            except (ValueError, IndexError) as exc:
                raise bad(f"snappy block does not decode: {exc}") from exc
        elif kind != 0:
            raise bad(f"unknown block compression {kind}")
        return contents, pos

    def entries(contents: bytes) -> list[tuple[bytes, bytes]]:
        if len(contents) < 4:
            raise bad("block too short")
        (num_restarts,) = struct.unpack_from("<I", contents, len(contents) - 4)
        limit = len(contents) - 4 - 4 * num_restarts
        if limit < 0:
            raise bad("block restart array overflows")
        out: list[tuple[bytes, bytes]] = []
        pos, key = 0, b""
        while pos < limit:
            shared, pos = read_varint(contents, pos)
            unshared, pos = read_varint(contents, pos)
            vlen, pos = read_varint(contents, pos)
            if shared > len(key) or pos + unshared + vlen > limit:
                raise bad("block entry overflows")
            key = key[:shared] + contents[pos : pos + unshared]
            pos += unshared
            out.append((key, contents[pos : pos + vlen]))
            pos += vlen
        return out

    try:
        _, p = read_varint(footer, 0)  # metaindex handle (unused)
        _, p = read_varint(footer, p)
        index, _ = block(footer, p)
        table: dict[str, bytes] = {}
        for _, handle in entries(index):
            data, _ = block(handle)
            for key, value in entries(data):
                table[key.decode("utf-8", errors="replace")] = value
    except (ProtobufError, struct.error, ValueError, IndexError) as exc:  # varints, short blocks
        raise bad(str(exc) or type(exc).__name__) from exc
    return table


# --------------------------------------------------------------------------- bundle


@dataclass(frozen=True, slots=True)
class BundleTensor:
    """One tensor in a bundle's data shard, read on demand (an ``ArraySource``)."""

    file: str
    key: str
    offset: int
    size: int
    shape: tuple[int, ...]
    #: numpy dtype of the stored bytes (``<u2`` for bfloat16, widened on read).
    stored_dtype: str
    crc: int | None = None
    bfloat16: bool = False

    @property
    def dtype(self) -> str:
        return "float32" if self.bfloat16 else str(np.dtype(self.stored_dtype).newbyteorder("="))

    def raw(self, *, verify: bool = True) -> bytes:
        try:
            with open(self.file, "rb") as f:
                real = os.fstat(f.fileno()).st_size
                # Checked against the file's real size before anything is allocated.
                if self.offset < 0 or self.size < 0 or self.offset + self.size > real:
                    raise KerasMigrateError(
                        f"checkpoint data shard is truncated or the index is corrupt: tensor {self.key!r} needs "
                        f"bytes {self.offset}..{self.offset + self.size}, the file has {real}",
                        path=self.file,
                    )
                f.seek(self.offset)
                data = f.read(self.size)
        except OSError as exc:
            raise KerasMigrateError(f"cannot read checkpoint data ({exc.strerror})", path=self.file) from exc
        if len(data) != self.size:
            raise KerasMigrateError(
                f"checkpoint data shard is truncated: tensor {self.key!r} needs bytes "
                f"{self.offset}..{self.offset + self.size}, the file ends at {self.offset + len(data)}",
                path=self.file,
            )
        if verify and self.crc is not None and crc32c(data) != _unmask(self.crc):
            raise KerasMigrateError(
                f"checkpoint data is corrupt: checksum mismatch for tensor {self.key!r}", path=self.file
            )
        return data

    def read(self) -> np.ndarray:
        array = np.frombuffer(self.raw(), dtype=self.stored_dtype).reshape(self.shape)
        if self.bfloat16:
            return (array.astype(np.uint32) << np.uint32(16)).view(np.float32)
        return array.astype(self.dtype, copy=False)

    def describe(self) -> str:
        return f"ckpt:{self.key}"


class TensorBundle:
    """The ``.index`` of a tensor bundle and where each tensor lives."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        index = prefix + ".index"
        if not os.path.exists(index):
            raise KerasMigrateError("TF checkpoint index not found", path=index)
        self.table = _read_table(index)
        header_raw = self.table.get("")
        if header_raw is None:
            raise KerasMigrateError("checkpoint index has no bundle header (not a TF tensor bundle)", path=index)
        try:
            header = decode(header_raw)
        except ProtobufError as exc:
            raise KerasMigrateError(f"checkpoint header is corrupt ({exc})", path=index) from exc
        try:
            self.num_shards = header.uint(1, 1)
            endianness = header.uint(2)
        except ProtobufError as exc:
            raise KerasMigrateError(f"checkpoint header is corrupt ({exc})", path=index) from exc
        if endianness != 0:
            raise UnsupportedError("big-endian checkpoints are not supported", path=index)
        if not 1 <= self.num_shards <= MAX_CHECKPOINT_SHARDS:
            raise KerasMigrateError(
                f"checkpoint header declares {self.num_shards} data shards (1..{MAX_CHECKPOINT_SHARDS} expected): "
                "the index is corrupt",
                path=index,
            )
        self.shards = []
        for i in range(self.num_shards):  # stops at the first missing shard: never a list of billions
            shard = f"{prefix}.data-{i:05d}-of-{self.num_shards:05d}"
            if not os.path.exists(shard):
                raise KerasMigrateError(
                    f"checkpoint data shard missing: {os.path.basename(shard)} (the index names {self.num_shards})",
                    path=shard,
                    hint="copy every prefix.data-* file along with prefix.index",
                )
            self.shards.append(shard)
        self._sizes = [os.path.getsize(s) for s in self.shards]

    def keys(self) -> list[str]:
        return [k for k in self.table if k]

    def entry(self, key: str) -> Message:
        raw = self.table.get(key)
        if raw is None:
            raise KerasMigrateError(f"checkpoint has no tensor {key!r}", path=self.prefix + ".index")
        try:
            return decode(raw)
        except ProtobufError as exc:
            raise KerasMigrateError(f"checkpoint entry {key!r} is corrupt ({exc})", path=self.prefix + ".index") from exc

    def tensor(self, key: str) -> BundleTensor:
        """A lazy reference to a numeric tensor."""
        try:
            return self._tensor(key)
        except ProtobufError as exc:
            raise KerasMigrateError(f"checkpoint entry {key!r} is corrupt ({exc})", path=self.prefix + ".index") from exc

    def _tensor(self, key: str) -> BundleTensor:
        e = self.entry(key)
        index = self.prefix + ".index"
        if e.has(7):
            raise UnsupportedError(f"tensor {key!r} is partitioned (sliced variables)", path=index)
        dtype = e.uint(1)
        if dtype not in _DTYPES:
            name = _DT_NAMES.get(dtype, f"enum {dtype}")
            raise UnsupportedError(f"tensor {key!r} has TF dtype {name}, not a numeric array", path=index)
        shape = _shape(e.sub(2))
        shard, offset, size = e.uint(3), e.sint64(4), e.sint64(5)
        if shard >= self.num_shards:
            raise KerasMigrateError(f"tensor {key!r} refers to shard {shard} of {self.num_shards}", path=index)
        itemsize = np.dtype(_DTYPES[dtype]).itemsize
        if size != math.prod(shape) * itemsize:  # Python ints: a shape overflowing 64 bits cannot match
            raise KerasMigrateError(f"tensor {key!r}: {size} bytes do not hold shape {shape}", path=index)
        if offset < 0 or offset + size > self._sizes[shard]:
            raise KerasMigrateError(
                f"checkpoint data shard is truncated: tensor {key!r} needs bytes {offset}..{offset + size}, "
                f"the file has {self._sizes[shard]}",
                path=self.shards[shard],
            )
        crc = e.uint(6) if e.has(6) else None
        return BundleTensor(self.shards[shard], key, offset, size, shape, _DTYPES[dtype], crc, dtype == _DT_BFLOAT16)

    def strings(self, key: str) -> list[bytes]:
        """A string tensor's elements (e.g. the serialized object graph)."""
        try:
            return self._strings(key)
        except ProtobufError as exc:
            raise KerasMigrateError(f"checkpoint entry {key!r} is corrupt ({exc})", path=self.prefix + ".index") from exc

    def _strings(self, key: str) -> list[bytes]:
        e = self.entry(key)
        if e.uint(1) != _DT_STRING:
            raise KerasMigrateError(f"tensor {key!r} is not a string tensor", path=self.prefix + ".index")
        shape = _shape(e.sub(2))
        shard, offset, size = e.uint(3), e.sint64(4), e.sint64(5)
        if shard >= self.num_shards:
            raise KerasMigrateError(f"tensor {key!r} refers to shard {shard} of {self.num_shards}", path=self.prefix)
        data = BundleTensor(self.shards[shard], key, offset, size, (size,), "u1").raw(verify=False)
        count = math.prod(shape)
        corrupt = KerasMigrateError(f"checkpoint data is corrupt: string tensor {key!r} does not decode", path=self.shards[shard])
        if count > len(data):  # each element takes at least its one-byte length
            raise corrupt
        try:
            lengths, pos = [], 0
            for _ in range(count):
                n, pos = read_varint(data, pos)
                lengths.append(n)
        except ProtobufError as exc:
            raise corrupt from exc
        # The entry's CRC covers each length as a little-endian uint32 (uint64 if larger),
        # then the 4 stored bytes (the masked CRC of those lengths), then the string bytes.
        check = b"".join(struct.pack("<I" if n <= 0xFFFFFFFF else "<Q", n) for n in lengths) + data[pos:]
        if sum(lengths) != len(data) - pos - 4 or (e.has(6) and crc32c(check) != _unmask(e.uint(6))):
            raise corrupt
        pos += 4
        out = []
        for n in lengths:
            out.append(data[pos : pos + n])
            pos += n
        return out

    def object_graph(self) -> ObjectGraph:
        if OBJECT_GRAPH_KEY not in self.table:
            raise UnsupportedError(
                "the checkpoint has no object graph: it is a name-based (TF1 Saver) checkpoint",
                path=self.prefix + ".index",
                hint="only object-based checkpoints (tf.keras save_weights, TF 2) are supported",
            )
        (raw,) = self.strings(OBJECT_GRAPH_KEY)
        try:
            return ObjectGraph.parse(raw)
        except ProtobufError as exc:
            raise KerasMigrateError(f"checkpoint object graph is corrupt ({exc})", path=self.prefix + ".index") from exc


def _shape(msg: Message | None) -> tuple[int, ...]:
    if msg is None:
        return ()
    if msg.uint(3):
        raise ProtobufError("tensor of unknown rank")
    subs = msg.subs(2)
    if len(subs) > MAX_RANK:
        raise ProtobufError(f"a shape of {len(subs)} dimensions")
    dims = []
    for d in subs:
        size = d.sint64(1)
        if size < 0:
            raise ProtobufError(f"a negative dimension ({size})")
        dims.append(size)
    return tuple(dims)
