"""Convolutions: regular (with groups), depthwise, separable and transposed, in 1/2/3D.

Everything is computed channels-last. A regular convolution is an im2col matmul: a
``sliding_window_view`` of the padded input, strided and dilated by slicing, copied into
rows of ``kernel_size * channels`` and multiplied by the flattened kernel (in batch
chunks, so VGG-sized layers stay fast without huge temporaries). Padding follows
Keras 3 (XLA's ``SAME``: the odd extra cell goes to the end) and transposed convolutions
use Keras 3's own padding arithmetic, so output sizes match it exactly.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from keras_migrate.ir.graph import Layer
from keras_migrate.ir.interpreter.kernels._common import (
    channels_first,
    float_array,
    int_tuple,
    to_channels_first,
    to_channels_last,
    unsupported,
    weight_or_none,
)
from keras_migrate.ir.interpreter.kernels.activations import get_activation
from keras_migrate.ir.interpreter.registry import Context, kernel

__all__ = [
    "conv",
    "conv_nd",
    "conv_transpose",
    "conv_transpose_nd",
    "depthwise_conv",
    "depthwise_conv_nd",
    "pad_spatial",
    "same_padding",
    "separable_conv",
    "transpose_padding",
]

#: Upper bound on one im2col block, in bytes.
_BLOCK_BYTES = 64 * 1024 * 1024


def same_padding(size: int, kernel: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """``SAME`` padding (lo, hi): enough for ``ceil(size / stride)`` outputs, extra at the end."""
    k_eff = (kernel - 1) * dilation + 1
    out = -(-size // stride)
    total = max((out - 1) * stride + k_eff - size, 0)
    return total // 2, total - total // 2


def pad_spatial(
    x: np.ndarray,
    kernel_size: tuple[int, ...],
    strides: tuple[int, ...],
    dilation: tuple[int, ...],
    padding: str,
    value: float = 0.0,
) -> np.ndarray:
    """Pad the spatial axes of a channels-last array for ``valid``/``same``/``causal``."""
    padding = padding.lower()
    if padding == "valid":
        return x
    pads = [(0, 0)]
    for i, k in enumerate(kernel_size):
        if padding == "same":
            pads.append(same_padding(x.shape[i + 1], k, strides[i], dilation[i]))
        elif padding == "causal":
            pads.append(((k - 1) * dilation[i], 0))
        else:
            raise ValueError(f"unknown padding {padding!r}")
    pads.append((0, 0))
    return np.pad(x, pads, constant_values=value)


def windows(
    xp: np.ndarray, kernel_size: tuple[int, ...], strides: tuple[int, ...], dilation: tuple[int, ...]
) -> np.ndarray:
    """A view ``(B, *out, *kernel, C)`` of every (strided, dilated) window of a padded input."""
    rank = len(kernel_size)
    k_eff = tuple((k - 1) * d + 1 for k, d in zip(kernel_size, dilation, strict=True))
    view = sliding_window_view(xp, k_eff, axis=tuple(range(1, rank + 1)))  # (B, *full, C, *k_eff)
    index = (
        slice(None),
        *(slice(None, None, s) for s in strides),
        slice(None),
        *(slice(None, None, d) for d in dilation),
    )
    view = view[index]
    return np.moveaxis(view, rank + 1, -1)


def _batch_chunks(batch: int, per_item_bytes: int) -> list[slice]:
    step = max(1, _BLOCK_BYTES // max(per_item_bytes, 1))
    return [slice(i, min(i + step, batch)) for i in range(0, batch, step)]


def conv_nd(
    x: np.ndarray,
    kernel_w: np.ndarray,
    strides: tuple[int, ...],
    dilation: tuple[int, ...],
    padding: str,
    groups: int = 1,
) -> np.ndarray:
    """Cross-correlate channels-last ``x`` with a Keras kernel ``(*k, C/groups, F)``."""
    kernel_size = tuple(kernel_w.shape[:-2])
    cin_g, filters = kernel_w.shape[-2], kernel_w.shape[-1]
    win = windows(pad_spatial(x, kernel_size, strides, dilation, padding), kernel_size, strides, dilation)
    batch, out_shape = win.shape[0], win.shape[1 : 1 + len(kernel_size)]
    positions = math.prod(out_shape)
    ksize = math.prod(kernel_size)
    out = np.empty((batch, positions, filters), dtype=np.float32)
    f_g = filters // groups
    w_groups = [
        kernel_w[..., g * f_g : (g + 1) * f_g].reshape(ksize * cin_g, f_g).astype(np.float32, copy=False)
        for g in range(groups)
    ]
    for chunk in _batch_chunks(batch, positions * ksize * x.shape[-1] * 4):
        block = win[chunk]
        n = block.shape[0]
        for g in range(groups):
            cols = np.ascontiguousarray(block[..., g * cin_g : (g + 1) * cin_g]).reshape(n * positions, ksize * cin_g)
            out[chunk, :, g * f_g : (g + 1) * f_g] = (cols @ w_groups[g]).reshape(n, positions, f_g)
    return out.reshape((batch, *out_shape, filters))


def depthwise_conv_nd(
    x: np.ndarray,
    kernel_w: np.ndarray,
    strides: tuple[int, ...],
    dilation: tuple[int, ...],
    padding: str,
) -> np.ndarray:
    """Per-channel convolution with kernel ``(*k, C, M)``; output channel ``c * M + m``."""
    kernel_size = tuple(kernel_w.shape[:-2])
    channels, mult = kernel_w.shape[-2], kernel_w.shape[-1]
    win = windows(pad_spatial(x, kernel_size, strides, dilation, padding), kernel_size, strides, dilation)
    out_shape = win.shape[: 1 + len(kernel_size)]
    acc = np.zeros((*out_shape, channels, mult), dtype=np.float32)
    for offset in itertools.product(*(range(k) for k in kernel_size)):
        index: tuple[Any, ...] = (..., *offset, slice(None))
        tap = win[index]
        acc += tap[..., np.newaxis] * kernel_w[offset]
    return acc.reshape((*out_shape, channels * mult))


def transpose_padding(
    kernel: int, stride: int, dilation: int, padding: str, output_padding: int | None
) -> tuple[int, int]:
    """Keras 3's (left, right) padding of the stride-dilated input of a transposed conv."""
    k_eff = (kernel - 1) * dilation + 1
    if padding.lower() == "valid":
        extra = max(k_eff, stride) - k_eff if output_padding is None else output_padding
        return k_eff - 1, k_eff - 1 + extra
    if padding.lower() != "same":
        raise ValueError(f"unknown padding {padding!r}")
    if output_padding is None:
        pad_len = stride + k_eff - 2
    else:
        pad_len = k_eff + k_eff % 2 - 2 + output_padding
    left = min(pad_len // 2 + pad_len % 2, k_eff - 1)
    return left, pad_len - left


def conv_transpose_nd(
    x: np.ndarray,
    kernel_w: np.ndarray,
    strides: tuple[int, ...],
    dilation: tuple[int, ...],
    padding: str,
    output_padding: tuple[int | None, ...],
) -> np.ndarray:
    """Transposed convolution of channels-last ``x`` with kernel ``(*k, F, C)``.

    Scatter every input position through every kernel tap into the full output
    ``(n - 1) * stride + k_eff``, then crop (or zero-extend) to Keras' window.
    """
    kernel_size = tuple(kernel_w.shape[:-2])
    filters = kernel_w.shape[-2]
    rank = len(kernel_size)
    in_shape = x.shape[1 : 1 + rank]
    k_eff = tuple((k - 1) * d + 1 for k, d in zip(kernel_size, dilation, strict=True))
    full_shape = tuple((n - 1) * s + k for n, s, k in zip(in_shape, strides, k_eff, strict=True))
    full = np.zeros((x.shape[0], *full_shape, filters), dtype=np.float32)
    for offset in itertools.product(*(range(k) for k in kernel_size)):
        contrib = np.matmul(x, kernel_w[offset].T.astype(np.float32, copy=False))
        index = tuple(
            slice(j * d, j * d + (n - 1) * s + 1, s) for j, d, n, s in zip(offset, dilation, in_shape, strides, strict=True)
        )
        full[(slice(None), *index)] += contrib
    pads, crops = [(0, 0)], [slice(None)]
    for i in range(rank):
        left, right = transpose_padding(kernel_size[i], strides[i], dilation[i], padding, output_padding[i])
        length = (in_shape[i] - 1) * strides[i] + 1 + left + right - k_eff[i] + 1
        start = k_eff[i] - 1 - left
        before, after = max(0, -start), max(0, start + length - full_shape[i])
        pads.append((before, after))
        crops.append(slice(start + before, start + before + length))
    pads.append((0, 0))
    crops.append(slice(None))
    if any(p != (0, 0) for p in pads):
        full = np.pad(full, pads)
    return np.ascontiguousarray(full[tuple(crops)])


# --------------------------------------------------------------------------- layers


def _rank(layer: Layer) -> int:
    return int(layer.type.split("Conv")[1][0])


def _geometry(layer: Layer, rank: int) -> tuple[tuple[int, ...], tuple[int, ...], str]:
    cfg = layer.config
    return (
        int_tuple(cfg.get("strides", 1), rank),
        int_tuple(cfg.get("dilation_rate", 1), rank),
        str(cfg.get("padding", "valid")).lower(),
    )


def _finish(layer: Layer, y: np.ndarray, bias_name: str = "bias") -> np.ndarray:
    """Add the bias (channels-last) and apply the activation."""
    bias = weight_or_none(layer, bias_name) if layer.config.get("use_bias", True) else None
    if bias is not None:
        y = y + bias.astype(np.float32, copy=False)
    return get_activation(layer.config.get("activation"))(y)


def _run_channels_last(layer: Layer, x: np.ndarray, fn: Any) -> np.ndarray:
    x = float_array(x)
    if channels_first(layer.config):
        return to_channels_first(fn(np.ascontiguousarray(to_channels_last(x))))
    return np.asarray(fn(x))


@kernel("Conv1D", "Conv2D", "Conv3D")
def conv(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> np.ndarray:
    rank = _rank(layer)
    strides, dilation, padding = _geometry(layer, rank)
    w = layer.weight("kernel").numpy()
    groups = int(layer.config.get("groups", 1) or 1)
    if padding == "causal" and rank != 1:
        raise unsupported(layer, "causal padding is only defined for 1D convolutions")

    def run(x: np.ndarray) -> np.ndarray:
        return _finish(layer, conv_nd(x, w, strides, dilation, padding, groups))

    return _run_channels_last(layer, args[0], run)


@kernel("DepthwiseConv1D", "DepthwiseConv2D")
def depthwise_conv(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> np.ndarray:
    rank = _rank(layer)
    strides, dilation, padding = _geometry(layer, rank)
    w = layer.weight("kernel").numpy()

    def run(x: np.ndarray) -> np.ndarray:
        return _finish(layer, depthwise_conv_nd(x, w, strides, dilation, padding))

    return _run_channels_last(layer, args[0], run)


@kernel("SeparableConv1D", "SeparableConv2D")
def separable_conv(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> np.ndarray:
    rank = _rank(layer)
    strides, dilation, padding = _geometry(layer, rank)
    dw = layer.weight("depthwise_kernel").numpy()
    pw = layer.weight("pointwise_kernel").numpy()

    def run(x: np.ndarray) -> np.ndarray:
        y = depthwise_conv_nd(x, dw, strides, dilation, padding)
        y = np.matmul(y, pw.reshape(pw.shape[-2], pw.shape[-1]).astype(np.float32, copy=False))
        return _finish(layer, y)

    return _run_channels_last(layer, args[0], run)


@kernel("Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose")
def conv_transpose(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> np.ndarray:
    rank = _rank(layer)
    strides, dilation, padding = _geometry(layer, rank)
    w = layer.weight("kernel").numpy()
    raw = layer.config.get("output_padding")
    output_padding: tuple[int | None, ...] = (None,) * rank if raw is None else int_tuple(raw, rank)

    def run(x: np.ndarray) -> np.ndarray:
        return _finish(layer, conv_transpose_nd(x, w, strides, dilation, padding, output_padding))

    return _run_channels_last(layer, args[0], run)
