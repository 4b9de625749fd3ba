"""Keras 3 model "model_1", converted by keras-migrate.

load_model() returns the converted model with its weights (WEIGHTS_FILE, next to this
file); build_model() returns the same architecture, freshly initialized.
"""

# Source: bidirectional_merge_modes.h5 (keras-h5, Keras 2.2.4, tensorflow backend), read as data.
# Converted: 4 layers and 432 weight values, written as Keras 3.15.1 code for any backend.
# Compat code below is copied from keras_migrate, so this file needs only Keras.

import os
from typing import Any

import keras
from keras import layers, ops

WEIGHTS_FILE = "bidirectional.weights.h5"


# Compat objects copied from keras_migrate.compat._layers, registered under the same names.


#: The package name compat objects are registered under.
PACKAGE = "keras_migrate"


@keras.saving.register_keras_serializable(package=PACKAGE)
def legacy_hard_sigmoid(x: Any) -> Any:
    """Keras 1/2 and tf.keras hard sigmoid, ``clip(0.2 x + 0.5, 0, 1)``.

    Keras 3 changed ``hard_sigmoid`` to ``relu6(x + 3) / 6`` (slope 1/6); legacy recurrent
    layers used the 0.2 slope by default, so converting the name alone changes outputs.
    """
    x = ops.convert_to_tensor(x)
    return ops.clip(x * 0.2 + 0.5, 0.0, 1.0)


def build_model():
    """The model's architecture, freshly initialized."""
    input_1 = keras.Input(shape=(5, 3), name="input_1")
    # legacy_hard_sigmoid keeps the source's hard_sigmoid (slope 0.2, Keras 3's is 1/6)
    bidirectional_1 = layers.Bidirectional(
        layers.LSTM(
            3, return_sequences=True, recurrent_activation=legacy_hard_sigmoid, name="lstm_1"
        ),
        name="bidirectional_1",
    )(input_1)
    # legacy_hard_sigmoid keeps the source's hard_sigmoid (slope 0.2, Keras 3's is 1/6)
    bidirectional_2 = layers.Bidirectional(
        layers.GRU(
            3,
            return_sequences=True,
            recurrent_activation=legacy_hard_sigmoid,
            reset_after=False,
            name="gru_1",
        ),
        merge_mode="sum",
        name="bidirectional_2",
    )(input_1)
    bidirectional_3 = layers.Bidirectional(
        layers.SimpleRNN(3, return_sequences=True, name="simple_rnn_1"),
        merge_mode="mul",
        name="bidirectional_3",
    )(input_1)
    # legacy_hard_sigmoid keeps the source's hard_sigmoid (slope 0.2, Keras 3's is 1/6)
    bidirectional_4 = layers.Bidirectional(
        layers.LSTM(2, recurrent_activation=legacy_hard_sigmoid, name="lstm_2"),
        merge_mode="ave",
        name="bidirectional_4",
    )(input_1)
    return keras.Model(
        inputs=input_1,
        outputs=[bidirectional_1, bidirectional_2, bidirectional_3, bidirectional_4],
        name="model_1",
    )


def load_model(weights_path=None):
    """The converted model: build it, then load WEIGHTS_FILE from beside this module."""
    model = build_model()
    if weights_path is None:
        weights_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), WEIGHTS_FILE)
    model.load_weights(weights_path)
    return model
