"""Every layer-rule module, imported explicitly: translate through this module.

Rules register into :mod:`keras_migrate.formats.rules` when their module is imported, so
the complete rule set is the set of modules imported here. Adding a rule module means
adding it to :data:`RULE_MODULES`; a missing one fails at import, never silently.
"""

from __future__ import annotations

from types import ModuleType

from keras_migrate.formats.keras1 import layers as keras1_layers
from keras_migrate.formats.keras1.layers import KERAS1_CLASSES, translate_keras1
from keras_migrate.formats.keras2 import cudnn as keras2_cudnn
from keras_migrate.formats.keras2 import layers as keras2_layers
from keras_migrate.formats.lambdas import rule as lambda_rule
from keras_migrate.formats.rules import (
    KERAS1,
    KERAS2,
    TranslateContext,
    rewrite_call,
    supported_classes,
    translate_layer,
)
from keras_migrate.formats.tfkeras import attention as tfkeras_attention
from keras_migrate.formats.tfkeras import augmentation as tfkeras_augmentation
from keras_migrate.formats.tfkeras import layers as tfkeras_layers
from keras_migrate.formats.tfkeras import preprocessing as tfkeras_preprocessing

__all__ = [
    "KERAS1",
    "KERAS1_CLASSES",
    "KERAS2",
    "RULE_MODULES",
    "TranslateContext",
    "rewrite_call",
    "supported_classes",
    "translate_keras1",
    "translate_layer",
]

#: The modules whose rules make up the registry: Keras 2 (shared by tf.keras and Keras 3),
#: tf.keras' own layers, attention and preprocessing, and Keras 1's separate rule set.
RULE_MODULES: tuple[ModuleType, ...] = (
    keras2_layers,
    keras2_cudnn,
    tfkeras_layers,
    tfkeras_attention,
    tfkeras_preprocessing,
    tfkeras_augmentation,
    keras1_layers,
    lambda_rule,
)
