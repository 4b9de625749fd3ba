"""Convolutions (regular, grouped, depthwise, separable, transposed) and LocallyConnected.

ONNX convolutions are channels-first, so a channels_last input is transposed to NC...,
convolved (bias and activation included) and transposed back; back-to-back pairs cancel in
the peephole pass. Padding is made explicit from the static input size (Keras 3 ``same``
puts the odd extra cell at the end, ONNX ``SAME_UPPER`` when the size is unknown);
transposed convolutions are computed at full size and cropped to Keras 3's window.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from keras_migrate.converters.onnx.activations import activation
from keras_migrate.converters.onnx.builder import Builder
from keras_migrate.converters.onnx.lazy import KernelLayout, Reshaped
from keras_migrate.converters.onnx.registry import Call, lowering
from keras_migrate.converters.onnx.tensors import Tensor

# Config parsing is shared with the numpy interpreter: one truth.
from keras_migrate.ir.config_args import int_tuple

__all__ = ["from_nc", "int_tuple", "same_padding", "spatial_pads", "spatial_shape", "to_nc"]



def same_padding(size: int, kernel: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """``SAME`` padding (lo, hi), the odd cell at the end, as Keras 3 pads.

    The same arithmetic as the numpy interpreter's (a test checks them equal on a grid);
    kept here so a convolution does not import every interpreter kernel (~10 ms).
    """
    k_eff = (kernel - 1) * dilation + 1
    out = -(-size // stride)
    total = max((out - 1) * stride + k_eff - size, 0)
    return total // 2, total - total // 2


def channels_first(c: Call) -> bool:
    return c.cfg.get("data_format") == "channels_first"


def to_nc(b: Builder, x: str, rank: int, first: bool) -> str:
    """A Keras-layout spatial tensor (``rank`` spatial axes) in ONNX's N, C, spatial layout."""
    return x if first else b.transpose(x, [0, rank + 1, *range(1, rank + 1)])


def from_nc(b: Builder, y: str, rank: int, first: bool) -> str:
    return y if first else b.transpose(y, [0, *range(2, rank + 2), 1])


def spatial_shape(t: Tensor, rank: int, first: bool) -> tuple[int | None, ...]:
    shape = t.type.shape if t.type is not None else (None,) * (rank + 2)
    return tuple(shape[2:]) if first else tuple(shape[1:-1])




def spatial_pads(
    sizes: Sequence[int | None], kernel: Sequence[int], strides: Sequence[int], dilation: Sequence[int], padding: str
) -> dict[str, Any]:
    """ONNX ``pads`` (or ``auto_pad``) attributes for Keras ``valid``/``same``/``causal``."""
    padding = padding.lower()
    rank = len(kernel)
    if padding == "valid":
        return {"pads": [0] * (2 * rank)}
    if padding == "causal":
        return {"pads": [(kernel[0] - 1) * dilation[0], 0]}
    if padding != "same":
        raise ValueError(f"unknown padding {padding!r}")
    if any(s is None for s in sizes):
        return {"auto_pad": "SAME_UPPER"}
    pairs = [same_padding(int(s), k, st, d) for s, k, st, d in zip(sizes, kernel, strides, dilation)]  # type: ignore[arg-type]
    return {"pads": [p[0] for p in pairs] + [p[1] for p in pairs]}


def _rank(layer_type: str) -> int:
    return int(layer_type.split("Conv")[1][0])


def _geometry(c: Call, rank: int) -> tuple[tuple[int, ...], tuple[int, ...], str]:
    return (
        int_tuple(c.cfg.get("strides", 1), rank),
        int_tuple(c.cfg.get("dilation_rate", 1), rank),
        str(c.cfg.get("padding", "valid")).lower(),
    )


def _oihw(rank: int) -> KernelLayout:
    """Keras ``(*k, I, O)`` -> ONNX ``(O, I, *k)``."""
    return KernelLayout(rank)


def _finish(c: Call, y: str, rank: int, first: bool) -> Tensor:
    y = activation(c.b, y, c.cfg.get("activation"), axis=1)
    return Tensor(from_nc(c.b, y, rank, first))


def _bias(c: Call) -> list[str]:
    if c.cfg.get("use_bias", True) and c.has_weight("bias"):
        return [c.weight("bias")]
    return []


