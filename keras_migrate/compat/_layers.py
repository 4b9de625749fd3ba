"""Compat layers and activations, written only with ``keras.ops`` so they run on every backend.

Imported (and so registered) by :func:`keras_migrate.compat.register` once Keras is loaded.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from keras_migrate.compat._names import PACKAGE

__all__ = [
    "LegacyBilinearUpSampling2D",
    "LocallyConnected1D",
    "LocallyConnected2D",
    "ThresholdedReLU",
    "legacy_hard_sigmoid",
]


@keras.saving.register_keras_serializable(package=PACKAGE)
def legacy_hard_sigmoid(x: Any) -> Any:
    """Keras 1/2 and tf.keras hard sigmoid, ``clip(0.2 x + 0.5, 0, 1)``.

    Keras 3 changed ``hard_sigmoid`` to ``relu6(x + 3) / 6`` (slope 1/6); legacy recurrent
    layers used the 0.2 slope by default, so converting the name alone changes outputs.
    """
    x = ops.convert_to_tensor(x)
    return ops.clip(x * 0.2 + 0.5, 0.0, 1.0)


@keras.saving.register_keras_serializable(package=PACKAGE)
class ThresholdedReLU(keras.layers.Layer):
    """``x if x > theta else 0`` (Keras 2's layer, removed in Keras 3)."""

    def __init__(self, theta: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.theta = float(theta)
        self.supports_masking = True

    def call(self, inputs: Any) -> Any:
        return ops.where(inputs > self.theta, inputs, ops.zeros_like(inputs))

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "theta": self.theta}


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


@keras.saving.register_keras_serializable(package=PACKAGE)
class LocallyConnected1D(_LocallyConnected):
    """Keras 2's LocallyConnected1D (removed in Keras 3)."""

    rank = 1


@keras.saving.register_keras_serializable(package=PACKAGE)
class LocallyConnected2D(_LocallyConnected):
    """Keras 2's LocallyConnected2D (removed in Keras 3)."""

    rank = 2


@keras.saving.register_keras_serializable(package=PACKAGE)
class LegacyBilinearUpSampling2D(keras.layers.Layer):
    """Standalone Keras 2's bilinear UpSampling2D: TF1 resize without half-pixel centers.

    Source coordinate of output index ``o`` is ``o * in / out`` (Keras 3 uses
    ``(o + 0.5) * in / out - 0.5``), so the two give different numbers for the same input.
    """

    def __init__(self, size: Any = (2, 2), data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.size = _tuple(size, 2)
        self.data_format = data_format or "channels_last"

    def _axes(self) -> tuple[int, int]:
        return (2, 3) if self.data_format == "channels_first" else (1, 2)

    @staticmethod
    def _resize(x: Any, axis: int, n_in: int, scale: int) -> Any:
        import numpy as np

        out = n_in * scale
        src = np.arange(out, dtype=np.float64) * (n_in / out)
        lo = np.floor(src).astype("int32")
        hi = np.minimum(lo + 1, n_in - 1).astype("int32")
        w = (src - lo).astype("float32")
        shape = [1] * len(x.shape)
        shape[axis] = out
        w_t = ops.reshape(ops.convert_to_tensor(w), shape)
        return ops.take(x, lo, axis=axis) * (1.0 - w_t) + ops.take(x, hi, axis=axis) * w_t

    def call(self, inputs: Any) -> Any:
        ra, ca = self._axes()
        x = self._resize(inputs, ra, int(inputs.shape[ra]), self.size[0])
        return self._resize(x, ca, int(inputs.shape[ca]), self.size[1])

    def compute_output_shape(self, input_shape: Any) -> Any:
        ra, ca = self._axes()
        shape = list(input_shape)
        shape[ra] = None if shape[ra] is None else shape[ra] * self.size[0]
        shape[ca] = None if shape[ca] is None else shape[ca] * self.size[1]
        return tuple(shape)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "size": list(self.size), "data_format": self.data_format}
