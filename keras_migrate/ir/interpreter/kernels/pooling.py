"""Max/average pooling (windowed and global) in 1/2/3D.

Keras 3 pads ``same`` max pooling with -inf and divides ``same`` average pooling by the
number of *real* cells in each window (padding excluded), so border averages are not
pulled towards zero.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from keras_migrate.ir.graph import Layer
from keras_migrate.ir.interpreter.kernels._common import (
    channels_first,
    float_array,
    input_mask,
    int_tuple,
    to_channels_first,
    to_channels_last,
)
from keras_migrate.ir.interpreter.kernels.conv import pad_spatial, windows
from keras_migrate.ir.interpreter.registry import Context, KernelResult, kernel

__all__ = ["global_average_pooling", "global_max_pooling", "pool", "pool_nd"]


def pool_nd(
    x: np.ndarray, pool_size: tuple[int, ...], strides: tuple[int, ...], padding: str, mode: str
) -> np.ndarray:
    """Pool a channels-last array; ``mode`` is ``"max"`` or ``"average"``."""
    rank = len(pool_size)
    ones = (1,) * rank
    window_axes = tuple(range(1 + rank, 1 + 2 * rank))
    if mode == "max":
        xp = pad_spatial(x, pool_size, strides, ones, padding, value=-np.inf)
        return np.max(windows(xp, pool_size, strides, ones), axis=window_axes)
    xp = pad_spatial(x, pool_size, strides, ones, padding)
    sums = np.sum(windows(xp, pool_size, strides, ones), axis=window_axes, dtype=np.float32)
    if padding.lower() == "valid":
        return np.asarray(sums / np.float32(np.prod(pool_size)), dtype=np.float32)
    spatial = (1, *x.shape[1 : 1 + rank], 1)
    counts = pad_spatial(np.ones(spatial, dtype=np.float32), pool_size, strides, ones, padding)
    n = np.sum(windows(counts, pool_size, strides, ones), axis=window_axes)
    return (sums / n).astype(np.float32, copy=False)


_RANK = {"1D": 1, "2D": 2, "3D": 3}


@kernel(
    "MaxPooling1D",
    "MaxPooling2D",
    "MaxPooling3D",
    "AveragePooling1D",
    "AveragePooling2D",
    "AveragePooling3D",
)
def pool(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> np.ndarray:
    rank = _RANK[layer.type[-2:]]
    cfg = layer.config
    pool_size = int_tuple(cfg.get("pool_size", 2), rank)
    strides_cfg = cfg.get("strides")
    strides = pool_size if strides_cfg is None else int_tuple(strides_cfg, rank)
    mode = "max" if layer.type.startswith("Max") else "average"
    padding = str(cfg.get("padding", "valid")).lower()
    x = float_array(args[0])
    if channels_first(cfg):
        return to_channels_first(pool_nd(to_channels_last(x), pool_size, strides, padding, mode))
    return pool_nd(x, pool_size, strides, padding, mode)


def _spatial_axes(layer: Layer, ndim: int) -> tuple[int, ...]:
    return tuple(range(2, ndim)) if channels_first(layer.config) else tuple(range(1, ndim - 1))


@kernel("GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D")
def global_max_pooling(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> np.ndarray:
    x = float_array(args[0])
    return np.max(x, axis=_spatial_axes(layer, x.ndim), keepdims=bool(layer.config.get("keepdims", False)))


@kernel("GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D")
def global_average_pooling(
    layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context
) -> KernelResult:
    """The 1D form averages unmasked steps only; its output never carries a mask."""
    x = float_array(args[0])
    axes = _spatial_axes(layer, x.ndim)
    keepdims = bool(layer.config.get("keepdims", False))
    mask = input_mask(args, kwargs, ctx) if layer.type.endswith("1D") else None
    if mask is None:
        return KernelResult(np.mean(x, axis=axes, keepdims=keepdims, dtype=np.float32))
    m = np.expand_dims(np.asarray(mask).astype(bool), 1 if channels_first(layer.config) else 2)
    total = np.sum(np.where(m, x, np.float32(0.0)), axis=axes, keepdims=keepdims)
    count = np.sum(m.astype(np.float32), axis=axes, keepdims=keepdims)
    with np.errstate(divide="ignore", invalid="ignore"):
        return KernelResult((total / count).astype(np.float32, copy=False))