@lowering("Conv1D", "Conv2D", "Conv3D")
def _conv(c: Call) -> Tensor:
    rank = _rank(c.layer.type)
    first = channels_first(c)
    strides, dilation, padding = _geometry(c, rank)
    if padding == "causal" and rank != 1:
        raise c.unsupported("causal padding is only defined for 1D convolutions")
    kernel = c.layer.weight("kernel")
    ksize = tuple(kernel.shape[:rank])
    groups = int(c.cfg.get("groups", 1) or 1)
    pads = spatial_pads(spatial_shape(c.x, rank, first), ksize, strides, dilation, padding)
    x = to_nc(c.b, c.x.name, rank, first)
    y = c.b.op(
        "Conv", [x, c.weight("kernel", _oihw(rank), "oihw"), *_bias(c)],
        kernel_shape=list(ksize), strides=list(strides), dilations=list(dilation), group=groups, **pads,
    )  # fmt: skip
    return _finish(c, y, rank, first)


def _depthwise_weight(rank: int) -> KernelLayout:
    """Keras ``(*k, C, M)`` (output channel ``c * M + m``) -> ONNX ``(C * M, 1, *k)``."""
    return KernelLayout(rank, merge=True)


def _depthwise(c: Call, x: str, rank: int, first: bool, name: str, bias: list[str]) -> str:
    strides, dilation, padding = _geometry(c, rank)
    w = c.layer.weight(name)
    ksize, channels = tuple(w.shape[:rank]), int(w.shape[rank])
    pads = spatial_pads(spatial_shape(c.x, rank, first), ksize, strides, dilation, padding)
    return str(
        c.b.op(
            "Conv", [x, c.weight(name, _depthwise_weight(rank), "oihw"), *bias],
            kernel_shape=list(ksize), strides=list(strides), dilations=list(dilation), group=channels, **pads,
        )
    )  # fmt: skip


@lowering("DepthwiseConv1D", "DepthwiseConv2D")
def _depthwise_conv(c: Call) -> Tensor:
    rank = _rank(c.layer.type)
    first = channels_first(c)
    x = to_nc(c.b, c.x.name, rank, first)
    return _finish(c, _depthwise(c, x, rank, first, "kernel", _bias(c)), rank, first)


@lowering("SeparableConv1D", "SeparableConv2D")
def _separable_conv(c: Call) -> Tensor:
    rank = _rank(c.layer.type)
    first = channels_first(c)
    x = to_nc(c.b, c.x.name, rank, first)
    y = _depthwise(c, x, rank, first, "depthwise_kernel", [])
    y = c.b.op(
        "Conv", [y, c.weight("pointwise_kernel", _oihw(rank), "oihw"), *_bias(c)],
        kernel_shape=[1] * rank, pads=[0] * (2 * rank),
    )  # fmt: skip
    return _finish(c, y, rank, first)


@lowering("Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose")
def _conv_transpose(c: Call) -> Tensor:
    """Full-size ``ConvTranspose``, then crop (or zero-extend) to Keras 3's output window."""
    # The interpreter's padding rule, one truth (imported here: it loads every kernel).
    from keras_migrate.ir.interpreter.kernels.conv import transpose_padding

    b = c.b
    rank = _rank(c.layer.type)
    first = channels_first(c)
    strides, dilation, padding = _geometry(c, rank)
    if padding not in ("valid", "same"):
        raise c.unsupported(f"unknown padding {padding!r}")
    kernel = c.layer.weight("kernel")
    ksize = tuple(kernel.shape[:rank])
    raw = c.cfg.get("output_padding")
    out_pad: tuple[int | None, ...] = (None,) * rank if raw is None else int_tuple(raw, rank)
    sizes = spatial_shape(c.x, rank, first)
    if any(s is None for s in sizes):
        raise c.unsupported("transposed convolution over spatial dimensions of unknown size")
    x = to_nc(b, c.x.name, rank, first)
    y = b.op(
        "ConvTranspose", [x, c.weight("kernel", _oihw(rank), "iohw")],
        kernel_shape=list(ksize), strides=list(strides), dilations=list(dilation), pads=[0] * (2 * rank),
    )  # fmt: skip
    starts, ends, before, after = [], [], [], []
    for i in range(rank):
        n = int(sizes[i])  # type: ignore[arg-type]
        k_eff = (ksize[i] - 1) * dilation[i] + 1
        full = (n - 1) * strides[i] + k_eff
        left, right = transpose_padding(ksize[i], strides[i], dilation[i], padding, out_pad[i])
        length = (n - 1) * strides[i] + 1 + left + right - k_eff + 1
        start = k_eff - 1 - left
        lo, hi = max(0, -start), max(0, start + length - full)
        starts.append(max(start, 0))
        ends.append(min(start + length, full))
        before.append(lo)
        after.append(hi)
    y = b.slice(y, starts, ends, list(range(2, rank + 2)))
    if any(before) or any(after):
        y = b.op("Pad", [y, b.ints([0, 0, *before, 0, 0, *after])])
    bias = _bias(c)
    if bias:
        shaped = c.weight("bias", Reshaped((-1, *([1] * rank))), "nc")
        y = b.op("Add", [y, shaped])
    return _finish(c, y, rank, first)


