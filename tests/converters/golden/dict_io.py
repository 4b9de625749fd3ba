"""Keras 3 model "model", converted by keras-migrate.

load_model() returns the converted model with its weights (WEIGHTS_FILE, next to this
file); build_model() returns the same architecture, freshly initialized.
"""

# Source: dict_io.h5 (keras-h5, tf.keras 2.21.0, tensorflow backend), read as data.
# Converted: 4 layers and 48 weight values, written as Keras 3.15.1 code for any backend.

import os

import keras
from keras import layers

WEIGHTS_FILE = "dict_io.weights.h5"


def build_model():
    """The model's architecture, freshly initialized."""
    a_seq = keras.Input(shape=(4, 2), name="a_seq")
    b_vec = keras.Input(shape=(3,), name="b_vec")
    flatten = layers.Flatten(data_format="channels_last", name="flatten")(a_seq)
    concatenate = layers.Concatenate(name="concatenate")([flatten, b_vec])
    probs = layers.Dense(3, activation="softmax", name="probs")(concatenate)
    score = layers.Dense(1, name="score")(concatenate)
    return keras.Model(
        inputs={"b_vec": b_vec, "a_seq": a_seq},
        outputs={"score": score, "probs": probs},
        name="model",
    )


def load_model(weights_path=None):
    """The converted model: build it, then load WEIGHTS_FILE from beside this module."""
    model = build_model()
    if weights_path is None:
        weights_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), WEIGHTS_FILE)
    model.load_weights(weights_path)
    return model
