"""Keras 3 op nodes as Python: ``keras.ops.sum(h, axis=1)``, ``h[:, 1:3]``.

Calling the op's public function on symbolic tensors records the same op node Keras wrote
in the source file, so the generated model has the same graph (ops own no weights, and
Keras leaves them out of ``model.layers``, so weight paths are unaffected). Tensors are
passed positionally in the op's ``call`` order, the op's arguments by keyword (defaults
left out), constants as written: ``slice``/``...`` keys as subscripts, arrays as
``np.array(...)``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from keras_migrate.converters.python.format import Atom, Brackets, Call, Expr, Item, py_str
from keras_migrate.converters.python.imports import ImportLine
from keras_migrate.errors import UnsupportedError
from keras_migrate.ir.graph import Layer, ValueRef
from keras_migrate.ir.ops.keras3 import REQUIRED, decode_constant, op_spec

__all__ = ["NUMPY_IMPORT", "op_expression"]

#: The import a module needs when an op argument is a numpy array.
NUMPY_IMPORT = ImportLine("numpy", alias="np")

Literal = Callable[..., Expr]


class _Writer:
    def __init__(self, ref: Callable[[ValueRef], Expr], literal: Literal, layer: Layer) -> None:
        self.ref = ref
        self.literal = literal
        self.layer = layer
        self.imports: set[ImportLine] = set()

    def value(self, value: Any, *, in_key: bool = False) -> Expr:
        """A node argument: tensors by reference, constants as Python."""
        if isinstance(value, ValueRef):
            return self.ref(value)
        if isinstance(value, (list, tuple)):
            items = tuple(Item(self.value(v, in_key=in_key)) for v in value)
            return Brackets("(", ")", items, tuple_comma=True) if isinstance(value, tuple) else Brackets("[", "]", items)
        if isinstance(value, Mapping):
            cls = value.get("class_name")
            if cls in ("__slice__", "__ellipsis__", "__numpy__", "__tensor__"):
                return self.constant(decode_constant(value), in_key=in_key)
            return Brackets("{", "}", tuple(Item(self.value(v), f"{py_str(str(k))}: ") for k, v in value.items()))
        return self.literal(value)

    def constant(self, value: Any, *, in_key: bool) -> Expr:
        if value is Ellipsis:
            return Atom("...")
        if isinstance(value, slice):
            parts = [value.start, value.stop, value.step]
            if in_key:
                text = ":".join("" if p is None else _int_text(p, self.layer) for p in parts[:2])
                return Atom(text + ("" if value.step is None else f":{_int_text(value.step, self.layer)}"))
            return Call(Atom("slice"), Brackets("(", ")", tuple(Item(self.literal(p)) for p in parts)))
        if isinstance(value, np.ndarray):
            self.imports.add(NUMPY_IMPORT)
            return Call(
                Atom("np.array"),
                Brackets("(", ")", (Item(self.literal(value.tolist())), Item(Atom(py_str(str(value.dtype))), "dtype="))),
            )
        raise UnsupportedError(f"cannot write op argument {value!r} as Python", layer=self.layer.name)


def _int_text(value: Any, layer: Layer) -> str:
    if isinstance(value, bool) or not isinstance(value, int):
        raise UnsupportedError(f"slice bound {value!r} is not an integer", layer=layer.name)
    return str(value)


def op_expression(
    layer: Layer,
    args: tuple[Any, ...],
    kwargs: Mapping[str, Any],
    ref: Callable[[ValueRef], Expr],
    literal: Literal,
) -> tuple[Expr, set[ImportLine]]:
    """The Python expression for one call of op ``layer``, and the imports it needs.

    ``ref`` renders a tensor reference; ``literal(value, as_tuple=False)`` a plain constant.
    """
    spec = op_spec(layer.type)
    w = _Writer(ref, literal, layer)
    if spec.class_name == "GetItem" and len(args) == 2 and isinstance(args[0], ValueRef) and not kwargs:
        key = args[1]
        keys = key if isinstance(key, list) else [key]
        subscript = Brackets("[", "]", tuple(Item(w.value(k, in_key=True)) for k in keys), tuple_comma=isinstance(key, list))
        return Call(ref(args[0]), subscript), w.imports
    config = dict(layer.config)
    items: list[Item] = []
    if spec.config_first:
        for key, _ in spec.params:
            items.append(Item(literal(config.pop(key))))
    items += [Item(w.value(a)) for a in args]
    items += [Item(w.value(v), f"{k}=") for k, v in kwargs.items()]
    defaults = spec.defaults
    for key, value in config.items():
        default = defaults.get(key, REQUIRED)
        if default != REQUIRED and _same(value, default):
            continue
        items.append(Item(literal(value, as_tuple=isinstance(value, list)), f"{key}="))
    return Call(Atom(spec.function), Brackets("(", ")", tuple(items))), w.imports


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None:
        return a is b
    return type(a) is type(b) and bool(a == b)
