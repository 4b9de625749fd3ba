"""Kernels for the Keras 1 compat layers (see :mod:`keras_migrate.compat._keras1`).

Each follows Keras 1.2.2's formula, the same way the ``keras.ops`` layer computes it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from keras_migrate.ir.graph import Layer
from keras_migrate.ir.interpreter.kernels._common import float_array, unsupported
from keras_migrate.ir.interpreter.kernels.activations import get_activation
from keras_migrate.ir.interpreter.registry import Context, kernel

__all__ = ["KERAS1_EPSILON"]

KERAS1_EPSILON = np.float32(1e-7)


def _w(layer: Layer, name: str) -> np.ndarray:
    return layer.weight(name).numpy().astype(np.float32)


def _relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, np.float32(0.0))


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return np.asarray(get_activation("sigmoid")(x), dtype=np.float32)


@kernel("keras_migrate>MaxoutDense")
def maxout_dense(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> Any:
    x = float_array(args[0])
    out = np.einsum("bi,fiu->bfu", x, _w(layer, "kernel"))
    if layer.has_weight("bias"):
        out = out + _w(layer, "bias")
    return out.max(axis=1).astype(np.float32)


@kernel("keras_migrate>Highway")
def highway(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> Any:
    x = float_array(args[0])
    bias = layer.has_weight("bias")
    y = x @ _w(layer, "carry_kernel")
    if bias:
        y = y + _w(layer, "carry_bias")
    t = _sigmoid(y)
    y = x @ _w(layer, "kernel")
    if bias:
        y = y + _w(layer, "bias")
    act = np.asarray(get_activation(layer.config.get("activation", "linear"))(y), dtype=np.float32)
    return (act * t + (np.float32(1.0) - t) * x).astype(np.float32)


@kernel("keras_migrate>ParametricSoftplus", passes_mask=True)
def parametric_softplus(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> Any:
    x = float_array(args[0])
    return (np.logaddexp(_w(layer, "beta") * x, np.float32(0.0)) * _w(layer, "alpha")).astype(np.float32)


@kernel("keras_migrate>SReLU", passes_mask=True)
def srelu(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> Any:
    x = float_array(args[0])
    tl, al, tr, ar = (_w(layer, n) for n in ("t_left", "a_left", "t_right", "a_right"))
    tr_actual = tl + np.abs(tr)
    shifted = x - tl
    centre = np.minimum(_relu(shifted), tr_actual - tl) - al * _relu(-shifted)
    return (tl + centre + _relu(x - tr_actual) * ar).astype(np.float32)


@kernel("keras_migrate>Keras1BatchNormalization")
def keras1_batchnorm(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> Any:
    x = float_array(args[0])
    cfg = layer.config
    eps = np.float32(cfg.get("epsilon", 1e-3))
    gamma, beta = _w(layer, "gamma"), _w(layer, "beta")
    if int(cfg.get("mode", 2)) == 1:
        mean = x.mean(axis=-1, keepdims=True)
        std = np.sqrt(x.var(axis=-1, keepdims=True) + eps)
        return (gamma * ((x - mean) / (std + eps)) + beta).astype(np.float32)
    axis = int(cfg.get("axis", -1)) % x.ndim
    reduce = tuple(i for i in range(x.ndim) if i != axis)
    shape = [1] * x.ndim
    shape[axis] = -1
    mean = x.mean(axis=reduce, keepdims=True)
    var = x.var(axis=reduce, keepdims=True)
    out = (x - mean) / np.sqrt(var + eps) * gamma.reshape(shape) + beta.reshape(shape)
    return out.astype(np.float32)


@kernel("keras_migrate>Keras1CosineMerge")
def keras1_cosine_merge(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> Any:
    a, b = (float_array(v) for v in args[0])
    if a.ndim != 2 or b.ndim != 2:
        raise unsupported(layer, "Keras 1 Merge(mode='cos') is reproduced for 2D inputs only")
    ax = int(layer.config.get("dot_axes", [1, 1])[0]) % 2

    def dot(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.sum(x * y, axis=ax)[:, None]

    denominator = np.maximum(np.sqrt(dot(a, a) * dot(b, b)), KERAS1_EPSILON)
    return (dot(a, b) / denominator)[:, None].astype(np.float32)
