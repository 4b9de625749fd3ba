"""Compat layers for tf.keras-only layers, written only with ``keras.ops``.

``TFOp`` runs one TF function a tf.keras model applied to Keras tensors (a
``TFOpLambda`` or ``SlicingOpLambda``) with its constant arguments; ``CustomScaleLayer``
and ``LayerScale`` are the private layers of ``tf.keras.applications`` InceptionResNetV2
and ConvNeXt. Imported (and so registered) by :func:`keras_migrate.compat.register`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import keras
import numpy as np
from keras import ops

from keras_migrate.compat._names import PACKAGE
from keras_migrate.ir.ops.tf import bind_tf_call, tf_op_spec
from keras_migrate.ir.ops.tf_semantics import TF_SEMANTICS

__all__ = ["KERAS_NAMESPACE", "CustomScaleLayer", "LayerScale", "TFOp"]


class _KerasOps:
    """``keras.ops`` as the namespace the TF semantics (``TF_SEMANTICS``: the legacy-op
    table's case for each call, a few hand-written helpers) compute in, with TF's formula
    where ``keras.ops`` computes otherwise: GELU's tanh approximation."""

    def __getattr__(self, name: str) -> Any:
        return getattr(ops, name)

    @staticmethod
    def gelu(x: Any, approximate: bool = True) -> Any:
        if not approximate:
            return ops.gelu(x, approximate=False)
        c = math.sqrt(2.0 / math.pi)
        return 0.5 * x * (1.0 + ops.tanh(c * (x + 0.044715 * x * x * x)))


#: The ``keras.ops`` namespace of the TF semantics table.
KERAS_NAMESPACE = _KerasOps()


def _constant(key: str, array: Any) -> Any:
    """A constant operand as a tensor (Keras backends index with int32)."""
    return ops.convert_to_tensor(array.astype("int32") if array.dtype == np.int64 else array)


def _plain(value: Any) -> Any:
    """Config values without Keras' tracked containers (plain JSON types)."""
    return json.loads(json.dumps(value))


#: The sizes a symbolic dimension takes in the two probing calls (as Keras' numpy backend).
_PROBE_SIZES = (83, 89)


def _zeros_in(value: Any, size: int) -> Any:
    """``value`` with each ``KerasTensor`` replaced by zeros (free dimensions ``size`` long)."""
    if isinstance(value, keras.KerasTensor):
        return np.zeros([size if d is None else d for d in value.shape], dtype=value.dtype)
    if isinstance(value, (list, tuple)):
        return type(value)([_zeros_in(v, size) for v in value])
    if isinstance(value, dict):
        return {k: _zeros_in(v, size) for k, v in value.items()}
    return value


def _on_zeros(fn: Any, args: tuple[Any, ...], kwargs: dict[str, Any], size: int) -> Any:
    with np.errstate(all="ignore"):
        return fn(*_zeros_in(args, size), **_zeros_in(kwargs, size))


def _spec_of(x1: Any, x2: Any) -> Any:
    """A ``KerasTensor`` spec from two outputs whose free dimensions had different sizes."""
    if not hasattr(x1, "shape") or not hasattr(x1, "dtype"):
        return x1
    shape = [d1 if d1 == d2 else None for d1, d2 in zip(x1.shape, x2.shape)]
    return keras.KerasTensor(shape, keras.backend.standardize_dtype(x1.dtype))


def _zeros_output_spec(fn: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """``fn``'s output as ``KerasTensor`` specs, from calls on zero-filled arrays (module-level
    helpers only: generated ``.py`` files copy this code, and nested functions do not copy)."""
    symbolic = [x for x in keras.tree.flatten((args, kwargs)) if isinstance(x, keras.KerasTensor)]
    dynamic = any(None in x.shape for x in symbolic)
    first = _on_zeros(fn, args, kwargs, _PROBE_SIZES[0])
    second = _on_zeros(fn, args, kwargs, _PROBE_SIZES[1]) if dynamic else first
    return keras.tree.map_structure(_spec_of, first, second)


@keras.saving.register_keras_serializable(package=PACKAGE)
class TFOp(keras.layers.Layer):
    """One TF function applied to Keras tensors in a tf.keras model (``TFOpLambda``).

    ``function`` is the TF symbol tf.keras recorded (``"math.multiply"``),
    ``tensor_arguments`` names the arguments the layer's input tensors fill (one tensor,
    or a list in this order; a list-valued argument such as ``tf.stack``'s takes the whole
    list), and ``arguments`` holds every other argument, by its TF name. Numeric constants
    take the dtype of the input tensors, as TF converts them. ``outputs`` is how many
    tensors a list-returning function (``tf.split``, ``tf.unstack``) gives back. Inputs are
    never autocast: TF ops keep their operands' dtypes.
    """

    def __init__(
        self,
        function: str,
        arguments: Mapping[str, Any] | None = None,
        tensor_arguments: Any = None,
        outputs: int | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs["autocast"] = False
        super().__init__(**kwargs)
        try:
            self._spec = tf_op_spec(function)
        except KeyError as exc:
            raise ValueError(str(exc.args[0])) from None
        self._op = TF_SEMANTICS[self._spec.op]
        self.function = function
        self._arguments = _plain(dict(arguments or {}))
        self._tensor_arguments = list(tensor_arguments or [self._spec.params[0]])
        self.num_outputs = outputs

    def call(self, inputs: Any) -> Any:
        config = {"function": self.function, "arguments": self._arguments, "tensor_arguments": self._tensor_arguments}
        try:
            bound = bind_tf_call(config, inputs, lambda t: keras.backend.standardize_dtype(t.dtype), _constant)
        except ValueError as exc:
            raise ValueError(f"TFOp {exc}") from None
        result = self._op(KERAS_NAMESPACE, bound.values)
        if isinstance(result, list):
            count = int(self.num_outputs or 1)
            if len(result) < count:
                raise ValueError(f"TFOp tf.{self.function} returns {len(result)} tensors, the model uses {count}")
            return result[:count]
        return result

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        """On the numpy backend, the output spec from zero-filled inputs.

        Keras' numpy backend infers a layer's output by calling it on ``np.empty`` arrays:
        an integer operand (``tf.gather``'s indices) then holds arbitrary values, the call
        fails with an out-of-range index and the model does not load. Zeros are always
        valid indices; the two fill sizes tell the dynamic dimensions, as Keras does.
        """
        if keras.backend.backend() != "numpy":
            return super().compute_output_spec(*args, **kwargs)
        return _zeros_output_spec(self.call, args, kwargs)

    def get_config(self) -> dict[str, Any]:
        config = {
            **super().get_config(),
            "function": self.function,
            "arguments": _plain(self._arguments),
            "tensor_arguments": list(self._tensor_arguments),
        }
        if self.num_outputs is not None:
            config["outputs"] = int(self.num_outputs)
        return config


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
