"""Spatial shape layers: zero padding, cropping and up-sampling in 1/2/3D.

Padding and cropping work in place on the layer's own layout (``Pad``/``Slice`` on the
spatial axes). Up-sampling uses ``Resize`` on an NC... view: ``nearest`` with integer
scales and ``asymmetric``/``floor`` coordinates repeats every cell exactly; bilinear is
``half_pixel`` (Keras 3) or ``asymmetric`` (legacy TF1 ``resize_bilinear``).
"""

from __future__ import annotations

from typing import Any

from keras_migrate.converters.onnx.conv import from_nc, int_tuple, to_nc
from keras_migrate.converters.onnx.registry import Call, lowering
from keras_migrate.converters.onnx.tensors import Tensor, int_max
from keras_migrate.ir.config_args import pair_tuple

__all__ = ["pair_tuple"]

_RANK = {"1D": 1, "2D": 2, "3D": 3}




def _spatial_axes(c: Call, rank: int) -> list[int]:
    return list(range(2, rank + 2)) if c.cfg.get("data_format") == "channels_first" else list(range(1, rank + 1))


@lowering("ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D")
def _zero_padding(c: Call) -> Tensor:
    rank = _RANK[c.layer.type[-2:]]
    pads = pair_tuple(c.cfg.get("padding", 1), rank)
    lo = [0] * (rank + 2)
    hi = [0] * (rank + 2)
    for axis, (p, q) in zip(_spatial_axes(c, rank), pads):
        lo[axis], hi[axis] = p, q
    return Tensor(c.b.op("Pad", [c.x.name, c.b.ints(lo + hi)]))


@lowering("Cropping1D", "Cropping2D", "Cropping3D")
def _cropping(c: Call) -> Tensor:
    rank = _RANK[c.layer.type[-2:]]
    crops = pair_tuple(c.cfg.get("cropping", 1), rank)
    axes = _spatial_axes(c, rank)
    starts = [p for p, _ in crops]
    ends = [-q if q else int_max() for _, q in crops]
    return Tensor(c.b.slice(c.x.name, starts, ends, axes))


def _resize(c: Call, rank: int, size: tuple[int, ...], first: bool, mode: str, coords: str) -> Tensor:
    b = c.b
    x = to_nc(b, c.x.name, rank, first)
    scales = b.const([1.0, 1.0, *(float(s) for s in size)], "scales")
    attrs: dict[str, Any] = {"mode": mode, "coordinate_transformation_mode": coords}
    if mode == "nearest":
        attrs["nearest_mode"] = "floor"
    y = b.op("Resize", [x, "", scales], **attrs)
    return Tensor(from_nc(b, y, rank, first))


@lowering("UpSampling1D", "UpSampling2D", "UpSampling3D")
def _up_sampling(c: Call) -> Tensor:
    rank = _RANK[c.layer.type[-2:]]
    size = int_tuple(c.cfg.get("size", 2), rank)
    interpolation = c.cfg.get("interpolation", "nearest")
    first = c.cfg.get("data_format") == "channels_first"
    if interpolation == "nearest":
        return _resize(c, rank, size, first, "nearest", "asymmetric")
    if interpolation == "bilinear":
        return _resize(c, rank, size, first, "linear", "half_pixel")
    raise c.unsupported(f"UpSampling interpolation {interpolation!r} has no ONNX lowering")


@lowering("keras_migrate>LegacyBilinearUpSampling2D")
def _legacy_bilinear(c: Call) -> Tensor:
    """TF1 ``resize_bilinear`` without half-pixel centres: source = output / scale."""
    size = int_tuple(c.cfg.get("size", (2, 2)), 2)
    first = c.cfg.get("data_format") == "channels_first"
    return _resize(c, 2, size, first, "linear", "asymmetric")
