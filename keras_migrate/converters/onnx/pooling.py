"""Max/average pooling (windowed and global) in 1/2/3D.

Keras 3 pads ``same`` max pooling with -inf and leaves padding out of ``same`` averages:
ONNX ``MaxPool`` ignores padded cells and ``AveragePool(count_include_pad=0)`` excludes them,
so explicit pads reproduce both.
"""

from __future__ import annotations

from keras_migrate.converters.onnx.conv import (
    from_nc,
    int_tuple,
    spatial_pads,
    spatial_shape,
    to_nc,
)
from keras_migrate.converters.onnx.registry import Call, lowering
from keras_migrate.converters.onnx.tensors import Tensor

__all__: list[str] = []

_RANK = {"1D": 1, "2D": 2, "3D": 3}


@lowering(
    "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D", "AveragePooling2D", "AveragePooling3D",
)  # fmt: skip
def _pool(c: Call) -> Tensor:
    b, cfg = c.b, c.cfg
    rank = _RANK[c.layer.type[-2:]]
    first = cfg.get("data_format") == "channels_first"
    pool_size = int_tuple(cfg.get("pool_size", 2), rank)
    raw = cfg.get("strides")
    strides = pool_size if raw is None else int_tuple(raw, rank)
    padding = str(cfg.get("padding", "valid")).lower()
    pads = spatial_pads(spatial_shape(c.x, rank, first), pool_size, strides, (1,) * rank, padding)
    x = to_nc(b, c.x.name, rank, first)
    if c.layer.type.startswith("Max"):
        y = b.op("MaxPool", [x], kernel_shape=list(pool_size), strides=list(strides), **pads)
    else:
        y = b.op("AveragePool", [x], kernel_shape=list(pool_size), strides=list(strides), count_include_pad=0, **pads)
    return Tensor(from_nc(b, y, rank, first))


def _spatial_axes(c: Call) -> list[int]:
    rank = c.x.rank
    return list(range(2, rank)) if c.cfg.get("data_format") == "channels_first" else list(range(1, rank - 1))


@lowering("GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D")
def _global_max(c: Call) -> Tensor:
    keepdims = bool(c.cfg.get("keepdims", False))
    return Tensor(c.b.reduce("ReduceMax", c.x.name, _spatial_axes(c), keepdims))


@lowering("GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D", uses_mask=True)
def _global_average(c: Call) -> Tensor:
    """The 1D form averages unmasked steps only; its output never carries a mask."""
    b = c.b
    axes = _spatial_axes(c)
    keepdims = bool(c.cfg.get("keepdims", False))
    mask = c.input_mask() if c.layer.type.endswith("1D") else None
    if mask is None:
        return Tensor(b.reduce("ReduceMean", c.x.name, axes, keepdims))
    first = c.cfg.get("data_format") == "channels_first"
    m = b.op("Cast", [b.unsqueeze(mask, [1 if first else 2])], to=1)
    total = b.reduce("ReduceSum", b.op("Mul", [c.x.name, m]), axes, keepdims)
    count = b.reduce("ReduceSum", m, axes, keepdims)
    return Tensor(b.op("Div", [total, count]))
