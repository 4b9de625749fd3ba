"""Rule ``custom-layers``: the Keras 1 API of user layer classes, which Keras 3 lacks.

* ``def get_output_shape_for(self, input_shape)`` is Keras 1's name of the method Keras 2
  and 3 call ``compute_output_shape``: the method and its calls are renamed. Where a class
  of the file already defines ``compute_output_shape`` the rename would replace it, so the
  method is left alone with a follow-up.
* ``self.trainable_weights = [self.a, self.b]``: Keras 1 layers listed their variables;
  Keras 3's ``trainable_weights`` is a read-only property (the assignment raises
  ``AttributeError``) and Keras 3 tracks each variable assigned to a layer attribute, in
  assignment order. The assignment is deleted where that gives the same weights in the same
  order: every element is ``self.NAME``, the method assigns exactly those attributes, in
  that order, from ``self.add_weight(...)`` or a variable constructor (``K.variable``,
  ``keras.Variable``), each a statement of the method's own body before this one, and
  creates no other variable. Otherwise, and for ``non_trainable_weights`` and changes in
  place (``.append``, ``.extend``, ``+=``), a follow-up says what to write.
"""

from __future__ import annotations

import ast
from typing import ClassVar

import libcst as cst

from keras_migrate.codemods.facts import Facts, dotted_of
from keras_migrate.codemods.rule import Rule, RuleContext

__all__ = ["CustomLayers"]

_OLD, _NEW = "get_output_shape_for", "compute_output_shape"
#: Calls creating a variable Keras 3 tracks when it is assigned to a layer attribute.
_VARIABLE_CONSTRUCTORS = frozenset({"keras.backend.variable", "keras.Variable", "keras.variables.Variable"})
_READ_ONLY = (
    "Keras 3's {attr} is read-only (this assignment raises AttributeError): create each weight "
    "with self.add_weight(shape=..., initializer=..., name=...{extra}) in this order (Keras 3 "
    "tracks it, and the file's weights load in creation order) and delete this line"
)
_IN_PLACE = (
    "Keras 3's {attr} is a new list on every access (this changes nothing): create the weight "
    "with self.add_weight(shape=..., initializer=..., name=...{extra}) instead"
)
_KEPT = (
    "get_output_shape_for is Keras 1's compute_output_shape, which Keras 3 calls: this class "
    "defines both, so merge them into compute_output_shape"
)


class CustomLayers(Rule):
    """Keras 1 custom-layer methods and weight lists (see module docstring)."""

    id = "custom-layers"
    description = "Keras 1 layer classes: get_output_shape_for, trainable_weights/non_trainable_weights lists"
    tokens: ClassVar[tuple[str, ...]] = (
        rf"\b{_OLD}\b",
        r"\b(?:non_)?trainable_weights\s*(?:=(?!=)|\+=|\.\s*(?:append|extend)\b)",
    )

    # -- get_output_shape_for ------------------------------------------------------------
    def leave_FunctionDef(
        self, ctx: RuleContext, original: cst.FunctionDef, updated: cst.FunctionDef
    ) -> cst.BaseStatement:
        if updated.name.value != _OLD or not (any(f.kind == "class" for f in ctx.frames) or _in_class(ctx)):
            return updated
        if _both_defined(ctx):
            ctx.follow_up(_KEPT)
            return updated
        ctx.change(f"Keras 1 {_OLD} -> {_NEW}")
        return updated.with_changes(name=cst.Name(_NEW))

    def leave_Attribute(
        self, ctx: RuleContext, original: cst.Attribute, updated: cst.Attribute
    ) -> cst.BaseExpression:
        if updated.attr.value != _OLD or _both_defined(ctx):
            return updated
        ctx.change(f"Keras 1 .{_OLD} -> .{_NEW}")
        return updated.with_changes(attr=cst.Name(_NEW))

    # -- weight lists --------------------------------------------------------------------
    def leave_SimpleStatementLine(
        self, ctx: RuleContext, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine
    ) -> cst.BaseStatement | cst.RemovalSentinel:
        if "trainable_weights" not in ctx.text or len(original.body) != 1:
            return updated
        small = original.body[0]
        if isinstance(small, cst.Assign) and len(small.targets) == 1:
            attr = _self_attribute(small.targets[0].target)
            if attr is None:
                return updated
            if attr == "trainable_weights" and _tracked_in_order(ctx, small.value):
                ctx.change(
                    "Keras 1 self.trainable_weights = [...] deleted: Keras 3 tracks the variables "
                    "assigned to the layer's attributes, in the same order"
                )
                return cst.RemovalSentinel.REMOVE
            ctx.follow_up(_READ_ONLY.format(attr=attr, extra=_extra(attr)))
            return updated
        if isinstance(small, cst.AugAssign):
            attr = _self_attribute(small.target)
        elif (
            isinstance(small, cst.Expr)
            and isinstance(small.value, cst.Call)
            and isinstance(small.value.func, cst.Attribute)
            and small.value.func.attr.value in ("append", "extend")
        ):
            attr = _self_attribute(small.value.func.value)
        else:
            return updated
        if attr is not None:
            ctx.follow_up(_IN_PLACE.format(attr=attr, extra=_extra(attr)))
        return updated


