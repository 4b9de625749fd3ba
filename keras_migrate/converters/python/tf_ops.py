"""A tf.keras TF-op layer call (``keras_migrate>TFOp``) as readable Keras 3 source.

The meaning of a TF function is the legacy-op table's
(:mod:`keras_migrate.ir.ops.legacy`): the call is bound as every consumer binds it
(:func:`keras_migrate.ir.ops.tf.bind_tf_call`, constants of the dtype TF gives them), the
table's case for its arguments is selected on the model's known dtypes and shapes
(:func:`keras_migrate.ir.ops.tf_semantics.table_call`) and written out as the
``keras.ops`` expression it is: ``keras.ops.mean(x, axis=1, keepdims=True)``. Calling it on
symbolic tensors records Keras 3 op nodes (no weights, so weight paths are unaffected). The
few ops the table cannot express call a hand-written helper of
:mod:`keras_migrate.ir.ops.tf_semantics` that the file copies by source
(:data:`HELPERS`), with ``keras.ops`` as its namespace; a plain ``x[1:3, :]`` is written
as a subscript.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from keras_migrate.converters.python.format import Atom, Brackets, Call, Expr, Item, py_str
from keras_migrate.converters.python.imports import ImportLine
from keras_migrate.errors import UnsupportedError
from keras_migrate.ir.graph import Layer, ValueRef
from keras_migrate.ir.ops.legacy.template import ROOTS, source_tree
from keras_migrate.ir.ops.tf import bind_tf_call, result_dtype, tf_op_outputs
from keras_migrate.ir.ops.tf_semantics import FALLBACKS, table_call

__all__ = ["HELPERS", "SEMANTICS_MODULE", "TFOpSource", "tf_op_source"]

#: The module whose hand-written helpers generated code copies.
SEMANTICS_MODULE = "keras_migrate.ir.ops.tf_semantics"
#: Canonical op -> the helper a call of it names when the table cannot express it.
HELPERS: dict[str, str] = {
    "getitem": "getitem",
    "select": "select",
    "space_to_depth": "space_to_depth",
    **{op: fn.__name__ for op, fn in FALLBACKS.items()},
}
_NUMPY = ImportLine("numpy", alias="np")
#: The ``keras.ops`` namespace, as the helpers' ``xp`` argument.
_KERAS_OPS = Atom("keras.ops")


@dataclass(frozen=True)
class TFOpSource:
    """One rendered call: the expression, the imports, the helper it needs (or ``""``) and
    its result's dtype (as TF gives it: what later constants are converted to)."""

    expr: Expr
    imports: frozenset[ImportLine]
    helper: str = ""
    dtype: str = "float32"


@dataclass(frozen=True)
class _Symbolic:
    """A tensor argument at conversion time: its reference, dtype and shape (what the
    table's dtype and rank conditions read)."""

    ref: ValueRef
    dtype: str
    shape: tuple[int | None, ...] | None


class _Writer:
    def __init__(self, ref: Callable[[ValueRef], Expr], literal: Callable[..., Expr]) -> None:
        self.ref = ref
        self.literal = literal
        self.imports: set[ImportLine] = set()

    def value(self, value: Any) -> Expr:
        if isinstance(value, _Symbolic):
            return self.ref(value.ref)
        if isinstance(value, np.ndarray):
            # int64 constants index in int32, as the compat layer passes them (Keras
            # backends index with int32)
            array = value.astype("int32") if value.dtype == np.int64 else value
            self.imports.add(_NUMPY)
            return Call(
                Atom("np.array"),
                Brackets("(", ")", (Item(self.literal(array.tolist())), Item(Atom(py_str(str(array.dtype))), "dtype="))),
            )
        if isinstance(value, (list, tuple)):
            items = tuple(Item(self.value(v)) for v in value)
            return Brackets("(", ")", items, tuple_comma=True) if isinstance(value, tuple) else Brackets("[", "]", items)
        if isinstance(value, Mapping):
            return Brackets("{", "}", tuple(Item(self.value(v), f"{py_str(str(k))}: ") for k, v in value.items()))
        return self.literal(value)

    def tree(self, node: ast.expr, params: Mapping[str, Any]) -> Expr:
        """A template's expression tree as an :class:`Expr` (parameters as their values)."""
        if isinstance(node, ast.Name):
            if node.id in params:
                return self.value(params[node.id])
            return Atom(ROOTS.get(node.id, node.id))
        if isinstance(node, ast.Attribute):
            base = self.tree(node.value, params)
            if isinstance(base, Atom):
                return Atom(f"{base.text}.{node.attr}")
            raise UnsupportedError(f"cannot write {ast.unparse(node)} as source")
        if isinstance(node, ast.Call):
            args = [Item(self.tree(a, params)) for a in node.args]
            args += [Item(self.tree(k.value, params), f"{k.arg}=") for k in node.keywords]
            return Call(self.tree(node.func, params), Brackets("(", ")", tuple(args)))
        if isinstance(node, ast.Constant):
            return self.literal(node.value)
        if isinstance(node, (ast.List, ast.Tuple)):
            items = tuple(Item(self.tree(e, params)) for e in node.elts)
            return Brackets("(", ")", items, tuple_comma=True) if isinstance(node, ast.Tuple) else Brackets("[", "]", items)
        if (
            isinstance(node, ast.UnaryOp)
            and isinstance(node.op, ast.USub)
            and isinstance(node.operand, ast.Constant)
            and isinstance(node.operand.value, (int, float))
        ):
            return self.literal(-node.operand.value)
        raise UnsupportedError(f"cannot write the template part {ast.unparse(node)} as source")


