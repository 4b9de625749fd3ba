"""Compat layers for Keras 1 layers Keras 2 dropped, written only with ``keras.ops``.

Each reproduces Keras 1.2.2's formula exactly (same operations, same epsilons):
``MaxoutDense``, ``Highway``, ``ParametricSoftplus``, ``SReLU``, BatchNormalization modes
1 and 2 (``Keras1BatchNormalization``) and ``Merge(mode='cos')`` (``Keras1CosineMerge``).
Weights are created in the order :mod:`keras_migrate.ir.specs` lists them.
Imported (and so registered) by :func:`keras_migrate.compat.register`.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from keras_migrate.compat._names import PACKAGE

__all__ = [
    "Highway",
    "Keras1BatchNormalization",
    "Keras1CosineMerge",
    "MaxoutDense",
    "ParametricSoftplus",
    "SReLU",
]

#: Keras 1's default ``K.epsilon()`` (the fuzz factor of ``keras.json``).
KERAS1_EPSILON = 1e-7


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


def _param_shape(input_shape: Any, shared_axes: Any) -> tuple[int, ...]:
    shared = set(shared_axes or ())
    return tuple(1 if i + 1 in shared else int(d) for i, d in enumerate(input_shape[1:]))


@keras.saving.register_keras_serializable(package=PACKAGE)
class ParametricSoftplus(keras.layers.Layer):
    """Keras 1 ``ParametricSoftplus``: ``alpha * softplus(beta * x)`` with learned alpha, beta."""

    def __init__(self, alpha_init: float = 0.2, beta_init: float = 5.0, shared_axes: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.alpha_init = float(alpha_init)
        self.beta_init = float(beta_init)
        self.shared_axes = list(shared_axes) if shared_axes else None
        self.supports_masking = True

    def build(self, input_shape: Any) -> None:
        shape = _param_shape(input_shape, self.shared_axes)
        self.alpha = self.add_weight(name="alpha", shape=shape, initializer=keras.initializers.Constant(self.alpha_init))
        self.beta = self.add_weight(name="beta", shape=shape, initializer=keras.initializers.Constant(self.beta_init))

    def call(self, inputs: Any) -> Any:
        return ops.softplus(self.beta * inputs) * self.alpha

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "alpha_init": self.alpha_init,
            "beta_init": self.beta_init,
            "shared_axes": self.shared_axes,
        }


@keras.saving.register_keras_serializable(package=PACKAGE)
class SReLU(keras.layers.Layer):
    """Keras 1 ``SReLU`` (S-shaped ReLU), computed as Keras 1 did::

        t_r = t_left + |t_right|
        y = t_left + clip(relu(x - t_left), 0, |t_right|) - a_left * relu(t_left - x)
            + a_right * relu(x - t_r)
    """

    def __init__(self, shared_axes: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.shared_axes = list(shared_axes) if shared_axes else None
        self.supports_masking = True

    def build(self, input_shape: Any) -> None:
        shape = _param_shape(input_shape, self.shared_axes)
        self.t_left = self.add_weight(name="t_left", shape=shape, initializer="zeros")
        self.a_left = self.add_weight(name="a_left", shape=shape, initializer="glorot_uniform")
        self.t_right = self.add_weight(name="t_right", shape=shape, initializer="glorot_uniform")
        self.a_right = self.add_weight(name="a_right", shape=shape, initializer="ones")

    def call(self, inputs: Any) -> Any:
        width = ops.abs(self.t_right)
        t_right_actual = self.t_left + width
        shifted = inputs - self.t_left
        centre = ops.minimum(ops.maximum(ops.relu(shifted), 0.0), t_right_actual - self.t_left)
        left = centre - self.a_left * ops.relu(-shifted)
        return self.t_left + left + ops.relu(inputs - t_right_actual) * self.a_right

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "shared_axes": self.shared_axes}


@keras.saving.register_keras_serializable(package=PACKAGE)
class Keras1BatchNormalization(keras.layers.Layer):
    """Keras 1 BatchNormalization modes 1 and 2 (inference).

    * ``mode=1``: sample-wise, ``(x - mean) / (sqrt(var + eps) + eps)`` over the last axis,
      then ``gamma * . + beta``;
    * ``mode=2``: feature-wise with the *batch's* statistics also at inference,
      ``(x - mean) / sqrt(var + eps) * gamma + beta`` (outputs depend on the whole batch).

    The moving statistics are kept (non-trainable) but unused, as in Keras 1.
    """

    def __init__(self, mode: int = 2, axis: int = -1, epsilon: float = 1e-3, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.mode = int(mode)
        self.axis = int(axis)
        self.epsilon = float(epsilon)

    def build(self, input_shape: Any) -> None:
        shape = (int(input_shape[self.axis]),)
        self.gamma = self.add_weight(name="gamma", shape=shape, initializer="ones")
        self.beta = self.add_weight(name="beta", shape=shape, initializer="zeros")
        self.moving_mean = self.add_weight(name="moving_mean", shape=shape, initializer="zeros", trainable=False)
        self.moving_variance = self.add_weight(name="moving_variance", shape=shape, initializer="ones", trainable=False)

    def call(self, inputs: Any) -> Any:
        if self.mode == 1:
            mean = ops.mean(inputs, axis=-1, keepdims=True)
            std = ops.sqrt(ops.var(inputs, axis=-1, keepdims=True) + self.epsilon)
            return self.gamma * ((inputs - mean) / (std + self.epsilon)) + self.beta
        rank = len(inputs.shape)
        axis = self.axis % rank
        reduce = tuple(i for i in range(rank) if i != axis)
        bshape = [1] * rank
        bshape[axis] = -1
        mean = ops.mean(inputs, axis=reduce, keepdims=True)
        var = ops.var(inputs, axis=reduce, keepdims=True)
        normed = (inputs - mean) / ops.sqrt(var + self.epsilon)
        return normed * ops.reshape(self.gamma, bshape) + ops.reshape(self.beta, bshape)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "mode": self.mode, "axis": self.axis, "epsilon": self.epsilon}


def _row_dot(x: Any, y: Any, axis: int) -> Any:
    """Per-sample dot product along ``axis``, kept 2D: ``(batch, 1)``."""
    return ops.expand_dims(ops.sum(x * y, axis=axis), 1)


@keras.saving.register_keras_serializable(package=PACKAGE)
class Keras1CosineMerge(keras.layers.Layer):
    """Keras 1 ``Merge(mode='cos')`` of two 2D tensors:
    ``dot(a, b) / max(sqrt(dot(a, a) * dot(b, b)), 1e-7)``, shaped ``(batch, 1, 1)``."""

    def __init__(self, dot_axes: Any = (1, 1), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.dot_axes = [int(a) for a in dot_axes]

    def call(self, inputs: Any) -> Any:
        a, b = inputs
        if len(a.shape) != 2 or len(b.shape) != 2:
            raise ValueError("Keras1CosineMerge supports 2D inputs only")
        ax = self.dot_axes[0] % 2
        denominator = ops.maximum(ops.sqrt(_row_dot(a, a, ax) * _row_dot(b, b, ax)), KERAS1_EPSILON)
        return ops.expand_dims(_row_dot(a, b, ax) / denominator, 1)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return (input_shape[0][0], 1, 1)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "dot_axes": self.dot_axes}
