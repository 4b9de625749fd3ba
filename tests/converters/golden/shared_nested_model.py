"""Keras 3 model "model_1", converted by keras-migrate.

load_model() returns the converted model with its weights (WEIGHTS_FILE, next to this
file); build_model() returns the same architecture, freshly initialized.
"""

# Source: shared_nested_model.h5 (keras-h5, Keras 2.2.4, tensorflow backend), read as data.
# Converted: 4 layers and 44 weight values, written as Keras 3.15.1 code for any backend.

import os

import keras
from keras import layers

WEIGHTS_FILE = "shared_nested_model.weights.h5"


def build_tower():
    """The nested model "tower" (functional)."""
    input_1 = keras.Input(shape=(3,), name="input_1")
    dense_2 = layers.Dense(5, name="dense_2")(input_1)
    dense_1 = layers.Dense(4, activation="relu", name="dense_1")(dense_2)
    return keras.Model(inputs=input_1, outputs=dense_1, name="tower")


def build_model():
    """The model's architecture, freshly initialized."""
    input_2 = keras.Input(shape=(3,), name="input_2")
    input_3 = keras.Input(shape=(3,), name="input_3")
    tower = build_tower()
    tower_out1 = tower(input_2)
    tower_out2 = tower(input_3)
    subtract_1 = layers.Subtract(name="subtract_1")([tower_out1, tower_out2])
    return keras.Model(inputs=[input_2, input_3], outputs=[subtract_1, tower_out1], name="model_1")


def load_model(weights_path=None):
    """The converted model: build it, then load WEIGHTS_FILE from beside this module."""
    model = build_model()
    if weights_path is None:
        weights_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), WEIGHTS_FILE)
    model.load_weights(weights_path)
    return model
