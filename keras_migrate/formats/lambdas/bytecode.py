"""Read a marshalled code object of any CPython 2.7 / 3.4-3.12, never executing it.

Marshal data carries no version: the saving Python is told from the data itself. The
code object's layout changed at 3.0 (``co_kwonlyargcount``), 3.8 (``co_posonlyargcount``)
and 3.11 (``co_localsplusnames``), so only versions whose layout reads the bytes to the
end are candidates; within a layout the opcodes differ (3.6 wordcode, 3.7 ``LOAD_METHOD``,
3.11 ``PRECALL``/``CALL``, 3.12 ``LOAD_ATTR`` methods...), and the symbolic evaluator
(:mod:`.symbolic`) keeps the versions whose instruction stream it can read. ``xdis`` does
the unmarshalling and disassembly for a Python other than the running one; it only
parses bytes (``marshal.loads`` is never called, nothing is imported or run).
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass
from typing import Any

__all__ = ["CANDIDATE_VERSIONS", "Instruction", "ReadCode", "instructions", "read_code"]

#: The CPython versions whose Lambda bytecode occurs in legacy Keras files.
CANDIDATE_VERSIONS: tuple[str, ...] = ("3.11", "3.12", "3.10", "3.9", "3.8", "3.7", "3.6", "3.5", "3.4", "2.7")


@dataclass(frozen=True, slots=True)
class Instruction:
    """One instruction, version-independent: ``opname``, raw ``arg`` and resolved ``argval``
    (a constant, a name, a comparison or binary-operator symbol), ``argrepr`` as xdis
    prints it, and the instruction's ``offset``."""

    opname: str
    arg: int | None
    argval: Any
    argrepr: str
    offset: int


@dataclass(frozen=True, slots=True)
class ReadCode:
    """A code object as read for one candidate version."""

    version: str
    #: The xdis code object (attributes ``co_varnames``, ``co_names``, ``co_consts``...).
    code: Any
    #: The versions the same bytes also read as (same layout), for messages.
    layout_versions: tuple[str, ...]


def _load(raw: bytes, version: str) -> Any | None:
    from xdis.magics import by_version, magic2int
    from xdis.unmarshal import load_code

    fp = io.BytesIO(raw)
    sink = io.StringIO()
    try:
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            code = load_code(fp, magic2int(by_version[version]))
    except Exception:
        return None
    if fp.tell() != len(raw) or not hasattr(code, "co_code"):
        return None
    return code


def read_code(raw: bytes) -> list[ReadCode]:
    """Every candidate reading of ``raw``: one per CPython version whose code-object layout
    consumes the bytes exactly, in :data:`CANDIDATE_VERSIONS` order."""
    found = [(v, c) for v in CANDIDATE_VERSIONS if (c := _load(raw, v)) is not None]
    versions = tuple(v for v, _ in found)
    return [ReadCode(v, c, versions) for v, c in found]


def instructions(read: ReadCode) -> list[Instruction]:
    """The instruction stream of ``read`` under its version's opcode table (``CACHE``
    entries and ``EXTENDED_ARG`` folded away); ``ValueError`` when the bytes are not
    instructions of that version."""
    from xdis.bytecode import Bytecode
    from xdis.op_imports import get_opcode_module
    from xdis.version_info import PythonImplementation

    vt = tuple(int(p) for p in read.version.split("."))
    opc = get_opcode_module(vt, PythonImplementation.CPython)
    sink = io.StringIO()
    try:
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            raw = list(Bytecode(read.code, opc))
    except Exception as exc:
        raise ValueError(f"the instructions do not decode as Python {read.version} ({type(exc).__name__})") from None
    return [
        Instruction(str(i.opname), i.arg, i.argval, str(i.argrepr or ""), int(i.offset))
        for i in raw
        if i.opname not in ("CACHE", "EXTENDED_ARG")
    ]
