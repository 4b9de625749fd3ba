"""Compat layers and activations, written only with ``keras.ops`` so they run on every backend.

Imported (and so registered) by :func:`keras_migrate.compat.register` once Keras is loaded.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from keras_migrate.compat._names import PACKAGE

__all__ = ["LocallyConnected1D", "LocallyConnected2D", "ThresholdedReLU", "legacy_hard_sigmoid"]


@keras.saving.register_keras_serializable(package=PACKAGE)
def legacy_hard_sigmoid(x: Any) -> Any:
    """Keras 1/2 and tf.keras hard sigmoid, ``clip(0.2 x + 0.5, 0, 1)``.

    Keras 3 changed ``hard_sigmoid`` to ``relu6(x + 3) / 6`` (slope 1/6); legacy recurrent
    layers used the 0.2 slope by default, so converting the name alone changes outputs.
    """
    x = ops.convert_to_tensor(x)
    return ops.clip(x * 0.2 + 0.5, 0.0, 1.0)


@keras.saving.register_keras_serializable(package=PACKAGE)
class ThresholdedReLU(keras.layers.Layer):
    """``x if x > theta else 0`` (Keras 2's layer, removed in Keras 3)."""

    def __init__(self, theta: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.theta = float(theta)
        self.supports_masking = True

    def call(self, inputs: Any) -> Any:
        return ops.where(inputs > self.theta, inputs, ops.zeros_like(inputs))

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "theta": self.theta}
