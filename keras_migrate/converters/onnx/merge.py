"""Merge layers: elementwise (Add...Minimum), Concatenate and Dot, with Keras 3 masks.

Keras 3 merges are mask-aware in ways that change values: ``Multiply`` treats masked
entries as 1 and zeroes the result where every input is masked; ``Maximum``/``Minimum`` let
a masked entry take the other operand's value. Output masks are the OR of the input masks
(none if any input is unmasked); Concatenate treats an unmasked input as all-true.
"""

from __future__ import annotations

import numpy as np

from keras_migrate.converters.onnx.builder import Builder
from keras_migrate.converters.onnx.registry import Call, lowering
from keras_migrate.converters.onnx.tensors import Tensor

__all__: list[str] = []


def _same_rank(b: Builder, xs: list[Tensor]) -> list[str]:
    """Keras inserts axes at position 1 (not numpy's leading axes) to align ranks."""
    top = max(x.rank for x in xs)
    return [x.name if x.rank == top else b.unsqueeze(x.name, list(range(1, 1 + top - x.rank))) for x in xs]


def _or_masks(b: Builder, masks: list[str | None]) -> str | None:
    if any(m is None for m in masks):
        return None
    present = [m for m in masks if m is not None]
    out = present[0]
    for m in present[1:]:
        out = b.op("Or", [out, m])
    return out


def _expand(b: Builder, mask: str, x: str) -> str:
    """A (B, T) mask as a bool tensor shaped like ``x`` (B, T, F)."""
    return str(b.op("Expand", [b.unsqueeze(mask, [-1]), b.shape(x)]))


@lowering("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", uses_mask=True)
def _elementwise(c: Call) -> Tensor:
    b = c.b
    ts = c.tensors()
    xs = _same_rank(b, ts)
    masks = [t.mask for t in ts]
    kind = c.layer.type
    if kind in ("Add", "Average"):
        out = xs[0]
        for x in xs[1:]:
            out = b.op("Add", [out, x])
        if kind == "Average":
            out = b.op("Div", [out, b.scalar(float(len(xs)))])
    elif kind == "Subtract":
        if len(xs) != 2:
            raise c.unsupported("Subtract takes exactly 2 inputs")
        out = b.op("Sub", xs)
    elif kind == "Multiply":
        out = _masked_multiply(b, xs, masks)
    else:
        out = _masked_reduce(b, "Max" if kind == "Maximum" else "Min", xs, masks)
    return Tensor(out, mask=_or_masks(b, masks))


def _masked_reduce(b: Builder, op: str, xs: list[str], masks: list[str | None]) -> str:
    """Keras' ``_apply_merge_op_and_or_mask``: a masked operand takes the running value."""
    output, output_mask = xs[0], None if masks[0] is None else _expand(b, masks[0], xs[0])
    for x, m in zip(xs[1:], masks[1:]):
        mask = None if m is None else _expand(b, m, x)
        if mask is not None:
            x = b.op("Where", [mask, x, output])
        if output_mask is not None:
            output = b.op("Where", [output_mask, output, x])
        output_mask = b.op("Or", [output_mask, mask]) if (mask is not None and output_mask is not None) else None
        output = b.op(op, [output, x])
    return output


def _masked_multiply(b: Builder, xs: list[str], masks: list[str | None]) -> str:
    all_masked = all(m is not None for m in masks)
    output: str | None = None
    output_mask: str | None = None
    for x, m in zip(xs, masks):
        if m is not None:
            mask = _expand(b, m, x)
            x = b.op("Where", [mask, x, b.scalar(1.0)])
            if all_masked:
                output_mask = mask if output_mask is None else b.op("Or", [output_mask, mask])
        output = x if output is None else b.op("Mul", [output, x])
    assert output is not None
    if output_mask is not None:
        output = b.op("Where", [output_mask, output, b.scalar(0.0)])
    return output


@lowering("Concatenate", uses_mask=True)
def _concatenate(c: Call) -> Tensor:
    b = c.b
    ts = c.tensors()
    rank = ts[0].rank
    axis = int(c.cfg.get("axis", -1)) % rank
    out = b.concat([t.name for t in ts], axis)
    if all(t.mask is None for t in ts):
        return Tensor(out)
    full = []
    for t in ts:
        if t.mask is None:
            full.append(b.op("Expand", [b.const(np.asarray(True)), b.shape(t.name)]))
        else:
            full.append(_expand(b, t.mask, t.name) if t.rank > 2 else t.mask)
    joined = b.op("Cast", [b.concat(full, axis)], to=1)
    mask = b.op("Greater", [b.reduce("ReduceMax", joined, [-1], keepdims=False), b.scalar(0.0)])
    return Tensor(out, mask=mask)


def _l2_normalize(b: Builder, x: str, axis: int) -> str:
    inv = b.op("Reciprocal", [b.op("Sqrt", [b.reduce("ReduceSum", b.op("Mul", [x, x]), [axis])])])
    return str(b.op("Mul", [x, b.op("Min", [inv, b.scalar(1e7)])]))


@lowering("Dot")
def _dot(c: Call) -> Tensor:
    """Keras ``batch_dot``: contract ``x[axes[0]]`` with ``y[axes[1]]`` per sample."""
    b = c.b
    ts = c.tensors()
    if len(ts) != 2:
        raise c.unsupported("Dot takes exactly 2 inputs")
    tx, ty = ts
    raw = c.cfg.get("axes", -1)
    if isinstance(raw, (list, tuple)):
        a0, a1 = int(raw[0]) % tx.rank, int(raw[1]) % ty.rank
    else:
        a = int(raw)
        a0, a1 = (a % tx.rank, a % ty.rank) if a < 0 else (a, a)
    x, y = tx.name, ty.name
    if c.cfg.get("normalize", False):
        x, y = _l2_normalize(b, x, a0), _l2_normalize(b, y, a1)
    xs, ys = tx.shape, ty.shape
    if any(d is None for d in (*xs[1:], *ys[1:])):
        raise c.unsupported("Dot over inputs of unknown size")
    x_perm = [i for i in range(tx.rank) if i != a0] + [a0]
    y_perm = [0, a1] + [i for i in range(1, ty.rank) if i != a1]
    xm = b.op("Reshape", [b.transpose(x, x_perm), b.ints([0, -1, int(xs[a0])])])  # type: ignore[arg-type]
    ym = b.op("Reshape", [b.transpose(y, y_perm), b.ints([0, int(ys[a1]), -1])])  # type: ignore[arg-type]
    out = b.op("MatMul", [xm, ym])
    x_mid = [int(xs[i]) for i in x_perm[1:-1]]  # type: ignore[arg-type]
    y_trail = [int(ys[i]) for i in y_perm[2:]]  # type: ignore[arg-type]
    target = [1] if tx.rank == 2 and ty.rank == 2 else [*x_mid, *y_trail]
    return Tensor(b.op("Reshape", [out, b.ints([0, *target])]))
