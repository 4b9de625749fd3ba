"""Config values as Python expressions, the way a person would write them.

Configs come from JSON, so lists and tuples compare alike; floats read from legacy files
are float32 and are written with the shortest text that is the same float32.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from keras_migrate.converters.python.format import Atom, Brackets, Call, Expr, Item, py_str
from keras_migrate.errors import UnsupportedError
from keras_migrate.ir.graph import ValueRef

__all__ = ["call", "call_args", "float_text", "literal", "literal_refs", "same_value"]


def same_value(a: Any, b: Any) -> bool:
    """Equality with lists and tuples alike (configs come from JSON)."""
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return bool(a == b) and type(a) in (type(b), int, float) and type(b) in (type(a), int, float)


def literal(value: Any, *, as_tuple: bool = False) -> Expr:
    """A JSON-like config value as Python; lists as tuples with ``as_tuple`` (shapes, strides)."""
    if isinstance(value, str):
        return Atom(py_str(value))
    if isinstance(value, bool) or value is None:
        return Atom(repr(value))
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return Atom(f'float("{value}")')
        return Atom(float_text(value))
    if isinstance(value, int):
        return Atom(repr(value))
    if isinstance(value, (list, tuple)):
        items = tuple(Item(literal(v, as_tuple=as_tuple)) for v in value)
        if as_tuple:
            return Brackets("(", ")", items, tuple_comma=True)
        return Brackets("[", "]", items)
    if isinstance(value, Mapping):
        return Brackets("{", "}", tuple(Item(literal(v), f"{py_str(str(k))}: ") for k, v in value.items()))
    raise UnsupportedError(f"cannot write {type(value).__name__} value {value!r} as Python")


def float_text(value: float) -> str:
    """The shortest text for ``value``; float32 numbers from legacy configs as float32.

    Legacy files store float32 arguments, so ``0.7`` arrives as ``0.699999988079071``; both
    are the same float32, which is what every layer computes with.
    """
    import numpy as np

    text = repr(value)
    single = np.float32(value)
    if float(single) == value:
        short = repr(float(str(single)))
        if np.float32(float(short)) == single and len(short) < len(text):
            return short
    return text


def call(func: str | Expr, args: list[Item]) -> Call:
    """``func(args...)``."""
    return Call(Atom(func) if isinstance(func, str) else func, Brackets("(", ")", tuple(args)))


def literal_refs(structure: Any, var: Mapping[str, str]) -> Expr:
    """A node argument structure with every value reference written as its variable name."""
    if isinstance(structure, ValueRef):
        return Atom(var[structure.name])
    if isinstance(structure, str) and structure in var:
        return Atom(var[structure])
    if isinstance(structure, (list, tuple)):
        items = tuple(Item(literal_refs(v, var)) for v in structure)
        return Brackets("(", ")", items, tuple_comma=True) if isinstance(structure, tuple) else Brackets("[", "]", items)
    if isinstance(structure, Mapping):
        return Brackets("{", "}", tuple(Item(literal_refs(v, var), f"{py_str(str(k))}: ") for k, v in structure.items()))
    return literal(structure)


def call_args(args: tuple[Any, ...], kwargs: Mapping[str, Any], var: Mapping[str, str]) -> Brackets:
    """The argument list of one layer call, value references as variable names."""
    items = [Item(literal_refs(a, var)) for a in args]
    items += [Item(literal_refs(v, var), f"{k}=") for k, v in kwargs.items()]
    return Brackets("(", ")", tuple(items))
