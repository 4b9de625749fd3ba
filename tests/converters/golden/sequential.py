"""Keras 3 model "sequential_1", converted by keras-migrate.

load_model() returns the converted model with its weights (WEIGHTS_FILE, next to this
file); build_model() returns the same architecture, freshly initialized.
"""

# Source: sequential_input_shape.h5 (keras-h5, Keras 2.2.4, tensorflow backend), read as data.
# Converted: 3 layers and 123 weight values, written as Keras 3.15.1 code for any backend.

import os

import keras
from keras import layers

WEIGHTS_FILE = "sequential.weights.h5"


def build_model():
    """The model's architecture, freshly initialized."""
    return keras.Sequential(
        [
            keras.Input(shape=(5,), name="sequential_1_input"),
            layers.Dense(8, activation="tanh", name="dense_1"),
            layers.Dense(6, activation="relu", name="dense_2"),
            layers.Dense(3, activation="softmax", name="dense_3"),
        ],
        name="sequential_1",
    )


def load_model(weights_path=None):
    """The converted model: build it, then load WEIGHTS_FILE from beside this module."""
    model = build_model()
    if weights_path is None:
        weights_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), WEIGHTS_FILE)
    model.load_weights(weights_path)
    return model
