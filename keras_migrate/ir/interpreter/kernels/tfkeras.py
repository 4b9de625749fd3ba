"""tf.keras-only layers: Rescaling, Normalization, TF ops (``keras_migrate>TFOp``) and the
private layers of ``tf.keras.applications`` (InceptionResNetV2's scaled residual sum,
ConvNeXt's LayerScale).

Each mirrors the ``keras.ops`` implementation in :mod:`keras_migrate.compat._tfkeras`
and the tf.keras semantics it reproduces: constants take the dtype of the tensors they
meet (as TF converts them), ``Normalization`` divides by ``max(sqrt(variance), 1e-7)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from keras_migrate.formats.tfkeras_layers import TFOP_TYPE, tf_op_spec
from keras_migrate.ir.graph import Layer
from keras_migrate.ir.interpreter._core import Context, kernel
from keras_migrate.ir.interpreter.kernels._common import float_array, unsupported
from keras_migrate.ir.interpreter.kernels.activations import get_activation

__all__ = ["NUMPY_OPS", "normalization", "rescaling", "tf_op"]

#: Keras' ``backend.epsilon()`` default, the floor of Normalization's standard deviation.
_EPSILON = 1e-7


def _axis(value: Any) -> Any:
    return tuple(int(a) for a in value) if isinstance(value, (list, tuple)) else value


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return np.asarray(get_activation("sigmoid")(x))


def _gelu(x: np.ndarray, approximate: bool) -> np.ndarray:
    if not approximate:
        return np.asarray(get_activation("gelu")(x))
    c = np.float32(math.sqrt(2.0 / math.pi))
    return (np.float32(0.5) * x * (np.float32(1.0) + np.tanh(c * (x + np.float32(0.044715) * x**3)))).astype(x.dtype)


def _softmax(x: np.ndarray, axis: int) -> np.ndarray:
    shifted = x - np.max(x, axis=axis, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=axis, keepdims=True)


Op = Callable[[Mapping[str, Any]], np.ndarray]

#: Canonical op (see :data:`keras_migrate.formats.tfkeras_layers.TF_OPS`) -> numpy, on a
#: dict of the op's TF arguments (operands already arrays of one dtype).
NUMPY_OPS: dict[str, Op] = {
    "add": lambda a: a["x"] + a["y"],
    "subtract": lambda a: a["x"] - a["y"],
    "multiply": lambda a: a["x"] * a["y"] if "y" in a else a["scalar"] * a["x"],
    "truediv": lambda a: a["x"] / a["y"],
    "floordiv": lambda a: np.floor(a["x"] / a["y"]),
    "maximum": lambda a: np.maximum(a["x"], a["y"]),
    "minimum": lambda a: np.minimum(a["x"], a["y"]),
    "pow": lambda a: np.power(a["x"], a["y"]),
    "squared_difference": lambda a: np.square(a["x"] - a["y"]),
    "negative": lambda a: -a["x"],
    "abs": lambda a: np.abs(a["x"]),
    "sqrt": lambda a: np.sqrt(a["x"]),
    "rsqrt": lambda a: 1 / np.sqrt(a["x"]),
    "square": lambda a: np.square(a["x"]),
    "exp": lambda a: np.exp(a["x"]),
    "log": lambda a: np.log(a["x"]),
    "reciprocal": lambda a: 1 / a["x"],
    "sigmoid": lambda a: _sigmoid(a["x"]),
    "tanh": lambda a: np.tanh(a["x"]),
    "softplus": lambda a: np.asarray(get_activation("softplus")(a["features"])),
    "relu": lambda a: np.maximum(a["features"], 0),
    "relu6": lambda a: np.clip(a["features"], 0, 6),
    "elu": lambda a: np.asarray(get_activation("elu")(a["features"])),
    "selu": lambda a: np.asarray(get_activation("selu")(a["features"])),
    "softsign": lambda a: np.asarray(get_activation("softsign")(a["features"])),
    "silu": lambda a: a["features"] * _sigmoid(a["features"] * np.float32(a["beta"])),
    "leaky_relu": lambda a: np.where(a["features"] > 0, a["features"], a["features"] * np.float32(a["alpha"])),
    "gelu": lambda a: _gelu(a["features"], bool(a["approximate"])),
    "softmax": lambda a: _softmax(a["logits"], -1 if a["axis"] is None else int(a["axis"])),
    "reduce_mean": lambda a: np.mean(a["input_tensor"], axis=_axis(a["axis"]), keepdims=bool(a["keepdims"])),
    "reduce_sum": lambda a: np.sum(a["input_tensor"], axis=_axis(a["axis"]), keepdims=bool(a["keepdims"])),
    "reduce_max": lambda a: np.max(a["input_tensor"], axis=_axis(a["axis"]), keepdims=bool(a["keepdims"])),
    "reduce_min": lambda a: np.min(a["input_tensor"], axis=_axis(a["axis"]), keepdims=bool(a["keepdims"])),
    "reduce_prod": lambda a: np.prod(a["input_tensor"], axis=_axis(a["axis"]), keepdims=bool(a["keepdims"])),
    "clip_by_value": lambda a: np.maximum(np.minimum(a["t"], a["clip_value_max"]), a["clip_value_min"]),
}


@kernel(TFOP_TYPE)
def tf_op(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> np.ndarray:
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
    tensors = [np.asarray(t) for t in (args[0] if len(names) > 1 else [args[0]])]
    if len(tensors) != len(names):
        raise unsupported(layer, f"tf.{function} takes {len(names)} tensors, got {len(tensors)}")
    dtype = tensors[0].dtype
    values: dict[str, Any] = dict(zip(names, tensors, strict=True))
    for key, value in dict(cfg.get("arguments") or {}).items():
        values[key] = np.asarray(value, dtype=dtype) if key in spec.operands else value
    return np.asarray(fn(values)).astype(dtype, copy=False)


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
