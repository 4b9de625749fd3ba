"""Rule ``removed-apis``: attributes, methods and idioms Keras 3 (or TF 2) removed.

Rewritten where the replacement is exact: ``x.eval(session=K.get_session())`` is
``keras.ops.convert_to_numpy(x)``; ``x.shape.as_list()`` / ``x.get_shape().as_list()`` is
``list(x.shape)`` (TF 2 shapes hold ints or ``None``, as ``as_list`` did), and
``input_shape.as_list()`` is ``list(input_shape)``;
``x.shape[i].value`` (a TF 1 ``Dimension``) is ``x.shape[i]``; ``t._keras_history.layer`` is
``t._keras_history.operation`` (same tuple, field renamed). Everything else gets a
follow-up naming the concrete replacement: ``layer.output_shape``/``input_shape`` (models keep them),
``uses_learning_phase``, the optimizer-v1/v2 hooks (``get_updates``, ``_create_slots``,
``_resource_apply_dense``...), and ``K.backend() == 'theano'`` branches, which are dead
code in Keras 3.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from typing import ClassVar

import libcst as cst

from keras_migrate.codemods.callargs import get_kwarg, literal_string
from keras_migrate.codemods.codegen import code_of
from keras_migrate.codemods.facts import Facts
from keras_migrate.codemods.references import PRIVATE_HELPERS
from keras_migrate.codemods.rule import Rule, RuleContext
from keras_migrate.codemods.triggers import Trigger

__all__ = ["RemovedApis", "text_follow_ups"]

#: attribute -> follow-up
_ATTRIBUTES = {
    "output_shape": "layer.output_shape was removed from layers in Keras 3 (models keep "
    "it): use layer.output.shape, or layer.compute_output_shape(input_shape)",
    "input_shape": "layer.input_shape was removed from layers in Keras 3 (models keep "
    "it): use layer.input.shape",
    "uses_learning_phase": "uses_learning_phase was removed: delete it; Keras 3 passes "
    "training=True/False to call()",
}
#: optimizer hooks of Keras 2 / tf.keras OptimizerV2 -> follow-up
_OPTIMIZER_HOOKS = {
    "get_updates": "Optimizer.get_updates was removed: subclass keras.optimizers.Optimizer "
    "and implement build(var_list) and update_step(gradient, variable, learning_rate)",
    "_create_slots": "Optimizer._create_slots was removed: create slot variables in "
    "build(var_list) with self.add_variable_from_reference(var, 'name')",
    "_resource_apply_dense": "Optimizer._resource_apply_dense was removed: implement "
    "update_step(gradient, variable, learning_rate) with keras.ops and variable.assign*",
    "_resource_apply_sparse": "Optimizer._resource_apply_sparse was removed: implement "
    "update_step(gradient, variable, learning_rate) (gradients arrive dense)",
    "_prepare_local": "Optimizer._prepare_local was removed: compute per-step values in "
    "update_step(gradient, variable, learning_rate)",
    "get_slot": "Optimizer.get_slot was removed: keep the variables made with "
    "add_variable_from_reference in build() as attributes",
    "add_slot": "Optimizer.add_slot was removed: use self.add_variable_from_reference(var, "
    "'name') in build(var_list)",
}
_DEAD_BACKENDS = ("theano", "cntk")
_PRIVATE_NAME = re.compile("|".join(sorted(PRIVATE_HELPERS)))
_PRIVATE = r"\bimport\b[^\n]*\b(?:" + "|".join(sorted(PRIVATE_HELPERS)) + r")\b"


def _code(node: cst.CSTNode) -> str:
    return code_of(node)


def _is_shape(node: cst.BaseExpression) -> bool:
    """``x.shape``, ``x.get_shape()`` or a name ending in ``shape`` (``input_shape`` in
    ``build``: a ``TensorShape`` in tf.keras, a tuple in Keras 3; ``list()`` of either is
    what ``as_list()`` gave)."""
    if isinstance(node, cst.Name):
        return node.value.lower().endswith("shape")
    if isinstance(node, cst.Attribute):
        return node.attr.value == "shape"
    return (
        isinstance(node, cst.Call)
        and not node.args
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value == "get_shape"
    )


def _shape_of(node: cst.BaseExpression) -> cst.BaseExpression:
    """``x.shape`` for ``x.shape`` or ``x.get_shape()``."""
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
        return node.func.with_changes(attr=cst.Name("shape"))
    return node


class RemovedApis(Rule):
    """Removed attributes, optimizer hooks and TF 1 idioms (see module docstring)."""

    id = "removed-apis"
    description = (
        "eval(session=...), TensorShape.as_list()/.value, layer.output_shape, _keras_history, "
        "uses_learning_phase, old optimizer hooks, K.backend() == 'theano'"
    )
    tokens: ClassVar[tuple[str, ...]] = (
        r"\.(?:output_shape|input_shape|_keras_history|uses_learning_phase|as_list"
        r"|get_updates|_create_slots|_resource_apply_dense|_resource_apply_sparse"
        r"|_prepare_local|get_slot|add_slot)\b",
        r"\]\s*\.value\b",
        r"\.eval\s*\(\s*session\s*=",
        r"\bdef\s+reset_states\s*\(\s*self\s*\)",
        r"\bdef\s+(?:get_updates|_create_slots|_resource_apply_dense|_resource_apply_sparse"
        r"|_prepare_local)\b",
        r"\bbackend\s*\(\s*\)\s*[=!]=|[=!]=\s*['\"](?:theano|cntk)['\"]",
    )

    def import_triggers(self, facts: Facts) -> list[Trigger]:
        return [_PRIVATE]

    def leave_SimpleStatementLine(
        self, ctx: RuleContext, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine
    ) -> cst.BaseStatement:
        """Flag imports of Keras-internal helpers that no Keras 3 module has."""
        if "import" not in ctx.text or not _PRIVATE_NAME.search(ctx.text):
            return updated
        for small in original.body:
            if not (
                isinstance(small, cst.ImportFrom)
                and not small.relative
                and small.module is not None
                and not isinstance(small.names, cst.ImportStar)
            ):
                continue
            module = _code(small.module)
            if module.split(".")[0] not in ("keras", "tensorflow"):
                continue
            for alias in small.names:
                name = _code(alias.name)
                if name in PRIVATE_HELPERS:
                    ctx.follow_up(PRIVATE_HELPERS[name])
        return updated

    def leave_Call(
        self, ctx: RuleContext, original: cst.Call, updated: cst.Call
    ) -> cst.BaseExpression:
        func = updated.func
        if not isinstance(func, cst.Attribute):
            return updated
        method = func.attr.value
        if method == "eval" and len(updated.args) == 1 and get_kwarg(updated, "session"):
            ctx.change("x.eval(session=...) -> keras.ops.convert_to_numpy(x)")
            _drop_session_note(ctx)
            return cst.Call(ctx.keras("ops.convert_to_numpy"), [cst.Arg(func.value)])
        if method == "as_list" and not updated.args and _is_shape(func.value):
            ctx.change("TensorShape.as_list() -> list(x.shape)")
            return cst.Call(cst.Name("list"), [cst.Arg(_shape_of(func.value))])
        # (the optimizers rule flags get_updates calls)
        if method in _OPTIMIZER_HOOKS and method != "get_updates":
            ctx.follow_up(_OPTIMIZER_HOOKS[method])
        return updated

    def leave_Attribute(
        self, ctx: RuleContext, original: cst.Attribute, updated: cst.Attribute
    ) -> cst.BaseExpression:
        attr = updated.attr.value
        if attr == "value" and isinstance(updated.value, cst.Subscript):
            if _is_shape(updated.value.value):
                ctx.change("TF 1 Dimension.value -> the int itself")
                return updated.value
            return updated
        if (
            attr == "layer"
            and isinstance(updated.value, cst.Attribute)
            and updated.value.attr.value == "_keras_history"
        ):
            ctx.change("_keras_history.layer -> _keras_history.operation")
            return updated.with_changes(attr=cst.Name("operation"))
        note = _ATTRIBUTES.get(attr)
        if note is None:
            return updated
        receiver = updated.value
        if attr in ("input_shape", "output_shape") and not _layerish(receiver):
            return updated  # a model's (kept in Keras 3), or the user's own attribute
        ctx.follow_up(note)
        return updated

    def leave_FunctionDef(
        self, ctx: RuleContext, original: cst.FunctionDef, updated: cst.FunctionDef
    ) -> cst.BaseStatement:
        note = _OPTIMIZER_HOOKS.get(updated.name.value)
        if note is not None and updated.name.value != "get_slot":
            ctx.follow_up(note)
        if updated.name.value == "reset_states" and len(updated.params.params) == 1:
            ctx.follow_up(
                "Keras 3 metrics call reset_state(), never reset_states(): in a "
                "keras.metrics.Metric subclass rename this method to reset_state"
            )
        return updated

    def leave_Comparison(
        self, ctx: RuleContext, original: cst.Comparison, updated: cst.Comparison
    ) -> cst.BaseExpression:
        left = original.left
        if not (isinstance(left, cst.Call) and not left.args):
            return updated
        names = ctx.legacy_names(left.func)
        if not any(n in ("keras.backend.backend", "keras.config.backend") for n in names):
            return updated
        for target in original.comparisons:
            value = literal_string(target.comparator)
            if value in _DEAD_BACKENDS:
                ctx.follow_up(
                    f"Keras 3 has no {value} backend: K.backend() is 'tensorflow', 'jax', "
                    f"'torch' or 'numpy', so this {value} branch never runs; delete it "
                    "(and write the other branch with keras.ops to run on every backend)"
                )
        return updated


def _layerish(node: cst.BaseExpression) -> bool:
    """``layer``, ``model.layers[i]``, ``model.get_layer(..)``: receivers that name
    layers (models keep ``input_shape``/``output_shape``; other objects are left alone)."""
    return "layer" in _code(node).lower()


def _drop_session_note(ctx: RuleContext) -> None:
    """The inner ``K.get_session()`` was flagged by the backend rule; the whole call is
    now rewritten, so that note no longer applies."""
    for notes in (*ctx.pending, ctx.root_notes, ctx.follow_ups):
        notes[:] = [n for n in notes if "sessions do not exist" not in n.message]


def text_follow_ups(
    facts: Facts, node: ast.AST, text_of: Callable[[ast.AST], str | None]
) -> list[str] | None:
    """The follow-ups :class:`RemovedApis`' ``leave_Attribute``/``leave_Call``/
    ``leave_Comparison`` raise for ``node`` (``ast``; ``text_of`` gives a node's text as
    rewritten so far), for the text path (:mod:`keras_migrate.codemods.text_rules`);
    ``None`` for the branches that rewrite (``eval(session=)``, ``as_list()``,
    ``.value``, ``_keras_history.layer``) or look at a backend comparison."""
    if isinstance(node, ast.Compare):
        left = node.left
        return None if isinstance(left, ast.Call) and not left.args and not left.keywords else []
    if isinstance(node, ast.Call):
        func = node.func
        if not isinstance(func, ast.Attribute):
            return []
        if func.attr in ("eval", "as_list"):
            return None
        if func.attr in _OPTIMIZER_HOOKS and func.attr != "get_updates":
            return [_OPTIMIZER_HOOKS[func.attr]]
        return []
    if not isinstance(node, ast.Attribute):
        return []
    if node.attr in ("value", "layer"):
        return None
    note = _ATTRIBUTES.get(node.attr)
    if note is None:
        return []
    if node.attr in ("input_shape", "output_shape"):
        receiver = text_of(node.value)
        if receiver is None:
            return None
        if "layer" not in receiver.lower():
            return []  # (as _layerish)
    return [note]
