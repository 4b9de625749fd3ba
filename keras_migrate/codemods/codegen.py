"""Code generation for rewritten libcst nodes, without libcst's per-node context managers.

``Module.code_for_node`` enters ``CodegenState.record_syntactic_position`` -- a
``contextlib`` generator that does nothing unless positions are being computed -- around
every expression and statement it prints, which makes up about a third of the cost of
printing a statement. :func:`code_for_node` prints with a state whose
``record_syntactic_position`` returns one shared no-op context manager: the same tokens in
the same order, so the same text (tests/codemods/test_fast_path.py checks it against
``code_for_node`` on every statement of the corpus and the example scripts). If a libcst
release moves the class, or a probe module does not print back to itself, libcst's own
printer is used.
"""

from __future__ import annotations

import dataclasses
import os
from contextlib import nullcontext
from typing import Any

import libcst as cst

__all__ = [
    "FAST_PATH_ENV",
    "child_fields",
    "code_for_node",
    "code_of",
    "fast_path_cached",
    "fast_path_enabled",
    "replace_node",
]

_NULL = nullcontext()

try:  # libcst keeps CodegenState in a private module; fall back when it moves
    from libcst._nodes.internal import CodegenState
except ImportError:  # pragma: no cover - depends on the libcst release
    _QUIET: type | None = None
else:

    class _QuietState(CodegenState):
        """A ``CodegenState`` that records no positions (libcst's default records none
        either, but pays for a fresh generator-based context manager per node)."""

        __slots__ = ()

        def record_syntactic_position(self, node: Any, **_: Any) -> Any:
            return _NULL

    _QUIET = _QuietState


#: printed once with both printers before the quiet one is trusted (another libcst release
#: could change what ``CodegenState`` needs)
_PROBE = "@d\nclass A(B, metaclass=M):\n    def f(self, x=(1, 2), *a, **k):\n        return [y async for y in x if not y] or {**k}\n"
_trusted: bool | None = None


def _trust() -> bool:
    global _trusted
    if _trusted is None:
        _trusted = False
        if _QUIET is not None:
            try:
                probe = cst.parse_module(_PROBE)
                _trusted = _quiet(probe, probe) == probe.code
            except Exception:  # any failure means: use libcst's printer
                _trusted = False
    return _trusted


def _quiet(module: cst.Module, node: cst.CSTNode) -> str:
    assert _QUIET is not None
    state = _QUIET(default_indent=module.default_indent, default_newline=module.default_newline)
    node._codegen(state)
    return "".join(state.tokens)


def code_for_node(module: cst.Module, node: cst.CSTNode) -> str:
    """``module.code_for_node(node)``, faster."""
    if not _fast or not _trust():
        return module.code_for_node(node)
    return _quiet(module, node)


#: Set to ``0`` to take the reference path everywhere (libcst's own printer and visitor,
#: every candidate statement through libcst). Only the differential test uses it
#: (tests/codemods/test_fast_path.py): both paths must give byte-identical output.
FAST_PATH_ENV = "KERAS_MIGRATE_FAST_PATH"


#: what :func:`fast_path_enabled` last read; the per-node helpers here use it, since
#: reading ``os.environ`` for each printed statement and rebuilt node cost ~1% of a run
_fast = os.environ.get(FAST_PATH_ENV, "1") != "0"


def fast_path_enabled() -> bool:
    """False when :data:`FAST_PATH_ENV` is ``0`` (read on every call: the test flips it;
    ``Engine.run`` calls it once per document, which also refreshes what
    :func:`code_for_node` and :func:`replace_node` use)."""
    global _fast
    _fast = os.environ.get(FAST_PATH_ENV, "1") != "0"
    return _fast


def fast_path_cached() -> bool:
    """The switch as :func:`fast_path_enabled` last read it. ``Engine.run`` reads it once
    per document; the checks made many times per document use this (``os.environ.get``
    costs ~3 microseconds, ~1% of a run at a dozen reads per file)."""
    return _fast


#: Fields that only hold whitespace, punctuation or comments: never walked.
_INERT_FIELDS = frozenset(
    {
        "lpar",
        "rpar",
        "comma",
        "semicolon",
        "newline",
        "leading_lines",
        "trailing_whitespace",
        "header",
        "footer",
        "equal",
        "dot",
        "colon",
        "lbracket",
        "rbracket",
        "lbrace",
        "rbrace",
        "lines_after_decorators",
        "indent",
        "star",
        "operator",
        "asynchronous",
        "default_indent",
        "default_newline",
        "encoding",
        "has_trailing_newline",
        "first_line",
    }
)



_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def child_fields(cls: type) -> tuple[str, ...]:
    """Fields of a node class that can hold names, calls or arguments: not whitespace,
    punctuation or comments (cached per class)."""
    fields = _CHILD_FIELDS.get(cls)
    if fields is None:
        fields = _CHILD_FIELDS[cls] = tuple(
            f.name
            for f in dataclasses.fields(cls)
            if f.name not in _INERT_FIELDS and not f.name.startswith("whitespace")
        )
    return fields


_EMPTY = cst.Module([])


def code_of(node: cst.CSTNode) -> str:
    """``cst.Module([]).code_for_node(node)`` (default indentation and newline), faster."""
    return code_for_node(_EMPTY, node)


_ALL_FIELDS: dict[type, tuple[str, ...]] = {}
_SET = object.__setattr__


def replace_node(node: cst.CSTNode, changes: dict[str, Any]) -> cst.CSTNode:
    """``node.with_changes(**changes)``, faster.

    ``with_changes`` is ``dataclasses.replace``: it builds a keyword dict of every field
    and calls the generated ``__init__``, which sets each field and runs
    ``__post_init__`` (libcst's ``_validate``). libcst nodes have no ``init=False``
    fields and no other ``__post_init__`` work, so copying the fields onto a bare
    instance and validating it builds the same node (~45% less time; the dispatcher
    rebuilds every parent of a changed node this way).
    """
    if not _fast:
        return node.with_changes(**changes)
    cls = type(node)
    names = _ALL_FIELDS.get(cls)
    if names is None:
        names = _ALL_FIELDS[cls] = tuple(f.name for f in dataclasses.fields(cls))
    new = object.__new__(cls)
    for name in names:
        _SET(new, name, changes[name] if name in changes else getattr(node, name))
    new._validate()
    return new
