"""The records of the legacy-op table: a signature, cases (template + conditions), follow-up.

A :class:`LegacyOp` says what one legacy function (``keras.backend.batch_dot``,
``tf.math.reduce_sum``) means in Keras 3: its signature with the defaults the legacy API
had, then :class:`Case` s tried in order, each a ``keras.ops``-vocabulary expression
template over the parameter names with the :class:`Condition` s under which it equals
the legacy function, and, when no case applies (or there is none), the follow-up text
giving the concrete replacement. The facts are data so that each consumer reads the
same fact: the codemods render a case to source, Lambda recovery turns it into IR op
nodes, the evaluator (:mod:`.template`) runs it over numpy or ``keras.ops``.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

__all__ = [
    "CONDITION_KINDS",
    "Case",
    "Condition",
    "LegacyOp",
    "Param",
    "case",
    "legacy_op",
    "when",
]

#: Condition kind -> who can establish it:
#: ``syntax``: the call's source text (a literal argument, an omitted one);
#: ``context``: the code around the call (its result is indexed, or only read);
#: ``guarded``: the template itself raises where the condition fails (never silently
#: differs), so it may be applied unproven; ``static``: known shapes prove it (model
#: conversion has them, the codemods never do); ``assumed``: nothing in the source proves it
#: (a dtype, a rank); no entry uses it any more (kept so older readers still load);
#: ``inferred``: the codemods' static inference (:mod:`keras_migrate.codemods.inference`)
#: proves it from the code around the call (literals, ``add_weight(shape=...)``,
#: ``keras.Input(shape=...)``, known-dtype producers), else the call is kept and flagged;
#: at run time (:mod:`.template`) it is checked on the values (a symbolic value with no
#: dtype or shape passes: such callers must state ``inferred`` conditions as assumptions).
#:
#: The inferred kinds: ``floating`` (``param``, or any parameter named in ``values``, has a
#: floating dtype), ``known_rank`` (``param``'s rank is one of ``values``), ``same_rank``
#: (``param`` has the rank of each parameter named in ``values``), ``ordered`` (``param``
#: and the parameter named in ``values[0]`` are numbers, ``param`` <= the other),
#: ``concrete`` (``param`` is a Python or NumPy value, not a traced tensor), ``integer``
#: (``param`` and every parameter named in ``values`` have an integer dtype: the cases
#: reproducing TF's integer arithmetic; a symbolic value without a dtype never passes,
#: and the codemods' inference does not prove it, so only a model's known dtypes select
#: those cases). The context kind
#: ``int_width`` holds where the result is consumed by something its integer width cannot
#: change (a comparison, ``cast``, ``one_hot``, ``gather``); the run-time check counts it as
#: holding (the values are equal; only the width differs).
CONDITION_KINDS: dict[str, str] = {
    "omitted": "syntax",
    "given": "syntax",
    "number": "syntax",
    "int": "syntax",
    "one_of": "syntax",
    "nonnegative_ints": "syntax",
    "lambda": "syntax",
    "indexed": "context",
    "read_only": "context",
    "rank": "guarded",
    "static_rank": "static",
    "assumed": "assumed",
    "floating": "inferred",
    "known_rank": "inferred",
    "same_rank": "inferred",
    "ordered": "inferred",
    "concrete": "inferred",
    "integer": "inferred",
    "int_width": "context",
}


@dataclass(frozen=True, slots=True)
class Param:
    """One legacy parameter: ``default`` is the source of its legacy default (a template
    expression, ``config.floatx()`` for Keras 2's "None means floatx"), ``None`` when
    required. ``explicit``: Keras 3's default differs, so an omitted argument is written
    out with the legacy default when rendered. ``aliases``: older keyword spellings."""

    name: str
    default: str | None = None
    explicit: bool = False
    aliases: tuple[str, ...] = ()

    @property
    def required(self) -> bool:
        return self.default is None


@dataclass(frozen=True, slots=True)
class Condition:
    """When a case holds: ``kind`` (:data:`CONDITION_KINDS`) on parameter ``param``;
    ``values`` are the allowed literals (``one_of``) or the rank (``rank``); ``text``
    says it in words (for ``assumed`` conditions, what is assumed)."""

    kind: str
    param: str = ""
    values: tuple[object, ...] = ()
    text: str = ""

    @property
    def proof(self) -> str:
        return CONDITION_KINDS[self.kind]


@dataclass(frozen=True, slots=True)
class Case:
    """One meaning: ``template`` (a Python expression over the parameters and the roots
    ``ops``, ``random``, ``activations``, ``config``, ``Variable``, ``name_scope``), valid
    when every condition holds."""

    template: str
    conditions: tuple[Condition, ...] = ()


@dataclass(frozen=True, slots=True)
class LegacyOp:
    """One legacy function and its Keras 3 meaning (see the module docstring)."""

    name: str
    params: tuple[Param, ...]
    cases: tuple[Case, ...] = ()
    follow_up: str | None = None
    random: bool = False
    ignored: frozenset[str] = frozenset({"name"})

    @property
    def status(self) -> str:
        """``exact`` (one case without conditions), ``conditional`` or ``none``."""
        if not self.cases:
            return "none"
        if any(not c.conditions for c in self.cases):
            return "exact"
        return "conditional"

    def param(self, name: str) -> Param | None:
        """The parameter called ``name`` (or having it as an alias)."""
        for p in self.params:
            if p.name == name or name in p.aliases:
                return p
        return None

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params)


def when(kind: str, param: str = "", *values: object, text: str = "") -> Condition:
    """A :class:`Condition` (``kind`` checked against :data:`CONDITION_KINDS`)."""
    if kind not in CONDITION_KINDS:
        raise ValueError(f"unknown condition kind {kind!r}")
    return Condition(kind, param, tuple(values), text)


def case(template: str, *conditions: Condition) -> Case:
    """A :class:`Case`; the template must parse as one Python expression."""
    ast.parse(template, mode="eval")
    return Case(template, conditions)


def _parse_signature(signature: str, explicit: set[str], aliases: dict[str, tuple[str, ...]]) -> tuple[Param, ...]:
    tree = ast.parse(f"def _({signature}): pass").body[0]
    assert isinstance(tree, ast.FunctionDef)
    args = tree.args.args
    defaults: list[ast.expr | None] = [None] * (len(args) - len(tree.args.defaults))
    defaults += list(tree.args.defaults)
    return tuple(
        Param(a.arg, None if d is None else ast.unparse(d), a.arg in explicit, aliases.get(a.arg, ()))
        for a, d in zip(args, defaults, strict=True)
    )


def legacy_op(
    name: str,
    signature: str,
    *cases: Case | str,
    explicit: str = "",
    aliases: str = "",
    follow_up: str | None = None,
    random: bool = False,
    ignored: str = "name",
) -> LegacyOp:
    """Compact :class:`LegacyOp` constructor: ``signature`` as in a ``def`` (``"x, axis=None,
    keepdims=False"``), ``explicit`` the parameters whose legacy default is written out,
    ``aliases`` ``"old:new ..."``, ``ignored`` the parameters a case may drop (``name``;
    any other parameter a case's template does not use must be omitted for the case to
    hold); a plain string case is an unconditional template."""
    alias_map: dict[str, tuple[str, ...]] = {}
    for item in aliases.split():
        old, new = item.split(":")
        alias_map[new] = (*alias_map.get(new, ()), old)
    params = _parse_signature(signature, set(explicit.split()), alias_map)
    unknown = (set(explicit.split()) | set(alias_map)) - {p.name for p in params}
    if unknown:
        raise ValueError(f"{name}: unknown parameters {sorted(unknown)}")
    built = tuple(case(c) if isinstance(c, str) else c for c in cases)
    if not built and not follow_up:
        raise ValueError(f"{name}: neither a case nor a follow-up")
    return LegacyOp(name, params, built, follow_up, random, frozenset(ignored.split()))
