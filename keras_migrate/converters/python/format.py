"""A small expression tree and a formatter that lays it out as ``ruff format`` would.

The code emitter builds statements from :class:`Atom`, :class:`Call` and :class:`Brackets`
nodes; :func:`format_statement` writes each on one line when it fits and otherwise splits
brackets the way ruff (and black) do: a call's whole argument list on one indented line
if it fits (a list, tuple or dict literal never), else one item per line with a trailing comma, recursing into items that are still too
long. Items may carry a leading comment, which forces their brackets open. Generated
files are therefore stable under ``ruff format`` and read like hand-formatted code.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["LINE_LENGTH", "Atom", "Brackets", "Call", "Expr", "Item", "format_statement", "py_str"]

#: The line length generated code is laid out for.
LINE_LENGTH = 100
_INDENT = "    "


def py_str(text: str) -> str:
    """A Python string literal, double-quoted as ruff format prefers."""
    r = repr(text)
    if r.startswith("'") and '"' not in text:
        r = '"' + r[1:-1].replace("\\'", "'") + '"'
    return r


@dataclass(frozen=True)
class Atom:
    """Text that is never split (a name, a number, a string)."""

    text: str


@dataclass(frozen=True)
class Item:
    """One element inside brackets: ``prefix`` (``"name="`` or ``'"key": '``) + ``value``."""

    value: Expr
    prefix: str = ""
    comment: str = ""


@dataclass(frozen=True)
class Brackets:
    """A bracketed sequence: a list, a tuple, a dict or call arguments."""

    open: str
    close: str
    items: tuple[Item, ...] = ()
    #: A one-element tuple needs its comma even when flat.
    tuple_comma: bool = False


@dataclass(frozen=True)
class Call:
    """``func(args)``; ``func`` may itself be a call (``layers.Dense(4)(x)``)."""

    func: Expr
    args: Brackets = field(default_factory=lambda: Brackets("(", ")"))


Expr = Atom | Brackets | Call


def _flat(e: Expr) -> str:
    if isinstance(e, Atom):
        return e.text
    if isinstance(e, Call):
        return _flat(e.func) + _flat(e.args)
    body = ", ".join(i.prefix + _flat(i.value) for i in e.items)
    if e.tuple_comma and len(e.items) == 1:
        body += ","
    return e.open + body + e.close


def _forced(e: Expr) -> bool:
    """True if a comment inside forces the expression onto several lines."""
    if isinstance(e, Atom):
        return False
    if isinstance(e, Call):
        return _forced(e.func) or _forced(e.args)
    return any(i.comment or _forced(i.value) for i in e.items)


def _fits(indent: str, text: str) -> bool:
    return len(indent) + len(text) <= LINE_LENGTH


def _body(items: tuple[Item, ...], indent: str, explode: bool) -> list[str]:
    joined = ", ".join(i.prefix + _flat(i.value) for i in items)
    one_line = not (explode and len(items) > 1)
    if one_line and not any(i.comment or _forced(i.value) for i in items) and _fits(indent, joined):
        return [indent + joined]
    if len(items) == 1 and not items[0].comment:
        return _format(items[0].value, indent, items[0].prefix, "")
    lines: list[str] = []
    for item in items:
        if item.comment:
            lines.append(f"{indent}# {item.comment}")
        lines += _format(item.value, indent, item.prefix, ",")
    return lines


def _split(b: Brackets, indent: str, head: str, tail: str, *, literal: bool = False) -> list[str]:
    """Open ``b`` over several lines. A split call keeps its arguments on one line when they
    fit; a split list, tuple or dict literal with several items puts one per line (ruff
    and black treat the two differently)."""
    return [indent + head + b.open, *_body(b.items, indent + _INDENT, literal), indent + b.close + tail]


def _format(e: Expr, indent: str, prefix: str, suffix: str) -> list[str]:
    flat = prefix + _flat(e) + suffix
    if isinstance(e, Atom) or (not _forced(e) and _fits(indent, flat)):
        return [indent + flat]
    if isinstance(e, Brackets):
        if not e.items:
            return [indent + flat]
        return _split(e, indent, prefix, suffix, literal=True)
    head = prefix + _flat(e.func)
    if isinstance(e.func, Call) and not _forced(e.func) and e.args.items and _fits(indent, head + e.args.open):
        # Split the last call's arguments when everything before them fits on the line.
        return _split(e.args, indent, head, suffix)
    if isinstance(e.func, Call) and not _forced(e.args):
        return _format(e.func, indent, prefix, _flat(e.args) + suffix)
    if not e.args.items:
        return [indent + flat]
    return _split(e.args, indent, prefix + _flat(e.func), suffix)


def format_statement(prefix: str, value: Expr, indent: str = _INDENT) -> list[str]:
    """Lines of one statement, ``prefix`` (``"x = "``, ``"return "`` or empty) then ``value``."""
    return _format(value, indent, prefix, "")
