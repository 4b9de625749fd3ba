"""Keras 3 model "model", converted by keras-migrate.

load_model() returns the converted model with its weights (WEIGHTS_FILE, next to this
file); build_model() returns the same architecture, freshly initialized.
"""

# Source: layer_name_slash.h5 (keras-h5, tf.keras 2.21.0, tensorflow backend), read as data.
# Converted: 2 layers and 27 weight values, written as Keras 3.15.1 code for any backend.
# Renamed: layer "block1/bn" is "block1_bn" here (Keras 3 layer names cannot contain '/').
# Renamed: layer "block1/dense" is "block1_dense" here (Keras 3 layer names cannot contain '/').

import os

import keras
from keras import layers

WEIGHTS_FILE = "layer_name_slash.weights.h5"


def build_model():
    """The model's architecture, freshly initialized."""
    in_ = keras.Input(shape=(4,), name="in")
    # originally named "block1/dense"
    block1_dense = layers.Dense(3, name="block1_dense")(in_)
    # originally named "block1/bn"
    block1_bn = layers.BatchNormalization(axis=1, name="block1_bn")(block1_dense)
    return keras.Model(inputs=in_, outputs=block1_bn, name="model")


def load_model(weights_path=None):
    """The converted model: build it, then load WEIGHTS_FILE from beside this module."""
    model = build_model()
    if weights_path is None:
        weights_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), WEIGHTS_FILE)
    model.load_weights(weights_path)
    return model
