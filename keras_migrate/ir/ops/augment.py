"""tf.keras image augmentation layers: what each computes at inference.

tf.keras' augmentation layers are random only in training. At inference
``RandomFlip``, ``RandomRotation``, ``RandomZoom``, ``RandomContrast``,
``RandomTranslation`` and ``RandomBrightness`` return their input cast to the compute
dtype, exactly as Keras 3's layers of the same names do (:data:`KERAS3_AUGMENT`).
Three differ from Keras 3 and become compat layers:

* ``RandomCrop`` (:data:`RANDOM_CROP_TYPE`): at inference tf.keras crops the largest
  centred window of the target aspect ratio and resizes it, bilinear, to the crop size
  (``smart_resize``); Keras 3's RandomCrop returns its input unchanged.
* ``RandomHeight`` / ``RandomWidth`` (:data:`RANDOM_HEIGHT_TYPE`,
  :data:`RANDOM_WIDTH_TYPE`): absent from Keras 3; the identity at inference (without
  even a dtype cast), a random resize of one axis in training.

Framework-free: the readers, the numpy kernels, the compat layers and the ONNX lowerings
all take these names from here.
"""

from __future__ import annotations

__all__ = ["AUGMENT_COMPAT_TYPES", "KERAS3_AUGMENT", "RANDOM_CROP_TYPE", "RANDOM_HEIGHT_TYPE", "RANDOM_WIDTH_TYPE"]

#: Keras 3 augmentation layers that, like tf.keras', cast to the compute dtype and return
#: their input unchanged at inference.
KERAS3_AUGMENT = (
    "RandomFlip", "RandomRotation", "RandomZoom", "RandomContrast", "RandomTranslation", "RandomBrightness",
)  # fmt: skip

#: tf.keras ``RandomCrop`` (centre crop to the aspect ratio + bilinear resize at inference).
RANDOM_CROP_TYPE = "keras_migrate>TFRandomCrop"
#: tf.keras ``RandomHeight`` (identity at inference).
RANDOM_HEIGHT_TYPE = "keras_migrate>RandomHeight"
#: tf.keras ``RandomWidth`` (identity at inference).
RANDOM_WIDTH_TYPE = "keras_migrate>RandomWidth"
#: Every compat type of this module.
AUGMENT_COMPAT_TYPES = (RANDOM_CROP_TYPE, RANDOM_HEIGHT_TYPE, RANDOM_WIDTH_TYPE)
