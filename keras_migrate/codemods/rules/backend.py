"""Rule ``backend``: ``keras.backend`` functions to ``keras.ops``/``keras.random``/``keras.config``.

Keras 3 kept only configuration helpers in ``keras.backend``. What every other legacy
function means is one table, :mod:`keras_migrate.ir.ops.legacy` (shared with model
conversion and checked against tf_keras's backend): this rule binds each call to the
legacy signature, takes the first case whose conditions the source proves (a literal
argument, an omitted one, the call's result only indexed or only read) and renders its
``keras.ops`` template with the user's arguments, writing out the legacy defaults Keras 3
does not share (``K.argmax`` reduced the last axis, ``K.constant`` used ``floatx()``).
No rewrite may change behaviour silently: where no case holds (``K.shape(x)`` not indexed,
since ``ops.shape`` is a tuple; ``K.zeros`` not just read, since it was a variable;
``K.relu`` with tensor arguments; ``K.slice`` with a ``-1`` size) or the function has no
equivalent (``function``, ``placeholder``, ``learning_phase``, ``gradients``, sessions),
the call is kept with the table's follow-up giving the concrete replacement.
"""

from __future__ import annotations

import ast
import re
from typing import ClassVar

import libcst as cst

from keras_migrate.codemods.callargs import literal_string
from keras_migrate.codemods.codegen import code_of
from keras_migrate.codemods.facts import Facts, dotted_of
from keras_migrate.codemods.legacy_calls import TextCall, rewrite_legacy_call, text_case
from keras_migrate.codemods.rule import Rule, RuleContext
from keras_migrate.codemods.triggers import Trigger, symbol_triggers
from keras_migrate.ir.ops.legacy import BACKEND_OPS, KEPT

__all__ = ["Backend", "text_call"]

#: Names Keras 3 still exports from keras.backend: left alone.
KEEP = KEPT
_ORDERING = {"th": "channels_first", "tf": "channels_last"}


def _code(node: cst.CSTNode) -> str:
    return code_of(node)


def _backend_function(ctx: RuleContext, func: cst.BaseExpression) -> str | None:
    for name in ctx.legacy_names(func):
        if name.startswith("keras.backend.") and name.count(".") == 2:
            return name.rsplit(".", 1)[1]
    return None


class Backend(Rule):
    """keras.backend to keras.ops (see module docstring)."""

    id = "backend"
    description = (
        "keras.backend functions to keras.ops/keras.random/keras.config, minding changed "
        "contracts (in_top_k, switch, repeat, relu, batch_dot, int_shape, eval/set_value)"
    )
    symbols: ClassVar[frozenset[str]] = frozenset(
        f"keras.backend.{n}" for n in BACKEND_OPS
    )

    def triggers(self, facts: Facts) -> list[Trigger]:
        fragments = symbol_triggers(facts, self.symbols)
        keep = "|".join(sorted(KEEP))
        for alias, targets in facts.bindings.items():
            if any(facts.renames.rename_modules(t) == "keras.backend" for t in targets):
                fragments.append(rf"\b{re.escape(alias)}\s*\.\s*(?!(?:{keep})\b)[A-Za-z_]")
        return fragments

    def leave_Call(
        self, ctx: RuleContext, original: cst.Call, updated: cst.Call
    ) -> cst.BaseExpression:
        name = _backend_function(ctx, original.func)
        if name is None or name in KEEP or name == "image_dim_ordering":
            return updated  # image_dim_ordering: handled with its comparison, or per statement
        op = BACKEND_OPS.get(name)
        if op is None:
            ctx.follow_up(f"K.{name} does not exist in Keras 3: find the keras.ops equivalent")
            return updated
        return rewrite_legacy_call(ctx, op, original, updated, f"K.{name}")

    def leave_Comparison(
        self, ctx: RuleContext, original: cst.Comparison, updated: cst.Comparison
    ) -> cst.BaseExpression:
        left = original.left
        if not (
            isinstance(left, cst.Call) and _backend_function(ctx, left.func) == "image_dim_ordering"
        ):
            return updated
        if len(updated.comparisons) != 1:
            return updated
        target = updated.comparisons[0]
        value = literal_string(target.comparator)
        if value not in _ORDERING:
            return updated
        ctx.change("K.image_dim_ordering() == 'th'/'tf' -> keras.config.image_data_format()")
        new_left = cst.Call(ctx.keras("config.image_data_format"))
        return updated.with_changes(
            left=new_left,
            comparisons=[target.with_changes(comparator=cst.SimpleString(f'"{_ORDERING[value]}"'))],
        )

    def leave_SimpleStatementLine(
        self, ctx: RuleContext, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine
    ) -> cst.BaseStatement:
        if ctx.mentions("image_dim_ordering") and "image_dim_ordering" in _code(updated):
            ctx.follow_up(
                "K.image_dim_ordering() returned 'th'/'tf'; use "
                "keras.config.image_data_format() ('channels_first'/'channels_last')"
            )
        return updated


def text_call(
    facts: Facts, node: ast.Call | ast.Subscript | ast.Attribute, in_keras_code: bool
) -> TextCall | bool | None:
    """What :class:`Backend`'s hooks do to ``node`` (``ast``) for the text path
    (:mod:`keras_migrate.codemods.text_rules`): ``False`` when nothing, a
    :data:`~keras_migrate.codemods.legacy_calls.TextCall` when ``leave_Call`` renders a
    plain unconditional case (:func:`~keras_migrate.codemods.legacy_calls.text_case`),
    ``None`` for everything else (conditions, follow-ups, ``image_dim_ordering``)."""
    if not isinstance(node, ast.Call):
        return False
    dotted = dotted_of(node.func)
    name = None
    for legacy in facts.legacy_names(dotted) if dotted is not None else ():
        if legacy.startswith("keras.backend.") and legacy.count(".") == 2:
            name = legacy.rsplit(".", 1)[1]
            break
    if name is None or name in KEEP:
        return False
    if name == "image_dim_ordering":
        return None
    op = BACKEND_OPS.get(name)
    return None if op is None else text_case(op, node, f"K.{name}")
