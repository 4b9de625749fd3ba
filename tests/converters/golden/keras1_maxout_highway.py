"""Keras 3 model "model_1", converted by keras-migrate.

load_model() returns the converted model with its weights (WEIGHTS_FILE, next to this
file); build_model() returns the same architecture, freshly initialized.
"""

# Source: maxout_highway.h5 (keras-h5, Keras 1.2.2, tensorflow backend), read as data.
# Converted: 2 layers and 132 weight values, written as Keras 3.15.1 code for any backend.
# Note: source backend inferred as tensorflow: weight names carry TensorFlow's ':0' suffix (override with --source-backend theano)
# Compat code below is copied from keras_migrate, so this file needs only Keras.

import os
from typing import Any

import keras
from keras import ops

WEIGHTS_FILE = "keras1_maxout_highway.weights.h5"


# Compat objects copied from keras_migrate.compat._keras1, registered under the same names.


#: The package name compat objects are registered under.
PACKAGE = "keras_migrate"


@keras.saving.register_keras_serializable(package=PACKAGE)
class Highway(keras.layers.Layer):
    """Keras 1 ``Highway``: ``t * act(x W + b) + (1 - t) * x`` with ``t = sigmoid(x W_c + b_c)``."""

    def __init__(self, activation: Any = "linear", use_bias: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.activation = keras.activations.get(activation)
        self.use_bias = bool(use_bias)

    def build(self, input_shape: Any) -> None:
        d = int(input_shape[-1])
        self.kernel = self.add_weight(name="kernel", shape=(d, d), initializer="glorot_uniform")
        self.carry_kernel = self.add_weight(name="carry_kernel", shape=(d, d), initializer="glorot_uniform")
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=(d,), initializer="zeros")
            self.carry_bias = self.add_weight(name="carry_bias", shape=(d,), initializer="ones")

    def call(self, inputs: Any) -> Any:
        y = ops.matmul(inputs, self.carry_kernel)
        if self.use_bias:
            y = y + self.carry_bias
        transform = ops.sigmoid(y)
        y = ops.matmul(inputs, self.kernel)
        if self.use_bias:
            y = y + self.bias
        return self.activation(y) * transform + (1.0 - transform) * inputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "activation": keras.activations.serialize(self.activation),
            "use_bias": self.use_bias,
        }


@keras.saving.register_keras_serializable(package=PACKAGE)
class MaxoutDense(keras.layers.Layer):
    """Keras 1 ``MaxoutDense``: ``max_f(x @ W[f] + b[f])`` over ``nb_feature`` linear pieces."""

    def __init__(self, units: int, nb_feature: int = 4, use_bias: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.units = int(units)
        self.nb_feature = int(nb_feature)
        self.use_bias = bool(use_bias)

    def build(self, input_shape: Any) -> None:
        d = int(input_shape[-1])
        self.kernel = self.add_weight(name="kernel", shape=(self.nb_feature, d, self.units), initializer="glorot_uniform")
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=(self.nb_feature, self.units), initializer="zeros")

    def call(self, inputs: Any) -> Any:
        out = ops.einsum("bi,fiu->bfu", inputs, self.kernel)
        if self.use_bias:
            out = out + self.bias
        return ops.max(out, axis=1)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return (input_shape[0], self.units)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "units": self.units, "nb_feature": self.nb_feature, "use_bias": self.use_bias}


def build_model():
    """The model's architecture, freshly initialized."""
    input_1 = keras.Input(shape=(5,), name="input_1")
    # MaxoutDense (defined above) reproduces Keras 1.2.2's MaxoutDense
    maxoutdense_1 = MaxoutDense(4, nb_feature=3, name="maxoutdense_1")(input_1)
    # Highway (defined above) reproduces Keras 1.2.2's Highway
    highway_1 = Highway(activation="relu", name="highway_1")(input_1)
    return keras.Model(inputs=input_1, outputs=[maxoutdense_1, highway_1], name="model_1")


def load_model(weights_path=None):
    """The converted model: build it, then load WEIGHTS_FILE from beside this module."""
    model = build_model()
    if weights_path is None:
        weights_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), WEIGHTS_FILE)
    model.load_weights(weights_path)
    return model
