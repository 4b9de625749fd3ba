"""Compat layers for tf.keras-only layers, written only with ``keras.ops``.

``TFOp`` runs one TF function a tf.keras model applied to Keras tensors (a
``TFOpLambda`` or ``SlicingOpLambda``) with its constant arguments; ``CustomScaleLayer``
and ``LayerScale`` are the private layers of ``tf.keras.applications`` InceptionResNetV2
and ConvNeXt. Imported (and so registered) by :func:`keras_migrate.compat.register`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import keras
import numpy as np
from keras import ops

from keras_migrate.compat._names import PACKAGE
from keras_migrate.formats.tfkeras.layers import operand_dtype, tf_op_spec

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


def _l2_normalize(x: Any, axis: Any, epsilon: float) -> Any:
    square_sum = ops.sum(ops.square(x), axis=axis, keepdims=True)
    return ops.multiply(x, ops.rsqrt(ops.maximum(square_sum, epsilon)))


def _matmul(a: Mapping[str, Any]) -> Any:
    x, y = a["a"], a["b"]
    if a["transpose_a"] or a["adjoint_a"]:
        x = ops.swapaxes(x, -1, -2)
    if a["transpose_b"] or a["adjoint_b"]:
        y = ops.swapaxes(y, -1, -2)
    return ops.matmul(x, y)


def _positive(axis: int, rank: int) -> int:
    return axis + rank if axis < 0 else axis


def _along(x: Any, axis: int, index: Any) -> Any:
    """``x[..., index, ...]`` with ``index`` (a slice) on ``axis``."""
    return x[(slice(None),) * _positive(axis, len(x.shape)) + (index,)]


def _static_size(x: Any, axis: int) -> int:
    size = x.shape[axis]
    if size is None:
        raise ValueError(f"axis {axis} has no static size (the batch axis?)")
    return int(size)


def _take(x: Any, indices: Sequence[int], axis: int) -> Any:
    return ops.take(x, ops.convert_to_tensor(np.asarray(list(indices), dtype="int32")), axis=axis)


def _pad(a: Mapping[str, Any]) -> Any:
    x, pads, mode = a["tensor"], [list(p) for p in a["paddings"]], a["mode"]
    if mode == "CONSTANT":
        return ops.pad(x, pads, mode="constant", constant_values=a["constant_values"])
    # Reflecting and symmetric padding gather mirrored indices (Keras backends disagree on
    # what "symmetric" means, and torch pads only the last axes).
    for axis, (before, after) in enumerate(pads):
        if not before and not after:
            continue
        n = _static_size(x, axis)
        edge = 1 if mode == "REFLECT" else 0
        if before > n - edge or after > n - edge:
            raise ValueError(f"{mode} padding of {before, after} does not fit a dimension of {n}")
        left = list(range(before - 1 + edge, edge - 1, -1))
        right = list(range(n - 1 - edge, n - 1 - edge - after, -1))
        x = _take(x, left + list(range(n)) + right, axis)
    return x


def _getitem(x: Any, items: Sequence[Any]) -> Any:
    """``x[...]`` as TF computes it: basic indexing, then the negative-step slices."""
    is_ellipsis = [isinstance(i, Mapping) and i.get("class_name") == "__ellipsis__" for i in items]
    used = sum(1 for i, e in zip(items, is_ellipsis, strict=True) if i is not None and not e)
    index: list[Any] = []
    reversed_axes: list[tuple[int, Any, Any, int]] = []
    for item, ellipsis in zip(items, is_ellipsis, strict=True):
        if ellipsis:
            index += [slice(None)] * (len(x.shape) - used)
        elif item is None or isinstance(item, int):
            index.append(item)
        elif (item["step"] or 1) < 0:
            reversed_axes.append((sum(1 for i in index if not isinstance(i, int)), item["start"], item["stop"], item["step"]))
            index.append(slice(None))
        else:
            index.append(slice(item["start"], item["stop"], item["step"]))
    y = x[tuple(index)]
    for axis, start, stop, step in reversed_axes:
        if start is None and stop is None:
            y = ops.flip(y, axis=axis)
            y = y if step == -1 else _along(y, axis, slice(None, None, -step))
        else:
            y = _take(y, range(*slice(start, stop, step).indices(_static_size(y, axis))), axis)
    return y


def _perm(perm: Any, rank: int) -> tuple[int, ...]:
    """TF's default permutation reverses every axis."""
    return tuple(range(rank))[::-1] if perm is None else tuple(int(p) for p in perm)


