"""Keras 3 model "model_1", converted by keras-migrate.

load_model() returns the converted model with its weights (WEIGHTS_FILE, next to this
file); build_model() returns the same architecture, freshly initialized.
"""

# Source: multi_input_output.h5 (keras-h5, Keras 2.2.4, tensorflow backend), read as data.
# Converted: 5 layers and 152 weight values, written as Keras 3.15.1 code for any backend.
# Compat code below is copied from keras_migrate, so this file needs only Keras.

import os
from typing import Any

import keras
from keras import layers, ops

WEIGHTS_FILE = "multi_input_output.weights.h5"


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
    seq_in = keras.Input(shape=(4, 3), name="seq_in")
    vec_in = keras.Input(shape=(5,), name="vec_in")
    # legacy_hard_sigmoid keeps the source's hard_sigmoid (slope 0.2, Keras 3's is 1/6)
    enc = layers.GRU(4, recurrent_activation=legacy_hard_sigmoid, reset_after=False, name="enc")(
        seq_in
    )
    join = layers.Concatenate(name="join")([enc, vec_in])
    out_a = layers.Dense(2, name="out_a")(join)
    out_b = layers.Dense(3, activation="softmax", name="out_b")(join)
    out_c = layers.Dense(1, name="out_c")(vec_in)
    return keras.Model(inputs=[seq_in, vec_in], outputs=[out_a, out_b, out_c], name="model_1")


def load_model(weights_path=None):
    """The converted model: build it, then load WEIGHTS_FILE from beside this module."""
    model = build_model()
    if weights_path is None:
        weights_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), WEIGHTS_FILE)
    model.load_weights(weights_path)
    return model
