"""Rule ``tf-ops``: TensorFlow calls inside Keras code to ``keras.ops``/``keras.random``.

Only code that runs on Keras tensors is touched: ``call``/``build``/``train_step`` of
custom layers and models, methods of Keras subclasses, functions used as losses or
metrics (or taking ``y_true, y_pred``), and ``Lambda`` layer functions. There, a TF op
with a same-semantics Keras op is rewritten (arguments mapped by name, TF defaults that
differ made explicit, ``tf.float32`` -> ``"float32"``) so the code runs on every backend.
What each TF function means is read from the one table of legacy-op semantics
(:mod:`keras_migrate.ir.ops.legacy`); a call is rewritten only by a case whose conditions
the source proves, else kept with the table's follow-up. Other ``tf.`` uses there get
one follow-up per statement; the report lists every ``tf.`` use left anywhere in the file.
"""

from __future__ import annotations

import ast
import re

import libcst as cst

from keras_migrate.codemods.facts import Facts, dotted_of
from keras_migrate.codemods.legacy_calls import TextCall, rewrite_legacy_call, text_case
from keras_migrate.codemods.rule import Rule, RuleContext
from keras_migrate.codemods.triggers import Trigger
from keras_migrate.ir.ops.legacy import TF_LEGACY_OPS

__all__ = ["TfOps", "text_call"]

_DTYPES = frozenset(
    {
        "float16",
        "float32",
        "float64",
        "bfloat16",
        "int8",
        "int16",
        "int32",
        "int64",
        "uint8",
        "uint16",
        "uint32",
        "uint64",
        "bool",
        "complex64",
        "complex128",
    }
)


_NO_EQUIVALENT = (
    "tf.{name} has no same-semantics keras.ops replacement here: this "
    "line only runs on the TensorFlow backend"
)


def _tf_name(ctx: RuleContext, node: cst.BaseExpression) -> str | None:
    for name in ctx.legacy_names(node):
        if name.startswith("tensorflow.") and not name.startswith("tensorflow.keras"):
            return name[len("tensorflow.") :]
    return None


class TfOps(Rule):
    """TensorFlow ops in Keras code to keras.ops (see module docstring)."""

    id = "tf-ops"
    description = (
        "tf.* calls inside custom layers/models, losses, metrics, Lambda functions and "
        "train_step to keras.ops/keras.random so the code runs on every backend"
    )

    def _aliases(self, facts: Facts) -> str | None:
        aliases = [
            a
            for a, ts in facts.bindings.items()
            if any(
                t == "tensorflow"
                or (
                    t.startswith("tensorflow.")
                    and not t.startswith(("tensorflow.keras", "tensorflow.python.keras"))
                )
                for t in ts
            )
        ]
        return "|".join(map(re.escape, aliases)) if aliases else None

    def triggers(self, facts: Facts) -> list[Trigger]:
        aliases = self._aliases(facts)
        # module-level code: only Lambda layers run TF ops on Keras tensors
        return [rf"(?s:\bLambda\s*\(.*\b(?:{aliases})\s*\.)"] if aliases else []

    def keras_code_triggers(self, facts: Facts) -> list[Trigger]:
        aliases = self._aliases(facts)
        return [rf"\b(?:{aliases})\s*\."] if aliases else []

    def leave_Call(
        self, ctx: RuleContext, original: cst.Call, updated: cst.Call
    ) -> cst.BaseExpression:
        if not ctx.in_keras_code:
            return updated
        name = _tf_name(ctx, original.func)
        if name is None:
            return updated
        if name in ("einsum", "linalg.einsum") and all(
            a.keyword is None or a.keyword.value == "name" for a in updated.args
        ):
            ctx.change("tf.einsum -> keras.ops.einsum")
            args = [a for a in updated.args if a.keyword is None]
            return updated.with_changes(func=ctx.keras("ops.einsum"), args=args)
        op = TF_LEGACY_OPS.get(name)
        if op is not None:
            return rewrite_legacy_call(ctx, op, original, updated, f"tf.{name}")
        ctx.follow_up(_NO_EQUIVALENT.format(name=name))
        return updated

    def leave_Attribute(
        self, ctx: RuleContext, original: cst.Attribute, updated: cst.Attribute
    ) -> cst.BaseExpression:
        if not ctx.in_keras_code:
            return updated
        name = _tf_name(ctx, original)
        if name is None:
            return updated
        if name in _DTYPES:
            ctx.change(f"tf.{name} -> {name!r}")
            return cst.SimpleString(f'"{name}"')
        if name == "newaxis":
            ctx.change("tf.newaxis -> None")
            return cst.Name("None")
        return updated


def text_call(
    facts: Facts, node: ast.Call | ast.Subscript | ast.Attribute, in_keras_code: bool
) -> TextCall | str | bool | None:
    """What :class:`TfOps`' hooks do to ``node`` (``ast``) for the text path
    (:mod:`keras_migrate.codemods.text_rules`, which refuses statements holding a
    ``lambda`` here): ``False`` when nothing (outside Keras code, not a TF name), a
    :data:`~keras_migrate.codemods.legacy_calls.TextCall` for a plain unconditional case
    of the table, the follow-up for a function the table lacks, ``None`` for everything
    else (einsum, dtypes, ``tf.newaxis``, cases with conditions)."""
    if not in_keras_code:
        return False
    dotted = dotted_of(node.func) if isinstance(node, ast.Call) else dotted_of(node)
    name = None
    for legacy in facts.legacy_names(dotted) if dotted is not None else ():
        if legacy.startswith("tensorflow.") and not legacy.startswith("tensorflow.keras"):
            name = legacy[len("tensorflow.") :]
            break
    if name is None:
        return False
    if isinstance(node, ast.Attribute):
        return None if name in _DTYPES or name == "newaxis" else False
    if not isinstance(node, ast.Call) or name in ("einsum", "linalg.einsum"):
        return None
    op = TF_LEGACY_OPS.get(name)
    if op is None:
        return _NO_EQUIVALENT.format(name=name)
    return text_case(op, node, f"tf.{name}")
