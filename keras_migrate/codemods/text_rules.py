"""The text path: statements whose every rewrite is a keyword rename skip libcst.

Most statements the locator hands to libcst are calls such as ``Dense(16, init='normal')``
or ``model.fit(x, y, nb_epoch=5)`` whose only change is the name in front of ``=``.
Parsing such a statement with libcst, walking it and printing it back costs more than a
bare parse + print of the whole line; renaming the keyword in the text costs nothing, and
since libcst prints every untouched node back as it was, the two texts are the same.

A segment takes the text path only when all of this holds (else it goes to libcst):

* it is one simple statement (assignment, expression, ``return``);
* no trigger of any selected rule other than the modelled ones (:data:`MODELLED`) matches
  its text, nor a Keras-code-only trigger when it is Keras code (or holds a ``lambda``,
  which may be a ``Lambda`` layer's): the locator relies on every rule's triggers covering
  what that rule rewrites, so no other rule can touch it;
* every reference the libcst walk would respell (:func:`reference_action`, shared with
  it) is a plain ``a.b.c`` chain, not flagged; the chain is respelled in the text;
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

from keras_migrate.codemods.facts import Facts, dotted_of
from keras_migrate.codemods.legacy_calls import TextCall
from keras_migrate.codemods.references import ImportPlan, reference_action
from keras_migrate.codemods.rule import Note
from keras_migrate.codemods.rules import (
    backend,
    keras1_layers,
    layers,
    optimizers,
    removed,
    tf_ops,
    training,
    utilities,
)
from keras_migrate.codemods.source import LineTable
from keras_migrate.codemods.triggers import Searchable

__all__ = [
    "FLAGGED",
    "MODELLED",
    "NAMED",
    "RENDERED",
    "STATEMENT_HOOKS",
    "TEXT_RULES",
    "TextPath",
    "rewrite_keywords",
]

Mirror = Callable[[Facts, ast.Call | ast.Subscript | ast.Attribute], tuple[dict[str, str], list[str]] | None]

#: rule id -> the ``ast`` mirror of its hooks (see the rule modules' ``text_keywords``)
MODELLED: Mapping[str, Mirror] = {
    keras1_layers.Keras1Layers.id: keras1_layers.text_keywords,
    layers.Layers.id: layers.text_keywords,
    training.Training.id: training.text_keywords,
    optimizers.Optimizers.id: optimizers.text_keywords,
}
#: rule id -> the ``ast`` mirror of a rule that replaces whole calls (``K.sum(x)`` ->
#: ``keras.ops.sum(x)``, from the legacy-op table; see ``backend.text_call``)
Rendered = Callable[
    [Facts, ast.Call | ast.Subscript | ast.Attribute, bool], TextCall | str | bool | None
]
RENDERED: Mapping[str, Rendered] = {
    backend.Backend.id: backend.text_call,
    tf_ops.TfOps.id: tf_ops.text_call,
}
#: rule id -> the follow-ups its leave_Name/leave_Attribute hooks raise for a reference
NAMED: Mapping[str, Callable[[Facts, str], list[str]]] = {
    utilities.Utilities.id: utilities.text_follow_ups,
}
#: rule id -> the follow-ups its call/attribute/comparison hooks raise (``None``: libcst)
FLAGGED: Mapping[str, Callable[[Facts, ast.AST, Callable[[ast.AST], str | None]], list[str] | None]] = {
    removed.RemovedApis.id: removed.text_follow_ups,
}
#: rule id -> True when its statement-level hook may act on a statement's text
STATEMENT_HOOKS: Mapping[str, Callable[[str], bool]] = {
    layers.Layers.id: layers.text_statement,
}
#: every rule the text path models
TEXT_RULES = frozenset({*MODELLED, *RENDERED, *NAMED, *FLAGGED})

#: statements whose libcst walk runs no statement-level hook of a modelled rule
_SIMPLE = (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Expr, ast.Return)
_EQUALS = re.compile(r"[ \t]*=")
_AFTER_FUNC = re.compile(r"\s*\(\s*")
_BETWEEN = re.compile(r"\s*,\s*")
_KEYWORD_EQUALS = re.compile(r"\s*=\s*")
_CLOSING = re.compile(r"\s*,?\s*\)")
_EMPTY_CALL = re.compile(r"\s*\(\s*\)")
#: a ``(`` right before / ``)`` right after a chain (maybe its own parentheses)
_OPEN = re.compile(r"\(\s*\Z")
_CLOSE = re.compile(r"\s*\)")


@dataclass(frozen=True, slots=True)
class TextPath:
    """Per document: what must not match (``others``, ``keras_code``) and the selected
    modelled rules in engine order."""

    others: Searchable
    keras_code: Searchable | None
    rules: tuple[str, ...]
    #: True when every rule with Keras-code-only triggers is modelled (tf-ops)
    keras_code_modelled: bool = False


def rewrite_keywords(
    path: TextPath,
    node: ast.stmt | None,
    source: str,
    start: int,
    table: LineTable,
    facts: Facts,
    plan: ImportPlan,
    in_keras_code: bool,
) -> tuple[str, list[Note], list[Note], bool] | None:
    """The segment's new text, change notes, follow-up notes (the caller writes their
    comments above the statement) and whether it needs ``import keras``, or ``None``
    when it needs libcst.

    ``source`` is ``table.text[start:start + len(source)]``, the segment's whole lines.
    """
    if not isinstance(node, _SIMPLE) or "\r" in source:
        return None  # (a follow-up comment would take libcst's newline for the chunk)
    if path.others.search(source):
        return None
    if any(STATEMENT_HOOKS[r](source) for r in path.rules if r in STATEMENT_HOOKS):
        return None
    # Keras-code-only triggers (tf-ops') count in Keras code, and in a Keras ``Lambda``'s
    # function, which is not worth telling apart from other lambdas here
    keras_code = path.keras_code is not None and path.keras_code.search(source)
    if keras_code and in_keras_code and not path.keras_code_modelled:
        return None
    inner: set[int] = set()
    events: list[ast.AST] = []
    for item in ast.walk(node):
        kind = type(item)
        if kind is ast.Attribute:
            inner.add(id(item.value))  # type: ignore[attr-defined]
            events.append(item)
        elif kind is ast.Compare:
            if any(r in FLAGGED for r in path.rules):
                events.append(item)
        elif kind is ast.Name or kind is ast.Call or kind is ast.Subscript or kind is ast.keyword:
            events.append(item)
        elif kind is ast.JoinedStr or (kind is ast.Lambda and keras_code):
            return None  # f-string positions: not trusted; a Lambda may be Keras code
    events.sort(key=_end)  # libcst's post-order
    notes: list[Note] = []
    follow_ups: list[Note] = []
    edits: list[tuple[int, int, str]] = []
    needs_keras = False

    def follow_up(rule_id: str, message: str) -> None:
        note = Note(rule_id, message)
        if note not in follow_ups:  # as RuleContext.follow_up
            follow_ups.append(note)

    def flagged(rule_id: str, item: ast.AST) -> bool:
        """Record the follow-ups flagging rule ``rule_id`` raises on ``item``; False when
        it refuses the text path."""
        messages = FLAGGED[rule_id](facts, item, text_of)
        if messages is None:
            return False
        for message in messages:
            follow_up(rule_id, message)
        return True

    def at(line: int, col: int) -> int:
        return table.offset(line, col) - start

    def text_of(item: ast.AST) -> str | None:
        if "#" in source:
            return None
        first = at(getattr(item, "lineno", 0), getattr(item, "col_offset", 0))
        last = at(getattr(item, "end_lineno", 0), getattr(item, "end_col_offset", 0))
        return _current(source, edits, first, last)

    for item in events:
        if isinstance(item, ast.keyword):
            # libcst walks a keyword's name like any Name: it must not be a moved alias
            if item.arg is not None and (
                reference_action(facts, plan, item.arg) is not None
                or any(NAMED[r](facts, item.arg) for r in path.rules if r in NAMED)
            ):
                return None
            continue
        chained = False
        if isinstance(item, (ast.Name, ast.Attribute)) and id(item) not in inner:
            # only the outermost link of a chain is a reference
            name = dotted_of(item)
            action = None if name is None else reference_action(facts, plan, name)
            if action is not None:
                if action.kind == "follow_up" or name is None:
                    return None
                first = at(item.lineno, item.col_offset)
                last = at(item.end_lineno or item.lineno, item.end_col_offset or 0)
                if source[first:last] != name:
                    return None  # spaces, breaks or parentheses inside the chain
                if action.kind == "root":
                    edits.append((first, first + len(name.split(".")[0]), action.text))
                elif action.kind == "last":
                    edits.append((last - len(name.rsplit(".", 1)[-1]), last, action.text))
                else:
                    # libcst replaces a parenthesised chain without its parentheses
                    if "#" in source or (
                        _OPEN.search(source, 0, first) and _CLOSE.match(source, last)
                    ):
                        return None
                    edits.append((first, last, action.text))
                    needs_keras = True
                    chained = True
                notes.append(Note(action.rule, action.message))
        if isinstance(item, ast.Compare):
            if not all(flagged(rule_id, item) for rule_id in path.rules if rule_id in FLAGGED):
                return None
            continue
        if isinstance(item, (ast.Name, ast.Attribute)):
            # the rules' leave_Name hooks see references only (not an attribute's
            # parts), and not a name respelled as a chain; leave_Attribute sees every one
            if not (isinstance(item, ast.Name) and (chained or id(item) in inner)):
                name = dotted_of(item)
                for rule_id in path.rules:
                    if rule_id in NAMED and name is not None:
                        for message in NAMED[rule_id](facts, name):
                            follow_up(rule_id, message)
            if isinstance(item, ast.Name):
                continue
        assert isinstance(item, (ast.Call, ast.Subscript, ast.Attribute))
        for rule_id in path.rules:
            if rule_id in NAMED:
                continue
            if rule_id in FLAGGED:
                if not flagged(rule_id, item):
                    return None
                continue
            if rule_id in RENDERED:
                call = RENDERED[rule_id](facts, item, in_keras_code)
                if call is False:
                    continue
                if isinstance(call, str):
                    follow_up(rule_id, call)
                    continue
                if call is None or call is True or "#" in source:
                    return None
                assert isinstance(item, ast.Call)
                rendered = _render(item, call, source, edits, at)
                if rendered is None:
                    return None
                edits = rendered
                notes.append(Note(rule_id, call[2]))
                needs_keras = True
                continue
            found = MODELLED[rule_id](facts, item)
            if found is None:
                return None
            renames, messages = found
            if renames and isinstance(item, ast.Subscript):
                # a history key: the string literal, spelled plainly, gets the new value
                key = item.slice
                value = key.value if isinstance(key, ast.Constant) else None
                if not isinstance(value, str) or set(renames) != {value}:
                    return None
                first, last = at(key.lineno, key.col_offset), at(key.end_lineno or 0, key.end_col_offset or 0)
                literal = source[first:last]
                quote = literal[:1]
                if quote not in ("'", '"') or literal != f"{quote}{value}{quote}":
                    return None
                owner = item.value
                owner_first = at(owner.lineno, owner.col_offset)
                owner_last = at(owner.end_lineno or 0, owner.end_col_offset or 0)
                if _current(source, edits, owner_first, owner_last) != source[owner_first:owner_last]:
                    return None  # the owner was respelled: libcst reads the new name
                edits.append((first, last, f"{quote}{renames[value]}{quote}"))
                renames = {}
            positional = sorted(k for k in renames if k.startswith("@"))
            if positional:
                # keywords given to positional arguments (their own text kept after them)
                if not isinstance(item, ast.Call) or "#" in source:
                    return None
                cursor = at(item.func.end_lineno or 0, item.func.end_col_offset or 0)
                for index, arg in enumerate(item.args):
                    begin = at(arg.lineno, arg.col_offset)
                    gap = _AFTER_FUNC if index == 0 else _BETWEEN
                    if not gap.fullmatch(source, cursor, begin):
                        return None  # the argument's own parentheses: libcst puts it before them
                    if f"@{index}" in renames:
                        edits.append((begin, begin, f"{renames.pop(f'@{index}')}="))
                    cursor = at(arg.end_lineno or 0, arg.end_col_offset or 0)
                if any(k.startswith("@") for k in renames):
                    return None
            method = next((k for k in renames if k.startswith(".")), None)
            if method is not None:
                # a method renamed: the attribute at the end of the callee
                if not isinstance(item, ast.Call) or not isinstance(item.func, ast.Attribute):
                    return None
                end = at(item.func.end_lineno or 0, item.func.end_col_offset or 0)
                if source[end - len(method) + 1 : end] != method[1:] or source[end - len(method)] != ".":
                    return None
                edits.append((end - len(method) + 1, end, renames.pop(method)))
            if renames:
                if not isinstance(item, ast.Call):
                    return None
                for keyword in item.keywords:
                    if keyword.arg is not None and keyword.arg in renames:
                        old = keyword.arg
                        offset = at(keyword.lineno, keyword.col_offset)
                        if source[offset : offset + len(old)] != old or not _EQUALS.match(
                            source, offset + len(old)
                        ):
                            return None
                        edits.append((offset, offset + len(old), renames[old]))
            notes.extend(Note(rule_id, m) for m in messages)
    if not edits:
        return source, notes, follow_ups, False
    parts = []
    cursor = 0
    for first, last, new in sorted(edits):
        if first < cursor:
            return None
        parts.append(source[cursor:first])
        parts.append(new)
        cursor = last
    parts.append(source[cursor:])
    return "".join(parts), notes, follow_ups, needs_keras


def _end(node: ast.AST) -> tuple[int, int, int, int]:
    """Post-order: by end, a child (starting later) before a parent ending with it."""
    return (
        getattr(node, "end_lineno", 0) or 0,
        getattr(node, "end_col_offset", 0) or 0,
        -(getattr(node, "lineno", 0) or 0),
        -(getattr(node, "col_offset", 0) or 0),
    )


Edit = tuple[int, int, str]


def _render(
    call: ast.Call,
    text_call: TextCall,
    source: str,
    edits: list[Edit],
    at: Callable[[int, int], int],
) -> list[Edit] | None:
    """``edits`` with ``call``'s span replaced by ``head(args...)`` (each argument's
    current text, the edits inside it applied), or ``None`` when the call's spelling is
    not plain: an argument in its own parentheses, anything but whitespace and commas
    between the arguments."""
    head, args, _ = text_call

    def pos(node: ast.AST, end: bool = False) -> int:
        if end:
            return at(getattr(node, "end_lineno", 0), getattr(node, "end_col_offset", 0))
        return at(getattr(node, "lineno", 0), getattr(node, "col_offset", 0))

    first, last = pos(call), pos(call, True)
    cursor = pos(call.func, True)
    first_item = _first_arg(call)
    if first_item is None:
        if not _EMPTY_CALL.fullmatch(source, cursor, last):
            return None
    elif not _AFTER_FUNC.fullmatch(source, cursor, pos(first_item)):
        return None
    items: list[ast.AST] = sorted([*call.args, *call.keywords], key=lambda n: (getattr(n, "lineno", 0), getattr(n, "col_offset", 0)))
    for index, item in enumerate(items):
        begin = pos(item)
        if index and not _BETWEEN.fullmatch(source, cursor, begin):
            return None
        if isinstance(item, ast.keyword):
            assert item.arg is not None
            name_end = begin + len(item.arg)
            if source[begin:name_end] != item.arg or not _KEYWORD_EQUALS.fullmatch(
                source, name_end, pos(item.value)
            ):
                return None
        cursor = pos(item, True)
    if items and not _CLOSING.fullmatch(source, cursor, last):
        return None
    inside = [e for e in edits if first <= e[0] and e[1] <= last]
    if any(e[0] < last and first < e[1] for e in edits if e not in inside):
        return None

    parts = []
    for keyword, value in args:
        text = _current(source, inside, pos(value), pos(value, True))
        if text is None:
            return None
        parts.append(text if keyword is None else f"{keyword}={text}")
    kept = [e for e in edits if e not in inside]
    kept.append((first, last, f"{head}({', '.join(parts)})"))
    return kept


def _current(source: str, edits: list[Edit], a: int, b: int) -> str | None:
    """``source[a:b]`` with the edits inside it applied; ``None`` when one straddles it."""
    out, cur = [], a
    for e0, e1, new in sorted(e for e in edits if a <= e[0] and e[1] <= b):
        if e0 < cur:
            return None
        out.append(source[cur:e0])
        out.append(new)
        cur = e1
    if any(e[0] < b and a < e[1] and not (a <= e[0] and e[1] <= b) for e in edits):
        return None
    out.append(source[cur:b])
    return "".join(out)


def _first_arg(call: ast.Call) -> ast.AST | None:
    items = [*call.args, *call.keywords]
    return min(items, key=lambda n: (getattr(n, "lineno", 0), getattr(n, "col_offset", 0))) if items else None
