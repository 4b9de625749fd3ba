"""Merge layers: elementwise (Add...Minimum), Concatenate and Dot, with Keras 3 masks.

Keras 3 merges are mask-aware in ways that change *values*, not just the output mask:
``Multiply`` treats masked entries as 1 and zeroes the result where every input is
masked; ``Maximum``/``Minimum`` let a masked entry take the other operand's value. Output
masks are the OR of the input masks, and disappear if any input is unmasked (Concatenate
instead treats an unmasked input as all-true).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from keras_migrate.ir.graph import Layer
from keras_migrate.ir.interpreter.kernels._common import first_arg_mask, float_array
from keras_migrate.ir.interpreter.registry import Context, KernelResult, kernel

__all__ = ["batch_dot", "concatenate", "dot", "elementwise"]


def _inputs(args: tuple[Any, ...]) -> list[np.ndarray]:
    return [np.asarray(x) for x in args[0]]


def _masks(ctx: Context, n: int) -> list[Any]:
    masks = first_arg_mask(ctx)
    if not isinstance(masks, (list, tuple)):
        return [None] * n
    return list(masks)


def _same_rank(xs: list[np.ndarray]) -> list[np.ndarray]:
    """Keras inserts axes at position 1 (not numpy's leading axes) to align ranks."""
    top = max(x.ndim for x in xs)
    out = []
    for x in xs:
        while x.ndim < top:
            x = np.expand_dims(x, 1)
        out.append(x)
    return out


def _or_masks(masks: list[Any]) -> Any:
    if any(m is None for m in masks):
        return None
    out = np.asarray(masks[0]).astype(bool)
    for m in masks[1:]:
        out = out | np.asarray(m).astype(bool)
    return out


def _expand(mask: Any, x: np.ndarray) -> np.ndarray:
    return np.broadcast_to(np.expand_dims(np.asarray(mask).astype(bool), -1), x.shape)


def _masked_reduce(op: Callable[[np.ndarray, np.ndarray], np.ndarray], xs: list[np.ndarray], masks: list[Any]) -> np.ndarray:
    """Keras' ``_apply_merge_op_and_or_mask``: a masked operand takes the running value."""
    output: np.ndarray | None = None
    output_mask: np.ndarray | None = None
    for x, m in zip(xs, masks, strict=True):
        mask = None if m is None else _expand(m, x)
        if output is None:
            output, output_mask = x, mask
            continue
        if mask is not None:
            x = np.where(mask, x, output)
        if output_mask is not None:
            output = np.where(output_mask, output, x)
        output_mask = output_mask | mask if (mask is not None and output_mask is not None) else None
        output = op(output, x)
    assert output is not None
    return output


def _masked_multiply(xs: list[np.ndarray], masks: list[Any]) -> np.ndarray:
    all_masked = all(m is not None for m in masks)
    output: np.ndarray | None = None
    output_mask: np.ndarray | None = None
    for x, m in zip(xs, masks, strict=True):
        if m is not None:
            mask = _expand(m, x)
            x = np.where(mask, x, np.float32(1.0))
            if all_masked:
                output_mask = mask if output_mask is None else output_mask | mask
        output = x if output is None else output * x
    assert output is not None
    if output_mask is not None:
        output = np.where(output_mask, output, np.float32(0.0))
    return output


@kernel("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum")
def elementwise(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> KernelResult:
    xs = _same_rank(_inputs(args))
    masks = _masks(ctx, len(xs))
    kind = layer.type
    if kind == "Add":
        out = xs[0]
        for x in xs[1:]:
            out = out + x
    elif kind == "Subtract":
        if len(xs) != 2:
            raise ValueError("Subtract takes exactly 2 inputs")
        out = xs[0] - xs[1]
    elif kind == "Average":
        out = xs[0]
        for x in xs[1:]:
            out = out + x
        out = out / np.float32(len(xs))
    elif kind == "Multiply":
        out = _masked_multiply(xs, masks)
    else:
        out = _masked_reduce(np.maximum if kind == "Maximum" else np.minimum, xs, masks)
    return KernelResult(np.asarray(out).astype(np.float32, copy=False), _or_masks(masks))


@kernel("Concatenate")
def concatenate(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> KernelResult:
    xs = _inputs(args)
    axis = int(layer.config.get("axis", -1))
    out = np.concatenate(xs, axis=axis)
    masks = _masks(ctx, len(xs))
    if all(m is None for m in masks):
        return KernelResult(out)
    full = []
    for x, m in zip(xs, masks, strict=True):
        if m is None:
            full.append(np.ones(x.shape, dtype=bool))
        else:
            m = np.asarray(m).astype(bool)
            full.append(np.broadcast_to(np.expand_dims(m, -1), x.shape) if m.ndim < x.ndim else m)
    return KernelResult(out, np.any(np.concatenate(full, axis=axis), axis=-1))


def batch_dot(x: np.ndarray, y: np.ndarray, axes: tuple[int, int]) -> np.ndarray:
    """Keras' ``batch_dot``: contract ``x[axes[0]]`` with ``y[axes[1]]`` per sample."""
    a0, a1 = axes[0] % x.ndim, axes[1] % y.ndim
    xm = np.moveaxis(x, a0, -1)
    ym = np.moveaxis(y, a1, 1)
    batch, depth = x.shape[0], xm.shape[-1]
    x_mid, y_trail = xm.shape[1:-1], ym.shape[2:]
    out = np.matmul(xm.reshape(batch, -1, depth), ym.reshape(batch, depth, -1))
    if x.ndim == 2 and y.ndim == 2:
        return out.reshape(batch, 1)
    return out.reshape((batch, *x_mid, *y_trail))


def _l2_normalize(x: np.ndarray, axis: int) -> np.ndarray:
    with np.errstate(divide="ignore"):
        inv = 1.0 / np.sqrt(np.sum(np.square(x), axis=axis, keepdims=True))
    return (x * np.minimum(inv, np.float32(1e7))).astype(np.float32, copy=False)


@kernel("Dot")
def dot(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> np.ndarray:
    xs = [float_array(x) for x in args[0]]
    if len(xs) != 2:
        raise ValueError("Dot takes exactly 2 inputs")
    x, y = xs
    raw = layer.config.get("axes", -1)
    if isinstance(raw, (list, tuple)):
        axes = (int(raw[0]) % x.ndim, int(raw[1]) % y.ndim)
    else:
        a = int(raw)
        axes = (a % x.ndim, a % y.ndim) if a < 0 else (a, a)
    if layer.config.get("normalize", False):
        x, y = _l2_normalize(x, axes[0]), _l2_normalize(y, axes[1])
    return batch_dot(x, y, axes).astype(np.float32, copy=False)
