"""tf.keras-only layers: Rescaling, Normalization, TF ops (``keras_migrate>TFOp``) and the
private layers of ``tf.keras.applications`` (InceptionResNetV2's scaled residual sum,
ConvNeXt's LayerScale).

Each mirrors the ``keras.ops`` implementation in :mod:`keras_migrate.compat._tfkeras`
and the tf.keras semantics it reproduces: constants take the dtype of the tensors they
meet (as TF converts them), results have TF's dtype (bool for comparisons, the requested
index type for ``argmax``), ``Normalization`` divides by ``max(sqrt(variance), 1e-7)``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from keras_migrate.formats.tfkeras.layers import (
    TFOP_TYPE,
    operand_dtype,
    result_dtype,
    tf_op_outputs,
    tf_op_spec,
)
from keras_migrate.ir.graph import Layer
from keras_migrate.ir.interpreter._core import Context, kernel
from keras_migrate.ir.interpreter.kernels._common import float_array, unsupported
from keras_migrate.ir.interpreter.kernels.activations import _erf, gelu, get_activation, log_softmax

__all__ = ["NUMPY_OPS", "normalization", "rescaling", "tf_op"]

#: Keras' ``backend.epsilon()`` default, the floor of Normalization's standard deviation.
_EPSILON = 1e-7


def _axis(value: Any) -> Any:
    return tuple(int(a) for a in value) if isinstance(value, (list, tuple)) else value


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return np.asarray(get_activation("sigmoid")(x))


def _softplus(x: np.ndarray) -> np.ndarray:
    return np.asarray(get_activation("softplus")(x))


def _softmax(x: np.ndarray, axis: int) -> np.ndarray:
    shifted = x - np.max(x, axis=axis, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=axis, keepdims=True)


def _reduce(fn: Callable[..., Any]) -> Callable[[Mapping[str, Any]], Any]:
    return lambda a: fn(a["input_tensor"], axis=_axis(a["axis"]), keepdims=bool(a["keepdims"]))


def _logsumexp(x: np.ndarray, axis: Any, keepdims: bool) -> np.ndarray:
    """TF's: shift by the (finite) maximum, so large values do not overflow."""
    top = np.max(x, axis=axis, keepdims=True)
    top = np.where(np.isfinite(top), top, np.zeros_like(top))
    out = np.log(np.sum(np.exp(x - top), axis=axis, keepdims=True)) + top
    return out if keepdims else np.squeeze(out, axis=tuple(range(x.ndim)) if axis is None else axis)


def _l2_normalize(x: np.ndarray, axis: Any, epsilon: float) -> np.ndarray:
    square_sum = np.sum(np.square(x), axis=axis, keepdims=True)
    return x * (np.float32(1.0) / np.sqrt(np.maximum(square_sum, np.asarray(epsilon, x.dtype))))