def _subscript(items: list[Any]) -> list[str] | None:
    """``x[...]`` items as subscript text, or ``None`` when a step is negative (TF's
    reversed slices go through the hand-written helper)."""
    out = []
    for item in items:
        if item is None:
            out.append("None")
        elif isinstance(item, bool):
            return None
        elif isinstance(item, int):
            out.append(str(item))
        elif isinstance(item, Mapping) and item.get("class_name") == "__ellipsis__":
            out.append("...")
        elif isinstance(item, Mapping) and set(item) == {"start", "stop", "step"}:
            bounds = [item["start"], item["stop"], item["step"]]
            if not all(b is None or (isinstance(b, int) and not isinstance(b, bool)) for b in bounds):
                return None
            if item["step"] is not None and item["step"] < 0:
                return None
            text = ":".join("" if b is None else str(b) for b in bounds[:2])
            out.append(text + ("" if item["step"] in (None, 1) else f":{item['step']}"))
        else:
            return None
    return out


def _parts(op: str, values: Mapping[str, Any]) -> int | None:
    """How many tensors a list-returning op gives, when the arguments say."""
    if op == "split":
        parts = values["num_or_size_splits"]
        return parts if isinstance(parts, int) else len(parts) if isinstance(parts, (list, tuple)) else None
    if op == "unstack":
        value = values["value"]
        shape = value.shape if isinstance(value, _Symbolic) else None
        return None if shape is None else shape[int(values["axis"])]
    return None


def tf_op_source(
    layer: Layer,
    args: tuple[Any, ...],
    value_type: Callable[[ValueRef], tuple[str, tuple[int | None, ...] | None]],
    ref: Callable[[ValueRef], Expr],
    literal: Callable[..., Expr],
    helper_name: Callable[[str], str] = lambda name: name,
) -> TFOpSource:
    """One call of TF-op ``layer`` on ``args`` (the node's arguments: a tensor reference or
    a list of them) as source. ``value_type(ref)`` gives a tensor's dtype and shape,
    ``ref`` writes its reference, ``literal(value, as_tuple=False)`` a constant,
    ``helper_name`` the name a copied helper has in the file."""
    if not args:
        raise UnsupportedError("a TF-op layer called without tensors", layer=layer.name)
    first = args[0]

    def symbolic(r: ValueRef) -> _Symbolic:
        dtype, shape = value_type(r)
        return _Symbolic(r, dtype, shape)

    inputs: Any = [symbolic(r) for r in first] if isinstance(first, (list, tuple)) else symbolic(first)
    try:
        call = bind_tf_call(layer.config, inputs, lambda t: t.dtype)
    except (KeyError, ValueError) as exc:
        raise UnsupportedError(str(exc.args[0]), layer=layer.name) from None
    op, values = call.spec.op, call.values
    w = _Writer(ref, literal)
    helper = ""
    reading = table_call(op, values)
    if reading is not None and reading.case is not None:
        expr = w.tree(source_tree(reading.op, reading.case, reading.bound), reading.bound)
    elif op == "getitem" and (text := _subscript(list(values["slice_spec"]))) is not None:
        subscript = Brackets("[", "]", tuple(Item(Atom(t)) for t in text))
        expr = Call(w.value(values["tensor"]), subscript)
    elif op in HELPERS:
        helper = HELPERS[op]
        name = Atom(helper_name(helper))
        arguments: tuple[Item, ...]
        if op == "getitem":
            arguments = (Item(_KERAS_OPS), Item(w.value(values["tensor"])), Item(w.value(list(values["slice_spec"]))))
        elif op == "space_to_depth":
            arguments = (Item(_KERAS_OPS), Item(w.value(values["input"])), Item(literal(int(values["block_size"]))))
        else:
            arguments = (Item(_KERAS_OPS), Item(w.value(dict(values))))
        expr = Call(name, Brackets("(", ")", arguments))
    else:
        follow_up = reading.op.follow_up if reading is not None else None
        raise UnsupportedError(f"tf.{call.function}: {follow_up or 'no meaning for these arguments'}", layer=layer.name)
    if op in ("split", "unstack"):
        count = tf_op_outputs(layer.config)
        if count == 1:
            expr = Call(expr, Brackets("[", "]", (Item(Atom("0")),)))
        elif _parts(op, values) != count:
            expr = Call(expr, Brackets("[", "]", (Item(Atom(f":{count}")),)))
    return TFOpSource(expr, frozenset(w.imports), helper, result_dtype(call.spec, call.dtype, values))
