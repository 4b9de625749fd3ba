"""Validation of a written ONNX file without holding its weights.

Two levels:

* :func:`check_records` and :func:`read_layout` run on every conversion and need no
  ``onnx``: the records are checked for what ``onnx.checker`` checks structurally (names
  unique, every input defined before use, outputs produced, known element types), and the
  written file is parsed back at the protobuf framing level (seeking over weight payloads)
  to confirm it decodes to the end with the planned counts and sizes.
* :func:`check_with_onnx` runs ``onnx.checker`` (full check, with shape inference) on a
  *weightless copy*: every ``raw_data`` payload of 1 KiB or more is replaced by an external-data
  reference to where those bytes already sit in the file, so the checker sees every tensor's
  dims, type and location but no weight is loaded. The copy is written beside the model
  (locations resolve relative to it) and removed afterwards. The tests run it on every
  converted fixture; the CLI runs it when ``KERAS_MIGRATE_ONNX_CHECKER=1``.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from typing import BinaryIO

from keras_migrate.converters.onnx import wire
from keras_migrate.converters.onnx.builder import Builder
from keras_migrate.errors import KerasMigrateError

__all__ = ["InvalidModelError", "Layout", "check_records", "check_with_onnx", "read_layout", "weightless_copy"]


#: Payloads below this stay in the weightless copy (shape inference reads small constants).
_EXTERNAL_MIN = 1024


class InvalidModelError(KerasMigrateError):
    """The ONNX records or the written file failed a structural check (a bug here)."""


def check_records(b: Builder, outer: Iterable[str] = ()) -> None:
    """Structural checks on a builder's records (and its subgraphs')."""
    defined = set(outer) | {n for n, _, _ in b.inputs}
    if b.parent is None:
        defined |= set(b.initializers)
    names: set[str] = set()
    for node in b.nodes:
        for i in node.inputs:
            if i and i not in defined:
                raise InvalidModelError(f"ONNX node {node.name!r} reads {i!r} before it is defined")
        for v in node.attrs.values():
            if isinstance(v, Builder):
                check_records(v, defined)
        for o in node.outputs:
            if o in defined:
                raise InvalidModelError(f"ONNX tensor {o!r} is defined twice")
            defined.add(o)
        if node.name in names:
            raise InvalidModelError(f"ONNX node name {node.name!r} is used twice")
        names.add(node.name)
    for o, _, _ in b.outputs:
        if o not in defined:
            raise InvalidModelError(f"ONNX graph output {o!r} is not produced")


# --------------------------------------------------------------------------- reading back


def _varint(f: BinaryIO) -> int:
    shift = value = 0
    while True:
        byte = f.read(1)
        if not byte:
            raise InvalidModelError("truncated ONNX file")
        value |= (byte[0] & 0x7F) << shift
        if not byte[0] & 0x80:
            return value
        shift += 7


def _fields(f: BinaryIO, end: int) -> Iterable[tuple[int, int, int, int]]:
    """(field, wire type, start of value, value length or the varint/fixed value) up to ``end``."""
    while f.tell() < end:
        key = _varint(f)
        field, wt = key >> 3, key & 7
        if wt == 0:
            yield field, wt, f.tell(), _varint(f)
        elif wt == 2:
            n = _varint(f)
            start = f.tell()
            yield field, wt, start, n
            f.seek(start + n)
        elif wt == 5:
            start = f.tell()
            f.seek(start + 4)
            yield field, wt, start, 4
        elif wt == 1:
            start = f.tell()
            f.seek(start + 8)
            yield field, wt, start, 8
        else:
            raise InvalidModelError(f"unexpected protobuf wire type {wt}")
    if f.tell() != end:
        raise InvalidModelError("ONNX message overruns its length")


@dataclass
class Layout:
    """What a written ONNX file holds, read at the framing level."""

    nodes: int = 0
    initializers: int = 0
    inputs: int = 0
    outputs: int = 0
    #: (file offset, length) of every embedded ``raw_data`` payload of 1 KiB or more, by
    #: initializer index (smaller ones are read with the message).
    payloads: dict[int, tuple[int, int]] | None = None


def _raw(f: BinaryIO, start: int, key: int, n: int) -> bytes:
    here = f.tell()
    f.seek(start)
    data = f.read(n)
    f.seek(here)
    return wire.varint(key) + (wire.varint(n) if key & 7 == 2 else b"") + data


def _scan(f: BinaryIO, size: int, skeleton: bool, location: str) -> tuple[Layout, bytes]:
    layout = Layout(payloads={})
    model = bytearray()
    for field, wt, start, n in _fields(f, size):
        if field == 7 and wt == 2:
            graph = bytearray()
            for gf, gwt, gs, gn in _fields(f, start + n):
                if gf == 5 and gwt == 2:
                    tensor = bytearray()
                    for tf, twt, ts, tn in _fields(f, gs + gn):
                        if tf == 9 and twt == 2 and tn >= _EXTERNAL_MIN:
                            assert layout.payloads is not None
                            layout.payloads[layout.initializers] = (ts, tn)
                        elif skeleton:
                            tensor += _raw(f, ts, (tf << 3) | twt, tn) if twt != 0 else wire.field_varint(tf, tn)
                    if skeleton and layout.payloads and layout.initializers in layout.payloads:
                        offset, length = layout.payloads[layout.initializers]
                        for k, v in (("location", location), ("offset", str(offset)), ("length", str(length))):
                            tensor += wire.field_bytes(13, wire.string_entry(k, v))
                        tensor += wire.field_varint(14, 1)
                    layout.initializers += 1
                    graph += wire.field_bytes(5, bytes(tensor)) if skeleton else b""
                    continue
                layout.nodes += gf == 1
                layout.inputs += gf == 11
                layout.outputs += gf == 12
                if skeleton:
                    graph += _raw(f, gs, (gf << 3) | gwt, gn) if gwt != 0 else wire.field_varint(gf, gn)
            model += wire.field_bytes(7, bytes(graph)) if skeleton else b""
        elif skeleton:
            model += _raw(f, start, (field << 3) | wt, n) if wt != 0 else wire.field_varint(field, n)
    return layout, bytes(model)


def read_layout(path: str) -> Layout:
    """Parse ``path`` at the framing level (weight payloads are skipped, never read)."""
    with open(path, "rb") as f:
        return _scan(f, os.path.getsize(path), False, "")[0]


def weightless_copy(path: str) -> bytes:
    """``path``'s model with every embedded weight turned into an external-data reference
    to the same bytes inside ``path`` (so the copy must sit in ``path``'s folder)."""
    with open(path, "rb") as f:
        return _scan(f, os.path.getsize(path), True, os.path.basename(path))[1]


def check_with_onnx(path: str, full_check: bool = True) -> None:
    """``onnx.checker`` on :func:`weightless_copy` of ``path`` (imports ``onnx``)."""
    import onnx

    parent = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".keras-migrate-check-", suffix=".onnx", dir=parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(weightless_copy(path))
        onnx.checker.check_model(tmp, full_check=full_check)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
