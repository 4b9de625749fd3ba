"""Kernels for this package's compat layers (legacy layers Keras 3 lacks).

Each mirrors the ``keras.ops`` implementation in :mod:`keras_migrate.compat._layers`, and
both mirror the legacy Keras semantics they reproduce.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from keras_migrate.ir.graph import Layer
from keras_migrate.ir.interpreter.kernels.activations import get_activation
from keras_migrate.ir.interpreter.registry import Context, kernel

__all__ = ["legacy_bilinear_indices"]


@kernel("keras_migrate>ThresholdedReLU", passes_mask=True)
def thresholded_relu(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> Any:
    x = args[0]
    return np.where(x > layer.config.get("theta", 1.0), x, np.zeros_like(x))


def _local_patches(x: np.ndarray, kernel_size: tuple[int, ...], strides: tuple[int, ...], channels_first: bool) -> np.ndarray:
    """(batch, positions, features) patches in Keras 2's local_conv order."""
    if len(kernel_size) == 1:
        (k,), (s,) = kernel_size, strides
        n = (x.shape[1] - k) // s + 1
        return np.stack([x[:, i * s : i * s + k, :].reshape(x.shape[0], -1) for i in range(n)], axis=1)
    kr, kc = kernel_size
    sr, sc = strides
    rows_axis, cols_axis = (2, 3) if channels_first else (1, 2)
    out_r = (x.shape[rows_axis] - kr) // sr + 1
    out_c = (x.shape[cols_axis] - kc) // sc + 1
    patches = []
    for i in range(out_r):
        for j in range(out_c):
            if channels_first:
                p = x[:, :, i * sr : i * sr + kr, j * sc : j * sc + kc]
            else:
                p = x[:, i * sr : i * sr + kr, j * sc : j * sc + kc, :]
            patches.append(p.reshape(x.shape[0], -1))
    return np.stack(patches, axis=1)


@kernel("keras_migrate>LocallyConnected1D", "keras_migrate>LocallyConnected2D")
def locally_connected(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> Any:
    x = np.asarray(args[0])
    cfg = layer.config
    rank = 1 if layer.type.endswith("1D") else 2
    ks = tuple(np.atleast_1d(cfg["kernel_size"]).tolist())
    st = tuple(np.atleast_1d(cfg.get("strides", (1,) * rank)).tolist())
    cf = cfg.get("data_format") == "channels_first"
    kernel_w = layer.weight("kernel").numpy()  # (positions, features, filters)
    patches = _local_patches(x, ks, st, cf)
    out = np.einsum("bpf,pfo->bpo", patches, kernel_w)  # (batch, positions, filters)
    filters = kernel_w.shape[-1]
    if rank == 2:
        rows_axis, cols_axis = (2, 3) if cf else (1, 2)
        out_r = (x.shape[rows_axis] - ks[0]) // st[0] + 1
        out_c = (x.shape[cols_axis] - ks[1]) // st[1] + 1
        out = out.reshape(x.shape[0], out_r, out_c, filters)
        if cf:
            out = out.transpose(0, 3, 1, 2)
    if layer.has_weight("bias"):
        bias = layer.weight("bias").numpy()
        # Keras 2's bias_add *reshapes* (not transposes) an (rows, cols, filters) bias to
        # (filters, rows, cols) for channels_first; reproduce that exactly.
        out = out + bias.reshape((1, *out.shape[1:]))
    return get_activation(cfg.get("activation", "linear"))(out).astype(x.dtype)


def legacy_bilinear_indices(size_in: int, scale: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """TF1 ``resize_bilinear`` (no half-pixel centers): source rows and weights per output."""
    out = size_in * scale
    src = np.arange(out, dtype=np.float64) * (size_in / out)
    lo = np.floor(src).astype(np.int64)
    hi = np.minimum(lo + 1, size_in - 1)
    return lo, hi, (src - lo).astype(np.float32)


@kernel("keras_migrate>LegacyBilinearUpSampling2D")
def legacy_bilinear(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> Any:
    x = np.asarray(args[0])
    sr, sc = (int(v) for v in np.atleast_1d(layer.config.get("size", (2, 2))))
    cf = layer.config.get("data_format") == "channels_first"
    ra, ca = (2, 3) if cf else (1, 2)
    lo, hi, w = legacy_bilinear_indices(x.shape[ra], sr)
    shape = [1] * x.ndim
    shape[ra] = -1
    x = np.take(x, lo, axis=ra) * (1 - w.reshape(shape)) + np.take(x, hi, axis=ra) * w.reshape(shape)
    lo, hi, w = legacy_bilinear_indices(x.shape[ca], sc)
    shape = [1] * x.ndim
    shape[ca] = -1
    return (np.take(x, lo, axis=ca) * (1 - w.reshape(shape)) + np.take(x, hi, axis=ca) * w.reshape(shape)).astype(args[0].dtype)
