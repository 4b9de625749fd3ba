"""Keras 3 model "model_1", converted by keras-migrate.

load_model() returns the converted model with its weights (WEIGHTS_FILE, next to this
file); build_model() returns the same architecture, freshly initialized.
"""

# Source: rnn_return_state.h5 (keras-h5, Keras 2.0.8, tensorflow backend), read as data.
# Converted: 3 layers and 335 weight values, written as Keras 3.15.1 code for any backend.
# Compat code below is copied from keras_migrate, so this file needs only Keras.

import os
from typing import Any

import keras
from keras import layers, ops

WEIGHTS_FILE = "rnn_return_state.weights.h5"


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
    input_1 = keras.Input(shape=(4, 3), name="input_1")
    # legacy_hard_sigmoid keeps the source's hard_sigmoid (slope 0.2, Keras 3's is 1/6)
    lstm_1, lstm_1_state_h, lstm_1_state_c = layers.LSTM(
        4,
        return_sequences=True,
        return_state=True,
        recurrent_activation=legacy_hard_sigmoid,
        name="lstm_1",
    )(input_1)
    lstm_2 = layers.LSTM(4, name="lstm_2")(lstm_1, initial_state=[lstm_1_state_h, lstm_1_state_c])
    # legacy_hard_sigmoid keeps the source's hard_sigmoid (slope 0.2, Keras 3's is 1/6)
    gru_1, gru_1_state = layers.GRU(
        3,
        return_state=True,
        recurrent_activation=legacy_hard_sigmoid,
        reset_after=False,
        name="gru_1",
    )(input_1)
    return keras.Model(
        inputs=input_1,
        outputs=[lstm_1, lstm_1_state_h, lstm_1_state_c, lstm_2, gru_1, gru_1_state],
        name="model_1",
    )


def load_model(weights_path=None):
    """The converted model: build it, then load WEIGHTS_FILE from beside this module."""
    model = build_model()
    if weights_path is None:
        weights_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), WEIGHTS_FILE)
    model.load_weights(weights_path)
    return model
