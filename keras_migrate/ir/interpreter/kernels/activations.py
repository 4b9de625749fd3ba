"""Activation functions by Keras 3 name, and the activation layers.

Every layer with an ``activation`` config (Dense, Conv, RNN cells...) resolves it through
:func:`get_activation`, so a name is interpreted one way everywhere. The formulas follow
Keras 3's JAX backend (e.g. ``hard_sigmoid`` is ``relu6(x + 3) / 6``, unlike Keras 1/2,
whose ``0.2 * x + 0.5`` lives on as ``keras_migrate>legacy_hard_sigmoid``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from keras_migrate.errors import UnsupportedError
from keras_migrate.ir.graph import Layer
from keras_migrate.ir.interpreter.kernels._common import first_arg_mask, float_array, input_mask
from keras_migrate.ir.interpreter.registry import Context, KernelResult, kernel
from keras_migrate.ir.user_code import current_runner

__all__ = [
    "ACTIVATIONS",
    "Activation",
    "erf",
    "gelu",
    "get_activation",
    "log_softmax",
    "relu_family",
    "softmax",
]

Activation = Callable[[np.ndarray], np.ndarray]

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _f32(x: Any) -> np.ndarray:
    """Keep results float32: numpy scalars (e.g. ``0.5``) must not widen float32 arrays."""
    return np.asarray(x, dtype=np.float32)


def erf(x: np.ndarray) -> np.ndarray:
    """erf without making scipy a dependency; scipy is used when present because it is fast."""
    try:
        from scipy.special import erf as scipy_erf

        return _f32(scipy_erf(x))
    except ImportError:  # pragma: no cover - scipy ships with every backend we test
        return _f32(np.asarray(np.frompyfunc(math.erf, 1, 1)(x.astype(np.float64)), dtype=np.float64))


def softmax(x: np.ndarray, axis: int | tuple[int, ...] = -1) -> np.ndarray:
    shifted = x - np.max(x, axis=axis, keepdims=True)
    e = np.exp(shifted)
    return _f32(e / np.sum(e, axis=axis, keepdims=True))


def log_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return _f32(shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True)))


def _sigmoid(x: np.ndarray) -> np.ndarray:
    # exp of a non-positive argument only: no overflow warnings for large |x|
    e = np.exp(-np.abs(x))
    return _f32(np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)))


def _softplus(x: np.ndarray) -> np.ndarray:
    return _f32(np.logaddexp(x, np.float32(0.0)))


def _relu6(x: np.ndarray) -> np.ndarray:
    return _f32(np.clip(x, 0.0, 6.0))


def _elu(x: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    return _f32(np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0))))


def _leaky_relu(x: np.ndarray, negative_slope: float = 0.2) -> np.ndarray:
    return _f32(np.where(x >= 0, x, negative_slope * x))


def gelu(x: np.ndarray, approximate: bool = False) -> np.ndarray:
    """GELU, exact (erf, the ``gelu`` activation) or the tanh approximation ``keras.ops.gelu``
    and ``tf.nn.gelu`` can ask for; one formula for every kernel that needs it."""
    if approximate:
        c = np.float32(math.sqrt(2.0 / math.pi))
        return _f32(np.float32(0.5) * x * (np.float32(1.0) + np.tanh(c * (x + np.float32(0.044715) * x**3))))
    return _f32(x * (erf(x / np.float32(math.sqrt(2.0))) + 1.0) / 2.0)


def _glu(x: np.ndarray, axis: int = -1) -> np.ndarray:
    a, b = np.split(x, 2, axis=axis)
    return _f32(a * _sigmoid(b))


def _sparsemax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Projection onto the simplex (Martins & Astudillo), computed as Keras' JAX backend does."""
    ordered = -np.sort(-x, axis=axis)
    cumsum = np.cumsum(ordered, axis=axis)
    shape = [1] * x.ndim
    shape[axis] = -1
    r = np.arange(1, x.shape[axis] + 1, dtype=np.float32).reshape(shape)
    support = ordered - (cumsum - 1) / r > 0
    k = np.sum(support, axis=axis, keepdims=True)
    tau = (np.sum(np.where(support, cumsum, 0.0), axis=axis, keepdims=True) - 1) / k
    return _f32(np.maximum(x - tau, 0.0))


#: Every activation name Keras 3 can serialize, plus this package's legacy hard sigmoid.
ACTIVATIONS: dict[str, Activation] = {
    "linear": lambda x: x,
    "relu": lambda x: _f32(np.maximum(x, 0.0)),
    "relu6": _relu6,
    "leaky_relu": _leaky_relu,
    "elu": _elu,
    "selu": lambda x: _f32(_SELU_SCALE * _elu(x, _SELU_ALPHA)),
    "celu": lambda x: _f32(np.where(x > 0, x, np.expm1(np.minimum(x, 0.0)))),
    "softplus": _softplus,
    "softsign": lambda x: _f32(x / (np.abs(x) + 1.0)),
    "squareplus": lambda x: _f32((x + np.sqrt(np.square(x) + 4.0)) / 2.0),
    "sparse_plus": lambda x: _f32(np.where(x <= -1, 0.0, np.where(x >= 1, x, np.square(x + 1) / 4.0))),
    "sparse_sigmoid": lambda x: _f32(np.where(x <= -1, 0.0, np.where(x >= 1, 1.0, (x + 1) / 2.0))),
    "soft_shrink": lambda x: _f32(np.where(x > 0.5, x - 0.5, np.where(x < -0.5, x + 0.5, 0.0))),
    "hard_shrink": lambda x: _f32(np.where(np.abs(x) > 0.5, x, 0.0)),
    "silu": lambda x: _f32(x * _sigmoid(x)),
    "swish": lambda x: _f32(x * _sigmoid(x)),
    "gelu": gelu,
    "glu": _glu,
    "tanh": lambda x: _f32(np.tanh(x)),
    "tanh_shrink": lambda x: _f32(x - np.tanh(x)),
    "hard_tanh": lambda x: _f32(np.clip(x, -1.0, 1.0)),
    "sigmoid": _sigmoid,
    "log_sigmoid": lambda x: _f32(-_softplus(-x)),
    "hard_sigmoid": lambda x: _f32(_relu6(x + 3.0) / 6.0),
    "hard_silu": lambda x: _f32(x * _relu6(x + 3.0) / 6.0),
    "hard_swish": lambda x: _f32(x * _relu6(x + 3.0) / 6.0),
    "exponential": lambda x: _f32(np.exp(x)),
    "mish": lambda x: _f32(x * np.tanh(_softplus(x))),
    "softmax": softmax,
    "log_softmax": log_softmax,
    "sparsemax": _sparsemax,
    "keras_migrate>legacy_hard_sigmoid": lambda x: _f32(np.clip(0.2 * x + 0.5, 0.0, 1.0)),
}


