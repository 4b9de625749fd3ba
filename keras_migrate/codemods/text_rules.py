"""The text path: statements whose every rewrite is a keyword rename skip libcst.

Most statements the locator hands to libcst are calls such as ``Dense(16, init='normal')``
or ``model.fit(x, y, nb_epoch=5)`` whose only change is the name in front of ``=``.
Parsing such a statement with libcst, walking it and printing it back costs more than a
bare parse + print of the whole line; renaming the keyword in the text costs nothing, and
since libcst prints every untouched node back as it was, the two texts are the same.

A segment takes the text path only when all of this holds (else it goes to libcst):

* it is one simple statement (assignment, expression, ``return``);
* no trigger of any selected rule other than the modelled ones (:data:`MODELLED`), of the
  reference renames, or of the Keras-code-only triggers matches its text: the locator
  relies on every rule's triggers covering what that rule rewrites, so no other rule and
  no reference rename can touch it;
* for every call (and subscript) in it, each modelled rule's ``text_keywords`` mirror of
  its hooks says the hook only renames keywords (the same tables, the same messages); any
  other branch (value conversions, added or dropped arguments, follow-ups) refuses.

The edit replaces each keyword name at its ``ast`` position (UTF-8 byte columns mapped by
:class:`LineTable`), after checking the name is there. Changes are recorded in the order
the libcst walk would record them: calls in post-order (by end position), and per call in
rule order. ``KERAS_MIGRATE_FAST_PATH=0`` turns the path off (``Engine.run``);
tests/codemods/test_fast_path.py checks it against libcst on every input it knows.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from keras_migrate.codemods.facts import Facts
from keras_migrate.codemods.rule import Note
from keras_migrate.codemods.rules import keras1_layers, training
from keras_migrate.codemods.source import LineTable
from keras_migrate.codemods.triggers import Searchable

__all__ = ["MODELLED", "TextPath", "rewrite_keywords"]

Mirror = Callable[[Facts, ast.Call | ast.Subscript], tuple[dict[str, str], list[str]] | None]

#: rule id -> the ``ast`` mirror of its hooks (see the rule modules' ``text_keywords``)
MODELLED: Mapping[str, Mirror] = {
    keras1_layers.Keras1Layers.id: keras1_layers.text_keywords,
    training.Training.id: training.text_keywords,
}

#: statements whose libcst walk runs no statement-level hook of a modelled rule
_SIMPLE = (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Expr, ast.Return)
_EQUALS = re.compile(r"[ \t]*=")


@dataclass(frozen=True, slots=True)
class TextPath:
    """Per document: what must not match (``others``, ``keras_code``) and the selected
    modelled rules in engine order."""

    others: Searchable
    keras_code: Searchable | None
    rules: tuple[str, ...]


def rewrite_keywords(
    path: TextPath, node: ast.stmt | None, source: str, start: int, table: LineTable, facts: Facts
) -> tuple[str, list[Note]] | None:
    """The segment's new text and change notes, or ``None`` when it needs libcst.

    ``source`` is ``table.text[start:start + len(source)]``, the segment's whole lines.
    """
    if not path.rules or not isinstance(node, _SIMPLE):
        return None
    if path.others.search(source):
        return None
    if path.keras_code is not None and path.keras_code.search(source):
        return None  # a Lambda's body is Keras code, whatever the enclosing frames
    nodes: list[ast.Call | ast.Subscript] = [
        n for n in ast.walk(node) if isinstance(n, (ast.Call, ast.Subscript))
    ]
    nodes.sort(key=lambda n: (n.end_lineno or 0, n.end_col_offset or 0))
    notes: list[Note] = []
    edits: list[tuple[int, str, str]] = []
    for item in nodes:
        for rule_id in path.rules:
            found = MODELLED[rule_id](facts, item)
            if found is None:
                return None
            renames, messages = found
            if not renames:
                notes.extend(Note(rule_id, m) for m in messages)
                continue
            assert isinstance(item, ast.Call)
            for keyword in item.keywords:
                if keyword.arg in renames:
                    offset = table.offset(keyword.lineno, keyword.col_offset) - start
                    old = keyword.arg
                    if source[offset : offset + len(old)] != old or not _EQUALS.match(
                        source, offset + len(old)
                    ):
                        return None
                    edits.append((offset, old, renames[old]))
            notes.extend(Note(rule_id, m) for m in messages)
    if not edits:
        return source, notes
    parts = []
    cursor = 0
    for offset, old, new in sorted(edits):
        if offset < cursor:
            return None
        parts.append(source[cursor:offset])
        parts.append(new)
        cursor = offset + len(old)
    parts.append(source[cursor:])
    return "".join(parts), notes
