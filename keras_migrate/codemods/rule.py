"""The rule interface and the per-segment context every rule hook receives.

A rule is a small class with an ``id``, a one-line ``description``, optional rename
entries and ``leave_*`` hooks. The engine runs all selected rules in *one* libcst traversal
of each statement that needs work (the batching Fixit uses), calling each rule's hook with
the context, the original node (for name resolution) and the node rebuilt so far.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import ClassVar

import libcst as cst

from keras_migrate.codemods.facts import Facts
from keras_migrate.codemods.names import RenameTable
from keras_migrate.codemods.segments import Frame

__all__ = [
    "Note",
    "Rule",
    "RuleContext",
    "dotted",
    "kwarg_token",
    "parse_expression",
    "symbol_triggers",
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
    #: Follow-ups waiting for the innermost enclosing statement (managed by the dispatcher).
    pending: list[list[Note]] = field(default_factory=list)
    #: Follow-ups raised outside any statement of the segment (placed above it).
    root_notes: list[Note] = field(default_factory=list)
    #: The original text of the segment, for cheap "could this apply at all" checks.
    text: str = ""

    def mentions(self, *words: str) -> bool:
        """True when the segment's original text contains one of ``words``."""
        return any(word in self.text for word in words)

    # -- names --------------------------------------------------------------------------
    def names(self, node: cst.BaseExpression) -> tuple[str, ...]:
        """Keras 3 names an (original) expression may denote, renames applied."""
        name = dotted(node)
        return self.facts.keras_names(name) if name else ()

    def legacy_names(self, node: cst.BaseExpression) -> tuple[str, ...]:
        """Names with module paths normalised but moved members kept (``ThresholdedReLU``)."""
        name = dotted(node)
        if not name:
            return ()
        return self.facts.legacy_names(name)

    def layer(self, node: cst.BaseExpression) -> str | None:
        """The legacy class name when ``node`` names a ``keras.layers`` class."""
        for name in self.legacy_names(node):
            if name.startswith("keras.layers.") and name.count(".") == 2:
                return name.rsplit(".", 1)[1]
        return None

    def matches(self, node: cst.BaseExpression, *candidates: str) -> bool:
        """True when ``node`` denotes one of ``candidates`` (Keras 3 or legacy names)."""
        wanted = set(candidates)
        return bool(wanted & set(self.names(node))) or bool(wanted & set(self.legacy_names(node)))

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
    ``leave_SimpleStatementLine``.
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
    )

    def triggers(self, facts: Facts) -> list[str]:
        """Regex fragments marking statements this rule may rewrite in this document."""
        return [*self.tokens, *symbol_triggers(facts, self.symbols)]

    def keras_code_triggers(self, facts: Facts) -> list[str]:
        """Extra fragments that only count inside Keras code (custom layers, losses...)."""
        return []

    def import_triggers(self, facts: Facts) -> list[str]:
        """Fragments marking import statements this rule wants to see (rarely needed)."""
        return []


def kwarg_token(*names: str) -> str:
    """Regex for ``name=`` used as a keyword argument (after ``(`` or ``,``)."""
    return rf"[(,]\s*(?:{'|'.join(names)})\s*=(?!=)"


def symbol_triggers(facts: Facts, symbols: Iterable[str]) -> list[str]:
    """Regex fragments matching how ``symbols`` can be spelled given the document's imports.

    ``symbols`` are module-normalised qualified names (``keras.backend.mean``); an alias
    ``K`` bound to ``tensorflow.keras.backend`` yields ``\\bK\\s*\\.\\s*(?:mean|...)\\b``.
    """
    symbols = list(symbols)
    if not symbols:
        return []
    renames = facts.renames
    fragments: list[str] = []
    for alias, targets in facts.bindings.items():
        rests: set[str] = set()
        for target in targets:
            norm = renames.rename_modules(target)
            prefix = norm + "."
            for symbol in symbols:
                if symbol == norm:
                    rests.add("")
                elif symbol.startswith(prefix):
                    rests.add(symbol[len(prefix) :])
        if "" in rests:
            fragments.append(rf"\b{re.escape(alias)}\b")
        elif rests:
            alternatives = "|".join(
                sorted(r"\s*\.\s*".join(map(re.escape, r.split("."))) for r in rests)
            )
            fragments.append(rf"\b{re.escape(alias)}\s*\.\s*(?:{alternatives})\b")
    for module in facts.star_modules:
        norm = renames.rename_modules(module) + "."
        lasts = {s[len(norm) :] for s in symbols if s.startswith(norm) and "." not in s[len(norm) :]}
        if lasts:
            fragments.append(rf"\b(?:{'|'.join(sorted(map(re.escape, lasts)))})\b")
    return fragments
