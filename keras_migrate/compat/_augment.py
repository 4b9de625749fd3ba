"""Compat layers for tf.keras augmentation layers Keras 3 computes differently or lacks.

``TFRandomCrop`` is Keras 3's ``RandomCrop`` in training (a random window, still
random) and tf.keras' RandomCrop at inference, where Keras 3 returns its input unchanged
but tf.keras cropped the largest centred window of the crop's aspect ratio and resized it
(bilinear, TF's sample positions) to the crop size. The resize is two constant
interpolation matrices built from the static input size (shared with the numpy
interpreter, :mod:`keras_migrate.ir.ops.tf_resize`).

``RandomHeight`` / ``RandomWidth`` (not in Keras 3) return their input at inference, as
tf.keras did. In training they resize one axis by a random factor. The output size must
be a Python int for Keras 3's resize on every backend, so the factor is drawn with
Python's ``random`` (seeded by ``seed``) when the layer is called: a new factor each
eager call, one factor per trace inside a compiled train step (jax ``jit``,
``tf.function``). Imported by :func:`keras_migrate.compat.register`.
"""

from __future__ import annotations

import random
from typing import Any

import keras

from keras_migrate.compat._names import PACKAGE
from keras_migrate.ir.ops.tf_resize import crop_box_for_aspect_ratio, interpolation_matrix

__all__ = ["RandomHeight", "RandomWidth", "TFRandomCrop"]


@keras.saving.register_keras_serializable(package=PACKAGE)
class TFRandomCrop(keras.layers.RandomCrop):
    """tf.keras ``RandomCrop``: Keras 3's random crop in training; at inference the centred
    crop to the target aspect ratio resized bilinear to ``(height, width)`` (NHWC, static
    input height and width)."""

    def __init__(self, height: int, width: int, seed: int | None = None, data_format: str = "channels_last", **kwargs: Any) -> None:
        if data_format != "channels_last":
            raise ValueError("TFRandomCrop supports data_format='channels_last' only")
        super().__init__(height, width, seed=seed, data_format=data_format, **kwargs)

    def transform_images(self, images: Any, transformation: Any, training: bool = True) -> Any:
        if training:
            return super().transform_images(images, transformation, training=True)
        ops = self.backend
        x = ops.cast(ops.cast(images, self.compute_dtype), "float32")
        in_h, in_w = x.shape[-3], x.shape[-2]
        if in_h is None or in_w is None:
            raise ValueError("TFRandomCrop needs a static input height and width")
        top, left, in_h, in_w = crop_box_for_aspect_ratio(in_h, in_w, self.height, self.width)
        x = x[..., top : top + in_h, left : left + in_w, :]
        rows = ops.convert_to_tensor(interpolation_matrix("bilinear", in_h, self.height))
        cols = ops.convert_to_tensor(interpolation_matrix("bilinear", in_w, self.width))
        x = ops.numpy.einsum("oh,...hwc->...owc", rows, x)
        x = ops.numpy.einsum("pw,...owc->...opc", cols, x)
        return ops.cast(x, self.compute_dtype)


class _RandomResize(keras.layers.Layer):
    """One image axis (``_axis`` from the end, NHWC) resized by a random factor in training."""

    _axis = -3

    def __init__(self, factor: Any, interpolation: str = "bilinear", seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(factor, (list, tuple)):
            lower, upper = float(factor[0]), float(factor[1])
        else:
            lower, upper = -float(factor), float(factor)
        if upper < lower or lower < -1.0:
            raise ValueError(f"factor {factor!r} needs lower <= upper and both >= -1")
        self.factor = tuple(factor) if isinstance(factor, (list, tuple)) else factor
        self.interpolation = interpolation
        self.seed = seed
        self._bounds = (1.0 + lower, 1.0 + upper)
        self._rng = random.Random(seed)

    def call(self, inputs: Any, training: bool = False) -> Any:
        if not training:
            return inputs
        size = [inputs.shape[-3], inputs.shape[-2]]
        if size[0] is None or size[1] is None:
            raise ValueError(f"{type(self).__name__} needs a static input height and width in training")
        index = 0 if self._axis == -3 else 1
        size[index] = max(1, int(self._rng.uniform(*self._bounds) * size[index]))
        out = keras.ops.image.resize(inputs, (size[0], size[1]), interpolation=self.interpolation, data_format="channels_last")
        return keras.ops.cast(out, self.compute_dtype)

    def compute_output_shape(self, input_shape: Any) -> Any:
        shape = list(input_shape)
        shape[self._axis] = None
        return tuple(shape)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "factor": self.factor, "interpolation": self.interpolation, "seed": self.seed}


@keras.saving.register_keras_serializable(package=PACKAGE)
class RandomHeight(_RandomResize):
    """tf.keras ``RandomHeight``: the input at inference; a random height in training."""

    _axis = -3


@keras.saving.register_keras_serializable(package=PACKAGE)
class RandomWidth(_RandomResize):
    """tf.keras ``RandomWidth``: the input at inference; a random width in training."""

    _axis = -2
