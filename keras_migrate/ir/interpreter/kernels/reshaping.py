"""Shape-only layers: reshape, permute, flatten, repeat, pad, crop, upsample.

Spatial layers work on a channels-last view and move channels back afterwards, so each
rule (which axes are spatial, which side gets padding) is written once.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from keras_migrate.ir.graph import Layer
from keras_migrate.ir.interpreter.kernels._common import (
    channels_first,
    int_tuple,
    pair_tuple,
    to_channels_first,
    to_channels_last,
    unsupported,
)
from keras_migrate.ir.interpreter.registry import Context, kernel

__all__ = [
    "cropping",
    "flatten",
    "permute",
    "repeat_vector",
    "reshape",
    "resize_bilinear",
    "up_sampling",
    "zero_padding",
]

_RANK = {"1D": 1, "2D": 2, "3D": 3}


def _rank(layer: Layer) -> int:
    return _RANK[layer.type[-2:]]


@kernel("Reshape")
def reshape(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> np.ndarray:
    x = np.asarray(args[0])
    target = tuple(-1 if d is None else int(d) for d in layer.config["target_shape"])
    return x.reshape((x.shape[0], *target))


@kernel("Permute")
def permute(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> np.ndarray:
    # ``dims`` is 1-based (the batch axis never moves)
    x = np.asarray(args[0])
    return np.ascontiguousarray(np.transpose(x, (0, *(int(d) for d in layer.config["dims"]))))


@kernel("Flatten")
def flatten(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> np.ndarray:
    """channels_first inputs are flattened in channels-last order, as Keras 3 does."""
    x = np.asarray(args[0])
    if channels_first(layer.config) and x.ndim > 2:
        x = to_channels_last(x)
    return np.ascontiguousarray(x).reshape(x.shape[0], -1)


@kernel("RepeatVector")
def repeat_vector(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> np.ndarray:
    x = np.asarray(args[0])
    return np.repeat(x[:, np.newaxis, :], int(layer.config["n"]), axis=1)


def _spatial(layer: Layer, x: np.ndarray, fn: Any) -> np.ndarray:
    """Apply ``fn`` to a channels-last view, honouring the layer's data_format."""
    if channels_first(layer.config):
        return to_channels_first(fn(to_channels_last(x)))
    return np.asarray(fn(x))


@kernel("ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D")
def zero_padding(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> np.ndarray:
    rank = _rank(layer)
    pads = pair_tuple(layer.config.get("padding", 1), rank)

    def pad(x: np.ndarray) -> np.ndarray:
        return np.pad(x, ((0, 0), *pads, (0, 0)))

    return _spatial(layer, np.asarray(args[0]), pad)


@kernel("Cropping1D", "Cropping2D", "Cropping3D")
def cropping(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> np.ndarray:
    rank = _rank(layer)
    crops = pair_tuple(layer.config.get("cropping", 1), rank)

    def crop(x: np.ndarray) -> np.ndarray:
        index = tuple(slice(lo, x.shape[i + 1] - hi) for i, (lo, hi) in enumerate(crops))
        return np.ascontiguousarray(x[(slice(None), *index)])

    return _spatial(layer, np.asarray(args[0]), crop)


def resize_bilinear(x: np.ndarray, factors: tuple[int, ...]) -> np.ndarray:
    """Half-pixel-centre bilinear upsampling of the spatial axes of a channels-last array.

    For upsampling, JAX's triangle-kernel resize renormalizes edge weights, which is the
    same as clamping the source coordinate to the image, as done here.
    """
    out = x
    for axis, factor in enumerate(factors, start=1):
        n = out.shape[axis]
        src = (np.arange(n * factor, dtype=np.float64) + 0.5) / factor - 0.5
        src = np.clip(src, 0.0, n - 1)
        lo = np.floor(src).astype(np.int64)
        hi = np.minimum(lo + 1, n - 1)
        w = (src - lo).astype(np.float32)
        shape = [1] * out.ndim
        shape[axis] = -1
        w = w.reshape(shape)
        out = np.take(out, lo, axis=axis) * (1 - w) + np.take(out, hi, axis=axis) * w
    return out.astype(np.float32, copy=False)


@kernel("UpSampling1D", "UpSampling2D", "UpSampling3D")
def up_sampling(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> np.ndarray:
    rank = _rank(layer)
    size = int_tuple(layer.config.get("size", 2), rank)
    interpolation = layer.config.get("interpolation", "nearest")
    if interpolation not in ("nearest", "bilinear"):
        raise unsupported(layer, f"UpSampling interpolation {interpolation!r} is not supported")

    def upsample(x: np.ndarray) -> np.ndarray:
        if interpolation == "bilinear":
            return resize_bilinear(x, size)
        for axis, factor in enumerate(size, start=1):
            x = np.repeat(x, factor, axis=axis)
        return x

    return _spatial(layer, np.asarray(args[0]), upsample)
