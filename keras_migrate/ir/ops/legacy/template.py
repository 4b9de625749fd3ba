"""Reading and running a legacy-op template (:class:`~.records.Case`) over a namespace.

A template is a Python expression over a legacy function's parameters and the Keras 3
roots below. :func:`evaluate` runs it the way the rendered source runs: a keyword argument
whose parameter was omitted (and whose default is not ``explicit``) is dropped, so Keras
3's own default applies, exactly as the codemods write the call; other omitted
parameters take their legacy default. ``namespace`` maps each root to an object (``keras.ops``
and friends, or a numpy stand-in), so the same fact is checked against the legacy
implementation and runs in the evaluator.
"""

from __future__ import annotations

import ast
import copy
import functools
from collections.abc import Mapping
from typing import Any

from keras_migrate.ir.ops.legacy.records import Case, Condition, LegacyOp

__all__ = [
    "BUILTINS",
    "FOLDS",
    "OMITTED",
    "ROOTS",
    "bind",
    "case_holds",
    "default_value",
    "drops_given",
    "evaluate",
    "omitted_params",
    "parse_template",
    "select_case",
    "source_tree",
    "template_params",
    "template_roots",
]

#: Template roots -> the Keras 3 path they stand for.
ROOTS: dict[str, str] = {
    "ops": "keras.ops",
    "random": "keras.random",
    "activations": "keras.activations",
    "config": "keras.config",
    "Variable": "keras.Variable",
    "name_scope": "keras.name_scope",
}


def split_points(sizes: Any) -> list[int]:
    """The split points ``keras.ops.split`` takes for a list of section sizes (what
    ``tf.split`` took): the running sums without the last, ``[2, 3, 1]`` -> ``[2, 5]``."""
    points: list[int] = []
    running = 0
    for size in list(sizes)[:-1]:
        running += int(size)
        points.append(running)
    return points


#: Template functions computed from literal arguments when a case is rendered to source
#: (the codemods write their result, ``[2, 5]``, never the call); the evaluator calls them.
#: A case using one must prove its arguments literal (``nonnegative_ints``).
FOLDS: dict[str, Any] = {"split_points": split_points}
#: Python builtins (and :data:`FOLDS`) a template may call.
BUILTINS: dict[str, Any] = {"tuple": tuple, "list": list, "int": int, "len": len, **FOLDS}


class _Omitted:
    """Marker for a parameter the call did not give."""

    def __repr__(self) -> str:
        return "OMITTED"


OMITTED: Any = _Omitted()


@functools.cache
def parse_template(template: str) -> ast.Expression:
    """The template's syntax tree (cached; never mutate it)."""
    return ast.parse(template, mode="eval")


def _bound_names(tree: ast.AST) -> set[str]:
    """Names bound inside the template (comprehension and lambda variables)."""
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.comprehension):
            out |= {n.id for n in ast.walk(node.target) if isinstance(n, ast.Name)}
        elif isinstance(node, ast.Lambda):
            out |= {a.arg for a in node.args.args}
    return out


def template_params(template: str) -> set[str]:
    """The free names of a template that are neither roots nor builtins: its parameters."""
    return set(_template_params(template))


@functools.cache
def _template_params(template: str) -> frozenset[str]:
    tree = parse_template(template)
    local = _bound_names(tree)
    return frozenset({
        n.id
        for n in ast.walk(tree)
        if isinstance(n, ast.Name) and n.id not in ROOTS and n.id not in BUILTINS and n.id not in local
    })


def template_roots(template: str) -> set[str]:
    """The Keras 3 roots a template uses (``ops``, ``random``...): what it needs imported."""
    return set(_template_roots(template))


@functools.cache
def _template_roots(template: str) -> frozenset[str]:
    return frozenset(n.id for n in ast.walk(parse_template(template)) if isinstance(n, ast.Name) and n.id in ROOTS)


