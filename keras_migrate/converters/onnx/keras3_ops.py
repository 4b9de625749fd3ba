"""Keras 3 op nodes (``keras.ops.*`` calls in ``.keras`` files) lowered to ONNX.

Each op computes as the numpy kernel (``interpreter/kernels/keras3_ops.py``) does: operands
are promoted with Keras' dtype rules (:func:`~keras_migrate.ir.ops.keras3.result_type`)
and cast where they differ, constants become initializers of the promoted dtype. Ops drop
Keras masks, as in Keras. An op whose arguments this lowering does not handle (``max``
with ``initial``, a ``x[...]`` key holding a tensor) is refused naming the node.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from keras_migrate.converters.onnx.activations import activation, gelu
from keras_migrate.converters.onnx.builder import Builder
from keras_migrate.converters.onnx.registry import Call, find_lowering, lowering
from keras_migrate.converters.onnx.tensors import Tensor, elem_type, int_max
from keras_migrate.ir.graph import Layer
from keras_migrate.ir.ops.keras3 import (
    OPS,
    bind_call,
    decode_constant,
    dtype_of,
    op_spec,
    result_type,
)

__all__ = ["get_item"]

_FLOAT = ("float32", True)


def _pair(value: Any) -> tuple[str, bool]:
    if isinstance(value, Tensor):
        if value.type is None:
            raise ValueError(f"tensor {value.name!r} has no known dtype")
        return value.type.dtype, False
    return dtype_of(value)


def _as(b: Builder, value: Any, dtype: str) -> str:
    """An operand in ``dtype``: a tensor (cast if needed) or a constant initializer."""
    if isinstance(value, Tensor):
        have = _pair(value)[0]
        return value.name if have == dtype else str(b.op("Cast", [value.name], to=elem_type(dtype)))
    return b.const(np.asarray(value).astype(dtype), "operand")


def _rank(value: Any) -> int:
    return value.rank if isinstance(value, Tensor) else np.asarray(value).ndim


def _axes(axis: Any, rank: int) -> list[int]:
    if axis is None:
        return list(range(rank))
    items = axis if isinstance(axis, (list, tuple)) else [axis]
    return [int(a) % rank for a in items]


Lower = Callable[[Call, dict[str, Any], Mapping[str, Any]], str]


def _binary(onnx_op: str, *, divide: bool = False) -> Lower:
    def run(c: Call, a: dict[str, Any], cfg: Mapping[str, Any]) -> str:
        pairs = [_pair(a["x1"]), _pair(a["x2"])]
        dtype = result_type(*pairs, _FLOAT) if divide else result_type(*pairs)
        return str(c.b.op(onnx_op, [_as(c.b, a["x1"], dtype), _as(c.b, a["x2"], dtype)]))

    return run


def _compare(onnx_op: str, negate: bool = False) -> Lower:
    def run(c: Call, a: dict[str, Any], cfg: Mapping[str, Any]) -> str:
        dtype = result_type(_pair(a["x1"]), _pair(a["x2"]))
        out = c.b.op(onnx_op, [_as(c.b, a["x1"], dtype), _as(c.b, a["x2"], dtype)])
        return str(c.b.op("Not", [out]) if negate else out)

    return run


def _logical(onnx_op: str) -> Lower:
    def run(c: Call, a: dict[str, Any], cfg: Mapping[str, Any]) -> str:
        names = ("x1", "x2") if onnx_op != "Not" else ("x",)
        return str(c.b.op(onnx_op, [_as(c.b, a[n], "bool") for n in names]))

    return run


def _same_dtype(onnx_op: str) -> Lower:
    def run(c: Call, a: dict[str, Any], cfg: Mapping[str, Any]) -> str:
        dtype = _pair(a["x"])[0]
        x = _as(c.b, a["x"], "int32" if dtype == "bool" else dtype)
        return str(c.b.op("Mul", [x, x]) if onnx_op == "Square" else c.b.op(onnx_op, [x]))

    return run


def _floating(onnx_op: str) -> Lower:
    def run(c: Call, a: dict[str, Any], cfg: Mapping[str, Any]) -> str:
        return str(c.b.op(onnx_op, [_as(c.b, a["x"], result_type(_pair(a["x"]), _FLOAT))]))

    return run


def _float_input(c: Call, a: dict[str, Any]) -> tuple[str, str]:
    dtype = _pair(a["x"])[0]
    dtype = dtype if dtype.startswith("float") else "float32"
    return _as(c.b, a["x"], dtype), dtype


def _clip(c: Call, a: dict[str, Any], cfg: Mapping[str, Any]) -> str:
    dtype = _pair(a["x"])[0]
    dtype = result_type(("int32" if dtype == "bool" else dtype, False), cfg["x_min"], cfg["x_max"])
    b = c.b
    lo, hi = _as(b, cfg["x_min"], dtype), _as(b, cfg["x_max"], dtype)
    return str(b.op("Min", [b.op("Max", [_as(b, a["x"], dtype), lo]), hi]))


def _where(c: Call, a: dict[str, Any], cfg: Mapping[str, Any]) -> str:
    dtype = result_type(_pair(a["x1"]), _pair(a["x2"]))
    b = c.b
    return str(b.op("Where", [_as(b, a["condition"], "bool"), _as(b, a["x1"], dtype), _as(b, a["x2"], dtype)]))


def _reduce(onnx_op: str) -> Lower:
    def run(c: Call, a: dict[str, Any], cfg: Mapping[str, Any]) -> str:
        b, x = c.b, a["x"]
        if cfg.get("initial") is not None:
            raise c.unsupported(f"{op_spec(c.layer.type).function} with initial= has no ONNX lowering")
        dtype = _pair(x)[0]
        kind = c.layer.type.rsplit(">", 1)[1]
        if kind in ("Any", "All"):
            out = b.reduce("ReduceMax" if kind == "Any" else "ReduceMin", _as(b, x, "int32"), _axes(cfg.get("axis"), _rank(x)),
                           bool(cfg.get("keepdims")))
            return str(b.op("Cast", [out], to=elem_type("bool")))
        if kind == "Mean":
            compute = result_type((dtype, False), ("float32", False))
            return str(b.reduce(onnx_op, _as(b, x, compute), _axes(cfg.get("axis"), _rank(x)), bool(cfg.get("keepdims"))))
        if kind in ("Sum", "Prod"):
            target = str(cfg["dtype"]) if cfg.get("dtype") is not None else (
                "int32" if dtype == "bool" or dtype in ("int8", "int16") else "uint32" if dtype in ("uint8", "uint16") else dtype
            )
            return str(b.reduce(onnx_op, _as(b, x, target), _axes(cfg.get("axis"), _rank(x)), bool(cfg.get("keepdims"))))
        return str(b.reduce(onnx_op, _as(b, x, dtype), _axes(cfg.get("axis"), _rank(x)), bool(cfg.get("keepdims"))))

    return run


def _arg_reduce(onnx_op: str) -> Lower:
    def run(c: Call, a: dict[str, Any], cfg: Mapping[str, Any]) -> str:
        b, x = c.b, _as(c.b, a["x"], _pair(a["x"])[0])
        axis, keep = cfg.get("axis"), bool(cfg.get("keepdims"))
        if axis is None:
            if keep:
                raise c.unsupported("argmax/argmin over every axis with keepdims=True has no ONNX lowering")
            out = b.op(onnx_op, [b.op("Reshape", [x, b.ints([-1])])], axis=0, keepdims=0)
        else:
            out = b.op(onnx_op, [x], axis=int(axis), keepdims=int(keep))
        return str(b.op("Cast", [out], to=elem_type("int32")))

    return run


def _reshape(c: Call, a: dict[str, Any], cfg: Mapping[str, Any]) -> str:
    shape = cfg["newshape"]
    dims = [int(d) for d in (shape if isinstance(shape, (list, tuple)) else [shape])]
    if 0 in dims:
        raise c.unsupported("reshape to a zero-sized dimension has no ONNX lowering")
    return str(c.b.op("Reshape", [a["x"].name, c.b.ints(dims)]))


def _transpose(c: Call, a: dict[str, Any], cfg: Mapping[str, Any]) -> str:
    rank = _rank(a["x"])
    perm = _axes(cfg.get("axes"), rank) if cfg.get("axes") is not None else list(reversed(range(rank)))
    return str(c.b.op("Transpose", [a["x"].name], perm=perm))


def _expand_dims(c: Call, a: dict[str, Any], cfg: Mapping[str, Any]) -> str:
    axis = cfg["axis"]
    axes = [int(v) for v in (axis if isinstance(axis, (list, tuple)) else [axis])]
    return c.b.unsqueeze(a["x"].name, axes)


def _squeeze(c: Call, a: dict[str, Any], cfg: Mapping[str, Any]) -> str:
    axis = cfg.get("axis")
    if axis is None:
        return str(c.b.op("Squeeze", [a["x"].name]))
    return c.b.squeeze(a["x"].name, _axes(axis, _rank(a["x"])))


def _joined(key: str, stack: bool) -> Lower:
    def run(c: Call, a: dict[str, Any], cfg: Mapping[str, Any]) -> str:
        xs = list(a[key])
        dtype = result_type(*(_pair(x) for x in xs))
        axis = int(cfg.get("axis", 0))
        names = [_as(c.b, x, dtype) for x in xs]
        if stack:
            names = [c.b.unsqueeze(n, [axis]) for n in names]
        return str(c.b.op("Concat", names, axis=axis))

    return run


def _tile(c: Call, a: dict[str, Any], cfg: Mapping[str, Any]) -> str:
    reps = cfg["repeats"]
    reps = [int(r) for r in (reps if isinstance(reps, (list, tuple)) else [reps])]
    x, rank = a["x"].name, _rank(a["x"])
    if len(reps) > rank:
        x = c.b.unsqueeze(x, list(range(len(reps) - rank)))
    reps = [1] * (max(rank, len(reps)) - len(reps)) + reps
    return str(c.b.op("Tile", [x, c.b.ints(reps)]))


def _flip(c: Call, a: dict[str, Any], cfg: Mapping[str, Any]) -> str:
    # Slice every flipped axis from its end backwards (ONNX has no Reverse for all types).
    axes = _axes(cfg.get("axis"), _rank(a["x"]))
    big = np.iinfo(np.int64).max
    b = c.b
    return str(b.op("Slice", [a["x"].name, b.ints([-1] * len(axes)), b.ints([-big] * len(axes)), b.ints(axes), b.ints([-1] * len(axes))]))


def _take(c: Call, a: dict[str, Any], cfg: Mapping[str, Any]) -> str:
    b, x = c.b, a["x"].name
    indices = a["indices"]
    idx = _as(b, indices, "int64") if isinstance(indices, Tensor) else b.const(np.asarray(indices, dtype=np.int64), "indices")
    axis = cfg.get("axis")
    if axis is None:
        return str(b.op("Gather", [b.op("Reshape", [x, b.ints([-1])]), idx], axis=0))
    return str(b.op("Gather", [x, idx], axis=int(axis)))


def get_item(b: Builder, x: str, shape: Sequence[int | None], items: Sequence[Any]) -> str:
    """``x[items]`` (items ``None``, ``...``, ints and slices), for Keras 3's ``GetItem`` and
    TF's ``SlicingOpLambda`` alike: one Slice over the sliced axes, then Gather for the
    indices and Unsqueeze for the new axes."""
    used = sum(1 for i in items if i is not None and i is not Ellipsis)
    full: list[Any] = []
    for item in items:
        full += [slice(None)] * (len(shape) - used) if item is Ellipsis else [item]
    top = int_max()
    starts, ends, axes, steps = [], [], [], []
    axis = 0
    for item in full:
        if isinstance(item, slice) and item != slice(None):
            start, stop, step = item.start, item.stop, 1 if item.step is None else int(item.step)
            n = shape[axis]
            if n is not None:
                picked = range(*slice(start, stop, step).indices(n))
                start, stop = (picked[0], picked[-1] + step) if len(picked) else (0, 0)
                step = step if len(picked) else 1
                stop = -top - 1 if stop < 0 and step < 0 else stop
            else:
                start = (0 if step > 0 else -1) if start is None else start
                stop = (top if step > 0 else -top - 1) if stop is None else stop
            if (start, stop, step) != (0, top, 1):
                starts.append(int(start))
                ends.append(int(stop))
                axes.append(axis)
                steps.append(int(step))
        if item is not None:
            axis += 1
    if axes:
        x = b.slice(x, starts, ends, axes, steps)
    axis = 0
    for item in full:  # indices and new axes, left to right on the output's axes
        if item is None:
            x = b.unsqueeze(x, [axis])
            axis += 1
        elif isinstance(item, int):
            x = str(b.op("Gather", [x, b.const(np.asarray(item, np.int64), "index")], axis=axis))
        else:
            axis += 1
    return x


def _get_item(c: Call, a: dict[str, Any], cfg: Mapping[str, Any]) -> str:
    key = a["key"]
    items = list(key) if isinstance(key, (list, tuple)) else [key]
    if any(not (i is None or i is Ellipsis or isinstance(i, (int, slice))) or isinstance(i, bool) for i in items):
        raise c.unsupported("x[...] with a tensor or array key has no ONNX lowering")
    return get_item(c.b, a["x"].name, a["x"].type.shape, items)


def _matmul(c: Call, a: dict[str, Any], cfg: Mapping[str, Any]) -> str:
    dtype = result_type(_pair(a["x1"]), _pair(a["x2"]))
    return str(c.b.op("MatMul", [_as(c.b, a["x1"], dtype), _as(c.b, a["x2"], dtype)]))


def _einsum(c: Call, a: dict[str, Any], cfg: Mapping[str, Any]) -> str:
    operands = list(a["operands"])
    dtype = result_type(*(_pair(x) for x in operands))
    return str(c.b.op("Einsum", [_as(c.b, x, dtype) for x in operands], equation=str(cfg["subscripts"])))


def _cast(c: Call, a: dict[str, Any], cfg: Mapping[str, Any]) -> str:
    return _as(c.b, a["x"], str(cfg["dtype"]))


def _activation(name: str) -> Lower:
    """A ``keras.ops`` activation lowered as the same-named layer activation."""

    def run(c: Call, a: dict[str, Any], cfg: Mapping[str, Any]) -> str:
        x, _ = _float_input(c, a)
        return activation(c.b, x, name)

    return run


def _softmax(onnx_op: str) -> Lower:
    def run(c: Call, a: dict[str, Any], cfg: Mapping[str, Any]) -> str:
        x, _ = _float_input(c, a)
        axis = cfg.get("axis", -1)
        if isinstance(axis, (list, tuple)):
            raise c.unsupported("softmax over several axes has no ONNX lowering")
        return str(c.b.op(onnx_op, [x], axis=int(axis)))

    return run


def _gelu(c: Call, a: dict[str, Any], cfg: Mapping[str, Any]) -> str:
    x, _ = _float_input(c, a)
    return gelu(c.b, x, approximate=bool(cfg.get("approximate", True)))


def _relu_activation(c: Call, a: dict[str, Any], cfg: Mapping[str, Any]) -> str:
    """``keras.activations.relu`` computes as the ``ReLU`` layer: reuse its lowering."""
    entry = find_lowering("ReLU", c.b.opset)
    assert entry is not None
    x, _ = _float_input(c, a)
    relu = Layer(c.layer.name, "ReLU", dict(cfg))
    result = entry.fn(Call(c.b, relu, (Tensor(x, a["x"].type),), {}, c.out_types, c.path))
    return str(result.name)


_LOWER: dict[str, Lower] = {
    "Add": _binary("Add"),
    "Subtract": _binary("Sub"),
    "Multiply": _binary("Mul"),
    "Divide": _binary("Div", divide=True),
    "TrueDivide": _binary("Div", divide=True),
    "Power": _binary("Pow"),
    "Maximum": _binary("Max"),
    "Minimum": _binary("Min"),
    "Negative": _same_dtype("Neg"),
    "Absolute": _same_dtype("Abs"),
    "Abs": _same_dtype("Abs"),
    "Square": _same_dtype("Square"),
    "Sqrt": _floating("Sqrt"),
    "Exp": _floating("Exp"),
    "Log": _floating("Log"),
    "Tanh": _floating("Tanh"),
    "Clip": _clip,
    "Where": _where,
    "Equal": _compare("Equal"),
    "NotEqual": _compare("Equal", negate=True),
    "Greater": _compare("Greater"),
    "GreaterEqual": _compare("GreaterOrEqual"),
    "Less": _compare("Less"),
    "LessEqual": _compare("LessOrEqual"),
    "LogicalAnd": _logical("And"),
    "LogicalOr": _logical("Or"),
    "LogicalNot": _logical("Not"),
    "Sum": _reduce("ReduceSum"),
    "Mean": _reduce("ReduceMean"),
    "Max": _reduce("ReduceMax"),
    "Min": _reduce("ReduceMin"),
    "Prod": _reduce("ReduceProd"),
    "Any": _reduce("ReduceMax"),
    "All": _reduce("ReduceMin"),
    "Argmax": _arg_reduce("ArgMax"),
    "Argmin": _arg_reduce("ArgMin"),
    "Reshape": _reshape,
    "Transpose": _transpose,
    "ExpandDims": _expand_dims,
    "Squeeze": _squeeze,
    "Concatenate": _joined("xs", stack=False),
    "Stack": _joined("x", stack=True),
    "Tile": _tile,
    "Take": _take,
    "GetItem": _get_item,
    "Flip": _flip,
    "Matmul": _matmul,
    "Einsum": _einsum,
    "Cast": _cast,
    "Relu": _activation("relu"),
    "Sigmoid": _activation("sigmoid"),
    "Silu": _activation("silu"),
    "Softmax": _softmax("Softmax"),
    "LogSoftmax": _softmax("LogSoftmax"),
    "Gelu": _gelu,
    "ReLU": _relu_activation,
}


@lowering(*(OPS[name].type for name in _LOWER))
def _keras3_op(c: Call) -> Tensor:
    spec = op_spec(c.layer.type)
    bound = {k: v if isinstance(v, Tensor) else _decode(v) for k, v in bind_call(spec, c.args, c.kwargs).items()}
    for name, value in bound.items():
        if isinstance(value, Tensor) and value.type is None:
            raise c.unsupported(f"{spec.function} needs a typed tensor for {name!r}")
    return Tensor(_LOWER[spec.class_name](c, bound, c.cfg))


def _decode(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        items = [v if isinstance(v, Tensor) else _decode(v) for v in value]
        return items if isinstance(value, list) else tuple(items)
    return decode_constant(value)