def _divide_no_nan(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    zero = y == 0
    return np.where(zero, np.zeros_like(x), x / np.where(zero, np.ones_like(y), y))


def _matmul(a: Mapping[str, Any]) -> np.ndarray:
    x, y = a["a"], a["b"]
    if a["transpose_a"] or a["adjoint_a"]:
        x = np.swapaxes(x, -1, -2)
    if a["transpose_b"] or a["adjoint_b"]:
        y = np.swapaxes(y, -1, -2)
    return np.matmul(x, y)


def _pad(a: Mapping[str, Any]) -> np.ndarray:
    x, pads = a["tensor"], [tuple(p) for p in a["paddings"]]
    if a["mode"] == "CONSTANT":
        return np.pad(x, pads, mode="constant", constant_values=np.asarray(a["constant_values"], x.dtype))
    return np.pad(x, pads, mode="reflect" if a["mode"] == "REFLECT" else "symmetric")


def _subscript(items: Sequence[Any]) -> tuple[Any, ...]:
    """A recorded ``x[...]`` subscript as a Python index tuple."""
    out: list[Any] = []
    for item in items:
        if isinstance(item, Mapping):
            out.append(Ellipsis if item.get("class_name") == "__ellipsis__" else slice(item["start"], item["stop"], item["step"]))
        else:
            out.append(item)
    return tuple(out)


def _split(a: Mapping[str, Any]) -> list[np.ndarray]:
    x, parts, axis = a["value"], a["num_or_size_splits"], int(a["axis"])
    if isinstance(parts, int):
        if x.shape[axis] % parts:
            raise ValueError(f"cannot split a dimension of {x.shape[axis]} into {parts} equal parts")
        return list(np.split(x, parts, axis=axis))
    sizes = [int(p) for p in parts]
    if -1 in sizes:
        sizes[sizes.index(-1)] = x.shape[axis] - (sum(sizes) + 1)
    if sum(sizes) != x.shape[axis] or min(sizes) < 0:
        raise ValueError(f"split sizes {parts} do not fit a dimension of {x.shape[axis]}")
    return list(np.split(x, np.cumsum(sizes)[:-1], axis=axis))


def _unstack(a: Mapping[str, Any]) -> list[np.ndarray]:
    x, axis = a["value"], int(a["axis"])
    if a["num"] is not None and int(a["num"]) != x.shape[axis]:
        raise ValueError(f"unstack num={a['num']} but the dimension is {x.shape[axis]}")
    return [np.take(x, i, axis=axis) for i in range(x.shape[axis])]


Op = Callable[[Mapping[str, Any]], Any]

#: Canonical op (see :data:`keras_migrate.formats.tfkeras.layers.TF_OPS`) -> numpy, on a
#: dict of the op's TF arguments (operands already arrays of their dtype).
NUMPY_OPS: dict[str, Op] = {
    "add": lambda a: a["x"] + a["y"],
    "subtract": lambda a: a["x"] - a["y"],
    "multiply": lambda a: a["x"] * a["y"] if "y" in a else a["scalar"] * a["x"],
    "truediv": lambda a: a["x"] / a["y"],
    "divide_no_nan": lambda a: _divide_no_nan(a["x"], a["y"]),
    "floordiv": lambda a: np.floor(a["x"] / a["y"]),
    "floormod": lambda a: np.mod(a["x"], a["y"]),
    "maximum": lambda a: np.maximum(a["x"], a["y"]),
    "minimum": lambda a: np.minimum(a["x"], a["y"]),
    "pow": lambda a: np.power(a["x"], a["y"]),
    "squared_difference": lambda a: np.square(a["x"] - a["y"]),
    "equal": lambda a: np.equal(a["x"], a["y"]),
    "not_equal": lambda a: np.not_equal(a["x"], a["y"]),
    "less": lambda a: np.less(a["x"], a["y"]),
    "less_equal": lambda a: np.less_equal(a["x"], a["y"]),
    "greater": lambda a: np.greater(a["x"], a["y"]),
    "greater_equal": lambda a: np.greater_equal(a["x"], a["y"]),
    "logical_and": lambda a: np.logical_and(a["x"], a["y"]),
    "logical_or": lambda a: np.logical_or(a["x"], a["y"]),
    "logical_xor": lambda a: np.logical_xor(a["x"], a["y"]),
    "logical_not": lambda a: np.logical_not(a["x"]),
    "negative": lambda a: -a["x"],
    "abs": lambda a: np.abs(a["x"]),
    "sign": lambda a: np.sign(a["x"]),
    "sqrt": lambda a: np.sqrt(a["x"]),
    "rsqrt": lambda a: 1 / np.sqrt(a["x"]),
    "square": lambda a: np.square(a["x"]),
    "exp": lambda a: np.exp(a["x"]),
    "expm1": lambda a: np.expm1(a["x"]),
    "log": lambda a: np.log(a["x"]),
    "log1p": lambda a: np.log1p(a["x"]),
    "reciprocal": lambda a: 1 / a["x"],
    "floor": lambda a: np.floor(a["x"]),
    "ceil": lambda a: np.ceil(a["x"]),
    "round": lambda a: np.round(a["x"]),
    "sin": lambda a: np.sin(a["x"]),
    "cos": lambda a: np.cos(a["x"]),
    "tan": lambda a: np.tan(a["x"]),
    "erf": lambda a: _erf(a["x"]),
    "sigmoid": lambda a: _sigmoid(a["x"]),
    "log_sigmoid": lambda a: -_softplus(-a["x"]),
    "tanh": lambda a: np.tanh(a["x"]),
    "softplus": lambda a: _softplus(a["features"]),
    "relu": lambda a: np.maximum(a["features"], 0),
    "relu6": lambda a: np.clip(a["features"], 0, 6),
    "elu": lambda a: np.asarray(get_activation("elu")(a["features"])),
    "selu": lambda a: np.asarray(get_activation("selu")(a["features"])),
    "softsign": lambda a: np.asarray(get_activation("softsign")(a["features"])),
    "silu": lambda a: a["features"] * _sigmoid(a["features"] * np.float32(a["beta"])),
    "leaky_relu": lambda a: np.where(a["features"] > 0, a["features"], a["features"] * np.float32(a["alpha"])),
    "gelu": lambda a: gelu(a["features"], bool(a["approximate"])),
    "softmax": lambda a: _softmax(a["logits"], -1 if a["axis"] is None else int(a["axis"])),
    "log_softmax": lambda a: log_softmax(a["logits"], -1 if a["axis"] is None else int(a["axis"])),
    "l2_normalize": lambda a: _l2_normalize(a["x"], _axis(a["axis"]), float(a["epsilon"])),
    "reduce_mean": _reduce(np.mean),
    "reduce_sum": _reduce(np.sum),
    "reduce_max": _reduce(np.max),
    "reduce_min": _reduce(np.min),
    "reduce_prod": _reduce(np.prod),
    "reduce_any": _reduce(np.any),
    "reduce_all": _reduce(np.all),
    "reduce_logsumexp": _reduce(_logsumexp),
    "reduce_std": _reduce(np.std),
    "reduce_variance": _reduce(np.var),
    "reduce_euclidean_norm": lambda a: np.sqrt(_reduce(np.sum)({**a, "input_tensor": np.square(a["input_tensor"])})),
    "argmax": lambda a: np.argmax(a["input"], axis=int(a["axis"])),
    "argmin": lambda a: np.argmin(a["input"], axis=int(a["axis"])),
    "clip_by_value": lambda a: np.maximum(np.minimum(a["t"], a["clip_value_max"]), a["clip_value_min"]),
    "cast": lambda a: a["x"].astype(np.dtype(a["dtype"])),
    "where": lambda a: np.where(a["condition"], a["x"], a["y"]),
    "matmul": _matmul,
    "reshape": lambda a: np.reshape(a["tensor"], [int(d) for d in a["shape"]]),
    "transpose": lambda a: np.transpose(a["a"], None if a["perm"] is None else [int(p) for p in a["perm"]]),
    "expand_dims": lambda a: np.expand_dims(a["input"], int(a["axis"])),
    "squeeze": lambda a: np.squeeze(a["input"], axis=tuple(int(d) for d in a["axis"])),
    "tile": lambda a: np.tile(a["input"], [int(m) for m in a["multiples"]]),
    "pad": _pad,
    "gather": lambda a: np.take(a["params"], np.asarray(a["indices"]).astype(np.int64), axis=int(a["axis"])),
    "getitem": lambda a: a["tensor"][_subscript(a["slice_spec"])],
    "stack": lambda a: np.stack(a["values"], axis=int(a["axis"])),
    "split": _split,
    "unstack": _unstack,
}


@kernel(TFOP_TYPE)
def tf_op(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> Any:
    cfg = layer.config
    function = str(cfg.get("function"))
    try:
        spec = tf_op_spec(function)
    except KeyError as exc:
        raise unsupported(layer, str(exc.args[0])) from None
    fn = NUMPY_OPS.get(spec.op)
    if fn is None:
        raise unsupported(layer, f"tf.{function} has no numpy kernel")
    names = list(cfg.get("tensor_arguments") or [spec.params[0]])
    if spec.sequence:
        tensors: list[Any] = [[np.asarray(t) for t in args[0]]]
    else:
        tensors = [np.asarray(t) for t in (args[0] if len(names) > 1 else [args[0]])]
    if len(tensors) != len(names):
        raise unsupported(layer, f"tf.{function} takes {len(names)} tensors, got {len(tensors)}")
    values: dict[str, Any] = dict(zip(names, tensors, strict=True))
    constants = dict(cfg.get("arguments") or {})
    first = {n: (t[0] if spec.sequence else t).dtype.name for n, t in values.items()}
    dtype = np.dtype(operand_dtype(spec, first, constants))
    for key, value in constants.items():
        if key in spec.operands and value is not None:
            value = np.asarray(value) if key in spec.own_dtype else np.asarray(value, dtype=dtype)
        values[key] = value
    out_dtype = np.dtype(result_dtype(spec, dtype.name, values))
    result = fn(values)
    if isinstance(result, list):
        count = tf_op_outputs(cfg)
        if len(result) < count:
            raise unsupported(layer, f"tf.{function} returns {len(result)} tensors, the model uses {count}")
        return [np.asarray(r).astype(out_dtype, copy=False) for r in result[:count]]
    return np.asarray(result).astype(out_dtype, copy=False)


@kernel("Rescaling", passes_mask=True)
def rescaling(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> np.ndarray:
    x = float_array(args[0])
    scale = np.asarray(layer.config.get("scale", 1.0), dtype=np.float32)
    offset = np.asarray(layer.config.get("offset", 0.0), dtype=np.float32)
    return (x * scale + offset).astype(np.float32, copy=False)


@kernel("Normalization", passes_mask=True)
def normalization(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> np.ndarray:
    x = float_array(args[0])
    cfg = layer.config
    axis = cfg.get("axis", -1)
    axes = () if axis is None else (axis,) if isinstance(axis, int) else tuple(axis)
    keep = sorted(int(a) % x.ndim for a in axes)
    stats_shape = tuple(x.shape[d] for d in keep)
    broadcast = [x.shape[d] if d in keep else 1 for d in range(x.ndim)]
    if cfg.get("mean") is not None:
        mean, variance = np.asarray(cfg["mean"], np.float32), np.asarray(cfg["variance"], np.float32)
    else:
        mean = layer.weight("mean").numpy().astype(np.float32)
        variance = layer.weight("variance").numpy().astype(np.float32)
    mean = np.broadcast_to(mean, stats_shape).reshape(broadcast)
    variance = np.broadcast_to(variance, stats_shape).reshape(broadcast)
    std = np.maximum(np.sqrt(variance), np.float32(_EPSILON))
    if cfg.get("invert", False):
        return (mean + x * std).astype(np.float32, copy=False)
    return ((x - mean) / std).astype(np.float32, copy=False)


@kernel("keras_migrate>CustomScaleLayer")
def custom_scale(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> np.ndarray:
    a, b = (float_array(t) for t in args[0])
    return (a + b * np.float32(layer.config["scale"])).astype(np.float32, copy=False)


@kernel("keras_migrate>LayerScale")
def layer_scale(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> np.ndarray:
    x = float_array(args[0])
    return (x * layer.weight("gamma").numpy().astype(np.float32)).astype(np.float32, copy=False)
