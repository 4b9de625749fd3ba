"""tf.keras image augmentation layers at inference, and ``Discretization``.

What tf.keras computed when not training (:mod:`keras_migrate.ir.ops.augment`): the
input, cast to float, for the random flips, rotations, zooms, translations, contrast and
brightness; the input untouched for RandomHeight/Width; for RandomCrop the largest
centred window of the crop's aspect ratio, resized bilinear to the crop size
(``smart_resize``, the same resize as :func:`.preprocessing.resize_images`).
``Discretization`` buckets as TF's ``Bucketize`` (a value equal to a boundary goes to the
upper bucket) and encodes as tf.keras' ``encode_categorical_inputs``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from keras_migrate.ir.graph import Layer
from keras_migrate.ir.interpreter.kernels._common import float_array, unsupported
from keras_migrate.ir.interpreter.kernels.preprocessing import encode_categorical, resize_images
from keras_migrate.ir.interpreter.registry import Context, kernel
from keras_migrate.ir.ops.augment import (
    KERAS3_AUGMENT,
    RANDOM_CROP_TYPE,
    RANDOM_HEIGHT_TYPE,
    RANDOM_WIDTH_TYPE,
)

__all__ = ["bucketize", "discretization", "random_crop"]


@kernel(*KERAS3_AUGMENT)
def augment_identity(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> np.ndarray:
    return float_array(args[0])


@kernel(RANDOM_HEIGHT_TYPE, RANDOM_WIDTH_TYPE)
def random_resize_identity(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> np.ndarray:
    return np.asarray(args[0])


@kernel(RANDOM_CROP_TYPE)
def random_crop(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> np.ndarray:
    if layer.config.get("data_format", "channels_last") != "channels_last":
        raise unsupported(layer, "RandomCrop supports data_format='channels_last' only")
    return resize_images(args[0], int(layer.config["height"]), int(layer.config["width"]), "bilinear", True)


def bucketize(x: np.ndarray, boundaries: list[float]) -> np.ndarray:
    """TF ``Bucketize``: the number of boundaries ``<= x``, as int64 (boundaries compared as float32)."""
    values = np.asarray(x, dtype=np.float64)
    return np.searchsorted(np.asarray(boundaries, dtype=np.float32).astype(np.float64), values, side="right").astype(np.int64)


@kernel("Discretization")
def discretization(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> np.ndarray:
    bounds = layer.config.get("bin_boundaries")
    if bounds is None:
        raise unsupported(layer, "Discretization without bin_boundaries (adapted) is not supported")
    indices = bucketize(args[0], list(bounds))
    mode = layer.config.get("output_mode", "int")
    if mode == "int":
        return indices
    return encode_categorical(indices, str(mode), len(bounds) + 1)