# --------------------------------------------------------------------------- locally connected


def _patch_indices(shape: tuple[int, ...], ksize: tuple[int, ...], strides: tuple[int, ...], first: bool) -> np.ndarray:
    """Flat indices (positions, patch) into one sample, in Keras 2's local_conv order."""
    idx = np.arange(int(np.prod(shape))).reshape(shape)
    if len(ksize) == 1:
        (k,), (s,) = ksize, strides
        n = (shape[0] - k) // s + 1
        return np.stack([idx[i * s : i * s + k, :].reshape(-1) for i in range(n)])
    kr, kc = ksize
    sr, sc = strides
    ra, ca = (1, 2) if first else (0, 1)
    out_r = (shape[ra] - kr) // sr + 1
    out_c = (shape[ca] - kc) // sc + 1
    rows = []
    for i in range(out_r):
        for j in range(out_c):
            if first:
                p = idx[:, i * sr : i * sr + kr, j * sc : j * sc + kc]
            else:
                p = idx[i * sr : i * sr + kr, j * sc : j * sc + kc, :]
            rows.append(p.reshape(-1))
    return np.stack(rows)


@lowering("keras_migrate>LocallyConnected1D", "keras_migrate>LocallyConnected2D")
def _locally_connected(c: Call) -> Tensor:
    """Patches by one ``Gather`` of precomputed indices, then a per-position ``MatMul``."""
    b, cfg = c.b, c.cfg
    rank = 1 if c.layer.type.endswith("1D") else 2
    ksize = int_tuple(cfg["kernel_size"], rank)
    strides = int_tuple(cfg.get("strides", 1), rank)
    first = cfg.get("data_format") == "channels_first"
    shape = c.x.shape[1:]
    if any(d is None for d in shape):
        raise c.unsupported("LocallyConnected over an input of unknown size")
    sample = tuple(int(d) for d in shape)  # type: ignore[arg-type]
    idx = _patch_indices(sample, ksize, strides, first)
    kernel = c.layer.weight("kernel")  # (positions, features, filters)
    filters = int(kernel.shape[-1])
    flat = b.op("Flatten", [c.x.name], axis=1)
    patches = b.op("Gather", [flat, b.const(idx.astype(np.int64), f"{c.path}/patch_indices")], axis=1)
    y = b.op("MatMul", [b.unsqueeze(patches, [2]), c.weight("kernel")])  # (B, P, 1, F)
    y = b.squeeze(y, [2])
    if rank == 2:
        ra, ca = (1, 2) if first else (0, 1)
        out_r = (sample[ra] - ksize[0]) // strides[0] + 1
        out_c = (sample[ca] - ksize[1]) // strides[1] + 1
        y = b.op("Reshape", [y, b.ints([0, out_r, out_c, filters])])
        if first:
            y = b.transpose(y, [0, 3, 1, 2])
        out_shape: tuple[int, ...] = (filters, out_r, out_c) if first else (out_r, out_c, filters)
    else:
        out_shape = (idx.shape[0], filters)
    if c.has_weight("bias"):
        # Keras 2 *reshapes* (not transposes) the bias for channels_first; so do we
        y = b.op("Add", [y, c.weight("bias", Reshaped(tuple(out_shape)), "shaped")])
    return Tensor(activation(b, y, cfg.get("activation", "linear")))
