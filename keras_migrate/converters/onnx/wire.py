"""A small protobuf encoder for the ONNX messages the emitter writes, without ``onnx``.

Only what :mod:`.writer` needs: varints, tags, length-delimited fields, and the ONNX
messages built from :class:`~.builder.Builder` records (``NodeProto``, ``AttributeProto``,
``ValueInfoProto``, ``TensorProto`` headers, ``OperatorSetIdProto``,
``StringStringEntryProto``). Field numbers are those of ``onnx.proto`` (proto2: repeated
scalars are not packed). Fields are emitted in field-number order, the order the
protobuf runtime serializes in, and exactly the fields ``onnx.helper`` /
``onnx.numpy_helper`` would set, so a file written here is byte-for-byte the file
``onnx.save_model`` writes for the same records (the tests compare both).

A tensor's payload is never part of these bytes: :func:`tensor_header` encodes everything
of a ``TensorProto`` up to the ``raw_data`` length prefix, so the caller can stream the
data behind it; its size is known from the shape and dtype before any weight is read.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

__all__ = [
    "attribute",
    "external_tensor",
    "field_bytes",
    "field_varint",
    "len_prefix",
    "message",
    "metadata",
    "node",
    "opset_id",
    "str_field",
    "string_entry",
    "tensor_header",
    "tensor_proto",
    "value_info",
    "varint",
]

_VARINT, _FIXED32, _LEN = 0, 5, 2
_ONE_BYTE = tuple(bytes((v,)) for v in range(0x80))


def varint(value: int) -> bytes:
    """Base-128 varint; negative ints as 64-bit two's complement (10 bytes), as protobuf does."""
    if 0 <= value < 0x80:  # most tags, lengths and dims: one byte, made once
        return _ONE_BYTE[value]
    if value < 0:
        value += 1 << 64
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _tag(field: int, wire: int) -> bytes:
    return varint((field << 3) | wire)


def field_varint(field: int, value: int) -> bytes:
    return _tag(field, _VARINT) + varint(int(value))


def field_bytes(field: int, data: bytes) -> bytes:
    """A length-delimited field (string, bytes or an embedded message)."""
    return _tag(field, _LEN) + varint(len(data)) + data


def _field_str(field: int, text: str) -> bytes:
    return field_bytes(field, text.encode("utf-8"))


def _field_float(field: int, value: float) -> bytes:
    with np.errstate(over="ignore"):
        return _tag(field, _FIXED32) + np.float32(value).tobytes()


def message(*parts: bytes | Iterable[bytes]) -> bytes:
    """Concatenate encoded fields (parts may be iterables of fields)."""
    out = bytearray()
    for p in parts:
        if isinstance(p, (bytes, bytearray)):
            out += p
        else:
            for q in p:
                out += q
    return bytes(out)


# --------------------------------------------------------------------------- small messages


def string_entry(key: str, value: str) -> bytes:
    """``StringStringEntryProto`` (key = 1, value = 2)."""
    return _field_str(1, key) + _field_str(2, value)


def opset_id(domain: str, version: int) -> bytes:
    """``OperatorSetIdProto`` (domain = 1, version = 2); the empty domain is written, as set."""
    return _field_str(1, domain) + field_varint(2, version)


def _dimension(d: int | str | None) -> bytes:
    if d is None:
        return b""
    if isinstance(d, str):
        return _field_str(2, d)  # dim_param
    return field_varint(1, int(d))  # dim_value


def value_info(name: str, elem: int, shape: Sequence[int | str | None] | None) -> bytes:
    """``ValueInfoProto`` of a tensor (name = 1, type = 2 -> TypeProto.tensor_type = 1)."""
    tensor = field_varint(1, elem)  # elem_type
    if shape is not None:  # an empty shape is still written (a scalar), as onnx.helper does
        tensor += field_bytes(2, message(field_bytes(1, _dimension(d)) for d in shape))
    return _field_str(1, name) + field_bytes(2, field_bytes(1, tensor))


def tensor_header(name: str, dims: Sequence[int], elem: int, nbytes: int) -> bytes:
    """A ``TensorProto`` up to its ``raw_data`` payload: dims = 1, data_type = 2, name = 8,
    then the ``raw_data`` (9) tag and length. ``nbytes`` bytes of little-endian data follow."""
    head = message(field_varint(1, d) for d in dims) + field_varint(2, elem)
    if name:
        head += _field_str(8, name)
    return head + _tag(9, _LEN) + varint(nbytes)


