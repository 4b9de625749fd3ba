"""Compat layers for tf.keras-only layers, written only with ``keras.ops``.

``TFOp`` runs one TF function a tf.keras model applied to Keras tensors (a
``TFOpLambda``) with its constant arguments; ``CustomScaleLayer`` and ``LayerScale`` are
the private layers of ``tf.keras.applications`` InceptionResNetV2 and ConvNeXt.
Imported (and so registered) by :func:`keras_migrate.compat.register`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from typing import Any

import keras
import numpy as np
from keras import ops

from keras_migrate.compat._names import PACKAGE
from keras_migrate.formats.tfkeras_layers import tf_op_spec

__all__ = ["KERAS_OPS", "CustomScaleLayer", "LayerScale", "TFOp"]


def _axis(value: Any) -> Any:
    return tuple(int(a) for a in value) if isinstance(value, (list, tuple)) else value


def _gelu(x: Any, approximate: bool) -> Any:
    if not approximate:
        return ops.gelu(x, approximate=False)
    c = math.sqrt(2.0 / math.pi)
    return 0.5 * x * (1.0 + ops.tanh(c * (x + 0.044715 * x * x * x)))


def _reduce(fn: Callable[..., Any]) -> Callable[[Mapping[str, Any]], Any]:
    return lambda a: fn(a["input_tensor"], axis=_axis(a["axis"]), keepdims=bool(a["keepdims"]))


#: Canonical op (see :data:`keras_migrate.formats.tfkeras_layers.TF_OPS`) -> keras.ops, on a
#: dict of the op's TF arguments (operands already tensors of one dtype).
KERAS_OPS: dict[str, Callable[[Mapping[str, Any]], Any]] = {
    "add": lambda a: ops.add(a["x"], a["y"]),
    "subtract": lambda a: ops.subtract(a["x"], a["y"]),
    "multiply": lambda a: ops.multiply(a["x"], a["y"]) if "y" in a else ops.multiply(a["scalar"], a["x"]),
    "truediv": lambda a: ops.divide(a["x"], a["y"]),
    "floordiv": lambda a: ops.floor(ops.divide(a["x"], a["y"])),
    "maximum": lambda a: ops.maximum(a["x"], a["y"]),
    "minimum": lambda a: ops.minimum(a["x"], a["y"]),
    "pow": lambda a: ops.power(a["x"], a["y"]),
    "squared_difference": lambda a: ops.square(ops.subtract(a["x"], a["y"])),
    "negative": lambda a: ops.negative(a["x"]),
    "abs": lambda a: ops.abs(a["x"]),
    "sqrt": lambda a: ops.sqrt(a["x"]),
    "rsqrt": lambda a: ops.divide(1.0, ops.sqrt(a["x"])),
    "square": lambda a: ops.square(a["x"]),
    "exp": lambda a: ops.exp(a["x"]),
    "log": lambda a: ops.log(a["x"]),
    "reciprocal": lambda a: ops.divide(1.0, a["x"]),
    "sigmoid": lambda a: ops.sigmoid(a["x"]),
    "tanh": lambda a: ops.tanh(a["x"]),
    "softplus": lambda a: ops.softplus(a["features"]),
    "relu": lambda a: ops.relu(a["features"]),
    "relu6": lambda a: ops.relu6(a["features"]),
    "elu": lambda a: ops.elu(a["features"]),
    "selu": lambda a: ops.selu(a["features"]),
    "softsign": lambda a: ops.soft_sign(a["features"]),
    "silu": lambda a: ops.multiply(a["features"], ops.sigmoid(ops.multiply(a["features"], float(a["beta"])))),
    "leaky_relu": lambda a: ops.leaky_relu(a["features"], negative_slope=float(a["alpha"])),
    "gelu": lambda a: _gelu(a["features"], bool(a["approximate"])),
    "softmax": lambda a: ops.softmax(a["logits"], axis=-1 if a["axis"] is None else int(a["axis"])),
    "reduce_mean": _reduce(ops.mean),
    "reduce_sum": _reduce(ops.sum),
    "reduce_max": _reduce(ops.max),
    "reduce_min": _reduce(ops.min),
    "reduce_prod": _reduce(ops.prod),
    "clip_by_value": lambda a: ops.maximum(ops.minimum(a["t"], a["clip_value_max"]), a["clip_value_min"]),
}


def _plain(value: Any) -> Any:
    """Config values without Keras' tracked containers (plain JSON types)."""
    return json.loads(json.dumps(value))


@keras.saving.register_keras_serializable(package=PACKAGE)
class TFOp(keras.layers.Layer):
    """One TF function applied to Keras tensors in a tf.keras model (``TFOpLambda``).

    ``function`` is the TF symbol tf.keras recorded (``"math.multiply"``),
    ``tensor_arguments`` names the arguments the layer's input tensors fill (one tensor,
    or a list in this order), and ``arguments`` holds every other argument, by its TF
    name. Numeric constants take the dtype of the input tensors, as TF converts them.
    """

    def __init__(
        self,
        function: str,
        arguments: Mapping[str, Any] | None = None,
        tensor_arguments: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        try:
            self._spec = tf_op_spec(function)
        except KeyError as exc:
            raise ValueError(str(exc.args[0])) from None
        self._op = KERAS_OPS[self._spec.op]
        self.function = function
        self._arguments = _plain(dict(arguments or {}))
        self._tensor_arguments = list(tensor_arguments or [self._spec.params[0]])

    def call(self, inputs: Any) -> Any:
        names = self._tensor_arguments
        tensors = list(inputs) if len(names) > 1 else [inputs]
        if len(tensors) != len(names):
            raise ValueError(f"TFOp tf.{self.function} takes {len(names)} tensors, got {len(tensors)}")
        dtype = tensors[0].dtype
        values: dict[str, Any] = dict(zip(names, tensors, strict=True))
        for key, value in self._arguments.items():
            if key in self._spec.operands:
                value = ops.convert_to_tensor(np.asarray(value, dtype=keras.backend.standardize_dtype(dtype)))
            values[key] = value
        return self._op(values)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "function": self.function,
            "arguments": _plain(self._arguments),
            "tensor_arguments": list(self._tensor_arguments),
        }


@keras.saving.register_keras_serializable(package=PACKAGE)
class CustomScaleLayer(keras.layers.Layer):
    """InceptionResNetV2's residual sum, ``inputs[0] + inputs[1] * scale``."""

    def __init__(self, scale: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scale = float(scale)

    def call(self, inputs: Any) -> Any:
        return ops.add(inputs[0], ops.multiply(inputs[1], self.scale))

    def compute_output_shape(self, input_shape: Any) -> Any:
        return tuple(input_shape[0])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "scale": self.scale}


@keras.saving.register_keras_serializable(package=PACKAGE)
class LayerScale(keras.layers.Layer):
    """ConvNeXt's layer scale: ``x * gamma``, one learned factor per channel."""

    def __init__(self, init_values: float, projection_dim: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.init_values = float(init_values)
        self.projection_dim = int(projection_dim)

    def build(self, input_shape: Any) -> None:
        self.gamma = self.add_weight(
            name="gamma",
            shape=(self.projection_dim,),
            initializer=keras.initializers.Constant(self.init_values),
            trainable=True,
        )

    def call(self, inputs: Any) -> Any:
        return ops.multiply(inputs, self.gamma)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "init_values": self.init_values, "projection_dim": self.projection_dim}
