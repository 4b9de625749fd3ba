"""Keras 3 model "model_1", converted by keras-migrate.

load_model() returns the converted model with its weights (WEIGHTS_FILE, next to this
file); build_model() returns the same architecture, freshly initialized.
"""

# Source: conv2d_channels_first.h5 (keras-h5, Keras 2.2.4, tensorflow backend), read as data.
# Converted: 9 layers and 281 weight values, written as Keras 3.15.1 code for any backend.
# Note: computes in channels_last inside (channels_first input/output layout kept)

import os

import keras
from keras import layers

WEIGHTS_FILE = "channels_first.weights.h5"


def build_model():
    """The model's architecture, freshly initialized."""
    input_1 = keras.Input(shape=(3, 8, 7), name="input_1")
    input_2 = keras.Input(shape=(2, 5, 4, 4), name="input_2")
    # inserted by keras-migrate: layout transpose at the model's boundary
    input_1_to_channels_last = layers.Permute((2, 3, 1), name="input_1_to_channels_last")(input_1)
    conv2d_1 = layers.Conv2D(
        4, (3, 3), padding="same", data_format="channels_last", activation="relu", name="conv2d_1"
    )(input_1_to_channels_last)
    max_pooling2d_1 = layers.MaxPooling2D(
        strides=(2, 2), data_format="channels_last", name="max_pooling2d_1"
    )(conv2d_1)
    conv2d_2 = layers.Conv2D(
        5, (2, 2), strides=(2, 2), data_format="channels_last", name="conv2d_2"
    )(max_pooling2d_1)
    flatten_1 = layers.Flatten(data_format="channels_last", name="flatten_1")(conv2d_2)
    dense_1 = layers.Dense(3, name="dense_1")(flatten_1)
    # inserted by keras-migrate: layout transpose at the model's boundary
    input_2_to_channels_last = layers.Permute((2, 3, 4, 1), name="input_2_to_channels_last")(
        input_2
    )
    conv3d_1 = layers.Conv3D(
        3, (2, 2, 2), data_format="channels_last", activation="relu", name="conv3d_1"
    )(input_2_to_channels_last)
    # inserted by keras-migrate: layout transpose at the model's boundary
    conv3d_1_to_channels_first = layers.Permute((4, 1, 2, 3), name="conv3d_1_to_channels_first")(
        conv3d_1
    )
    return keras.Model(
        inputs=[input_1, input_2], outputs=[dense_1, conv3d_1_to_channels_first], name="model_1"
    )


def load_model(weights_path=None):
    """The converted model: build it, then load WEIGHTS_FILE from beside this module."""
    model = build_model()
    if weights_path is None:
        weights_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), WEIGHTS_FILE)
    model.load_weights(weights_path)
    return model
