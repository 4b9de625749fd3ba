"""Batch, layer, group, unit and RMS normalization at inference.

Each follows Keras 3's arithmetic (``x * inv + (beta - mean * inv)`` with
``inv = gamma / sqrt(var + eps)``), so rounding tracks Keras closely. Two Keras 3 quirks
are kept on purpose: ``LayerNormalization(rms_scaling=True)`` divides by the *variance*
(mean-centred), not the mean square; ``UnitNormalization`` caps ``1/norm`` at ``1e12``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from keras_migrate.ir.graph import Layer
from keras_migrate.ir.interpreter.kernels._common import float_array, weight_or_none
from keras_migrate.ir.interpreter.registry import Context, kernel

__all__ = [
    "batch_normalization",
    "group_normalization",
    "layer_normalization",
    "rms_normalization",
    "unit_normalization",
]


def _axes(value: Any, ndim: int) -> list[int]:
    items = value if isinstance(value, (list, tuple)) else [value]
    return sorted(int(a) % ndim for a in items)


def _affine(x: np.ndarray, mean: Any, var: Any, eps: float, gamma: Any, beta: Any) -> np.ndarray:
    inv = 1.0 / np.sqrt(var + np.float32(eps))
    if gamma is not None:
        inv = inv * gamma
    res = -mean * inv
    if beta is not None:
        res = res + beta
    return (x * inv + res).astype(np.float32, copy=False)


@kernel("BatchNormalization", passes_mask=True)
def batch_normalization(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> np.ndarray:
    x = float_array(args[0])
    cfg = layer.config
    (axis,) = _axes(cfg.get("axis", -1), x.ndim)  # Keras 3 takes one axis; old configs wrap it in a list
    shape = [1] * x.ndim
    shape[axis] = x.shape[axis]

    def get(name: str, enabled: bool = True) -> np.ndarray | None:
        w = weight_or_none(layer, name) if enabled else None
        return None if w is None else w.astype(np.float32, copy=False).reshape(shape)

    mean, var = get("moving_mean"), get("moving_variance")
    assert mean is not None and var is not None, "BatchNormalization needs moving statistics"
    return _affine(
        x,
        mean,
        var,
        float(cfg.get("epsilon", 1e-3)),
        get("gamma", cfg.get("scale", True)),
        get("beta", cfg.get("center", True)),
    )


@kernel("LayerNormalization", passes_mask=True)
def layer_normalization(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> np.ndarray:
    x = float_array(args[0])
    cfg = layer.config
    axes = _axes(cfg.get("axis", -1), x.ndim)
    eps = float(cfg.get("epsilon", 1e-3))
    shape = [1] * x.ndim
    for a in axes:
        shape[a] = x.shape[a]
    rms = bool(cfg.get("rms_scaling", False))
    gamma = weight_or_none(layer, "gamma") if (cfg.get("scale", True) or rms) else None
    beta = weight_or_none(layer, "beta") if (cfg.get("center", True) and not rms) else None
    gamma = None if gamma is None else gamma.astype(np.float32, copy=False).reshape(shape)
    beta = None if beta is None else beta.astype(np.float32, copy=False).reshape(shape)
    var = np.var(x, axis=tuple(axes), keepdims=True, dtype=np.float32)
    if rms:
        y = x / np.sqrt(var + np.float32(eps))
        return (y if gamma is None else y * gamma).astype(np.float32, copy=False)
    mean = np.mean(x, axis=tuple(axes), keepdims=True, dtype=np.float32)
    return _affine(x, mean, var, eps, gamma, beta)


@kernel("GroupNormalization", passes_mask=True)
def group_normalization(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> np.ndarray:
    """Channels split into ``groups`` consecutive blocks; statistics over block and space."""
    x = float_array(args[0])
    cfg = layer.config
    groups = int(cfg.get("groups", 32))
    axis = int(cfg.get("axis", -1)) % x.ndim
    grouped_shape = list(x.shape)
    grouped_shape[axis : axis + 1] = [groups, x.shape[axis] // groups]
    xg = x.reshape(grouped_shape)
    reduce_axes = tuple(a for a in range(1, xg.ndim) if a != axis)
    mean = np.mean(xg, axis=reduce_axes, keepdims=True, dtype=np.float32)
    var = np.var(xg, axis=reduce_axes, keepdims=True, dtype=np.float32)
    param_shape = [1] * xg.ndim
    param_shape[axis : axis + 2] = [groups, x.shape[axis] // groups]
    gamma = weight_or_none(layer, "gamma") if cfg.get("scale", True) else None
    beta = weight_or_none(layer, "beta") if cfg.get("center", True) else None
    gamma = None if gamma is None else gamma.astype(np.float32, copy=False).reshape(param_shape)
    beta = None if beta is None else beta.astype(np.float32, copy=False).reshape(param_shape)
    return _affine(xg, mean, var, float(cfg.get("epsilon", 1e-3)), gamma, beta).reshape(x.shape)


@kernel("UnitNormalization", passes_mask=True)
def unit_normalization(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> np.ndarray:
    x = float_array(args[0])
    axes = tuple(_axes(layer.config.get("axis", -1), x.ndim))
    with np.errstate(divide="ignore"):
        inv = 1.0 / np.sqrt(np.sum(np.square(x), axis=axes, keepdims=True))
    return (x * np.minimum(inv, np.float32(1e12))).astype(np.float32, copy=False)


@kernel("RMSNormalization")
def rms_normalization(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> np.ndarray:
    x = float_array(args[0])
    axes = tuple(_axes(layer.config.get("axis", -1), x.ndim))
    eps = np.float32(layer.config.get("epsilon", 1e-6))
    y = x / np.sqrt(np.mean(np.square(x), axis=axes, keepdims=True) + eps)
    scale = weight_or_none(layer, "scale")
    return (y if scale is None else y * scale).astype(np.float32, copy=False)
