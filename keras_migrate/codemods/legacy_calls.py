"""Rewriting a legacy call from the one table of legacy-op semantics (``ir.ops.legacy``).

The table gives each legacy function its signature and its cases: a ``keras.ops``
template with the conditions under which it equals the legacy function. Here a call is
bound to the legacy parameters (positional, keyword or an old keyword alias), the first
case whose syntax and context conditions hold is chosen, and its template is rendered
with the user's argument expressions in place of the parameters (their own formatting
kept). An omitted parameter is left out when Keras 3's default is the legacy one, and
written out with the legacy default otherwise (``K.argmax(x)`` -> ``axis=-1``). When no
case holds, the caller emits the entry's follow-up.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Callable, Mapping
from typing import Any

import libcst as cst

from keras_migrate.codemods.callargs import has_star_args, literal_number
from keras_migrate.codemods.codegen import child_fields, code_of, fast_path_enabled
from keras_migrate.codemods.facts import dotted_of
from keras_migrate.codemods.rule import RuleContext, dotted
from keras_migrate.ir.ops.legacy.records import CONDITION_KINDS, Case, Condition, LegacyOp
from keras_migrate.ir.ops.legacy.template import (
    FOLDS,
    OMITTED,
    ROOTS,
    default_value,
    drops_given,
    template_params,
    template_roots,
)

__all__ = [
    "INFERRED",
    "Prover",
    "TextCall",
    "bind_call",
    "choose_case",
    "prover",
    "render_case",
    "rewrite_legacy_call",
    "text_case",
]

_ATOMIC = (
    cst.Name,
    cst.Attribute,
    cst.Call,
    cst.Subscript,
    cst.SimpleString,
    cst.ConcatenatedString,
    cst.FormattedString,
    cst.Integer,
    cst.Float,
    cst.Imaginary,
    cst.Tuple,
    cst.List,
    cst.Dict,
    cst.Set,
    cst.ListComp,
    cst.DictComp,
    cst.SetComp,
)


def bind_call(op: LegacyOp, call: cst.Call) -> dict[str, cst.BaseExpression] | None:
    """Legacy parameter -> argument expression, or ``None`` when the call cannot be bound
    (``*args``/``**kwargs``, too many arguments, an unknown or repeated keyword)."""
    if has_star_args(call):
        return None
    bound: dict[str, cst.BaseExpression] = {}
    index = 0
    for arg in call.args:
        if arg.keyword is None:
            if index >= len(op.params):
                return None
            name = op.params[index].name
            index += 1
        else:
            param = op.param(arg.keyword.value)
            if param is None:
                return None
            name = param.name
        if name in bound:
            return None
        bound[name] = arg.value
    if any(p.required and p.name not in bound for p in op.params):
        return None
    return bound


_NAMED = {"None": None, "True": True, "False": False}


def _literal(node: cst.BaseExpression) -> object:
    """The value of a literal expression (``(2, 1)``, ``'tf'``, ``None``), else a marker."""
    if isinstance(node, (cst.Integer, cst.Float, cst.SimpleString)):
        return ast.literal_eval(node.value)  # the common cases, without generating code
    if isinstance(node, cst.Name):
        return _NAMED.get(node.value, _NOT_LITERAL)
    try:
        value = ast.literal_eval(code_of(node).strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return _NOT_LITERAL

    def norm(v: object) -> object:
        return tuple(norm(i) for i in v) if isinstance(v, (list, tuple)) else v

    return norm(value)


_NOT_LITERAL = object()


#: condition kinds only the static inference proves (see :mod:`.inference`)
INFERRED = frozenset(k for k, proof in CONDITION_KINDS.items() if proof == "inferred")
#: proves one ``inferred`` condition for the call being rewritten
Prover = Callable[[Condition], bool]


def _holds(
    op: LegacyOp,
    condition: Condition,
    bound: Mapping[str, cst.BaseExpression],
    context: frozenset[str],
    prove: Prover | None = None,
) -> bool:
    node = bound.get(condition.param)
    kind = condition.kind
    if kind in INFERRED:
        return prove is not None and prove(condition)
    if kind == "int":
        return isinstance(node, cst.Integer)
    if kind == "one_of" and node is None:
        default = default_value(op, condition.param)
        return default is not OMITTED and default in condition.values
    if kind == "omitted":
        return node is None
    if kind == "given":
        return node is not None
    if kind == "number":
        return node is None or literal_number(node) is not None or (isinstance(node, cst.Name) and node.value == "None")
    if kind == "one_of":
        return node is not None and _literal(node) in condition.values
    if kind == "nonnegative_ints":
        value = _literal(node) if node is not None else _NOT_LITERAL
        return isinstance(value, tuple) and all(isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in value)
    if kind == "lambda":
        return isinstance(node, cst.Lambda)
    if kind in ("indexed", "read_only"):
        return kind in context
    if kind == "int_width":
        return kind in context
    # source text never proves a rank (static_rank); guarded conditions need no proof
    # (the template raises where they fail); no entry is "assumed" any more (never proven)
    return kind not in ("static_rank", "assumed")


def choose_case(
    op: LegacyOp,
    bound: Mapping[str, cst.BaseExpression],
    context: frozenset[str] = frozenset(),
    prove: Prover | None = None,
) -> Case | None:
    """The first case of ``op`` whose conditions the source proves (``context``: the
    context conditions that hold for this call: ``indexed``, ``read_only``, ``int_width``;
    ``prove``: the static inference for the ``inferred`` kinds, none proven without it)."""
    for case in op.cases:
        if drops_given(op, case, set(bound)):
            continue
        if all(_holds(op, c, bound, context, prove) for c in case.conditions):
            return case
    return None


def _as_ast(node: cst.BaseExpression) -> ast.expr | None:
    """The stdlib ``ast`` form of an (original) argument expression."""
    try:
        return ast.parse(f"({code_of(node)})", mode="eval").body
    except SyntaxError:  # pragma: no cover - libcst parsed it
        return None


def prover(ctx: RuleContext, bound: Mapping[str, cst.BaseExpression]) -> Prover:
    """Proofs of ``inferred`` conditions for one call, ``bound`` its ORIGINAL arguments
    (the legacy code the inference reads), from :meth:`RuleContext.inference`."""

    def expr(name: object) -> ast.expr | None:
        node = bound.get(str(name))
        return None if node is None else _as_ast(node)

    def prove(condition: Condition) -> bool:
        kind = condition.kind
        first = expr(condition.param)
        if kind == "floating":
            nodes = [n for n in (first, *(expr(v) for v in condition.values)) if n is not None]
            return any(ctx.inference().floating(n) for n in nodes)
        if first is None:
            return False
        inference = ctx.inference()
        if kind == "known_rank":
            return inference.rank(first) in condition.values
        if kind == "same_rank":
            if any(isinstance(n, ast.NamedExpr) for v in bound.values() if (e := _as_ast(v)) for n in ast.walk(e)):
                return False  # `:=` could rebind a name between the arguments
            key = inference.rank_key(first)
            others = [expr(v) for v in condition.values]
            return key is not None and all(o is not None and inference.rank_key(o) == key for o in others)
        if kind == "ordered":
            high = expr(condition.values[0]) if condition.values else None
            low_value = inference.number(first)
            high_value = None if high is None else inference.number(high)
            return low_value is not None and high_value is not None and low_value <= high_value
        if kind == "concrete":
            return inference.concrete(first)
        return False

    return prove


class _Roots(cst.CSTTransformer):
    """``ops.x`` -> ``keras.ops.x`` (in a parameter's default)."""

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.BaseExpression:
        if isinstance(updated.value, cst.Name) and updated.value.value in ROOTS:
            return updated.with_changes(value=_parsed(ROOTS[updated.value.value]))
        return updated


@functools.cache
def _parsed(source: str) -> cst.BaseExpression:
    """A template or default parsed once (libcst nodes are immutable, so shared safely)."""
    return cst.parse_expression(source)


@functools.cache
def _default(source: str) -> cst.BaseExpression:
    return _expression(_parsed(source).visit(_Roots()))


def _expression(node: object) -> cst.BaseExpression:
    if not isinstance(node, cst.BaseExpression):  # pragma: no cover - transformers keep expressions
        raise TypeError(f"expected an expression, got {type(node).__name__}")
    return node


class _Render(cst.CSTTransformer):
    def __init__(self, op: LegacyOp, case: Case, bound: Mapping[str, cst.BaseExpression]) -> None:
        self.values: dict[str, cst.BaseExpression] = {}
        self.omit: set[str] = set()
        for p in op.params:
            if p.name in bound:
                self.values[p.name] = bound[p.name]
            elif p.default is not None:
                self.values[p.name] = _default(p.default)
                if not p.explicit:
                    self.omit.add(p.name)
        self.params = template_params(case.template)
        self.skip: set[int] = set()
        self.wrapped: set[int] = set()

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        self.skip.add(id(node.attr))
        return True

    def visit_Arg(self, node: cst.Arg) -> bool:
        if node.keyword is not None:
            self.skip.add(id(node.keyword))
        return True

    def _omitted(self, node: cst.BaseExpression) -> bool:
        return isinstance(node, cst.Name) and node.value in self.omit and node.value in self.params

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        if isinstance(updated.func, cst.Name) and updated.func.value in FOLDS:
            # computed here from the literal arguments the case's conditions proved
            values = [_literal(a.value) for a in updated.args]
            if any(v is _NOT_LITERAL for v in values):  # pragma: no cover - the case proves literals
                raise ValueError(f"{updated.func.value} needs literal arguments")
            return _parsed(repr(FOLDS[updated.func.value](*values)))
        pairs = list(zip(original.args, updated.args, strict=True))
        positional = [(o, u) for o, u in pairs if o.keyword is None]
        while positional and self._omitted(positional[-1][0].value):
            positional.pop()
        keywords = [(o, u) for o, u in pairs if o.keyword is not None and not self._omitted(o.value)]
        args = [u for _, u in (*positional, *keywords)]
        if len(args) != len(pairs):
            if args:
                args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            return updated.with_changes(args=args)
        return updated

    def leave_Arg(self, original: cst.Arg, updated: cst.Arg) -> cst.Arg:
        if id(updated.value) in self.wrapped:
            return updated.with_changes(value=updated.value.with_changes(lpar=(), rpar=()))
        return updated

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.BaseExpression:
        if id(original) in self.skip:
            return updated
        if original.value in self.params and original.value in self.values:
            value = self.values[original.value]
            if updated.lpar and not getattr(value, "lpar", ()):
                return value.with_changes(lpar=updated.lpar, rpar=updated.rpar)
            if not isinstance(value, _ATOMIC) and not getattr(value, "lpar", ()):
                value = value.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
                self.wrapped.add(id(value))
            return value
        if original.value in ROOTS:
            return _parsed(ROOTS[original.value])
        return updated


def _walk(render: _Render, node: Any) -> Any:
    """``node.visit(render)`` without libcst's visitor machinery: the same hooks in the
    same order, but only the nodes on the path to a change are rebuilt and whitespace or
    punctuation fields are never entered (a template is a few dozen nodes, and
    ``CSTTransformer`` rebuilds and re-validates every one of them)."""
    kind = type(node)
    plan = _HOOKS.get(kind)
    if plan is None:
        plan = _HOOKS[kind] = (
            getattr(_Render, "visit_" + kind.__name__, None),
            getattr(_Render, "leave_" + kind.__name__, None),
            child_fields(kind),
        )
    pre, post, fields = plan
    updated = node
    if pre is None or pre(render, node) is not False:
        changes: dict[str, Any] = {}
        for name in fields:
            value = getattr(node, name)
            if isinstance(value, cst.CSTNode):
                new = _walk(render, value)
                if new is not value:
                    changes[name] = new
            elif value.__class__ in (list, tuple) and value:
                items = [_walk(render, v) if isinstance(v, cst.CSTNode) else v for v in value]
                if any(a is not b for a, b in zip(items, value, strict=True)):
                    changes[name] = items
        if changes:
            updated = node.with_changes(**changes)
    return post(render, node, updated) if post is not None else updated


#: per node class: the _Render visit and leave hooks and the fields to enter
_HOOKS: dict[type, tuple[Any, Any, tuple[str, ...]]] = {}


def render_case(op: LegacyOp, case: Case, bound: Mapping[str, cst.BaseExpression]) -> cst.BaseExpression:
    """``case``'s template with the call's arguments in place (see the module docstring)."""
    if not fast_path_enabled():
        return _expression(_parsed(case.template).visit(_Render(op, case, bound)))
    return _expression(_walk(_Render(op, case, bound), _parsed(case.template)))


def rewrite_legacy_call(
    ctx: RuleContext, op: LegacyOp, original: cst.Call, updated: cst.Call, label: str
) -> cst.BaseExpression:
    """``updated`` rewritten by ``op``'s first provable case (recording the change), or
    kept with ``op``'s follow-up (``label`` names the function in messages: ``K.sum``)."""
    bound = bind_call(op, updated) if op.cases else None
    context = frozenset(
        c
        for c, ids in (("indexed", ctx.indexed), ("read_only", ctx.call_arguments), ("int_width", ctx.width_free))
        if id(original) in ids
    )
    legacy = bind_call(op, original) if bound is not None else None
    prove = prover(ctx, legacy) if legacy is not None else None
    case = None if bound is None else choose_case(op, bound, context, prove)
    if case is None or bound is None:
        if op.follow_up:
            ctx.follow_up(op.follow_up)
        elif bound is None:
            ctx.follow_up(
                f"{label}: arguments could not be mapped to keras.ops automatically "
                "(*args/**kwargs or an unknown keyword) - rewrite by hand"
            )
        else:
            ctx.follow_up(
                f"{label}: no exact Keras 3 form for these arguments - rewrite by hand "
                f"(the plain form is keras.{op.cases[0].template})"
            )
        return updated
    new = render_case(op, case, bound)
    if template_roots(case.template):
        ctx.needs.add("keras")
    head = dotted(new.func) if isinstance(new, cst.Call) else None  # no code generation
    ctx.change(f"{label} -> {head if head is not None else code_of(new).split('(')[0]}")
    if updated.lpar:
        new = new.with_changes(lpar=updated.lpar, rpar=updated.rpar)
    return new


# -- the text path (codemods/text_rules.py): the same cases without libcst ------------------

#: a rendered call: (head such as ``keras.ops.sum``, [(keyword or None, argument)], message)
TextCall = tuple[str, list[tuple[str | None, ast.expr]], str]


@functools.cache
def _plain_template(template: str) -> tuple[str, tuple[tuple[str | None, str], ...]] | None:
    """``ops.sum(x, axis=axis)`` -> (``keras.ops.sum``, ((None, "x"), ("axis", "axis"))) when
    the template is one call of a root function on bare parameters, spelled the way the
    text path writes it (", " between arguments, no spaces around "="); else ``None``."""
    try:
        tree = ast.parse(template, mode="eval").body
    except SyntaxError:  # pragma: no cover - the table's templates parse
        return None
    if not isinstance(tree, ast.Call):
        return None
    head = dotted_of(tree.func)
    if head is None or head.split(".")[0] not in ROOTS:
        return None
    parts: list[tuple[str | None, str]] = []
    for arg in tree.args:
        if not isinstance(arg, ast.Name):
            return None
        parts.append((None, arg.id))
    for keyword in tree.keywords:
        if keyword.arg is None or not isinstance(keyword.value, ast.Name):
            return None
        parts.append((keyword.arg, keyword.value.id))
    spelled = ", ".join(p if k is None else f"{k}={p}" for k, p in parts)
    if template != f"{head}({spelled})":
        return None
    root, _, rest = head.partition(".")
    return f"{ROOTS[root]}.{rest}" if rest else ROOTS[root], tuple(parts)


def text_case(op: LegacyOp, call: ast.Call, label: str) -> TextCall | None:
    """What :func:`rewrite_legacy_call` does to ``call`` (``ast``), when it renders the
    op's first case, that case has no condition and a plain template
    (:func:`_plain_template`) and no legacy default is written out: the head, the
    arguments in the template's order and the change message; ``None`` otherwise (the
    libcst path then decides: another case, or the follow-up)."""
    if not op.cases or op.cases[0].conditions:
        return None
    bound = _bind_ast(op, call)
    case = op.cases[0]
    plain = _plain_template(case.template)
    if bound is None or plain is None or drops_given(op, case, set(bound)):
        return None
    head, parts = plain
    args: list[tuple[str | None, ast.expr]] = []
    omitted_positional = False
    for keyword, param_name in parts:
        value = bound.get(param_name)
        if value is None:
            param = op.param(param_name)
            if param is None or param.default is None or param.explicit:
                return None  # the legacy default is written out: libcst renders it
            omitted_positional = omitted_positional or keyword is None
            continue
        if keyword is None and omitted_positional:
            return None  # a positional after an omitted one keeps the default
        args.append((keyword, value))
    return head, args, f"{label} -> {head}"


def _bind_ast(op: LegacyOp, call: ast.Call) -> dict[str, ast.expr] | None:
    """:func:`bind_call` on an ``ast`` call."""
    if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
        return None
    if len(call.args) > len(op.params):
        return None
    bound = {op.params[i].name: a for i, a in enumerate(call.args)}
    for keyword in call.keywords:
        assert keyword.arg is not None
        param = op.param(keyword.arg)
        if param is None or param.name in bound:
            return None
        bound[param.name] = keyword.value
    if any(p.required and p.name not in bound for p in op.params):
        return None
    return bound