def _extra(attr: str) -> str:
    return ", trainable=False" if attr == "non_trainable_weights" else ""


def _self_attribute(node: cst.BaseExpression) -> str | None:
    """``trainable_weights`` / ``non_trainable_weights`` for ``self.<that>``, else None."""
    if (
        isinstance(node, cst.Attribute)
        and isinstance(node.value, cst.Name)
        and node.value.value == "self"
        and node.attr.value in ("trainable_weights", "non_trainable_weights")
    ):
        return node.attr.value
    return None


def _in_class(ctx: RuleContext) -> bool:
    """The segment is (or starts) a method: a ``def`` directly in a class body."""
    tree = ctx.tree
    if tree is None:
        return False
    return any(
        isinstance(node, ast.ClassDef)
        and any(isinstance(m, ast.FunctionDef) and m.name == _OLD and _starts_at(m, ctx.line) for m in node.body)
        for node in ast.walk(tree)
    )


def _starts_at(node: ast.FunctionDef, line: int) -> bool:
    first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
    return first == line


def _both_defined(ctx: RuleContext) -> bool:
    """Some class of the chunk defines both methods (the rename would shadow one)."""
    tree = ctx.tree
    if tree is None:
        return True
    key = ("custom-layers:both", id(tree))
    cached = ctx.facts.inference_cache.get(key)
    if cached is None:
        cached = ctx.facts.inference_cache[key] = any(
            isinstance(node, ast.ClassDef)
            and {_OLD, _NEW} <= {m.name for m in node.body if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))}
            for node in ast.walk(tree)
        )
    return bool(cached)


def _tracked_in_order(ctx: RuleContext, value: cst.BaseExpression) -> bool:
    """The list names exactly the variables its method creates, in creation order (see the
    module docstring); decided on the document's ``ast``."""
    if not isinstance(value, (cst.List, cst.Tuple)) or not value.elements:
        return False
    names = []
    for element in value.elements:
        attr = element.value
        if not (
            isinstance(element, cst.Element)
            and isinstance(attr, cst.Attribute)
            and isinstance(attr.value, cst.Name)
            and attr.value.value == "self"
        ):
            return False
        names.append(attr.attr.value)
    method = _method_at(ctx.tree, ctx.line)
    if method is None:
        return False
    created: list[tuple[int, str, bool]] = []  # (line, attribute, a statement of the method's own body)
    own = set(map(id, method.body))
    for node in ast.walk(method):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and _creates_variable(ctx.facts, node.value):
            target = node.targets[0] if len(node.targets) == 1 else None
            named = target.attr if isinstance(target, ast.Attribute) and dotted_of(target.value) == "self" else ""
            created.append((node.lineno, named, id(node) in own))
    created.sort()
    return (
        not any(_maybe_frozen(node) for node in ast.walk(method) if isinstance(node, ast.Call))
        and all(line < ctx.line and mine for line, _, mine in created)
        and [attr for _, attr, _ in created] == names
        and len(set(names)) == len(names)
    )


def _method_at(tree: ast.Module | None, line: int) -> ast.FunctionDef | None:
    """The innermost ``def`` holding ``line`` (a statement of its body)."""
    found = None
    if tree is None:
        return None
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef) or not node.lineno < line <= (node.end_lineno or node.lineno):
            continue
        if found is None or node.lineno > found.lineno:
            found = node
    return found


def _maybe_frozen(call: ast.Call) -> bool:
    """A ``trainable=`` other than ``True``: Keras 3 would order that weight after the
    trainable ones, whatever the list said."""
    return any(k.arg == "trainable" and not (isinstance(k.value, ast.Constant) and k.value.value is True) for k in call.keywords)


def _creates_variable(facts: Facts, call: ast.Call) -> bool:
    name = dotted_of(call.func)
    if name is None:
        return False
    if name == "self.add_weight":
        return True
    return any(n in _VARIABLE_CONSTRUCTORS for n in facts.legacy_names(name))
