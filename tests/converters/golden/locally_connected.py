"""Keras 3 model "model_1", converted by keras-migrate.

load_model() returns the converted model with its weights (WEIGHTS_FILE, next to this
file); build_model() returns the same architecture, freshly initialized.
"""

# Source: locally_connected.h5 (keras-h5, Keras 2.2.4, tensorflow backend), read as data.
# Converted: 2 layers and 224 weight values, written as Keras 3.15.1 code for any backend.
# Compat code below is copied from keras_migrate, so this file needs only Keras.

import os
from typing import Any

import keras
from keras import ops

WEIGHTS_FILE = "locally_connected.weights.h5"


# Compat objects copied from keras_migrate.compat._layers, registered under the same names.


def _tuple(value: Any, n: int) -> tuple[int, ...]:
    if isinstance(value, int):
        return (value,) * n
    return tuple(int(v) for v in value)


class _LocallyConnected(keras.layers.Layer):
    """Keras 2's LocallyConnected (implementation 1): a convolution with unshared weights.

    The kernel keeps Keras 2's layout, ``(positions, patch_features, filters)``, with patch
    features in the input's own axis order (rows, cols, channels for channels_last;
    channels, rows, cols for channels_first), and the bias keeps its ``(*positions,
    filters)`` shape, added by reshape exactly as Keras 2 did.
    """

    rank = 1

    def __init__(
        self,
        filters: int,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        data_format: str | None = None,
        activation: Any = None,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.filters = int(filters)
        self.kernel_size = _tuple(kernel_size, self.rank)
        self.strides = _tuple(strides, self.rank)
        if padding != "valid":
            raise ValueError("LocallyConnected supports only padding='valid'")
        self.padding = padding
        self.data_format = data_format or "channels_last"
        self.activation = keras.activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.bias_regularizer = keras.regularizers.get(bias_regularizer)
        self.kernel_constraint = keras.constraints.get(kernel_constraint)
        self.bias_constraint = keras.constraints.get(bias_constraint)

    def _spatial(self, input_shape: Any) -> tuple[list[int], int]:
        if self.rank == 1:
            return [int(input_shape[1])], int(input_shape[2])
        if self.data_format == "channels_first":
            return [int(input_shape[2]), int(input_shape[3])], int(input_shape[1])
        return [int(input_shape[1]), int(input_shape[2])], int(input_shape[3])

    def _out_spatial(self, spatial: list[int]) -> list[int]:
        return [(s - k) // st + 1 for s, k, st in zip(spatial, self.kernel_size, self.strides)]

    def build(self, input_shape: Any) -> None:
        spatial, channels = self._spatial(input_shape)
        out = self._out_spatial(spatial)
        positions = 1
        for o in out:
            positions *= o
        features = channels
        for k in self.kernel_size:
            features *= k
        self.kernel = self.add_weight(
            name="kernel",
            shape=(positions, features, self.filters),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias",
                shape=(*out, self.filters),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )

    def _patches(self, x: Any, spatial: list[int]) -> Any:
        out = self._out_spatial(spatial)
        cf = self.data_format == "channels_first" and self.rank == 2
        pieces = []
        if self.rank == 1:
            (k,), (s,) = self.kernel_size, self.strides
            for i in range(out[0]):
                pieces.append(ops.reshape(x[:, i * s : i * s + k, :], (-1, 1, self.kernel.shape[1])))
        else:
            (kr, kc), (sr, sc) = self.kernel_size, self.strides
            for i in range(out[0]):
                for j in range(out[1]):
                    if cf:
                        p = x[:, :, i * sr : i * sr + kr, j * sc : j * sc + kc]
                    else:
                        p = x[:, i * sr : i * sr + kr, j * sc : j * sc + kc, :]
                    pieces.append(ops.reshape(p, (-1, 1, self.kernel.shape[1])))
        return ops.concatenate(pieces, axis=1)

    def call(self, inputs: Any) -> Any:
        spatial, _ = self._spatial(inputs.shape)
        out_spatial = self._out_spatial(spatial)
        patches = self._patches(inputs, spatial)  # (batch, positions, features)
        out = ops.einsum("bpf,pfo->bpo", patches, self.kernel)
        if self.rank == 2:
            out = ops.reshape(out, (-1, out_spatial[0], out_spatial[1], self.filters))
            if self.data_format == "channels_first":
                out = ops.transpose(out, (0, 3, 1, 2))
        if self.use_bias:
            out = out + ops.reshape(self.bias, (1, *out.shape[1:]))
        return self.activation(out)

    def compute_output_shape(self, input_shape: Any) -> Any:
        spatial, _ = self._spatial(input_shape)
        out = self._out_spatial(spatial)
        if self.rank == 2 and self.data_format == "channels_first":
            return (input_shape[0], self.filters, *out)
        return (input_shape[0], *out, self.filters)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": list(self.kernel_size),
            "strides": list(self.strides),
            "padding": self.padding,
            "data_format": self.data_format,
            "activation": keras.activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
            "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": keras.regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": keras.constraints.serialize(self.kernel_constraint),
            "bias_constraint": keras.constraints.serialize(self.bias_constraint),
        }


#: The package name compat objects are registered under.
PACKAGE = "keras_migrate"


@keras.saving.register_keras_serializable(package=PACKAGE)
class LocallyConnected1D(_LocallyConnected):
    """Keras 2's LocallyConnected1D (removed in Keras 3)."""

    rank = 1


@keras.saving.register_keras_serializable(package=PACKAGE)
class LocallyConnected2D(_LocallyConnected):
    """Keras 2's LocallyConnected2D (removed in Keras 3)."""

    rank = 2


def build_model():
    """The model's architecture, freshly initialized."""
    input_1 = keras.Input(shape=(6, 3), name="input_1")
    input_2 = keras.Input(shape=(5, 4, 2), name="input_2")
    # LocallyConnected1D (defined above) reproduces Keras 2.2.4's LocallyConnected1D
    locally_connected1d_1 = LocallyConnected1D(2, (3,), name="locally_connected1d_1")(input_1)
    # LocallyConnected2D (defined above) reproduces Keras 2.2.4's LocallyConnected2D
    locally_connected2d_1 = LocallyConnected2D(
        2,
        (2, 2),
        strides=(1, 2),
        data_format="channels_last",
        activation="tanh",
        name="locally_connected2d_1",
    )(input_2)
    return keras.Model(
        inputs=[input_1, input_2],
        outputs=[locally_connected1d_1, locally_connected2d_1],
        name="model_1",
    )


def load_model(weights_path=None):
    """The converted model: build it, then load WEIGHTS_FILE from beside this module."""
    model = build_model()
    if weights_path is None:
        weights_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), WEIGHTS_FILE)
    model.load_weights(weights_path)
    return model
