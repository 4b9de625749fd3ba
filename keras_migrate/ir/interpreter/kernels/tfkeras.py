"""tf.keras-only layers: Rescaling, Normalization, TF ops (``keras_migrate>TFOp``) and the
private layers of ``tf.keras.applications`` (InceptionResNetV2's scaled residual sum,
ConvNeXt's LayerScale).

Each reproduces tf.keras as the ``keras.ops`` compat layers in
:mod:`keras_migrate.compat._tfkeras` do. A TF op computes what
:data:`keras_migrate.ir.ops.tf_semantics.TF_SEMANTICS` says (the legacy-op table's case for
the call, or one of the few hand-written helpers), run with :data:`NUMPY` (numpy under
``keras.ops``' names), on the call as :func:`keras_migrate.ir.ops.tf.bind_tf_call`
binds it: constants take the dtype of the tensors they meet (as TF converts them), results
have TF's dtype (bool for comparisons, the requested index type for ``argmax``).
``Normalization`` divides by ``max(sqrt(variance), 1e-7)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from keras_migrate.ir.graph import Layer
from keras_migrate.ir.interpreter.kernels._common import float_array, unsupported
from keras_migrate.ir.interpreter.kernels.activations import erf, gelu, get_activation, log_softmax
from keras_migrate.ir.interpreter.registry import Context, kernel
from keras_migrate.ir.ops.tf import TFOP_TYPE, bind_tf_call, result_dtype, tf_op_outputs
from keras_migrate.ir.ops.tf_semantics import TF_SEMANTICS

__all__ = ["NUMPY", "NumpyOps", "normalization", "rescaling", "tf_op"]

#: Keras' ``backend.epsilon()`` default, the floor of Normalization's standard deviation.
_EPSILON = 1e-7


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return np.asarray(get_activation("sigmoid")(x))


def _softplus(x: np.ndarray) -> np.ndarray:
    return np.asarray(get_activation("softplus")(x))


def _softmax(x: np.ndarray, axis: int) -> np.ndarray:
    shifted = x - np.max(x, axis=axis, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=axis, keepdims=True)


def _logsumexp(x: np.ndarray, axis: Any = None, keepdims: bool = False) -> np.ndarray:
    """TF's: shift by the (finite) maximum, so large values do not overflow."""
    top = np.max(x, axis=axis, keepdims=True)
    top = np.where(np.isfinite(top), top, np.zeros_like(top))
    out = np.log(np.sum(np.exp(x - top), axis=axis, keepdims=True)) + top
    return out if keepdims else np.squeeze(out, axis=tuple(range(x.ndim)) if axis is None else axis)


def _divide_no_nan(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    zero = y == 0
    return np.where(zero, np.zeros_like(x), x / np.where(zero, np.ones_like(y), y))


class NumpyOps:
    """numpy under ``keras.ops``' names: the namespace the TF semantics table
    (:data:`keras_migrate.ir.ops.tf_semantics.TF_SEMANTICS`) computes in here.

    Every name numpy has with ``keras.ops``' meaning is numpy's; the rest are below.
    """

    def __getattr__(self, name: str) -> Any:
        return getattr(np, name)

    divide_no_nan = staticmethod(_divide_no_nan)
    erf = staticmethod(erf)
    sigmoid = staticmethod(_sigmoid)
    softplus = staticmethod(_softplus)
    logsumexp = staticmethod(_logsumexp)
    convert_to_tensor = staticmethod(np.asarray)

    @staticmethod
    def rsqrt(x: np.ndarray) -> np.ndarray:
        return np.asarray(1 / np.sqrt(x))

    @staticmethod
    def log_sigmoid(x: np.ndarray) -> np.ndarray:
        return -_softplus(-x)

    @staticmethod
    def relu(x: np.ndarray) -> np.ndarray:
        return np.maximum(x, 0)

    @staticmethod
    def relu6(x: np.ndarray) -> np.ndarray:
        return np.clip(x, 0, 6)

    @staticmethod
    def elu(x: np.ndarray) -> np.ndarray:
        return np.asarray(get_activation("elu")(x))

    @staticmethod
    def selu(x: np.ndarray) -> np.ndarray:
        return np.asarray(get_activation("selu")(x))

    @staticmethod
    def softsign(x: np.ndarray) -> np.ndarray:
        return np.asarray(get_activation("softsign")(x))

    @staticmethod
    def leaky_relu(x: np.ndarray, negative_slope: float = 0.2) -> np.ndarray:
        return np.where(x > 0, x, x * np.float32(negative_slope))

    @staticmethod
    def gelu(x: np.ndarray, approximate: bool = True) -> np.ndarray:
        return gelu(x, approximate)

    @staticmethod
    def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
        return _softmax(x, axis)

    @staticmethod
    def log_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
        return log_softmax(x, axis)

    @staticmethod
    def cast(x: Any, dtype: Any) -> np.ndarray:
        return np.asarray(x).astype(np.dtype(dtype))

    @staticmethod
    def silu(x: np.ndarray) -> np.ndarray:
        return np.asarray(x * _sigmoid(x))

    @staticmethod
    def normalize(x: np.ndarray, axis: int = -1, order: int = 2, epsilon: float | None = None) -> np.ndarray:
        """``keras.ops.normalize``'s L2 form: ``x * rsqrt(max(sum(x**2), epsilon))``."""
        square_sum = np.sum(np.square(x), axis=axis, keepdims=True)
        floor = np.float32(1e-12 if epsilon is None else epsilon)
        return np.asarray(x * (1 / np.sqrt(np.maximum(square_sum, floor))))

    @staticmethod
    def unstack(x: np.ndarray, num: int | None = None, axis: int = 0) -> list[np.ndarray]:
        return [np.take(x, i, axis=axis) for i in range(x.shape[axis])]


#: The numpy namespace of the TF semantics table.
NUMPY = NumpyOps()


@kernel(TFOP_TYPE)
def tf_op(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> Any:
    cfg = layer.config
    first = args[0]
    inputs = [np.asarray(t) for t in first] if isinstance(first, (list, tuple)) else np.asarray(first)
    try:
        call = bind_tf_call(cfg, inputs, lambda t: t.dtype.name)
    except KeyError as exc:
        raise unsupported(layer, str(exc.args[0])) from None
    except ValueError as exc:
        raise unsupported(layer, str(exc)) from None
    fn = TF_SEMANTICS.get(call.spec.op)
    if fn is None:
        raise unsupported(layer, f"tf.{call.function} has no numpy kernel")
    out_dtype = np.dtype(result_dtype(call.spec, call.dtype, call.values))
    try:
        result = fn(NUMPY, call.values)
    except ValueError as exc:  # the table's follow-up: no case holds for these arguments
        raise unsupported(layer, f"tf.{call.function}: {exc}") from None
    if isinstance(result, list):
        count = tf_op_outputs(cfg)
        if len(result) < count:
            raise unsupported(layer, f"tf.{call.function} returns {len(result)} tensors, the model uses {count}")
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