def bind(op: LegacyOp, args: tuple[Any, ...] = (), kwargs: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Legacy parameter -> value for one call (``OMITTED`` where not given); raises
    ``TypeError`` as Python would for too many or unknown arguments."""
    if len(args) > len(op.params):
        raise TypeError(f"{op.name} takes {len(op.params)} arguments, got {len(args)}")
    bound: dict[str, Any] = {p.name: OMITTED for p in op.params}
    for param, value in zip(op.params, args, strict=False):
        bound[param.name] = value
    for key, value in (kwargs or {}).items():
        p = op.param(key)
        if p is None:
            raise TypeError(f"{op.name} has no parameter {key!r}")
        if bound[p.name] is not OMITTED:
            raise TypeError(f"{op.name} got {p.name!r} twice")
        bound[p.name] = value
    missing = [p.name for p in op.params if p.required and bound[p.name] is OMITTED]
    if missing:
        raise TypeError(f"{op.name} is missing {missing}")
    return bound


def _literal(value: Any) -> Any:
    return tuple(_literal(v) for v in value) if isinstance(value, (list, tuple)) else value


def default_value(op: LegacyOp, name: str) -> Any:
    """The literal value of parameter ``name``'s legacy default (``OMITTED`` when it has
    none or it is not a literal, like ``config.floatx()``)."""
    param = op.param(name)
    if param is None or param.default is None:
        return OMITTED
    value = _literal_default(param.default)
    # the parse is shared: a mutable default must not be shared with the caller
    return copy.deepcopy(value) if isinstance(value, (list, dict, set)) else value


@functools.lru_cache(maxsize=1024)
def _literal_default(text: str) -> Any:
    """``text`` parsed as a literal, else ``OMITTED``: cached, because the compat layers and
    the interpreter ask on every call of a TF op and a parse costs a ``compile``."""
    try:
        return ast.literal_eval(text)
    except ValueError:
        return OMITTED


def _condition_holds(op: LegacyOp, condition: Condition, bound: Mapping[str, Any], context: frozenset[str]) -> bool:
    value = bound.get(condition.param, OMITTED)
    kind = condition.kind
    if kind == "one_of" and value is OMITTED:
        value = default_value(op, condition.param)
    if kind == "omitted":
        return value is OMITTED
    if kind == "given":
        return value is not OMITTED
    if kind == "number":
        return value is OMITTED or value is None or (isinstance(value, (int, float)) and not isinstance(value, bool))
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "one_of":
        return value is not OMITTED and _literal(value) in condition.values
    if kind == "nonnegative_ints":
        v = _literal(value)
        return isinstance(v, tuple) and all(isinstance(i, int) and i >= 0 for i in v)
    if kind == "lambda":
        return callable(value)
    if kind in ("indexed", "read_only"):
        return kind in context
    if kind in ("rank", "static_rank"):
        shape = getattr(value, "shape", None)
        return shape is not None and len(shape) == condition.values[0]
    # The inferred kinds are checked on values that carry a dtype or a shape (arrays,
    # tensors, numbers). A symbolic value without them (Lambda recovery's) cannot be
    # checked here: the case is returned and the caller must treat ``Condition.proof ==
    # "inferred"`` as an assumption it states (as it did for ``assumed``).
    if kind == "known_rank":
        return _rank(value) in condition.values or _opaque(value)
    if kind == "same_rank":
        values = [value, *(bound.get(str(p), OMITTED) for p in condition.values)]
        if any(_opaque(v) for v in values):
            return True
        ranks = {_rank(v) for v in values}
        return len(ranks) == 1 and None not in ranks
    if kind == "floating":
        values = [v for v in (bound.get(str(p), OMITTED) for p in (condition.param, *condition.values)) if v is not OMITTED]
        return any(_floating(v) or _opaque(v) for v in values)
    if kind == "integer":
        values = [bound.get(str(p), OMITTED) for p in (condition.param, *condition.values)]
        return all(_integer(v) for v in values)
    if kind == "ordered":
        low, high = value, bound.get(str(condition.values[0]), OMITTED)
        if _opaque(low) or _opaque(high):
            return True
        return _number(low) and _number(high) and low <= high
    if kind == "concrete":
        # at run time an eager tensor is concrete too; a traced one makes int() raise
        return value is not OMITTED
    # int_width: the values are equal, only the integer width differs (see records);
    # assumed conditions are the caller's to meet
    return True


def _opaque(value: Any) -> bool:
    """A value the run-time checks know nothing about: no dtype, no shape, not a number or
    a Python sequence (a symbolic tensor of Lambda recovery)."""
    return (
        value is not OMITTED
        and value is not None
        and not isinstance(value, (int, float, complex, str, list, tuple))
        and getattr(value, "dtype", None) is None
        and getattr(value, "shape", None) is None
    )


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _rank(value: Any) -> int | None:
    """The rank of a run-time value (a Python scalar is 0-D), ``None`` when unknown."""
    if _number(value):
        return 0
    shape = getattr(value, "shape", None)
    return None if shape is None else len(shape)


def _integer(value: Any) -> bool:
    """A Python int or a value of an integer dtype (never an opaque or omitted value)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    dtype = getattr(value, "dtype", None)
    return dtype is not None and "int" in str(getattr(dtype, "name", dtype))


def _floating(value: Any) -> bool:
    if isinstance(value, float):
        return True
    dtype = getattr(value, "dtype", None)
    return dtype is not None and "float" in str(getattr(dtype, "name", dtype))


def case_holds(op: LegacyOp, case: Case, bound: Mapping[str, Any], context: frozenset[str] = frozenset()) -> bool:
    """True when every condition of ``case`` holds for these runtime arguments
    (``context``: the context conditions the caller vouches for; an omitted argument
    counts as its legacy default for ``one_of``)."""
    return all(_condition_holds(op, c, bound, context) for c in case.conditions)


