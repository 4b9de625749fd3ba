"""Find the statements that may need a rewrite, so only those go through libcst.

Parsing a whole file with libcst costs several times more than with ``ast``; most lines of
a training script never change. The locator walks the ``ast`` statement tree and returns
the smallest whole-line statement groups whose text matches the rules' trigger pattern.
A compound statement is split into its children unless its own header matches, and is kept
whole when a child does not start its own line (``if x: y``).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from keras_migrate.codemods.facts import COMPOUND, Facts, child_bodies, dotted_of
from keras_migrate.codemods.source import LineTable
from keras_migrate.codemods.triggers import Searchable

__all__ = ["Frame", "Segment", "Triggers", "locate"]

_COMPOUND = COMPOUND

#: Methods of Keras classes whose bodies are Keras code even when the class is not.
KERAS_METHODS = frozenset({"call", "build", "train_step", "test_step", "predict_step"})


@dataclass(frozen=True, slots=True)
class Frame:
    """An enclosing ``def``/``class``; ``keras`` marks code that runs on Keras tensors."""

    kind: str
    name: str
    keras: bool
    #: a class's bases as legacy qualified names (``keras.optimizers.SGD``), for rules
    #: that must know what ``super()`` is
    bases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Triggers:
    """When a statement needs libcst: ``anywhere`` always, ``keras_code`` only inside
    Keras code, and ``imports`` (given the ast node and its text) for import statements."""

    anywhere: Searchable
    keras_code: Searchable | None
    imports: Callable[[ast.stmt, str], bool]


@dataclass(frozen=True, slots=True)
class Segment:
    """Whole lines ``first_line..last_line`` of one chunk, given to libcst as a unit."""

    start: int
    end: int
    first_line: int
    last_line: int
    indent: str
    frames: tuple[Frame, ...]
    sole: bool
    node: ast.stmt | None = None  # the statement, when the segment is exactly one


def _first_line(stmt: ast.stmt) -> int:
    decorators = getattr(stmt, "decorator_list", None)
    if decorators:
        return min(d.lineno for d in decorators)
    return stmt.lineno


#: a line's indentation, matched at the line's start (``str.lstrip`` strips these)
_INDENT = re.compile(r"[ \t\f]*")


def _frame(stmt: ast.stmt, frames: tuple[Frame, ...], facts: Facts) -> Frame | None:
    parent_keras = bool(frames) and frames[-1].kind == "class" and frames[-1].keras
    if isinstance(stmt, ast.ClassDef):
        keras = any(
            (name := dotted_of(base)) is not None and facts.is_keras_base(name)
            for base in stmt.bases
        )
        bases = tuple(
            legacy
            for base in stmt.bases
            if (name := dotted_of(base)) is not None
            for legacy in facts.legacy_names(name)
        )
        return Frame("class", stmt.name, keras, bases)
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
        keras = parent_keras or stmt.name in facts.keras_functions
        if frames and frames[-1].kind == "class" and stmt.name in KERAS_METHODS:
            keras = keras or parent_keras
        return Frame("def", stmt.name, keras or any(f.keras for f in frames))
    return None


class _Locator:
    __slots__ = ("facts", "lines", "segments", "triggers")

    def __init__(self, lines: LineTable, triggers: Triggers, facts: Facts) -> None:
        self.lines = lines
        self.triggers = triggers
        self.facts = facts
        self.segments: list[Segment] = []

    def _matches(self, text: str, frames: tuple[Frame, ...]) -> bool:
        if self.triggers.anywhere.search(text):
            return True
        keras = self.triggers.keras_code
        return keras is not None and any(f.keras for f in frames) and bool(keras.search(text))

    def body(self, stmts: Sequence[ast.stmt], frames: tuple[Frame, ...]) -> bool:
        """Add segments for ``stmts``; False when the caller must take itself whole."""
        groups: list[list[ast.stmt]] = []
        last_end = -1
        for stmt in stmts:
            first = _first_line(stmt)
            if groups and first <= last_end:
                groups[-1].append(stmt)
            else:
                groups.append([stmt])
            last_end = max(last_end, stmt.end_lineno or stmt.lineno)
        sole = len(groups) == 1
        saved = len(self.segments)
        for group in groups:
            if not self._group(group, frames, sole):
                del self.segments[saved:]
                return False
        return True

    def _group(self, group: list[ast.stmt], frames: tuple[Frame, ...], sole: bool) -> bool:
        lines = self.lines
        head = group[0]
        first = _first_line(head)
        last = (
            head.end_lineno or head.lineno
            if len(group) == 1
            else max(s.end_lineno or s.lineno for s in group)
        )
        start, end = lines.line_start(first), lines.line_end(last)
        match = _INDENT.match(lines.text, start)
        indent = match.group() if match else ""
        if first == head.lineno:
            col = lines.offset(first, head.col_offset) - start
            if col != len(indent):
                return False  # shares its line with a compound header: parent goes whole
        if len(group) == 1 and isinstance(head, _COMPOUND):
            children = list(child_bodies(head))
            covered = [
                (_first_line(b[0]), max(s.end_lineno or s.lineno for s in b)) for b in children
            ]
            header_parts = []
            cursor = first
            for lo, hi in covered:
                if lo > cursor:
                    header_parts.append(lines.text[lines.line_start(cursor) : lines.line_start(lo)])
                cursor = max(cursor, hi + 1)
            if cursor <= last:
                header_parts.append(lines.text[lines.line_start(cursor) : end])
            segment = Segment(start, end, first, last, indent, frames, sole, head)
            if self._matches("".join(header_parts), frames):
                self.segments.append(segment)
                return True
            frame = _frame(head, frames, self.facts)
            inner = (*frames, frame) if frame else frames
            saved = len(self.segments)
            for body in children:
                if not self.body(body, inner):
                    del self.segments[saved:]
                    if self._matches(lines.text[start:end], inner):
                        self.segments.append(segment)
                    return True
            return True
        text = lines.text[start:end]
        if len(group) == 1 and isinstance(head, (ast.Import, ast.ImportFrom)):
            if self.triggers.imports(head, text):
                self.segments.append(Segment(start, end, first, last, indent, frames, sole, head))
            return True
        if (
            len(group) == 1
            and isinstance(head, ast.Expr)
            and isinstance(head.value, ast.Constant)
            and isinstance(head.value.value, str)
        ):
            return True  # docstrings and bare strings are never rewritten
        if self._matches(text, frames):
            self.segments.append(
                Segment(start, end, first, last, indent, frames, sole, head if len(group) == 1 else None)
            )
        return True


def locate(tree: ast.Module, lines: LineTable, triggers: Triggers, facts: Facts) -> list[Segment]:
    """Segments of ``tree`` (in source order) whose statements match ``triggers``."""
    locator = _Locator(lines, triggers, facts)
    if not locator.body(tree.body, ()):
        # only possible for a one-line module such as "if x: y"
        if locator._matches(lines.text, ()):
            return [Segment(0, len(lines.text), 1, lines.lines, "", (), True)]
        return []
    locator.segments.sort(key=lambda s: s.start)
    return locator.segments
