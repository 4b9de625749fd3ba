"""Compat layers for tf.keras preprocessing layers, written only with ``keras.ops``.

``TFResizing`` resizes images exactly as ``tf.image.resize`` (the op behind tf.keras
``Resizing``) does: TF's bicubic samples a Keys cubic (a = -0.5) quantized to a
1024-entry table and drops taps outside the image, which Keras 3's bicubic reproduces on
no backend but TensorFlow. Resizing without antialiasing is separable and linear, so the
layer multiplies by two constant interpolation matrices built from the static input size
(shared with the numpy interpreter). Imported by :func:`keras_migrate.compat.register`.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from keras_migrate.compat._names import PACKAGE
from keras_migrate.ir.ops.tf_resize import (
    crop_box_for_aspect_ratio,
    interpolation_matrix,
)

__all__ = ["TFResizing"]


@keras.saving.register_keras_serializable(package=PACKAGE)
class TFResizing(keras.layers.Layer):
    """``tf.image.resize`` of NHWC images to ``(height, width)`` (bilinear, nearest or
    bicubic, half-pixel centers, no antialiasing), after tf.keras' ``smart_resize``
    center crop when ``crop_to_aspect_ratio``. Needs static input height and width."""

    def __init__(
        self,
        height: int,
        width: int,
        interpolation: str = "bicubic",
        crop_to_aspect_ratio: bool = False,
        data_format: str = "channels_last",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if data_format != "channels_last":
            raise ValueError("TFResizing supports data_format='channels_last' only")
        if interpolation not in ("bilinear", "nearest", "bicubic"):
            raise ValueError(f"TFResizing interpolation {interpolation!r} is not supported")
        self.height = int(height)
        self.width = int(width)
        self.interpolation = interpolation
        self.crop_to_aspect_ratio = bool(crop_to_aspect_ratio)
        self.data_format = data_format

    def call(self, inputs: Any) -> Any:
        x = ops.cast(inputs, "float32")
        in_h, in_w = x.shape[-3], x.shape[-2]
        if in_h is None or in_w is None:
            raise ValueError("TFResizing needs a static input height and width")
        if self.crop_to_aspect_ratio:
            top, left, in_h, in_w = crop_box_for_aspect_ratio(in_h, in_w, self.height, self.width)
            x = x[..., top : top + in_h, left : left + in_w, :]
        rows = ops.convert_to_tensor(interpolation_matrix(self.interpolation, in_h, self.height))
        cols = ops.convert_to_tensor(interpolation_matrix(self.interpolation, in_w, self.width))
        x = ops.einsum("oh,...hwc->...owc", rows, x)
        return ops.einsum("pw,...owc->...opc", cols, x)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return (*input_shape[:-3], self.height, self.width, input_shape[-1])

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "height": self.height,
            "width": self.width,
            "interpolation": self.interpolation,
            "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
            "data_format": self.data_format,
        }