def drops_given(op: LegacyOp, case: Case, given: set[str] | frozenset[str]) -> bool:
    """True when the call gives a parameter that ``case`` would drop (one neither its
    template nor its conditions use, other than the op's ``ignored`` ones): then the case
    does not hold."""
    used = _template_params(case.template) | {c.param for c in case.conditions}
    return bool(set(given) - used - op.ignored)


def select_case(op: LegacyOp, bound: Mapping[str, Any], context: frozenset[str] = frozenset()) -> Case | None:
    """The first case of ``op`` that holds, or ``None`` (then its follow-up applies)."""
    given = {k for k, v in bound.items() if v is not OMITTED}
    return next(
        (c for c in op.cases if case_holds(op, c, bound, context) and not drops_given(op, c, given)),
        None,
    )


class _Omit(ast.NodeTransformer):
    """Drop the arguments the rendered source leaves out (see the module docstring)."""

    def __init__(self, omit: set[str]) -> None:
        self.omit = omit

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        keywords = [k for k in node.keywords if not (isinstance(k.value, ast.Name) and k.value.id in self.omit)]
        args = list(node.args)
        while args and isinstance(args[-1], ast.Name) and args[-1].id in self.omit:
            args.pop()
        return ast.Call(func=node.func, args=args, keywords=keywords)


@functools.cache
def _compiled(template: str, omit: frozenset[str]) -> Any:
    tree = parse_template(template)
    if omit:
        tree = ast.fix_missing_locations(_Omit(set(omit)).visit(ast.parse(template, mode="eval")))
    return compile(tree, f"<legacy template {template}>", "eval")


def omitted_params(op: LegacyOp, bound: Mapping[str, Any]) -> frozenset[str]:
    """The parameters the rendered call leaves out: omitted, with Keras 3's default."""
    return frozenset(p.name for p in op.params if bound.get(p.name, OMITTED) is OMITTED and not p.explicit)


def evaluate(op: LegacyOp, case: Case, namespace: Mapping[str, Any], bound: Mapping[str, Any]) -> Any:
    """Run ``case`` of ``op`` on ``bound`` arguments (from :func:`bind`) with ``namespace``
    giving the roots (``{"ops": keras.ops, ...}``); omitted parameters follow the rendering
    rule of the module docstring."""
    omit = omitted_params(op, bound) & template_params(case.template)
    code = _compiled(case.template, omit)
    roots = {**BUILTINS, **namespace}
    values: dict[str, Any] = {}
    for p in op.params:
        value = bound.get(p.name, OMITTED)
        if value is OMITTED:
            if p.default is None:
                continue
            value = eval(_compiled(p.default, frozenset()), {"__builtins__": {}}, roots)
        values[p.name] = value
    return eval(code, {"__builtins__": BUILTINS, **roots, **values})


class _Inline(ast.NodeTransformer):
    """Fold :data:`FOLDS` calls over literal values and write omitted explicit parameters
    as their legacy default (what :func:`evaluate` computes, as source)."""

    def __init__(self, op: LegacyOp, bound: Mapping[str, Any]) -> None:
        self.op = op
        self.bound = bound

    def visit_Call(self, node: ast.Call) -> ast.AST:
        if isinstance(node.func, ast.Name) and node.func.id in FOLDS and not node.keywords:
            values = [self.bound.get(a.id, OMITTED) if isinstance(a, ast.Name) else OMITTED for a in node.args]
            if all(v is not OMITTED for v in values):
                return ast.parse(repr(FOLDS[node.func.id](*values)), mode="eval").body
        self.generic_visit(node)
        return node

    def visit_Name(self, node: ast.Name) -> ast.AST:
        param = self.op.param(node.id)
        if (
            param is not None
            and param.name == node.id
            and param.default is not None
            and self.bound.get(node.id, OMITTED) is OMITTED
        ):
            return ast.parse(param.default, mode="eval").body
        return node


def source_tree(op: LegacyOp, case: Case, bound: Mapping[str, Any]) -> ast.expr:
    """``case`` of ``op`` as the expression tree a renderer writes for ``bound`` arguments:
    what :func:`evaluate` runs, with the omitted arguments dropped (Keras 3's default) or
    written as their legacy default (``explicit``), :data:`FOLDS` computed. The remaining
    free names are the given parameters and the :data:`ROOTS` (a fresh tree: callers may
    change it)."""
    omit = omitted_params(op, bound) & template_params(case.template)
    tree = ast.parse(case.template, mode="eval")
    if omit:
        tree = _Omit(set(omit)).visit(tree)
    tree = _Inline(op, bound).visit(tree)
    return ast.fix_missing_locations(tree).body
