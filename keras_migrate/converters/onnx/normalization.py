"""Batch, layer, group, unit and RMS normalization at inference.

Each follows the interpreter's (Keras 3's) arithmetic: ``x * inv + (beta - mean * inv)``
with ``inv = gamma / sqrt(var + eps)``; for BatchNormalization ``inv`` and the offset are
folded into two constants at conversion time, in float32 as Keras computes them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from keras_migrate.converters.onnx.builder import Builder
from keras_migrate.converters.onnx.lazy import Reshaped
from keras_migrate.converters.onnx.raw_init import stored_array
from keras_migrate.converters.onnx.registry import Call, lowering
from keras_migrate.converters.onnx.tensors import Tensor

__all__: list[str] = []


def _axes(value: Any, rank: int) -> list[int]:
    items = value if isinstance(value, (list, tuple)) else [value]
    return sorted(int(a) % rank for a in items)


def _param_shape(rank: int, axes: list[int], shape: tuple[int | None, ...]) -> list[int]:
    """A broadcast shape (without the batch axis) holding ``shape`` on ``axes``, 1 elsewhere."""
    out = [1] * rank
    for a in axes:
        d = shape[a]
        if d is None:
            raise ValueError("normalized axis of unknown size")
        out[a] = int(d)
    return out[1:]


@lowering("BatchNormalization", passes_mask=True)
def _batch_normalization(c: Call) -> Tensor:
    b, cfg = c.b, c.cfg
    rank = c.x.rank
    (axis,) = _axes(cfg.get("axis", -1), rank)
    shape = _param_shape(rank, [axis], c.x.shape)

    def get(name: str, enabled: bool = True) -> np.ndarray | None:
        if not enabled or not c.has_weight(name):
            return None
        return stored_array(c.layer.weight(name)).astype(np.float32, copy=False)

    mean, var = get("moving_mean"), get("moving_variance")
    if mean is None or var is None:
        raise c.unsupported("BatchNormalization without moving statistics")
    inv = np.float32(1.0) / np.sqrt(var + np.float32(float(cfg.get("epsilon", 1e-3))))
    gamma = get("gamma", bool(cfg.get("scale", True)))
    if gamma is not None:
        inv = inv * gamma
    res = -mean * inv
    beta = get("beta", bool(cfg.get("center", True)))
    if beta is not None:
        res = res + beta
    scale = b.const(inv.astype(np.float32).reshape(shape), f"{c.path}/scale")
    offset = b.const(res.astype(np.float32).reshape(shape), f"{c.path}/offset")
    return Tensor(b.op("Add", [b.op("Mul", [c.x.name, scale]), offset]))


def _affine(b: Builder, x: str, mean: str, var: str, eps: float, gamma: str | None, beta: str | None) -> str:
    inv = b.op("Reciprocal", [b.op("Sqrt", [b.op("Add", [var, b.scalar(eps)])])])
    if gamma is not None:
        inv = b.op("Mul", [inv, gamma])
    res = b.op("Neg", [b.op("Mul", [mean, inv])])
    if beta is not None:
        res = b.op("Add", [res, beta])
    return str(b.op("Add", [b.op("Mul", [x, inv]), res]))


def _moments(b: Builder, x: str, axes: list[int]) -> tuple[str, str]:
    mean = b.reduce("ReduceMean", x, axes)
    centred = b.op("Sub", [x, mean])
    return mean, b.reduce("ReduceMean", b.op("Mul", [centred, centred]), axes)


@lowering("LayerNormalization", passes_mask=True)
def _layer_normalization(c: Call) -> Tensor:
    b, cfg = c.b, c.cfg
    rank = c.x.rank
    axes = _axes(cfg.get("axis", -1), rank)
    eps = float(cfg.get("epsilon", 1e-3))
    shape = _param_shape(rank, axes, c.x.shape)
    rms = bool(cfg.get("rms_scaling", False))

    def param(name: str, enabled: bool) -> str | None:
        if not enabled or not c.has_weight(name):
            return None
        return c.weight(name, Reshaped(tuple(shape), "float32"), "shaped")

    gamma = param("gamma", bool(cfg.get("scale", True)) or rms)
    beta = param("beta", bool(cfg.get("center", True)) and not rms)
    mean, var = _moments(b, c.x.name, axes)
    if rms:
        y = b.op("Div", [c.x.name, b.op("Sqrt", [b.op("Add", [var, b.scalar(eps)])])])
        return Tensor(y if gamma is None else b.op("Mul", [y, gamma]))
    return Tensor(_affine(b, c.x.name, mean, var, eps, gamma, beta))


@lowering("GroupNormalization", passes_mask=True)
def _group_normalization(c: Call) -> Tensor:
    """Channels split into ``groups`` consecutive blocks; statistics over block and space."""
    b, cfg = c.b, c.cfg
    rank = c.x.rank
    shape = c.x.shape
    groups = int(cfg.get("groups", 32))
    axis = int(cfg.get("axis", -1)) % rank
    if any(d is None for d in shape[1:]):
        raise c.unsupported("GroupNormalization over an input of unknown size")
    dims = [int(d) for d in shape[1:]]  # type: ignore[arg-type]
    channels = dims[axis - 1]
    grouped = [*dims[: axis - 1], groups, channels // groups, *dims[axis:]]
    xg = b.op("Reshape", [c.x.name, b.ints([0, *grouped])])
    reduce_axes = [a for a in range(1, rank + 1) if a != axis]
    mean, var = _moments(b, xg, reduce_axes)
    param_shape = [1] * rank
    param_shape[axis - 1 : axis + 1] = [groups, channels // groups]

    def param(name: str) -> str | None:
        if not cfg.get("scale" if name == "gamma" else "center", True) or not c.has_weight(name):
            return None
        return c.weight(name, Reshaped(tuple(param_shape), "float32"), "grouped")

    y = _affine(b, xg, mean, var, float(cfg.get("epsilon", 1e-3)), param("gamma"), param("beta"))
    return Tensor(b.op("Reshape", [y, b.ints([0, *dims])]))


@lowering("UnitNormalization", passes_mask=True)
def _unit_normalization(c: Call) -> Tensor:
    b = c.b
    axes = _axes(c.cfg.get("axis", -1), c.x.rank)
    x = c.x.name
    inv = b.op("Reciprocal", [b.op("Sqrt", [b.reduce("ReduceSum", b.op("Mul", [x, x]), axes)])])
    return Tensor(b.op("Mul", [x, b.op("Min", [inv, b.scalar(1e12)])]))


@lowering("RMSNormalization")
def _rms_normalization(c: Call) -> Tensor:
    b = c.b
    axes = _axes(c.cfg.get("axis", -1), c.x.rank)
    x = c.x.name
    ms = b.reduce("ReduceMean", b.op("Mul", [x, x]), axes)
    y = b.op("Div", [x, b.op("Sqrt", [b.op("Add", [ms, b.scalar(float(c.cfg.get("epsilon", 1e-6)))])])])
    if c.has_weight("scale"):
        y = b.op("Mul", [y, c.weight("scale")])
    return Tensor(y)
