"""The Keras 3 op nodes this package accepts, how their calls bind, and Keras 3's dtype rules.

Keras 3 records every ``keras.ops.*`` call on symbolic tensors as a graph node beside the
layers (read by :mod:`keras_migrate.formats.keras3.ops`); such a node is an IR layer of type
``keras.ops>ClassName``. :data:`OPS` lists the accepted classes with their ``call``
parameters and constructor arguments; :func:`bind_call` and :func:`decode_constant` turn a
node's recorded arguments into Python values; :func:`result_type` is Keras 3's dtype
promotion. The numpy kernels, the ONNX lowerings, the ``.keras`` writer and the code
generator all read them from here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from keras_migrate.errors import UnsupportedError

__all__ = [
    "CAST_DTYPES",
    "OPS",
    "OPS_PREFIX",
    "OP_MODULES",
    "OP_MODULE_PREFIXES",
    "REQUIRED",
    "OpSpec",
    "bind_call",
    "decode_constant",
    "dtype_of",
    "is_op_type",
    "op_object",
    "op_spec",
    "op_type",
    "result_type",
]

#: IR layer types of Keras 3 op nodes start with this prefix.
OPS_PREFIX = "keras.ops>"

#: Marks a constructor argument without a default.
REQUIRED = "<required>"

_NUMPY = "keras.src.ops.numpy"
_NN = "keras.src.ops.nn"
_CORE = "keras.src.ops.core"
_ACTIVATIONS = "keras.src.activations.activations"
#: Modules whose classes are operations, never layers.
OP_MODULE_PREFIXES = ("keras.src.ops.", "keras.ops.")
OP_MODULES = frozenset({_ACTIVATIONS})


@dataclass(frozen=True, slots=True)
class OpSpec:
    """One accepted Keras 3 operation class.

    ``inputs`` are the parameters of the op's ``call`` in order (``*operands`` for a
    variadic one); ``params`` its constructor arguments (the config keys besides ``name``)
    with their defaults; ``function`` the public call that records it, whose parameters
    take the tensors positionally, in ``inputs`` order, and the config by keyword
    (``config_first``: the config's only argument comes first, positionally, as in
    ``keras.ops.einsum(subscripts, *operands)``).
    """

    class_name: str
    module: str
    function: str
    inputs: tuple[str, ...]
    params: tuple[tuple[str, Any], ...] = ()
    config_first: bool = False

    @property
    def type(self) -> str:
        return OPS_PREFIX + self.class_name

    @property
    def defaults(self) -> dict[str, Any]:
        return dict(self.params)

    @property
    def variadic(self) -> bool:
        return bool(self.inputs) and self.inputs[-1].startswith("*")


def _spec(module: str, class_name: str, function: str, inputs: str, **params: Any) -> OpSpec:
    return OpSpec(class_name, module, function, tuple(inputs.split()), tuple(params.items()))


_REDUCE = {"axis": None, "keepdims": False}

_SPECS: tuple[OpSpec, ...] = (
    # elementwise arithmetic (Python numbers are weakly typed, as in Keras)
    *(_spec(_NUMPY, c, f"keras.ops.{f}", "x1 x2") for c, f in (
        ("Add", "add"), ("Subtract", "subtract"), ("Multiply", "multiply"), ("Divide", "divide"),
        ("TrueDivide", "true_divide"), ("Power", "power"), ("Maximum", "maximum"), ("Minimum", "minimum"),
    )),
    *(_spec(_NUMPY, c, f"keras.ops.{f}", "x") for c, f in (
        ("Negative", "negative"), ("Absolute", "absolute"), ("Abs", "abs"), ("Sqrt", "sqrt"), ("Square", "square"),
        ("Exp", "exp"), ("Log", "log"), ("Tanh", "tanh"),
    )),
    _spec(_NUMPY, "Clip", "keras.ops.clip", "x", x_min=REQUIRED, x_max=REQUIRED),
    _spec(_NUMPY, "Where", "keras.ops.where", "condition x1 x2"),
    # comparisons and logic
    *(_spec(_NUMPY, c, f"keras.ops.{f}", "x1 x2") for c, f in (
        ("Equal", "equal"), ("NotEqual", "not_equal"), ("Greater", "greater"), ("GreaterEqual", "greater_equal"),
        ("Less", "less"), ("LessEqual", "less_equal"), ("LogicalAnd", "logical_and"), ("LogicalOr", "logical_or"),
    )),
    _spec(_NUMPY, "LogicalNot", "keras.ops.logical_not", "x"),
    # reductions
    *(_spec(_NUMPY, c, f"keras.ops.{f}", "x", **_REDUCE) for c, f in (
        ("Sum", "sum"), ("Mean", "mean"), ("Any", "any"), ("All", "all"), ("Argmax", "argmax"), ("Argmin", "argmin"),
    )),
    _spec(_NUMPY, "Max", "keras.ops.max", "x", **_REDUCE, initial=None),
    _spec(_NUMPY, "Min", "keras.ops.min", "x", **_REDUCE, initial=None),
    _spec(_NUMPY, "Prod", "keras.ops.prod", "x", **_REDUCE, dtype=None),
    # shapes
    _spec(_NUMPY, "Reshape", "keras.ops.reshape", "x", newshape=REQUIRED),
    _spec(_NUMPY, "Transpose", "keras.ops.transpose", "x", axes=None),
    _spec(_NUMPY, "ExpandDims", "keras.ops.expand_dims", "x", axis=REQUIRED),
    _spec(_NUMPY, "Squeeze", "keras.ops.squeeze", "x", axis=None),
    _spec(_NUMPY, "Concatenate", "keras.ops.concatenate", "xs", axis=0),
    _spec(_NUMPY, "Stack", "keras.ops.stack", "x", axis=0),
    _spec(_NUMPY, "Tile", "keras.ops.tile", "x", repeats=REQUIRED),
    _spec(_NUMPY, "Take", "keras.ops.take", "x indices", axis=None),
    _spec(_NUMPY, "GetItem", "keras.ops.get_item", "x key"),
    _spec(_NUMPY, "Flip", "keras.ops.flip", "x", axis=None),
    # products
    _spec(_NUMPY, "Matmul", "keras.ops.matmul", "x1 x2"),
    OpSpec("Einsum", _NUMPY, "keras.ops.einsum", ("*operands",), (("subscripts", REQUIRED),), config_first=True),
    _spec(_CORE, "Cast", "keras.ops.cast", "x", dtype=REQUIRED),
    # activations
    *(_spec(_NN, c, f"keras.ops.{f}", "x") for c, f in (("Relu", "relu"), ("Sigmoid", "sigmoid"), ("Silu", "silu"))),
    _spec(_NN, "Softmax", "keras.ops.softmax", "x", axis=-1),
    _spec(_NN, "LogSoftmax", "keras.ops.log_softmax", "x", axis=-1),
    _spec(_NN, "Gelu", "keras.ops.gelu", "x", approximate=True),
    _spec(_ACTIVATIONS, "ReLU", "keras.activations.relu", "x", negative_slope=0.0, max_value=None, threshold=0.0),
)  # fmt: skip

#: Every accepted op, by Keras class name.
OPS: Mapping[str, OpSpec] = {s.class_name: s for s in _SPECS}

#: Dtypes a ``Cast`` (or ``Prod``'s ``dtype``) may name: those numpy computes exactly.
CAST_DTYPES = frozenset(
    {"bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float16", "float32", "float64"}
)


def op_type(class_name: str) -> str:
    return OPS_PREFIX + class_name


def is_op_type(layer_type: str) -> bool:
    return layer_type.startswith(OPS_PREFIX)


def op_spec(layer_type: str) -> OpSpec:
    """The spec of an IR op type; ``KeyError`` naming it if it is not accepted."""
    spec = OPS.get(layer_type[len(OPS_PREFIX) :]) if is_op_type(layer_type) else None
    if spec is None:
        raise KeyError(f"{layer_type!r} is not an accepted Keras 3 op")
    return spec


def op_object(layer_type: str, config: Mapping[str, Any], name: str | None) -> dict[str, Any]:
    """The serialized op, as Keras 3 writes it (``module``, ``class_name``, ``config``)."""
    spec = op_spec(layer_type)
    cfg: dict[str, Any] = {} if name is None else {"name": name}
    cfg.update((k, v) for k, v in config.items() if k != "name")
    return {"module": spec.module, "class_name": spec.class_name, "config": cfg, "registered_name": spec.class_name}


# --------------------------------------------------------------------------- arguments


def decode_constant(value: Any) -> Any:
    """A node argument as Python: markers become ``slice``, ``Ellipsis`` and numpy arrays."""
    if isinstance(value, list):
        return [decode_constant(v) for v in value]
    if isinstance(value, tuple):
        return tuple(decode_constant(v) for v in value)
    if isinstance(value, Mapping):
        cls = value.get("class_name")
        inner = value.get("config") or {}
        if cls == "__slice__":
            return slice(decode_constant(inner.get("start")), decode_constant(inner.get("stop")), decode_constant(inner.get("step")))
        if cls == "__ellipsis__":
            return Ellipsis
        if cls in ("__numpy__", "__tensor__"):
            return np.asarray(inner.get("value"), dtype=str(inner.get("dtype")))
        return {k: decode_constant(v) for k, v in value.items()}
    return value


def bind_call(spec: OpSpec, args: Sequence[Any], kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """The op's ``call`` arguments by parameter name (variadic ones as a list)."""
    if spec.variadic:
        return {spec.inputs[-1][1:]: list(args)}
    bound = dict(zip(spec.inputs, args))
    bound.update((k, v) for k, v in kwargs.items() if k in spec.inputs)
    return bound


