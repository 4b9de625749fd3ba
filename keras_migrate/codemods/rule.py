"""The rule interface and the per-segment context every rule hook receives.

A rule is a small class with an ``id``, a one-line ``description``, optional rename
entries and ``leave_*`` hooks. The engine runs all selected rules in *one* libcst traversal
of each statement that needs work (the batching Fixit uses), calling each rule's hook with
the context, the original node (for name resolution) and the node rebuilt so far.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from functools import lru_cache
from typing import ClassVar

import libcst as cst

from keras_migrate.codemods.facts import Facts
from keras_migrate.codemods.inference import Inference, enclosing_scope
from keras_migrate.codemods.names import RenameTable
from keras_migrate.codemods.segments import Frame
from keras_migrate.codemods.triggers import Trigger, symbol_triggers

__all__ = [
    "Note",
    "Rule",
    "RuleContext",
    "dotted",
    "kwarg_token",
    "parse_expression",
]


@lru_cache(maxsize=4096)
def parse_expression(code: str) -> cst.BaseExpression:
    """Cached :func:`libcst.parse_expression`: nodes are immutable, so sharing is safe."""
    return cst.parse_expression(code)


def dotted(node: cst.BaseExpression) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, else ``None``."""
    parts: list[str] = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if isinstance(node, cst.Name):
        parts.append(node.value)
        return ".".join(reversed(parts))
    return None


@dataclass(frozen=True, slots=True)
class Note:
    """A change or follow-up recorded while transforming a segment."""

    rule: str
    message: str


@dataclass(slots=True)
class RuleContext:
    """What a hook may ask about the document and the statement being rewritten."""

    facts: Facts
    frames: list[Frame]
    changes: list[Note] = field(default_factory=list)
    follow_ups: list[Note] = field(default_factory=list)
    needs: set[str] = field(default_factory=set)
    rule: str = ""
    keras_lambdas: set[int] = field(default_factory=set)
    #: ids of (original) calls subscripted with one plain index, ``f(x)[i]``, not a slice
    indexed: set[int] = field(default_factory=set)
    #: ids of (original) calls passed straight to a reading keras.backend function,
    #: ``K.sum(K.ones(s))``: their result is only read
    call_arguments: set[int] = field(default_factory=set)
    #: Follow-ups waiting for the innermost enclosing statement (managed by the dispatcher).
    pending: list[list[Note]] = field(default_factory=list)
    #: Follow-ups raised outside any statement of the segment (placed above it).
    root_notes: list[Note] = field(default_factory=list)
    #: The original text of the segment, for cheap "could this apply at all" checks.
    text: str = ""
    #: ids of (original) calls whose result's integer width cannot matter: compared,
    #: cast, or used as ``one_hot``/``gather`` indices (the ``int_width`` condition)
    width_free: set[int] = field(default_factory=set)
    #: the chunk's ``ast`` tree and the segment's first line, for :meth:`inference`
    tree: ast.Module | None = None
    line: int = 0
    _dotted: dict[int, str | None] = field(default_factory=dict)

    def inference(self) -> Inference:
        """The static proofs for the segment's enclosing function (built on first use and
        shared by the segments of the same function)."""
        scope = enclosing_scope(self.tree, self.line) if self.tree is not None else None
        key = (id(self.tree), id(scope.function) if scope else 0, id(scope.cls) if scope else 0)
        cache = self.facts.inference_cache
        found = cache.get(key)
        if not isinstance(found, Inference):
            found = cache[key] = Inference(self.facts, scope or enclosing_scope(ast.Module([], []), 0))
        return found

    def mentions(self, *words: str) -> bool:
        """True when the segment's original text contains one of ``words``."""
        return any(word in self.text for word in words)

    # -- names --------------------------------------------------------------------------
    def dotted(self, node: cst.BaseExpression) -> str | None:
        """:func:`dotted`, memoised per node: every rule asks about the same callees."""
        key = id(node)
        memo = self._dotted
        if key in memo:
            return memo[key]
        name = memo[key] = dotted(node)
        return name

    def names(self, node: cst.BaseExpression) -> tuple[str, ...]:
        """Keras 3 names an (original) expression may denote, renames applied."""
        name = self.dotted(node)
        return self.facts.keras_names(name) if name else ()

    def legacy_names(self, node: cst.BaseExpression) -> tuple[str, ...]:
        """Names with module paths normalised but moved members kept (``ThresholdedReLU``)."""
        name = self.dotted(node)
        if not name:
            return ()
        return self.facts.legacy_names(name)

    def renamed_to(self, node: cst.BaseExpression) -> str | None:
        """What the engine will actually rename ``node`` to (selected rules only)."""
        name = self.dotted(node)
        if not name:
            return None
        for old in self.facts.resolve(name):
            new = self.facts.emit_renames.rename(old)
            if new != old:
                return new
        return None

    def layer(self, node: cst.BaseExpression) -> str | None:
        """The legacy class name when ``node`` names a ``keras.layers`` class."""
        name = self.dotted(node)
        return self.facts.layer_class(name) if name else None

    def matches(self, node: cst.BaseExpression, *candidates: str) -> bool:
        """True when ``node`` denotes one of ``candidates`` (Keras 3 or legacy names)."""
        name = self.dotted(node)
        if not name:
            return False
        facts = self.facts
        # plain loops, not any(): this runs for every call, per rule
        for names in (facts.keras_names(name), facts.legacy_names(name)):
            for n in names:
                if n in candidates:
                    return True
        return False

    @property
    def in_keras_code(self) -> bool:
        """True inside a custom layer/model/loss/metric, Lambda function or train_step."""
        return any(frame.keras for frame in self.frames)

    # -- building -----------------------------------------------------------------------
    def keras(self, path: str) -> cst.BaseExpression:
        """``keras.<path>`` as an expression, scheduling ``import keras`` if needed."""
        self.needs.add("keras")
        return parse_expression(f"keras.{path}" if path else "keras")

    def numpy(self) -> str:
        """The name NumPy is bound to, scheduling ``import numpy as np`` if unbound."""
        if self.facts.numpy_alias:
            return self.facts.numpy_alias
        self.needs.add("numpy")
        return "np"

    # -- recording ----------------------------------------------------------------------
    def change(self, message: str) -> None:
        """Record an automatic rewrite by the current rule."""
        self.changes.append(Note(self.rule, message))

    def follow_up(self, message: str) -> None:
        """Ask for a ``# keras-migrate:`` comment on the current statement."""
        note = Note(self.rule, message)
        target = self.pending[-1] if self.pending else self.root_notes
        if note not in target:
            target.append(note)
            self.follow_ups.append(note)


