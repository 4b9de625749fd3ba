"""A minimal protobuf wire-format decoder, enough to read TensorFlow's saved files as data.

SavedModels and TF checkpoints are protobuf messages (``saved_model.pb``,
``keras_metadata.pb``, the tensor bundle's header and entries, the checkpoint's
``TrackableObjectGraph``). Only a handful of fields of a handful of messages matter here,
so instead of depending on TensorFlow's generated modules (or building descriptors), a
message is decoded into ``{field number: [values]}`` and the readers pick the fields they
know by number, as listed next to each use. Unknown fields are skipped, as protobuf itself
does, so newer writers with extra fields still parse.

Wire types: 0 varint, 1 fixed64, 2 length-delimited (bytes, strings, sub-messages, packed
repeated scalars), 5 fixed32; groups (3, 4) are long deprecated and never written by TF.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

__all__ = ["Message", "ProtobufError", "decode", "read_varint", "signed64"]


class ProtobufError(ValueError):
    """The bytes are not a well-formed protobuf message."""


def read_varint(data: bytes | memoryview, pos: int) -> tuple[int, int]:
    """Decode one base-128 varint at ``pos``; returns ``(value, next position)``."""
    result = 0
    shift = 0
    end = len(data)
    while True:
        if pos >= end:
            raise ProtobufError("truncated varint")
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise ProtobufError("varint longer than 10 bytes")


def signed64(value: int) -> int:
    """Interpret a decoded varint as int64 (negative numbers are 10-byte two's complement)."""
    value &= (1 << 64) - 1
    return value - (1 << 64) if value >= 1 << 63 else value


def _fields(data: bytes | memoryview) -> Iterator[tuple[int, int, int | bytes]]:
    pos = 0
    end = len(data)
    while pos < end:
        key, pos = read_varint(data, pos)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise ProtobufError("field number 0")
        if wire == 0:
            value, pos = read_varint(data, pos)
            yield number, wire, value
        elif wire == 1:
            if pos + 8 > end:
                raise ProtobufError("truncated fixed64 field")
            yield number, wire, struct.unpack_from("<Q", data, pos)[0]
            pos += 8
        elif wire == 2:
            length, pos = read_varint(data, pos)
            if pos + length > end:
                raise ProtobufError(f"field {number} claims {length} bytes, {end - pos} remain")
            yield number, wire, bytes(data[pos : pos + length])
            pos += length
        elif wire == 5:
            if pos + 4 > end:
                raise ProtobufError("truncated fixed32 field")
            yield number, wire, struct.unpack_from("<I", data, pos)[0]
            pos += 4
        else:
            raise ProtobufError(f"unsupported wire type {wire} (field {number})")


class Message:
    """One decoded message: the raw values of each field, in order of appearance."""

    __slots__ = ("_fields",)

    def __init__(self, data: bytes | memoryview) -> None:
        fields: dict[int, list[int | bytes]] = {}
        for number, _, value in _fields(data):
            fields.setdefault(number, []).append(value)
        self._fields = fields

    def has(self, number: int) -> bool:
        return number in self._fields

    def ints(self, number: int) -> list[int]:
        """A (repeated) integer field, packed or not."""
        out: list[int] = []
        for v in self._fields.get(number, []):
            if isinstance(v, bytes):  # packed repeated varints
                pos = 0
                while pos < len(v):
                    x, pos = read_varint(v, pos)
                    out.append(x)
            else:
                out.append(v)
        return out

    def uint(self, number: int, default: int = 0) -> int:
        values = self.ints(number)
        return values[-1] if values else default

    def sint64(self, number: int, default: int = 0) -> int:
        return signed64(self.uint(number, default))

    def raw(self, number: int, default: bytes = b"") -> bytes:
        values = self._fields.get(number)
        if not values:
            return default
        v = values[-1]
        if not isinstance(v, bytes):
            raise ProtobufError(f"field {number} is not length-delimited")
        return v

    def text(self, number: int, default: str = "") -> str:
        raw = self.raw(number, default.encode())
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ProtobufError(f"field {number} is not UTF-8 text") from exc

    def sub(self, number: int) -> Message | None:
        values = self._fields.get(number)
        if not values:
            return None
        return Message(self.raw(number))

    def subs(self, number: int) -> list[Message]:
        out = []
        for v in self._fields.get(number, []):
            if not isinstance(v, bytes):
                raise ProtobufError(f"field {number} is not a message")
            out.append(Message(v))
        return out

    def texts(self, number: int) -> list[str]:
        out = []
        for v in self._fields.get(number, []):
            if not isinstance(v, bytes):
                raise ProtobufError(f"field {number} is not a string")
            out.append(v.decode("utf-8", errors="replace"))
        return out


def decode(data: bytes | memoryview) -> Message:
    """Decode a serialized message (raises :class:`ProtobufError` if malformed)."""
    return Message(data)