# --------------------------------------------------------------------------- dtypes
#
# Keras 3 promotes dtypes on a lattice (like JAX): Python ``int``/``float`` operands are
# *weak* and take the other operand's kind where they can, ``int + float`` goes to the
# float side, and 64-bit results narrow to 32 bits (on every backend but TensorFlow,
# whose values are the same). The table below is that lattice: each dtype's next ones up.

_UP: dict[str, tuple[str, ...]] = {
    "bool": ("int",),
    "int": ("uint8", "int8"),
    "uint8": ("int16", "uint16"),
    "uint16": ("int32", "uint32"),
    "uint32": ("int64", "uint64"),
    "uint64": ("float",),
    "int8": ("int16",),
    "int16": ("int32",),
    "int32": ("int64",),
    "int64": ("float",),
    "float": ("float16",),
    "float16": ("float32",),
    "float32": ("float64",),
    "float64": (),
}


def _upper(dtype: str) -> frozenset[str]:
    seen = {dtype}
    todo = [dtype]
    while todo:
        for nxt in _UP[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return frozenset(seen)


_UPPER = {d: _upper(d) for d in _UP}
_NARROW = {"int64": "int32", "uint64": "uint32", "float64": "float32"}


def dtype_of(value: Any) -> tuple[str, bool]:
    """``(dtype, weak)`` of an operand: arrays are strong, Python ``int``/``float`` weak."""
    if isinstance(value, bool):
        return "bool", False
    if isinstance(value, int):
        return "int32", True
    if isinstance(value, float):
        return "float32", True
    return str(np.asarray(value).dtype), False


def result_type(*operands: Any) -> str:
    """The dtype Keras 3 computes ``operands`` in (arrays, Python numbers, or
    ``(dtype, weak)`` pairs from :func:`dtype_of`)."""
    pairs = [op if isinstance(op, tuple) and len(op) == 2 and isinstance(op[1], bool) else dtype_of(op) for op in operands]
    dtypes = [d for d, _ in pairs]
    for d in dtypes:
        if d not in _UPPER:
            raise UnsupportedError(f"dtype {d!r} is not supported by the Keras 3 op kernels")
    if len(set(dtypes)) == 1 and not all(w for _, w in pairs):
        out, weak = dtypes[0], False
    else:
        nodes = {d if (not w or d == "bool") else ("float" if d.startswith("float") else "int") for d, w in pairs}
        if all(w for _, w in pairs):
            nodes = set(dtypes)
        common = frozenset.intersection(*(_UPPER[n] for n in nodes))
        lub = (common & nodes) or {c for c in common if common <= _UPPER[c]}
        if len(lub) != 1:
            raise UnsupportedError(f"Keras 3 has no implicit promotion for dtypes {sorted(set(dtypes))}")
        out = next(iter(lub))
        weak = out in ("int", "float") or all(w for _, w in pairs)
    if weak and out != "bool":
        out = {"i": "int32", "u": "uint32", "f": "float32"}[out[0]]
    return _NARROW.get(out, out)