def _squeeze(x: Any, axes: Sequence[int]) -> Any:
    for axis in sorted((_positive(int(a), len(x.shape)) for a in axes), reverse=True):
        x = ops.squeeze(x, axis=axis)
    return x


def _split(a: Mapping[str, Any]) -> list[Any]:
    x, parts, axis = a["value"], a["num_or_size_splits"], int(a["axis"])
    n = _static_size(x, axis)
    sizes = [n // parts] * parts if isinstance(parts, int) else [int(p) for p in parts]
    if -1 in sizes:
        sizes[sizes.index(-1)] = n - (sum(sizes) + 1)
    if sum(sizes) != n or min(sizes) < 0:
        raise ValueError(f"split sizes {parts} do not fit a dimension of {n}")
    starts = [sum(sizes[:i]) for i in range(len(sizes))]
    return [_along(x, axis, slice(s, s + size)) for s, size in zip(starts, sizes, strict=True)]


def _unstack(a: Mapping[str, Any]) -> list[Any]:
    x, axis = a["value"], int(a["axis"])
    n = _static_size(x, axis)
    if a["num"] is not None and int(a["num"]) != n:
        raise ValueError(f"unstack num={a['num']} but the dimension is {n}")
    return [ops.squeeze(_along(x, axis, slice(i, i + 1)), axis=axis) for i in range(n)]


#: Canonical op (see :data:`keras_migrate.formats.tfkeras.layers.TF_OPS`) -> keras.ops, on a
#: dict of the op's TF arguments (operands already tensors of their dtype).
KERAS_OPS: dict[str, Callable[[Mapping[str, Any]], Any]] = {
    "add": lambda a: ops.add(a["x"], a["y"]),
    "subtract": lambda a: ops.subtract(a["x"], a["y"]),
    "multiply": lambda a: ops.multiply(a["x"], a["y"]) if "y" in a else ops.multiply(a["scalar"], a["x"]),
    "truediv": lambda a: ops.divide(a["x"], a["y"]),
    "divide_no_nan": lambda a: ops.divide_no_nan(a["x"], a["y"]),
    "floordiv": lambda a: ops.floor(ops.divide(a["x"], a["y"])),
    "floormod": lambda a: ops.mod(a["x"], a["y"]),
    "maximum": lambda a: ops.maximum(a["x"], a["y"]),
    "minimum": lambda a: ops.minimum(a["x"], a["y"]),
    "pow": lambda a: ops.power(a["x"], a["y"]),
    "squared_difference": lambda a: ops.square(ops.subtract(a["x"], a["y"])),
    "equal": lambda a: ops.equal(a["x"], a["y"]),
    "not_equal": lambda a: ops.not_equal(a["x"], a["y"]),
    "less": lambda a: ops.less(a["x"], a["y"]),
    "less_equal": lambda a: ops.less_equal(a["x"], a["y"]),
    "greater": lambda a: ops.greater(a["x"], a["y"]),
    "greater_equal": lambda a: ops.greater_equal(a["x"], a["y"]),
    "logical_and": lambda a: ops.logical_and(a["x"], a["y"]),
    "logical_or": lambda a: ops.logical_or(a["x"], a["y"]),
    "logical_xor": lambda a: ops.logical_xor(a["x"], a["y"]),
    "logical_not": lambda a: ops.logical_not(a["x"]),
    "negative": lambda a: ops.negative(a["x"]),
    "abs": lambda a: ops.abs(a["x"]),
    "sign": lambda a: ops.sign(a["x"]),
    "sqrt": lambda a: ops.sqrt(a["x"]),
    "rsqrt": lambda a: ops.divide(1.0, ops.sqrt(a["x"])),
    "square": lambda a: ops.square(a["x"]),
    "exp": lambda a: ops.exp(a["x"]),
    "expm1": lambda a: ops.expm1(a["x"]),
    "log": lambda a: ops.log(a["x"]),
    "log1p": lambda a: ops.log1p(a["x"]),
    "reciprocal": lambda a: ops.divide(1.0, a["x"]),
    "floor": lambda a: ops.floor(a["x"]),
    "ceil": lambda a: ops.ceil(a["x"]),
    "round": lambda a: ops.round(a["x"]),
    "sin": lambda a: ops.sin(a["x"]),
    "cos": lambda a: ops.cos(a["x"]),
    "tan": lambda a: ops.tan(a["x"]),
    "erf": lambda a: ops.erf(a["x"]),
    "sigmoid": lambda a: ops.sigmoid(a["x"]),
    "log_sigmoid": lambda a: ops.log_sigmoid(a["x"]),
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
    "log_softmax": lambda a: ops.log_softmax(a["logits"], axis=-1 if a["axis"] is None else int(a["axis"])),
    "l2_normalize": lambda a: _l2_normalize(a["x"], _axis(a["axis"]), float(a["epsilon"])),
    "reduce_mean": _reduce(ops.mean),
    "reduce_sum": _reduce(ops.sum),
    "reduce_max": _reduce(ops.max),
    "reduce_min": _reduce(ops.min),
    "reduce_prod": _reduce(ops.prod),
    "reduce_any": _reduce(ops.any),
    "reduce_all": _reduce(ops.all),
    "reduce_logsumexp": _reduce(ops.logsumexp),
    "reduce_std": _reduce(ops.std),
    "reduce_variance": _reduce(ops.var),
    "reduce_euclidean_norm": lambda a: ops.sqrt(_reduce(ops.sum)({**a, "input_tensor": ops.square(a["input_tensor"])})),
    "argmax": lambda a: ops.argmax(a["input"], axis=int(a["axis"])),
    "argmin": lambda a: ops.argmin(a["input"], axis=int(a["axis"])),
    "clip_by_value": lambda a: ops.maximum(ops.minimum(a["t"], a["clip_value_max"]), a["clip_value_min"]),
    "cast": lambda a: ops.cast(a["x"], str(a["dtype"])),
    "where": lambda a: ops.where(a["condition"], a["x"], a["y"]),
    "matmul": _matmul,
    "reshape": lambda a: ops.reshape(a["tensor"], tuple(int(d) for d in a["shape"])),
    "transpose": lambda a: ops.transpose(a["a"], _perm(a["perm"], len(a["a"].shape))),
    "expand_dims": lambda a: ops.expand_dims(a["input"], int(a["axis"])),
    "squeeze": lambda a: _squeeze(a["input"], a["axis"]),
    "tile": lambda a: ops.tile(a["input"], [int(m) for m in a["multiples"]]),
    "pad": _pad,
    "gather": lambda a: ops.take(a["params"], a["indices"], axis=int(a["axis"])),
    "getitem": lambda a: _getitem(a["tensor"], a["slice_spec"]),
    "stack": lambda a: ops.stack(list(a["values"]), axis=int(a["axis"])),
    "split": _split,
    "unstack": _unstack,
}


def _plain(value: Any) -> Any:
    """Config values without Keras' tracked containers (plain JSON types)."""
    return json.loads(json.dumps(value))


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
        self._op = KERAS_OPS[self._spec.op]
        self.function = function
        self._arguments = _plain(dict(arguments or {}))
        self._tensor_arguments = list(tensor_arguments or [self._spec.params[0]])
        self.num_outputs = outputs

    def call(self, inputs: Any) -> Any:
        spec, names = self._spec, self._tensor_arguments
        tensors = [list(inputs)] if spec.sequence else (list(inputs) if len(names) > 1 else [inputs])
        if len(tensors) != len(names):
            raise ValueError(f"TFOp tf.{self.function} takes {len(names)} tensors, got {len(tensors)}")
        values: dict[str, Any] = dict(zip(names, tensors, strict=True))
        dtypes = {n: keras.backend.standardize_dtype((t[0] if spec.sequence else t).dtype) for n, t in values.items()}
        dtype = operand_dtype(spec, dtypes, self._arguments)
        for key, value in self._arguments.items():
            if key in spec.operands and value is not None:
                array = np.asarray(value) if key in spec.own_dtype else np.asarray(value, dtype=dtype)
                value = ops.convert_to_tensor(array.astype("int32") if array.dtype == np.int64 else array)
            values[key] = value
        result = self._op(values)
        if isinstance(result, list):
            count = int(self.num_outputs or 1)
            if len(result) < count:
                raise ValueError(f"TFOp tf.{self.function} returns {len(result)} tensors, the model uses {count}")
            return result[:count]
        return result

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