def get_activation(name: Any) -> Activation:
    """Resolve a config's ``activation`` (a name, ``None``, or a serialized builtin dict)."""
    if name is None:
        return ACTIVATIONS["linear"]
    if isinstance(name, dict):
        # ``{"class_name": "function", "config": "relu", ...}``: a builtin serialized long-hand
        inner = name.get("config")
        name = inner if isinstance(inner, str) else name.get("class_name")
    if isinstance(name, str):
        fn = ACTIVATIONS.get(name)
        if fn is not None:
            return fn
        runner = current_runner()
        if runner is not None and runner.has_function(name):
            user_fn = name
            return lambda x: runner.run_function(user_fn, x)
    raise UnsupportedError(
        f"the numpy interpreter has no activation {name!r}",
        hint="custom activations need a compat layer or a Keras-backed check",
    )


def relu_family(
    x: np.ndarray, negative_slope: float = 0.0, max_value: float | None = None, threshold: float = 0.0
) -> np.ndarray:
    """Keras 3's ``relu`` with all its options, branch for branch (the branches round differently)."""
    if negative_slope != 0.0:
        if max_value is None and threshold == 0:
            return _leaky_relu(x, negative_slope)
        negative_part = np.maximum(-x + threshold, 0.0) if threshold != 0 else np.maximum(-x, 0.0)
    clip_max = max_value is not None
    if threshold != 0:
        y = np.where(x > threshold, x, 0.0)
    elif max_value == 6:
        y = _relu6(x)
        clip_max = False
    else:
        y = np.maximum(x, 0.0)
    if clip_max:
        y = np.clip(y, 0.0, max_value)
    if negative_slope != 0.0:
        y = y - negative_slope * negative_part
    return _f32(y)


# --------------------------------------------------------------------------- layers


@kernel("Activation", passes_mask=True)
def activation(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> np.ndarray:
    return get_activation(layer.config.get("activation"))(float_array(args[0]))


@kernel("ReLU", passes_mask=True)
def relu(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> np.ndarray:
    cfg = layer.config
    max_value = cfg.get("max_value")
    return relu_family(
        float_array(args[0]),
        negative_slope=float(cfg.get("negative_slope", 0.0) or 0.0),
        max_value=None if max_value is None else float(max_value),
        threshold=float(cfg.get("threshold", 0.0) or 0.0),
    )


@kernel("LeakyReLU", passes_mask=True)
def leaky_relu(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> np.ndarray:
    slope = layer.config.get("negative_slope", layer.config.get("alpha", 0.3))
    return _leaky_relu(float_array(args[0]), float(slope))


@kernel("PReLU", passes_mask=True)
def prelu(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> np.ndarray:
    # the stored alpha already has 1s on shared axes, so it broadcasts as is
    x = float_array(args[0])
    alpha = layer.weight("alpha").numpy().astype(np.float32)
    return _f32(np.maximum(x, 0.0) - alpha * np.maximum(-x, 0.0))


@kernel("ELU", passes_mask=True)
def elu(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> np.ndarray:
    return _elu(float_array(args[0]), float(layer.config.get("alpha", 1.0)))


@kernel("ThresholdedReLU", passes_mask=True)
def thresholded_relu(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> np.ndarray:
    """Keras 2's layer (gone in Keras 3, where it is ``ReLU(threshold=theta)``)."""
    x = float_array(args[0])
    return _f32(np.where(x > float(layer.config.get("theta", 1.0)), x, 0.0))


@kernel("Softmax")
def softmax_layer(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> KernelResult:
    """Masked positions get -1e9 before and exactly 0 after, as Keras 3 does."""
    x = float_array(args[0])
    axis = layer.config.get("axis", -1)
    mask = input_mask(args, kwargs, ctx)
    if mask is not None:
        m = np.asarray(mask)
        m = m > 0.5 if m.dtype != np.bool_ else m
        x = np.where(m, x, np.float32(-1e9))
    if isinstance(axis, (list, tuple)):
        axes = tuple(int(a) for a in axis)
        if len(axes) > 1:
            lse = np.log(np.sum(np.exp(x - np.max(x, axis=axes, keepdims=True)), axis=axes, keepdims=True))
            out = _f32(np.exp(x - (lse + np.max(x, axis=axes, keepdims=True))))
        else:
            out = softmax(x, axes[0])
    else:
        out = softmax(x, int(axis))
    if mask is not None:
        out = _f32(np.where(m, out, 0.0))
    return KernelResult(out, mask if mask is not None else first_arg_mask(ctx))
