"""Dense, inference no-ops, masking, embeddings and shape-only layers.

Everything here works on any rank and a dynamic batch: ``Reshape`` copies the batch
dimension with ONNX's ``0``, ``Flatten`` is ONNX ``Flatten(axis=1)``.
"""

from __future__ import annotations

import numpy as np

from keras_migrate.converters.onnx.activations import activation
from keras_migrate.converters.onnx.registry import Call, lowering
from keras_migrate.converters.onnx.tensors import Tensor
from keras_migrate.ir.keras3_api import INFERENCE_IDENTITIES

__all__: list[str] = []


def _check_not_quantized(c: Call) -> None:
    if c.cfg.get("quantization_config") or c.has_weight("kernel_scale"):
        raise c.unsupported("quantized layers have no ONNX lowering")


@lowering("Dense", passes_mask=True)
def _dense(c: Call) -> Tensor:
    _check_not_quantized(c)
    b = c.b
    y = b.op("MatMul", [c.x.name, c.weight("kernel")])
    if c.cfg.get("use_bias", True) and c.has_weight("bias"):
        y = b.op("Add", [y, c.weight("bias")])
    return Tensor(activation(b, y, c.cfg.get("activation")))


@lowering("EinsumDense")
def _einsum_dense(c: Call) -> Tensor:
    _check_not_quantized(c)
    b = c.b
    y = b.op("Einsum", [c.x.name, c.weight("kernel")], equation=str(c.cfg["equation"]))
    if c.has_weight("bias"):
        y = b.op("Add", [y, c.weight("bias")])
    return Tensor(activation(b, y, c.cfg.get("activation")))


@lowering(
    *INFERENCE_IDENTITIES,
    passes_mask=True,
)
def _identity(c: Call) -> Tensor:
    return Tensor(c.x.name)


@lowering("Masking", uses_mask=True)
def _masking(c: Call) -> Tensor:
    """A step is kept when any feature differs from ``mask_value``; others are zeroed."""
    b, x = c.b, c.x.name
    value = b.scalar(float(c.cfg.get("mask_value", 0.0)))
    differs = b.op("Not", [b.op("Equal", [x, value])])
    any_f = b.reduce("ReduceMax", b.op("Cast", [differs], to=1), [-1], keepdims=True)
    keep = b.op("Greater", [any_f, b.scalar(0.0)])
    y = b.op("Where", [keep, x, b.scalar(0.0)])
    return Tensor(y, mask=b.squeeze(keep, [-1]))


@lowering("Embedding", uses_mask=True)
def _embedding(c: Call) -> Tensor:
    """Float ids are truncated (Cast) as Keras does; the mask is ``ids != 0``."""
    if c.cfg.get("quantization_config") or c.has_weight("embeddings_scale"):
        raise c.unsupported("quantized embeddings have no ONNX lowering")
    b, ids = c.b, c.x.name
    index = b.op("Cast", [ids], to=7)
    y = b.op("Gather", [c.weight("embeddings"), index], axis=0)
    mask = None
    if c.cfg.get("mask_zero", False):
        mask = b.op("Not", [b.op("Equal", [index, b.const(np.asarray(0, dtype=np.int64), "zero_i64")])])
    return Tensor(y, mask=mask)


@lowering("Reshape")
def _reshape(c: Call) -> Tensor:
    target = [-1 if d is None else int(d) for d in c.cfg["target_shape"]]
    return Tensor(c.b.op("Reshape", [c.x.name, c.b.ints([0, *target])]))


@lowering("Permute")
def _permute(c: Call) -> Tensor:
    dims = [int(d) for d in c.cfg["dims"]]
    return Tensor(c.b.transpose(c.x.name, [0, *dims]))


@lowering("Flatten")
def _flatten(c: Call) -> Tensor:
    """channels_first inputs are flattened in channels-last order, as Keras 3 does."""
    x = c.x.name
    rank = c.x.rank
    if c.cfg.get("data_format") == "channels_first" and rank > 2:
        x = c.b.transpose(x, [0, *range(2, rank), 1])
    return Tensor(c.b.op("Flatten", [x], axis=1))


@lowering("RepeatVector")
def _repeat_vector(c: Call) -> Tensor:
    b = c.b
    n = int(c.cfg["n"])
    return Tensor(b.op("Tile", [b.unsqueeze(c.x.name, [1]), b.ints([1, n, 1])]))


@lowering("Rescaling", passes_mask=True)
def _rescaling(c: Call) -> Tensor:
    b = c.b
    scale = b.const(np.asarray(c.cfg.get("scale", 1.0), dtype=np.float32), "scale")
    offset = b.const(np.asarray(c.cfg.get("offset", 0.0), dtype=np.float32), "offset")
    x = c.x.name
    if c.x.type is not None and c.x.type.dtype != "float32":
        x = b.op("Cast", [x], to=1)
    return Tensor(b.op("Add", [b.op("Mul", [x, scale]), offset]))


@lowering("Normalization", passes_mask=True)
def _normalization(c: Call) -> Tensor:
    """tf.keras/Keras 3 ``Normalization``: ``(x - mean) / max(sqrt(var), 1e-7)``."""
    b, cfg = c.b, c.cfg
    rank = c.x.rank
    shape = c.x.shape
    axis = cfg.get("axis", -1)
    axes = () if axis is None else (axis,) if isinstance(axis, int) else tuple(axis)
    keep = sorted(int(a) % rank for a in axes)
    if any(shape[d] is None for d in keep):
        raise c.unsupported("Normalization over a dimension of unknown size")
    stats_shape = tuple(int(shape[d]) for d in keep)  # type: ignore[arg-type]
    broadcast = [int(shape[d]) if d in keep else 1 for d in range(rank)]  # type: ignore[arg-type]

    def stat(name: str) -> np.ndarray:
        arr = np.asarray(cfg[name], np.float32) if cfg.get("mean") is not None else c.layer.weight(name).numpy().astype(np.float32)
        return np.broadcast_to(arr, stats_shape).reshape(broadcast)

    mean = b.const(stat("mean"), f"{c.path}/mean")
    std = b.const(np.maximum(np.sqrt(stat("variance")), np.float32(1e-7)), f"{c.path}/std")
    x = c.x.name
    if cfg.get("invert", False):
        return Tensor(b.op("Add", [mean, b.op("Mul", [x, std])]))
    return Tensor(b.op("Div", [b.op("Sub", [x, mean]), std]))


@lowering("keras_migrate>LayerScale")
def _layer_scale(c: Call) -> Tensor:
    return Tensor(c.b.op("Mul", [c.x.name, c.weight("gamma")]))


@lowering("keras_migrate>CustomScaleLayer")
def _custom_scale(c: Call) -> Tensor:
    a, s = c.tensors()
    b = c.b
    return Tensor(b.op("Add", [a.name, b.op("Mul", [s.name, b.scalar(float(c.cfg["scale"]))])]))
