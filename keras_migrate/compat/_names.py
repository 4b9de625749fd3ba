"""Registered names of every compat object (kept import-free for the support matrix)."""

from __future__ import annotations

__all__ = ["NAMES", "PACKAGE"]

#: The package name compat objects are registered under.
PACKAGE = "keras_migrate"

NAMES = frozenset(
    {
        "keras_migrate>legacy_hard_sigmoid",
        "keras_migrate>ThresholdedReLU",
        "keras_migrate>LocallyConnected1D",
        "keras_migrate>LocallyConnected2D",
        "keras_migrate>LegacyBilinearUpSampling2D",
        "keras_migrate>TFOp",
        "keras_migrate>CustomScaleLayer",
        "keras_migrate>LayerScale",
        "keras_migrate>MaxoutDense",
        "keras_migrate>Highway",
        "keras_migrate>ParametricSoftplus",
        "keras_migrate>SReLU",
        "keras_migrate>Keras1BatchNormalization",
        "keras_migrate>Keras1CosineMerge",
        "keras_migrate>LegacyMultiHeadAttention",
        "keras_migrate>TFResizing",
        "keras_migrate>TFRandomCrop",
        "keras_migrate>RandomHeight",
        "keras_migrate>RandomWidth",
        "keras_migrate>Keras2RMSprop",
        "keras_migrate>Keras2Adagrad",
        "keras_migrate>Keras2Nadam",
        "keras_migrate>UserFunction",
    }
)
