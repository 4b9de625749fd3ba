"""Helpers to read and rewrite call arguments while keeping the user's formatting.

Every keyword rename keeps the original ``Arg`` node (value, comments, commas), so a
multi-line ``Dense(...)`` call keeps its layout; only removals and additions touch commas.
(How a legacy backend/TF function's arguments map onto Keras 3 is the legacy-op table's,
``keras_migrate.ir.ops.legacy``, rendered by :mod:`keras_migrate.codemods.legacy_calls`.)
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import libcst as cst

__all__ = [
    "add_kwarg",
    "drop_kwargs",
    "get_kwarg",
    "has_star_args",
    "literal_number",
    "literal_string",
    "positional",
    "rename_kwargs",
    "replace_args",
]


def positional(call: cst.Call) -> list[cst.Arg]:
    """Positional arguments (without ``*args``)."""
    return [a for a in call.args if a.keyword is None and not a.star]


def has_star_args(call: cst.Call) -> bool:
    """True when the call uses ``*args`` or ``**kwargs`` (arguments cannot be mapped)."""
    return any(a.star for a in call.args)


def get_kwarg(call: cst.Call, name: str) -> cst.Arg | None:
    """The keyword argument ``name=`` if present."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg
    return None


def literal_string(node: cst.BaseExpression | None) -> str | None:
    """The value of a plain string literal, else ``None``."""
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def literal_number(node: cst.BaseExpression | None) -> float | None:
    """The value of an int/float literal (with optional unary minus), else ``None``."""
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        inner = literal_number(node.expression)
        return None if inner is None else -inner
    if isinstance(node, (cst.Integer, cst.Float)):
        return float(node.evaluated_value)
    return None


def replace_args(call: cst.Call, args: Sequence[cst.Arg]) -> cst.Call:
    """Set ``args``, fixing the comma after the new last argument."""
    fixed = list(args)
    if fixed:
        original_last = call.args[-1] if call.args else None
        last = fixed[-1]
        if original_last is not None and last is not original_last:
            fixed[-1] = last.with_changes(comma=original_last.comma)
        for i, arg in enumerate(fixed[:-1]):
            if arg.comma is cst.MaybeSentinel.DEFAULT:
                fixed[i] = arg.with_changes(
                    comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
                )
    return call.with_changes(args=fixed)


def rename_kwargs(call: cst.Call, mapping: Mapping[str, str]) -> cst.Call:
    """Rename keyword arguments per ``mapping`` (values untouched)."""
    args = []
    changed = False
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value in mapping:
            args.append(arg.with_changes(keyword=cst.Name(mapping[arg.keyword.value])))
            changed = True
        else:
            args.append(arg)
    return call.with_changes(args=args) if changed else call


def drop_kwargs(call: cst.Call, names: Collection[str]) -> cst.Call:
    """Remove keyword arguments ``names``."""
    kept = [a for a in call.args if a.keyword is None or a.keyword.value not in names]
    if len(kept) == len(call.args):
        return call
    return replace_args(call, kept)


def _kw(name: str, value: cst.BaseExpression) -> cst.Arg:
    return cst.Arg(
        value=value,
        keyword=cst.Name(name),
        equal=cst.AssignEqual(
            whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")
        ),
    )


def add_kwarg(call: cst.Call, name: str, value: cst.BaseExpression | str) -> cst.Call:
    """Append (or replace) ``name=value``."""
    if isinstance(value, str):
        value = cst.parse_expression(value)
    existing = get_kwarg(call, name)
    if existing is not None:
        return call.with_changes(
            args=[a.with_changes(value=value) if a is existing else a for a in call.args]
        )
    new = _kw(name, value)
    return replace_args(call, [*call.args, new])
