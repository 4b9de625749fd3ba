"""Numpy kernels for Keras 3 op nodes (``keras.ops.*`` calls recorded in ``.keras`` files).

One kernel serves every op in :data:`keras_migrate.ir.ops.keras3.OPS`; it binds the
node's arguments to the op's ``call`` parameters, turns Keras' argument markers into
Python (slices, ``...``, arrays) and computes as Keras 3 does, including its dtype rules:
Python numbers are weakly typed, integer inputs of ``sqrt``/``exp``/``mean``/division give
float32, comparisons give bool and ``argmax`` int32. Ops drop Keras masks (Keras 3 does
not propagate masks through ops), so no kernel here returns one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from keras_migrate.ir.graph import Layer
from keras_migrate.ir.interpreter.kernels._common import unsupported
from keras_migrate.ir.interpreter.kernels.activations import (
    ACTIVATIONS,
    gelu,
    log_softmax,
    relu_family,
    softmax,
)
from keras_migrate.ir.interpreter.registry import Context, kernel
from keras_migrate.ir.ops.keras3 import OPS, bind_call, decode_constant, op_spec, result_type

__all__ = ["IMPLEMENTATIONS", "keras3_op"]

Impl = Callable[[Mapping[str, Any], Mapping[str, Any]], Any]
_FLOAT = ("float32", True)  # a weak Python float: what Keras adds to make results floating


def _as(x: Any, dtype: str) -> np.ndarray:
    return np.asarray(x).astype(dtype, copy=False)


def _axis(value: Any) -> Any:
    return tuple(int(a) for a in value) if isinstance(value, (list, tuple)) else value


def _binary(fn: Callable[[np.ndarray, np.ndarray], Any], *, divide: bool = False) -> Impl:
    def run(a: Mapping[str, Any], cfg: Mapping[str, Any]) -> np.ndarray:
        x1, x2 = a["x1"], a["x2"]
        dtype = result_type(x1, x2, _FLOAT) if divide else result_type(x1, x2)
        return _as(fn(_as(x1, dtype), _as(x2, dtype)), dtype)

    return run


def _compare(fn: Callable[[np.ndarray, np.ndarray], Any]) -> Impl:
    def run(a: Mapping[str, Any], cfg: Mapping[str, Any]) -> np.ndarray:
        dtype = result_type(a["x1"], a["x2"])
        return np.asarray(fn(_as(a["x1"], dtype), _as(a["x2"], dtype)))

    return run


def _logical(fn: Callable[..., Any], arity: int = 2) -> Impl:
    def run(a: Mapping[str, Any], cfg: Mapping[str, Any]) -> np.ndarray:
        names = ("x1", "x2") if arity == 2 else ("x",)
        return np.asarray(fn(*(_as(a[n], "bool") for n in names)))

    return run


def _same_dtype(fn: Callable[[np.ndarray], Any]) -> Impl:
    def run(a: Mapping[str, Any], cfg: Mapping[str, Any]) -> np.ndarray:
        x = np.asarray(a["x"])
        if x.dtype == np.bool_:
            x = x.astype("int32")
        return _as(fn(x), str(x.dtype))

    return run


def _floating(fn: Callable[[np.ndarray], Any]) -> Impl:
    """``sqrt``, ``exp``...: integer (and bool) inputs compute in float32."""

    def run(a: Mapping[str, Any], cfg: Mapping[str, Any]) -> np.ndarray:
        dtype = result_type(a["x"], _FLOAT)
        return _as(fn(_as(a["x"], dtype)), dtype)

    return run


def _activation(fn: Callable[[np.ndarray], Any]) -> Impl:
    def run(a: Mapping[str, Any], cfg: Mapping[str, Any]) -> np.ndarray:
        x = np.asarray(a["x"])
        dtype = str(x.dtype) if x.dtype.kind == "f" else "float32"
        return _as(fn(_as(x, "float32")), dtype)

    return run


def _clip(a: Mapping[str, Any], cfg: Mapping[str, Any]) -> np.ndarray:
    x = np.asarray(a["x"])
    if x.dtype == np.bool_:
        x = x.astype("int32")
    dtype = result_type(x, cfg["x_min"], cfg["x_max"])
    return _as(np.minimum(np.maximum(_as(x, dtype), _as(cfg["x_min"], dtype)), _as(cfg["x_max"], dtype)), dtype)


def _where(a: Mapping[str, Any], cfg: Mapping[str, Any]) -> np.ndarray:
    dtype = result_type(a["x1"], a["x2"])
    return _as(np.where(_as(a["condition"], "bool"), _as(a["x1"], dtype), _as(a["x2"], dtype)), dtype)


def _sum_dtype(x: np.ndarray) -> str:
    """Sums and products of small integers (and bools) widen to 32 bits, as in JAX."""
    kind, size = x.dtype.kind, x.dtype.itemsize
    if kind == "b" or (kind == "i" and size < 4):
        return "int32"
    if kind == "u" and size < 4:
        return "uint32"
    return result_type(x)


def _sum(a: Mapping[str, Any], cfg: Mapping[str, Any]) -> np.ndarray:
    x = np.asarray(a["x"])
    dtype = _sum_dtype(x)
    return _as(np.sum(x, axis=_axis(cfg.get("axis")), keepdims=bool(cfg.get("keepdims")), dtype=dtype), dtype)


def _prod(a: Mapping[str, Any], cfg: Mapping[str, Any]) -> np.ndarray:
    x = np.asarray(a["x"])
    dtype = str(cfg["dtype"]) if cfg.get("dtype") is not None else _sum_dtype(x)
    return _as(np.prod(x, axis=_axis(cfg.get("axis")), keepdims=bool(cfg.get("keepdims")), dtype=dtype), dtype)


def _mean(a: Mapping[str, Any], cfg: Mapping[str, Any]) -> np.ndarray:
    x = np.asarray(a["x"])
    compute = result_type(x, ("float32", False))
    out = compute if x.dtype.kind in "biu" else str(x.dtype)
    return _as(np.mean(_as(x, compute), axis=_axis(cfg.get("axis")), keepdims=bool(cfg.get("keepdims"))), out)


def _extreme(fn: Callable[..., Any]) -> Impl:
    def run(a: Mapping[str, Any], cfg: Mapping[str, Any]) -> np.ndarray:
        x = np.asarray(a["x"])
        kwargs: dict[str, Any] = {"axis": _axis(cfg.get("axis")), "keepdims": bool(cfg.get("keepdims"))}
        if cfg.get("initial") is not None:
            kwargs["initial"] = cfg["initial"]
        return _as(fn(x, **kwargs), str(x.dtype))

    return run


def _boolean_reduce(fn: Callable[..., Any]) -> Impl:
    def run(a: Mapping[str, Any], cfg: Mapping[str, Any]) -> np.ndarray:
        return np.asarray(fn(_as(a["x"], "bool"), axis=_axis(cfg.get("axis")), keepdims=bool(cfg.get("keepdims"))))

    return run


def _arg_reduce(fn: Callable[..., Any]) -> Impl:
    def run(a: Mapping[str, Any], cfg: Mapping[str, Any]) -> np.ndarray:
        x = np.asarray(a["x"])
        axis = cfg.get("axis")
        out = fn(x, axis=None if axis is None else int(axis), keepdims=bool(cfg.get("keepdims")))
        return _as(out, "int32")

    return run


def _joined(fn: Callable[..., Any], key: str) -> Impl:
    def run(a: Mapping[str, Any], cfg: Mapping[str, Any]) -> np.ndarray:
        xs = list(a[key])
        dtype = result_type(*xs)
        return np.asarray(fn([_as(x, dtype) for x in xs], axis=int(cfg.get("axis", 0))))

    return run


def _take(a: Mapping[str, Any], cfg: Mapping[str, Any]) -> np.ndarray:
    indices = np.asarray(a["indices"])
    if indices.dtype.kind not in "biu":
        raise ValueError(f"keras.ops.take needs integer indices, got {indices.dtype}")
    axis = cfg.get("axis")
    return np.asarray(np.take(np.asarray(a["x"]), indices.astype(np.int64), axis=None if axis is None else int(axis)))


def _get_item(a: Mapping[str, Any], cfg: Mapping[str, Any]) -> np.ndarray:
    key = a["key"]
    if isinstance(key, list):
        key = tuple(key)
    return np.asarray(np.asarray(a["x"])[key])


def _matmul(a: Mapping[str, Any], cfg: Mapping[str, Any]) -> np.ndarray:
    dtype = result_type(a["x1"], a["x2"])
    return _as(np.matmul(_as(a["x1"], dtype), _as(a["x2"], dtype)), dtype)


def _einsum(a: Mapping[str, Any], cfg: Mapping[str, Any]) -> np.ndarray:
    operands = list(a["operands"])
    dtype = result_type(*operands)
    return _as(np.einsum(str(cfg["subscripts"]), *(_as(x, dtype) for x in operands)), dtype)


def _gelu(a: Mapping[str, Any], cfg: Mapping[str, Any]) -> np.ndarray:
    approximate = bool(cfg.get("approximate", True))
    return _activation(lambda x: gelu(x, approximate))(a, cfg)


def _relu_op(a: Mapping[str, Any], cfg: Mapping[str, Any]) -> np.ndarray:
    x = np.asarray(a["x"])
    return _as(
        relu_family(
            _as(x, "float32"),
            float(cfg.get("negative_slope", 0.0)),
            cfg.get("max_value"),
            float(cfg.get("threshold", 0.0)),
        ),
        str(x.dtype),
    )


#: Class name -> numpy implementation ``(bound call arguments, config) -> array``.
IMPLEMENTATIONS: dict[str, Impl] = {
    "Add": _binary(np.add),
    "Subtract": _binary(np.subtract),
    "Multiply": _binary(np.multiply),
    "Divide": _binary(np.divide, divide=True),
    "TrueDivide": _binary(np.divide, divide=True),
    "Power": _binary(np.power),
    "Maximum": _binary(np.maximum),
    "Minimum": _binary(np.minimum),
    "Negative": _same_dtype(np.negative),
    "Absolute": _same_dtype(np.abs),
    "Abs": _same_dtype(np.abs),
    "Square": _same_dtype(np.square),
    "Sqrt": _floating(np.sqrt),
    "Exp": _floating(np.exp),
    "Log": _floating(np.log),
    "Tanh": _floating(np.tanh),
    "Clip": _clip,
    "Where": _where,
    "Equal": _compare(np.equal),
    "NotEqual": _compare(np.not_equal),
    "Greater": _compare(np.greater),
    "GreaterEqual": _compare(np.greater_equal),
    "Less": _compare(np.less),
    "LessEqual": _compare(np.less_equal),
    "LogicalAnd": _logical(np.logical_and),
    "LogicalOr": _logical(np.logical_or),
    "LogicalNot": _logical(np.logical_not, arity=1),
    "Sum": _sum,
    "Mean": _mean,
    "Max": _extreme(np.max),
    "Min": _extreme(np.min),
    "Prod": _prod,
    "Any": _boolean_reduce(np.any),
    "All": _boolean_reduce(np.all),
    "Argmax": _arg_reduce(np.argmax),
    "Argmin": _arg_reduce(np.argmin),
    "Reshape": lambda a, cfg: np.reshape(np.asarray(a["x"]), cfg["newshape"]),
    "Transpose": lambda a, cfg: np.transpose(np.asarray(a["x"]), _axis(cfg.get("axes"))),
    "ExpandDims": lambda a, cfg: np.expand_dims(np.asarray(a["x"]), _axis(cfg["axis"])),
    "Squeeze": lambda a, cfg: np.squeeze(np.asarray(a["x"]), _axis(cfg.get("axis"))),
    "Concatenate": _joined(np.concatenate, "xs"),
    "Stack": _joined(np.stack, "x"),
    "Tile": lambda a, cfg: np.tile(np.asarray(a["x"]), cfg["repeats"]),
    "Take": _take,
    "GetItem": _get_item,
    "Flip": lambda a, cfg: np.flip(np.asarray(a["x"]), _axis(cfg.get("axis"))),
    "Matmul": _matmul,
    "Einsum": _einsum,
    "Cast": lambda a, cfg: _as(a["x"], str(cfg["dtype"])),
    "Relu": _same_dtype(lambda x: np.maximum(x, np.zeros((), x.dtype))),
    "Sigmoid": _activation(ACTIVATIONS["sigmoid"]),
    "Silu": _activation(ACTIVATIONS["silu"]),
    "Softmax": lambda a, cfg: _activation(lambda x: softmax(x, axis=_axis(cfg.get("axis", -1))))(a, cfg),
    "LogSoftmax": lambda a, cfg: _activation(lambda x: log_softmax(x, axis=int(cfg.get("axis", -1))))(a, cfg),
    "Gelu": _gelu,
    "ReLU": _relu_op,
}

assert set(IMPLEMENTATIONS) == set(OPS), sorted(set(IMPLEMENTATIONS) ^ set(OPS))


@kernel(*(spec.type for spec in OPS.values()))
def keras3_op(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> np.ndarray:
    try:
        spec = op_spec(layer.type)
    except KeyError as exc:
        raise unsupported(layer, str(exc.args[0])) from None
    bound = {k: decode_constant(v) for k, v in bind_call(spec, args, kwargs).items()}
    with np.errstate(all="ignore"):  # log(0), 0/0 give inf/nan in Keras too
        return np.asarray(IMPLEMENTATIONS[spec.class_name](bound, layer.config))