class Rule:
    """Base class: subclasses set ``id``/``description`` and define ``leave_*`` hooks.

    Hooks have the signature ``hook(ctx, original, updated) -> node`` and must return
    ``updated`` unchanged when they do not apply. Supported hooks: ``leave_Call``,
    ``leave_Attribute``, ``leave_Name``, ``leave_Subscript``, ``leave_Comparison``,
    ``leave_SimpleStatementLine``, ``leave_FunctionDef``.
    """

    id: ClassVar[str] = ""
    description: ClassVar[str] = ""
    #: Renames this rule contributes (applied to imports and references by the engine).
    renames: ClassVar[RenameTable] = RenameTable()
    #: Qualified names (module-normalised) whose references trigger this rule.
    symbols: ClassVar[frozenset[str]] = frozenset()
    #: Raw regex fragments whose presence in a statement triggers this rule.
    tokens: ClassVar[tuple[str, ...]] = ()

    HOOKS: ClassVar[tuple[str, ...]] = (
        "leave_Call",
        "leave_Attribute",
        "leave_Name",
        "leave_Subscript",
        "leave_Comparison",
        "leave_SimpleStatementLine",
        "leave_FunctionDef",
    )

    def triggers(self, facts: Facts) -> list[Trigger]:
        """Triggers marking statements this rule may rewrite in this document."""
        return [*self.tokens, *symbol_triggers(facts, self.symbols)]

    def keras_code_triggers(self, facts: Facts) -> list[Trigger]:
        """Extra triggers that only count inside Keras code (custom layers, losses...)."""
        return []

    def import_triggers(self, facts: Facts) -> list[Trigger]:
        """Triggers marking import statements this rule wants to see (rarely needed)."""
        return []


def kwarg_token(*names: str) -> str:
    """Regex for ``name=`` used as a keyword argument (after ``(`` or ``,``)."""
    return rf"[(,]\s*(?:{'|'.join(names)})\s*=(?!=)"