def tensor_proto(name: str, array: np.ndarray, elem: int) -> bytes:
    """A whole ``TensorProto`` with ``raw_data`` (small constants, tensor attributes)."""
    data = _little_endian(array).tobytes()
    return tensor_header(name, array.shape, elem, len(data)) + data


def external_tensor(name: str, dims: Sequence[int], elem: int, location: str, offset: int, length: int) -> bytes:
    """A ``TensorProto`` whose data lives in an external file (external_data = 13 entries
    ``location``/``offset``/``length``, data_location = 14 EXTERNAL)."""
    head = message(field_varint(1, d) for d in dims) + field_varint(2, elem) + _field_str(8, name)
    entries = [("location", location), ("offset", str(offset)), ("length", str(length))]
    return head + message(field_bytes(13, string_entry(k, v)) for k, v in entries) + field_varint(14, 1)


def _little_endian(array: np.ndarray) -> np.ndarray:
    arr = np.ascontiguousarray(array)
    if arr.dtype.byteorder == ">":
        arr = arr.astype(arr.dtype.newbyteorder("<"))
    return arr


# --------------------------------------------------------------------------- attributes

# AttributeProto.AttributeType
_FLOAT, _INT, _STRING, _TENSOR, _GRAPH, _FLOATS, _INTS, _STRINGS = 1, 2, 3, 4, 5, 6, 7, 8


def attribute(key: str, value: Any, encode_graph: Any, encode_tensor: Any) -> bytes:
    """``AttributeProto`` the way ``onnx.helper.make_attribute`` types ``value``.

    ``encode_graph(value)`` / ``encode_tensor(value)`` encode a subgraph / tensor value
    (``None`` when ``value`` is not one), so this module needs no builder types.
    """
    head = _field_str(1, key)
    if isinstance(value, numbers.Integral):
        return head + field_varint(3, int(value)) + field_varint(20, _INT)
    if isinstance(value, numbers.Real):
        return head + _field_float(2, float(value)) + field_varint(20, _FLOAT)
    if isinstance(value, (str, bytes)):
        return head + field_bytes(4, _to_bytes(value)) + field_varint(20, _STRING)
    graph = encode_graph(value)
    if graph is not None:
        return head + field_bytes(6, graph) + field_varint(20, _GRAPH)
    tensor = encode_tensor(value)
    if tensor is not None:
        return head + field_bytes(5, tensor) + field_varint(20, _TENSOR)
    if isinstance(value, Iterable):
        items = list(value)
        if not items:
            raise ValueError(f"Could not infer attribute `{key}` type from empty iterator")
        if all(isinstance(v, numbers.Integral) for v in items):
            return head + message(field_varint(8, int(v)) for v in items) + field_varint(20, _INTS)
        if all(isinstance(v, numbers.Real) for v in items):
            return head + message(_field_float(7, float(v)) for v in items) + field_varint(20, _FLOATS)
        if all(isinstance(v, (str, bytes)) for v in items):
            return head + message(field_bytes(9, _to_bytes(v)) for v in items) + field_varint(20, _STRINGS)
    raise TypeError(f"attribute {key!r}: {value!r} has no ONNX attribute type here")


def _to_bytes(value: str | bytes) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else value


def node(op_type: str, inputs: Sequence[str], outputs: Sequence[str], name: str, attrs: Sequence[bytes]) -> bytes:
    """``NodeProto``: input = 1, output = 2, name = 3, op_type = 4, attribute = 5."""
    return message(
        (_field_str(1, i) for i in inputs),
        (_field_str(2, o) for o in outputs),
        _field_str(3, name) if name else b"",
        _field_str(4, op_type),
        (field_bytes(5, a) for a in attrs),
    )


def metadata(props: Mapping[str, str]) -> bytes:
    """``ModelProto.metadata_props`` (field 14) entries."""
    return message(field_bytes(14, string_entry(k, v)) for k, v in props.items())


def str_field(field: int, text: str) -> bytes:
    return _field_str(field, text)


def len_prefix(field: int, length: int) -> bytes:
    """Tag and length of a length-delimited field whose ``length`` bytes follow separately."""
    return _tag(field, _LEN) + varint(length)
