"""tf.keras augmentation layers at inference, and ``Discretization``.

The random flips, rotations, zooms, translations, contrast and brightness are the input
cast to float (:mod:`keras_migrate.ir.ops.augment`); RandomHeight/Width the input itself.
``TFRandomCrop`` is a ``Slice`` (the centred aspect-ratio window) and two ``Einsum`` s with
constant interpolation matrices (TF's bilinear sample positions, as the numpy kernel).
``Discretization`` counts the boundaries ``<= x`` (TF ``Bucketize``) with
``GreaterOrEqual`` + ``ReduceSum``, then one-hot / multi-hot / count encodes with
``Equal`` against the bucket range.
"""

from __future__ import annotations

import numpy as np

from keras_migrate.converters.onnx.registry import Call, lowering
from keras_migrate.converters.onnx.tensors import Tensor
from keras_migrate.ir.ops.augment import (
    KERAS3_AUGMENT,
    RANDOM_CROP_TYPE,
    RANDOM_HEIGHT_TYPE,
    RANDOM_WIDTH_TYPE,
)
from keras_migrate.ir.ops.tf_resize import crop_box_for_aspect_ratio, interpolation_matrix

__all__: list[str] = []

_FLOAT, _INT64 = 1, 7


def _as_float(c: Call) -> str:
    x = c.x.name
    if c.x.type is not None and c.x.type.dtype != "float32":
        x = c.b.op("Cast", [x], to=_FLOAT)
    return x


# An explicit Identity node: the emitter names a graph output after the node producing
# it, which must not be the producer of a tensor other layers read too.


@lowering(*KERAS3_AUGMENT)
def _augment_identity(c: Call) -> Tensor:
    x = _as_float(c)
    return Tensor(x if x != c.x.name else c.b.op("Identity", [x]))


@lowering(RANDOM_HEIGHT_TYPE, RANDOM_WIDTH_TYPE)
def _random_resize_identity(c: Call) -> Tensor:
    return Tensor(c.b.op("Identity", [c.x.name]))


@lowering(RANDOM_CROP_TYPE)
def _random_crop(c: Call) -> Tensor:
    if c.x.rank != 4:
        raise c.unsupported("RandomCrop of an unbatched image has no ONNX lowering")
    in_h, in_w = c.x.shape[1], c.x.shape[2]
    if in_h is None or in_w is None:
        raise c.unsupported("RandomCrop needs a static input height and width")
    height, width = int(c.cfg["height"]), int(c.cfg["width"])
    b = c.b
    top, left, crop_h, crop_w = crop_box_for_aspect_ratio(int(in_h), int(in_w), height, width)
    x = _as_float(c)
    if (top, left, crop_h, crop_w) != (0, 0, in_h, in_w):
        x = b.slice(x, [top, left], [top + crop_h, left + crop_w], [1, 2])
    rows = b.const(interpolation_matrix("bilinear", crop_h, height), f"{c.path}/rows")
    cols = b.const(interpolation_matrix("bilinear", crop_w, width), f"{c.path}/cols")
    x = b.op("Einsum", [rows, x], equation="oh,nhwc->nowc")
    return Tensor(b.op("Einsum", [cols, x], equation="pw,nowc->nopc"))


@lowering("Discretization")
def _discretization(c: Call) -> Tensor:
    b, cfg = c.b, c.cfg
    bounds = np.asarray(cfg["bin_boundaries"], dtype=np.float32)
    depth = len(bounds) + 1
    x = _as_float(c)
    ge = b.op("GreaterOrEqual", [b.unsqueeze(x, [-1]), b.const(bounds, f"{c.path}/bin_boundaries")])
    index = b.reduce("ReduceSum", b.op("Cast", [ge], to=_INT64), [-1], keepdims=False)
    mode = cfg.get("output_mode", "int")
    if mode == "int":
        return Tensor(index)
    rank = c.x.rank
    if mode == "one_hot":
        if rank == 2 and c.x.shape[-1] == 1:
            index = b.squeeze(index, [-1])
        elif rank != 1:
            raise c.unsupported("Discretization one_hot of inputs other than (batch,) or (batch, 1) has no ONNX lowering")
    elif rank != 2:
        raise c.unsupported(f"Discretization {mode} of inputs of rank {rank} has no ONNX lowering (rank 2 has)")
    hits = b.op("Cast", [b.op("Equal", [b.unsqueeze(index, [-1]), b.const(np.arange(depth, dtype=np.int64), "buckets")])], to=_FLOAT)
    if mode == "one_hot":
        return Tensor(hits)
    return Tensor(b.reduce("ReduceMax" if mode == "multi_hot" else "ReduceSum", hits, [1], keepdims=False))
