"""Just enough protobuf wire format and LevelDB table format to damage them precisely.

Self-contained on purpose: the harness must not rely on the readers it is testing.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

__all__ = [
    "Field",
    "Spot",
    "crc32c",
    "decode_fields",
    "encode_fields",
    "encode_varint",
    "read_table",
    "spots",
    "write_table",
]


def encode_varint(value: int) -> bytes:
    """Base-128 varint; negative values as 10-byte two's complement, as protobuf does."""
    value &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data) or shift > 63:
            raise ValueError("bad varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return result, pos


@dataclass(frozen=True, slots=True)
class Field:
    """One top-level field: number, wire type and raw value (int or bytes)."""

    number: int
    wire: int
    value: int | bytes


def decode_fields(data: bytes) -> list[Field]:
    """Top-level fields of a message; raises ``ValueError`` on anything malformed."""
    out: list[Field] = []
    pos = 0
    while pos < len(data):
        tag, pos = _varint(data, pos)
        number, wire = tag >> 3, tag & 7
        value: int | bytes
        if wire == 0:
            value, pos = _varint(data, pos)
        elif wire == 1:
            value, pos = data[pos : pos + 8], pos + 8
        elif wire == 2:
            length, pos = _varint(data, pos)
            value, pos = data[pos : pos + length], pos + length
        elif wire == 5:
            value, pos = data[pos : pos + 4], pos + 4
        else:
            raise ValueError(f"wire type {wire}")
        if pos > len(data) or number == 0:
            raise ValueError("truncated")
        out.append(Field(number, wire, value))
    return out


def encode_fields(fields: list[Field]) -> bytes:
    """Inverse of :func:`decode_fields`."""
    out = bytearray()
    for f in fields:
        out += encode_varint(f.number << 3 | f.wire)
        if f.wire == 0:
            out += encode_varint(int(f.value))
        elif f.wire == 2:
            assert isinstance(f.value, bytes)
            out += encode_varint(len(f.value)) + f.value
        else:
            assert isinstance(f.value, bytes)
            out += f.value
    return bytes(out)


@dataclass(frozen=True, slots=True)
class Spot:
    """A varint in the file: a tag (``kind="tag"``), a length prefix or a varint value."""

    kind: str
    start: int
    end: int
    value: int


def spots(data: bytes, *, limit: int = 20000) -> list[Spot]:
    """Every tag, length prefix and varint value, descending into nested messages.

    A length-delimited payload counts as a nested message when it decodes completely.
    """
    found: list[Spot] = []
    stack = [(0, len(data), 0)]
    while stack and len(found) < limit:
        begin, end, depth = stack.pop()
        pos = begin
        local: list[Spot] = []
        nested: list[tuple[int, int, int]] = []
        try:
            while pos < end:
                tag, after = _varint(data, pos)
                local.append(Spot("tag", pos, after, tag))
                wire, pos = tag & 7, after
                if wire == 0:
                    value, after = _varint(data, pos)
                    local.append(Spot("value", pos, after, value))
                    pos = after
                elif wire == 2:
                    length, after = _varint(data, pos)
                    local.append(Spot("length", pos, after, length))
                    if after + length > end:
                        raise ValueError("overrun")
                    if depth < 32 and length:
                        nested.append((after, after + length, depth + 1))
                    pos = after + length
                elif wire in (1, 5):
                    pos += 8 if wire == 1 else 4
                else:
                    raise ValueError("wire")
                if pos > end or tag >> 3 == 0:
                    raise ValueError("overrun")
        except ValueError:
            continue  # not a message (a string or packed payload): no spots inside
        found += local
        stack += nested
    return found


# ----------------------------------------------------------------------- crc32c / tables

def crc32c(data: bytes) -> int:
    """CRC-32C (Castagnoli), as LevelDB tables and TF bundles use."""
    import google_crc32c

    return int(google_crc32c.value(data))


def _mask(crc: int) -> int:
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


_MAGIC = 0xDB4775248B80FB57


def _block_entries(block: bytes) -> list[tuple[bytes, bytes]]:
    (n,) = struct.unpack_from("<I", block, len(block) - 4)
    limit = len(block) - 4 - 4 * n
    out, pos, key = [], 0, b""
    while pos < limit:
        shared, pos = _varint(block, pos)
        unshared, pos = _varint(block, pos)
        vlen, pos = _varint(block, pos)
        key = key[:shared] + block[pos : pos + unshared]
        pos += unshared
        out.append((key, block[pos : pos + vlen]))
        pos += vlen
    return out


def read_table(data: bytes) -> list[tuple[bytes, bytes]]:
    """Every (key, value) of an uncompressed LevelDB table (a TF bundle ``.index``)."""
    footer = data[-48:]
    _, p = _varint(footer, 0)
    _, p = _varint(footer, p)
    off, p = _varint(footer, p)
    size, _ = _varint(footer, p)
    entries: list[tuple[bytes, bytes]] = []
    for _, handle in _block_entries(data[off : off + size]):
        boff, q = _varint(handle, 0)
        bsize, _ = _varint(handle, q)
        if data[boff + bsize] != 0:
            raise ValueError("compressed block")
        entries += _block_entries(data[boff : boff + bsize])
    return entries


def _block(entries: list[tuple[bytes, bytes]]) -> bytes:
    out = bytearray()
    restarts = []
    for key, value in entries:
        restarts.append(len(out))
        out += encode_varint(0) + encode_varint(len(key)) + encode_varint(len(value)) + key + value
    if not restarts:
        restarts = [0]
    for r in restarts:
        out += struct.pack("<I", r)
    out += struct.pack("<I", len(restarts))
    return bytes(out)


def write_table(entries: list[tuple[bytes, bytes]]) -> bytes:
    """An uncompressed LevelDB table holding ``entries`` (sorted by key), checksums correct."""
    out = bytearray()

    def put(block: bytes) -> bytes:
        handle = encode_varint(len(out)) + encode_varint(len(block))
        out.extend(block + b"\0" + struct.pack("<I", _mask(crc32c(block + b"\0"))))
        return handle

    ordered = sorted(entries)
    data_handle = put(_block(ordered))
    meta_handle = put(_block([]))
    last = ordered[-1][0] if ordered else b""
    index_handle = put(_block([(last, data_handle)]))
    footer = (meta_handle + index_handle).ljust(40, b"\0")
    out += footer + struct.pack("<II", _MAGIC & 0xFFFFFFFF, _MAGIC >> 32)
    return bytes(out)
