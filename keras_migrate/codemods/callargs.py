"""Helpers to read and rewrite call arguments while keeping the user's formatting.

Every keyword rename keeps the original ``Arg`` node (value, comments, commas), so a
multi-line ``Dense(...)`` call keeps its layout; only removals and additions touch commas.
:class:`OpSpec` describes a function whose arguments move to a Keras 3 op with other names
or order, the way ``tf_upgrade_v2`` turns positional arguments into keywords before
renaming them, so nothing lands on the wrong parameter.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

import libcst as cst

__all__ = [
    "OpSpec",
    "add_kwarg",
    "drop_kwargs",
    "get_kwarg",
    "has_star_args",
    "literal_number",
    "literal_string",
    "positional",
    "rename_kwargs",
    "replace_args",
    "spec",
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


@dataclass(frozen=True, slots=True)
class OpSpec:
    """How a legacy function's arguments map onto a Keras 3 op.

    Attributes:
        target: dotted path under ``keras`` (``ops.sum``).
        params: the legacy parameter names in positional order.
        rename: legacy name -> Keras 3 keyword, where they differ.
        positional: how many leading Keras 3 parameters are passed positionally.
        drop: legacy parameters that are simply dropped (``name``).
        defaults: Keras 3 keywords to add when the legacy call relied on a default that
            differs (``axis=-1`` for ``K.argmax``).
        aliases: deprecated legacy keyword -> current legacy keyword (``keep_dims``).
        note: a follow-up to emit whenever the op is rewritten (semantics to check).
    """

    target: str
    params: tuple[str, ...]
    rename: Mapping[str, str] = field(default_factory=dict)
    positional: int = 1
    drop: frozenset[str] = frozenset({"name"})
    defaults: tuple[tuple[str, str], ...] = ()
    aliases: Mapping[str, str] = field(default_factory=dict)
    note: str | None = None

    def bind(self, call: cst.Call) -> dict[str, cst.Arg] | None:
        """Legacy parameter -> argument, or ``None`` when the call cannot be mapped."""
        if has_star_args(call):
            return None
        bound: dict[str, cst.Arg] = {}
        index = 0
        for arg in call.args:
            if arg.keyword is None:
                if index >= len(self.params):
                    return None
                bound[self.params[index]] = arg
                index += 1
            else:
                name = self.aliases.get(arg.keyword.value, arg.keyword.value)
                if name not in self.params or name in bound:
                    return None
                bound[name] = arg
        return bound

    def apply(self, call: cst.Call, func: cst.BaseExpression) -> cst.Call | None:
        """The rewritten call (``func`` as callee), or ``None`` if arguments do not map."""
        bound = self.bind(call)
        if bound is None:
            return None
        args: list[cst.Arg] = []
        as_positional = True
        for i, name in enumerate(self.params):
            arg = bound.get(name)
            if arg is None:
                as_positional = False
                continue
            if name in self.drop:
                continue
            target = self.rename.get(name, name)
            if as_positional and i < self.positional:
                args.append(arg.with_changes(keyword=None, equal=cst.MaybeSentinel.DEFAULT))
            else:
                as_positional = False
                args.append(_kw(target, arg.value).with_changes(comma=arg.comma))
        given = {self.rename.get(n, n) for n in bound}
        for name, value in self.defaults:
            if name not in given:
                args.append(_kw(name, cst.parse_expression(value)))
        new = call.with_changes(func=func)
        return replace_args(new, args)


def spec(
    target: str,
    params: str,
    *,
    positional: int = 1,
    defaults: str = "",
    aliases: str = "",
    drop: str = "name",
    note: str | None = None,
) -> OpSpec:
    """Compact :class:`OpSpec` constructor: ``params`` is ``"legacy:new legacy2 ..."``."""
    names: list[str] = []
    rename: dict[str, str] = {}
    for item in params.split():
        old, _, new = item.partition(":")
        names.append(old)
        if new:
            rename[old] = new
    default_pairs = tuple(
        (k, v) for k, _, v in (item.partition("=") for item in defaults.split() if item)
    )
    alias_map = dict(item.split(":") for item in aliases.split() if item)
    dropped = drop.split()
    names.extend(d for d in dropped if d not in names)
    return OpSpec(
        target=target,
        params=tuple(names),
        rename=rename,
        positional=positional,
        drop=frozenset(dropped),
        defaults=default_pairs,
        aliases=alias_map,
        note=note,
    )
