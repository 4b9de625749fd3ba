"""Sample calls for every entry of the legacy-op table (``keras_migrate.ir.ops.legacy``).

Each entry gets calls over several ranks and dtypes, described framework-free (:class:`A`
an array spec, :class:`V` a variable, :class:`Fn` a function by ``keras.ops``/``tf.math``
name, :class:`Thunk` a zero-argument function); ``run_legacy_ops.py`` makes them real
on both sides, runs the legacy function (tf_keras's backend, TensorFlow) and the entry's
case (``template.evaluate`` over ``keras.ops``) and compares. Generic samples follow the
parameter names; the rest are written per entry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["UNTESTED", "A", "Fn", "N", "Sample", "Thunk", "V", "samples_for"]


@dataclass(frozen=True)
class A:
    """An array: ``kind`` normal, positive, unit (0..1), int (0..high-1), bool, probs
    (rows summing to 1 along the last axis), onehot (last axis, ``high`` classes)."""

    shape: tuple[int, ...]
    dtype: str = "float32"
    kind: str = "normal"
    high: int = 4


@dataclass(frozen=True)
class N:
    """A NumPy array (not a tensor) holding an :class:`A`: the value Keras 2 code passed
    to ``K.constant``/``K.variable``."""

    array: A


@dataclass(frozen=True)
class V:
    """A variable holding an :class:`A`."""

    array: A


@dataclass(frozen=True)
class Fn:
    name: str


@dataclass(frozen=True)
class Thunk:
    array: A


@dataclass(frozen=True)
class Sample:
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    #: ``result`` or ``arg0`` (the first argument's value after the call: assignments)
    compare: str = "result"
    context: frozenset[str] = frozenset({"indexed", "read_only"})


def S(*args: Any, **kwargs: Any) -> Sample:
    return Sample(args, kwargs)


#: Entries with cases that are not run, and why.
UNTESTED = {
    "keras.backend.name_scope": "returns a context manager (no value to compare)",
    "keras.backend.set_image_dim_ordering": "changes global configuration; a rename of "
    "'th'/'tf' to 'channels_first'/'channels_last' (Keras 1/2 only)",
}

F32, F64 = "float32", "float64"
RANKED = [(2,), (2, 3), (2, 3, 4)]
POSITIVE = {"log", "sqrt", "rsqrt", "log1p", "reciprocal", "pow", "power"}
UNARY_NAMES = {"x", "features", "input", "tensor", "input_tensor", "a", "t", "variables"}


def _unary(kind: str = "normal", dtypes: tuple[str, ...] = (F32, F64)) -> list[Sample]:
    return [S(A(s, d, kind)) for s in RANKED for d in dtypes]


def _binary(kind: str = "normal") -> list[Sample]:
    out = [S(A(s, d, kind), A(s, d, kind)) for s in RANKED for d in (F32, F64)]
    out.append(S(A((2, 3), F32, kind), A((3,), F32, kind)))  # broadcasting
    return out


def _reduce(kind: str = "normal", axis: str = "axis", keep: str = "keepdims") -> list[Sample]:
    x3 = A((2, 3, 4), F32, kind)
    return [
        *_unary(kind),
        Sample((x3,), {axis: 1}),
        Sample((x3,), {axis: -1, keep: True}),
        Sample((A((2, 3, 4), F64, kind),), {axis: (0, 2)}),
    ]


def _pads(n: int) -> list[Sample]:
    shape = (2,) + (3,) * n + (2,)
    pads = ((1, 0), (2, 1), (0, 1))[:n]
    return [S(A(shape), pads, "channels_last"), S(A(shape), data_format="channels_first"), S(A(shape), data_format="channels_last")]


_X3 = A((2, 3, 4))
_IMG = A((2, 6, 6, 3))
_VOL = A((1, 4, 4, 4, 2))

#: Entry name -> samples, where the generic ones do not fit.
SPECIFIC: dict[str, list[Sample]] = {
    "keras.backend.argmax": [S(A((2, 3, 4))), S(A((2, 3, 4)), 1), S(A((5,), F64))],
    "keras.backend.argmin": [S(A((2, 3, 4))), S(A((2, 3, 4)), 0)],
    "keras.backend.arange": [S(5), S(1, 7, 2), S(2, 8, dtype="float32"), S(3, dtype="int64")],
    "keras.backend.cast": [S(A((2, 3)), "float16"), S(A((2, 3), "int32", "int"), "float32"), S(A((3,), F64), "int32")],
    "keras.backend.clip": [S(A(s, d), -0.5, 0.5) for s in RANKED for d in (F32, F64)],
    "keras.backend.concatenate": [S([_X3, _X3]), S([A((2, 3)), A((2, 5))]), S([_X3, A((2, 1, 4))], axis=1)],
    "keras.backend.cumsum": [S(_X3), S(_X3, 1), S(A((4,), F64))],
    "keras.backend.cumprod": [S(A((2, 3), kind="positive")), S(A((2, 3)), 1)],
    "keras.backend.elu": [S(_X3), S(_X3, 0.5), S(A((3,), F64), 2.0)],
    "keras.backend.expand_dims": [S(_X3), S(_X3, 0), S(A((3,)), 1)],
    "keras.backend.one_hot": [S(A((4,), "int32", "int"), 4), S(A((2, 3), "int64", "int"), 5)],
    "keras.backend.ones_like": [S(_X3), S(_X3, "int32"), S(A((3,), F64))],
    "keras.backend.zeros_like": [S(_X3), S(_X3, "int32"), S(A((3,), F64))],
    "keras.backend.reshape": [S(A((2, 3)), (3, 2)), S(_X3, (-1,)), S(_X3, (2, -1))],
    "keras.backend.softmax": [S(_X3), S(_X3, 1), S(A((2, 5), F64))],
    "keras.backend.squeeze": [S(A((2, 1, 3)), 1), S(A((1, 3)), 0)],
    "keras.backend.stack": [S([_X3, _X3]), S([A((3,)), A((3,))], 1)],
    "keras.backend.tile": [S(A((2, 3)), (2, 1)), S(_X3, (1, 2, 3))],
    "keras.backend.binary_crossentropy": [S(A((4, 3), kind="unit"), A((4, 3), kind="unit")), S(A((4, 3), kind="unit"), A((4, 3)), True)],
    "keras.backend.categorical_crossentropy": [
        S(A((4, 3), kind="onehot", high=3), A((4, 3), kind="probs")),
        S(A((4, 3), kind="onehot", high=3), A((4, 3)), from_logits=True),
        S(A((2, 4, 3), kind="onehot", high=3), A((2, 4, 3), kind="probs")),
    ],
    "keras.backend.sparse_categorical_crossentropy": [
        S(A((4,), "int32", "int", 3), A((4, 3), kind="probs")),
        S(A((4,), "int64", "int", 3), A((4, 3)), from_logits=True),
    ],
    "keras.backend.pow": [S(A((2, 3), kind="positive"), 2), S(A((3,), F64, "positive"), 0.5)],
    "keras.backend.permute_dimensions": [S(_X3, (0, 2, 1)), S(A((2, 3)), (1, 0))],
    "keras.backend.gather": [S(A((4, 3)), A((2,), "int32", "int", 4)), S(_X3, A((3,), "int32", "int", 2))],
    "keras.backend.reverse": [S(_X3, 0), S(_X3, (0, 2)), S(A((4,), F64), 0)],
    "keras.backend.map_fn": [S(Fn("square"), _X3), S(Fn("abs"), A((3,)))],
    "keras.backend.random_normal": [S((2, 3)), S((4,), 1.0, 2.0, seed=3)],
    "keras.backend.random_uniform": [S((2, 3)), S((4,), -1.0, 2.0, seed=3)],
    "keras.backend.truncated_normal": [S((2, 3)), S((4,), 1.0, 2.0, seed=3)],
    "keras.backend.random_bernoulli": [S((2, 3), 0.5)],
    "keras.backend.random_binomial": [S((2, 3), 0.5)],
    "keras.backend.random_normal_variable": [S((2, 3), 0.0, 1.0)],
    "keras.backend.random_uniform_variable": [S((2, 3), 0.0, 1.0)],
    "keras.backend.dropout": [S(_X3, 0.5)],
    "keras.backend.constant": [S(N(A((2, 3), F64))), S(N(A((2, 3), "int64", "int"))), S(N(A((3,))), "int32"), S(N(A((3,))), dtype="float64"), S(1.5), S([1, 2])],
    "keras.backend.variable": [S(N(A((3,), F64))), S(N(A((2, 2), "int64", "int"))), S(N(A((3,))), "float16"), S(0), S(N(A((2,))), name="v")],
    "keras.backend.zeros": [S((2, 3)), S((3,), "int32")],
    "keras.backend.ones": [S((2, 3)), S((3,), "int32")],
    "keras.backend.eye": [S(3), S(4, "float64")],
    "keras.backend.l2_normalize": [S(_X3, 1), S(_X3, -1), S(A((2, 3), F64), 0)],
    "keras.backend.int_shape": [S(_X3), S(A((5,), F64))],
    "keras.backend.get_variable_shape": [S(V(A((2, 3)))), S(V(A((4,))))],
    "keras.backend.count_params": [S(V(A((2, 3)))), S(V(_X3))],
    "keras.backend.slice": [S(_X3, (0, 1, 0), (2, 2, 3)), S(A((4, 5)), (1, 2), (2, 3))],
    "keras.backend.in_top_k": [S(A((4, 5)), A((4,), "int32", "int", 5), 2), S(A((3, 6)), A((3,), "int64", "int", 6), 1)],
    "keras.backend.switch": [
        S(A((2, 3), "bool", "bool"), A((2, 3)), A((2, 3))),
        S(A((), "bool", "bool"), Thunk(A((3,))), Thunk(A((3,)))),
    ],
    "keras.backend.repeat": [S(A((2, 3)), 4)],
    "keras.backend.repeat_elements": [S(_X3, 2, 1), S(A((3,)), 3, 0)],
    "keras.backend.relu": [S(_X3), S(_X3, 0.1, 0.5), S(_X3, alpha=0.2, max_value=None, threshold=0.3), S(A((3,), F64), 0.0, 6.0)],
    "keras.backend.set_value": [Sample((V(A((3,))), A((3,))), compare="arg0")],
    "keras.backend.update": [Sample((V(A((3,))), A((3,))), compare="arg0")],
    "keras.backend.update_add": [Sample((V(A((2, 3))), A((2, 3))), compare="arg0")],
    "keras.backend.update_sub": [Sample((V(A((2, 3))), A((2, 3))), compare="arg0")],
    "keras.backend.batch_get_value": [S([V(A((3,))), V(A((2, 2)))])],
    "keras.backend.flatten": [S(_X3), S(A((2, 3), F64))],
    "keras.backend.batch_flatten": [S(_X3), S(A((2, 3, 4, 2), F64))],
    "keras.backend.bias_add": [S(_X3, A((4,))), S(A((2, 3)), A((3,)), "channels_last")],
    "keras.backend.cast_to_floatx": [S(A((2, 3), F64)), S(A((3,), "int32", "int"))],
    "keras.backend.batch_dot": [
        S(_X3, A((2, 4, 5)), (2, 1)),
        S(_X3, A((2, 6, 4)), [2, 2]),
        S(_X3, A((2, 6, 4)), 2),
        S(_X3, A((2, 3, 5)), (1, 1)),
        S(A((3, 4)), A((3, 4)), 1),
        S(A((3, 4), F64), A((3, 4), F64), (1, 1)),
    ],
    "keras.backend.temporal_padding": [S(_X3), S(_X3, (2, 1))],
    "keras.backend.spatial_2d_padding": _pads(2),
    "keras.backend.spatial_3d_padding": _pads(3),
    "keras.backend.resize_images": [S(A((2, 2, 3, 2)), 2, 3, "channels_last"), S(A((2, 2, 3, 2)), 2, 1, "channels_first")],
    "keras.backend.resize_volumes": [S(A((1, 2, 2, 2, 2)), 2, 1, 3, "channels_last"), S(A((1, 2, 2, 2, 2)), 1, 2, 2, "channels_first")],
    "keras.backend.conv1d": [S(A((2, 8, 3)), A((3, 3, 4))), S(A((2, 8, 3)), A((3, 3, 4)), 2, "same"), S(A((2, 8, 3)), A((3, 3, 4)), dilation_rate=2)],
    "keras.backend.conv2d": [S(_IMG, A((3, 3, 3, 4))), S(_IMG, A((3, 3, 3, 4)), (2, 2), "same"), S(_IMG, A((3, 3, 3, 4)), dilation_rate=(2, 2), data_format="channels_last")],
    "keras.backend.conv3d": [S(_VOL, A((2, 2, 2, 2, 3))), S(_VOL, A((3, 3, 3, 2, 3)), (2, 2, 2), "same")],
    "keras.backend.depthwise_conv2d": [S(_IMG, A((3, 3, 3, 2))), S(_IMG, A((3, 3, 3, 1)), (2, 2), "same")],
    "keras.backend.separable_conv2d": [S(_IMG, A((3, 3, 3, 2)), A((1, 1, 6, 4))), S(_IMG, A((3, 3, 3, 1)), A((1, 1, 3, 2)), padding="same")],
    "keras.backend.pool2d": [S(_IMG, (2, 2)), S(_IMG, (2, 2), (2, 2), "same"), S(_IMG, (3, 3), (2, 2), "valid", None, "avg"), S(_IMG, (2, 2), pool_mode="max")],
    "keras.backend.pool3d": [S(_VOL, (2, 2, 2)), S(_VOL, (2, 2, 2), (2, 2, 2), "valid", pool_mode="avg")],
    "keras.backend.batch_normalization": [
        S(_X3, A((4,)), A((4,), kind="positive"), A((4,)), A((4,))),
        S(_X3, A((4,)), A((4,), kind="positive"), A((4,)), A((4,)), epsilon=0.01),
    ],
    "keras.backend.dot": [
        S(A((2, 3)), A((3, 4))),
        S(_X3, A((4, 5))),
        S(A((2, 3), F64), A((3, 2), F64)),
    ],
    "keras.backend.lesser": _binary(),
    "keras.backend.lesser_equal": _binary(),
    "keras.backend.asymmetric_temporal_padding": [S(_X3), S(_X3, 2, 0)],
    "keras.backend.asymmetric_spatial_2d_padding": [S(_IMG, 1, 2, 0, 1, "tf"), S(_IMG, dim_ordering="th")],
    "keras.backend.separable_conv1d": [S(A((2, 8, 3)), A((3, 3, 2)), A((1, 6, 4))), S(A((2, 8, 3)), A((3, 3, 1)), A((1, 3, 2)), 2, "same")],
    "keras.backend.mean": _reduce(),
    "keras.backend.all": _reduce("bool"),
    "keras.backend.any": _reduce("bool"),
    "keras.backend.dtype": [S(_X3), S(A((3,), "int32", "int"))],
    "keras.backend.ndim": [S(_X3), S(A((3,)))],
    "keras.backend.is_tensor": [S(_X3)],
    "keras.backend.get_value": [S(V(A((2, 3)))), S(_X3)],
    "keras.backend.eval": [S(V(A((2, 3)))), S(_X3)],
    "keras.backend.stop_gradient": [S(_X3), S(A((3,), F64))],
    # tf
    "tf.math.argmax": [S(_X3), S(_X3, 1), S(A((5,), F64)), S(_X3, 1, "int32"), S(_X3, output_type="int64")],
    "tf.math.argmin": [S(_X3), S(_X3, axis=2), S(_X3, 2, "int32")],
    "tf.math.cumsum": [S(_X3), S(_X3, 1), S(A((4,), F64))],
    "tf.math.top_k": [S(A((2, 5))), S(A((2, 5)), 3), S(A((6,), F64), k=2, sorted=True)],
    "tf.math.in_top_k": [S(A((4,), "int32", "int", 5), A((4, 5)), 2)],
    "tf.math.segment_sum": [S(A((5, 3)), A((5,), "int32", "sorted", 3))],
    "tf.math.l2_normalize": [S(_X3, 1), S(_X3, axis=-1, epsilon=1e-6), S(_X3), S(A((2, 3), F64), epsilon=1e-3)],
    "tf.nn.l2_normalize": [S(_X3, 1), S(A((2, 3), F64), 0), S(_X3)],
    "tf.nn.silu": [S(_X3), S(_X3, beta=2.0), S(A((3,), F64), 0.5)],
    "tf.nn.swish": [S(_X3), S(_X3, beta=-1.5)],
    "tf.nn.gelu": [S(_X3), S(_X3, True), S(A((3,), F64))],
    "tf.nn.softmax": [S(_X3), S(_X3, 1)],
    "tf.nn.log_softmax": [S(_X3), S(_X3, 0)],
    "tf.nn.leaky_relu": [S(_X3), S(_X3, 0.1), S(A((3,), F64))],
    "tf.nn.dropout": [S(_X3, 0.5)],
    "tf.nn.moments": [S(_X3, [0]), S(_X3, [0, 1], keepdims=True)],
    "tf.nn.top_k": [S(A((2, 5)), 2)],
    "tf.nn.sigmoid_cross_entropy_with_logits": [S(labels=A((4, 3), kind="unit"), logits=A((4, 3)))],
    "tf.nn.softmax_cross_entropy_with_logits": [S(A((4, 3), kind="probs"), A((4, 3))), S(A((2, 4, 3), kind="onehot", high=3), A((2, 4, 3)))],
    "tf.nn.sparse_softmax_cross_entropy_with_logits": [S(labels=A((4,), "int32", "int", 3), logits=A((4, 3)))],
    "tf.matmul": [
        S(A((2, 3)), A((3, 4))), S(_X3, A((2, 4, 5))), S(A((2, 3), F64), A((3, 2), F64)),
        S(A((3, 2)), A((3, 4)), transpose_a=True), S(A((2, 3)), A((4, 3)), transpose_b=True),
        S(A((2, 3, 4)), A((2, 5, 3)), transpose_a=True, transpose_b=True),
        S(A((3, 2)), A((4, 3)), adjoint_a=True, adjoint_b=True), S(A((2, 3), F64), A((4, 3), F64), adjoint_b=True),
    ],
    "tf.linalg.matmul": [S(A((2, 3)), A((3, 4))), S(_X3, A((2, 4, 5))), S(A((2, 4, 3)), A((2, 4, 5)), adjoint_a=True)],
    "tf.concat": [S([_X3, _X3], 0), S([A((2, 3)), A((2, 5))], axis=-1)],
    "tf.stack": [S([_X3, _X3]), S([A((3,)), A((3,))], 1)],
    "tf.unstack": [S(_X3), S(_X3, axis=1), S(A((2, 3)), 3, 1)],
    "tf.reshape": [S(A((2, 3)), (3, 2)), S(_X3, (-1,)), S(_X3, [2, -1])],
    "tf.transpose": [S(_X3), S(_X3, (0, 2, 1)), S(A((2, 3), F64))],
    "tf.expand_dims": [S(_X3, 0), S(_X3, -1), S(A((3,)), axis=1)],
    "tf.squeeze": [S(A((2, 1, 3, 1))), S(A((2, 1, 3, 1)), [1]), S(A((1, 3)), axis=0)],
    "tf.tile": [S(A((2, 3)), (2, 1)), S(_X3, [1, 2, 3])],
    "tf.gather": [S(A((4, 3)), A((2,), "int32", "int", 4)), S(_X3, A((3,), "int64", "int", 2), axis=1)],
    "tf.cast": [S(A((2, 3)), "float16"), S(A((2, 3), "int32", "int"), "float32"), S(A((3,), F64), "int32")],
    "tf.clip_by_value": [S(A(s, d), -0.5, 0.5) for s in RANKED for d in (F32, F64)],
    "tf.where": [S(A((2, 3), "bool", "bool"), A((2, 3)), A((2, 3))), S(A((2, 3, 4), "bool", "bool"), _X3, A((4,)))],
    "tf.shape": [S(_X3), S(A((5,), F64))],
    "tf.size": [S(_X3), S(A((5,), F64))],
    "tf.zeros": [S((2, 3)), S((3,), "int32")],
    "tf.ones": [S((2, 3)), S((3,), "float64")],
    "tf.zeros_like": [S(_X3), S(_X3, "int32")],
    "tf.ones_like": [S(_X3), S(A((3,), F64))],
    "tf.range": [S(5), S(1, 7, 2), S(0.0, 2.0, 0.5), S(3, dtype="float32")],
    "tf.one_hot": [S(A((4,), "int32", "int"), 4), S(A((2, 3), "int64", "int"), 5, dtype="float64")],
    "tf.stop_gradient": [S(_X3)],
    "tf.convert_to_tensor": [S(N(A((2, 3)))), S(N(A((2, 3), F64))), S(N(A((3,), "int32", "int"))), S(N(A((3,), F64)), "float64"), S(1.5), S([1, 2])],
    "tf.identity": [S(_X3), S(A((3,), "int32", "int"))],
    "tf.random.normal": [S((2, 3)), S((4,), 1.0, 2.0, seed=3)],
    "tf.random.uniform": [S((2, 3)), S((4,), -1.0, 2.0, seed=3)],
    "tf.random.truncated_normal": [S((2, 3)), S((4,), 1.0, 2.0, seed=3)],
    "tf.assign": [Sample((V(A((3,))), A((3,))), compare="arg0")],
    "tf.assign_add": [Sample((V(A((2, 3))), A((2, 3))), compare="arg0")],
    "tf.assign_sub": [Sample((V(A((2, 3))), A((2, 3))), compare="arg0")],
    "tf.math.reduce_any": _reduce("bool", "axis", "keepdims"),
    "tf.math.reduce_all": _reduce("bool", "axis", "keepdims"),
    "tf.math.logical_not": [S(A((2, 3), "bool", "bool"))],
    "tf.math.logical_and": [S(A((2, 3), "bool", "bool"), A((2, 3), "bool", "bool"))],
    "tf.math.logical_or": [S(A((2, 3), "bool", "bool"), A((2, 3), "bool", "bool"))],
    "tf.math.floordiv": [S(A((2, 3)), A((2, 3), kind="positive")), S(A((3,), "int32", "int", 9), A((3,), "int32", "positive_int", 4))],
    "tf.math.pow": [S(A((2, 3), kind="positive"), A((2, 3))), S(A((3,), F64, "positive"), A((3,), F64))],
    "tf.math.divide_no_nan": [S(A((2, 3)), A((2, 3))), S(A((3,), F64), A((3,), F64))],
    "tf.compat.v1.floor_div": [S(A((2, 3)), A((2, 3), kind="positive")), S(A((3,), "int32", "int", 9), A((3,), "int32", "positive_int", 4))],
    "tf.math.floormod": [S(A((2, 3)), A((2, 3), kind="positive")), S(A((3,), "int32", "int", 9), A((3,), "int32", "positive_int", 4))],
    "tf.math.scalar_mul": [S(2.5, _X3), S(-1.0, A((3,), F64))],
    "tf.math.logical_xor": [S(A((2, 3), "bool", "bool"), A((2, 3), "bool", "bool"))],
    "tf.math.log_softmax": [S(_X3), S(_X3, 1)],
    "tf.math.add_n": [S([_X3, _X3, _X3]), S([A((3,), F64), A((3,), F64)])],
    "tf.pad": [S(_X3, ((0, 0), (1, 2), (2, 0))), S(A((2, 3)), [[1, 1], [0, 2]], constant_values=1.5), S(A((2, 3)), ((1, 0), (0, 1)), "CONSTANT")],
    "tf.split": [S(A((2, 6)), 3, 1), S(_X3, 2), S(A((4, 3), F64), 2, axis=0), S(A((2, 6)), [1, 3, 2], 1), S(A((5, 3)), (2, 3))],
    "tf.math.is_nan": [S(_X3)],
    "tf.math.is_inf": [S(_X3)],
    "tf.math.is_finite": [S(_X3)],
    "tf.math.divide": [
        S(A((2, 3)), A((2, 3), kind="positive")), S(A((3,), F64), A((3,), F64, "positive")),
        S(A((3,), "int64", "int", 9), A((3,), "int64", "positive_int", 4)),
    ],
    "tf.math.truediv": [
        S(A((2, 3)), A((2, 3), kind="positive")), S(A((3,), F64), A((3,), F64, "positive")),
        S(A((2, 3), "int32", "int", 9), A((2, 3), "int32", "positive_int", 4)),
    ],
}
for _name in ("to_float", "to_double", "to_int32", "to_int64"):
    SPECIFIC[f"tf.{_name}"] = [S(A((2, 3))), S(A((3,), "int32", "int"))]
for _name in ("reduce_sum", "reduce_max", "reduce_min", "reduce_prod", "reduce_logsumexp", "reduce_std", "reduce_variance", "reduce_mean"):
    SPECIFIC[f"tf.math.{_name}"] = _reduce()
#: TF's integer mean truncates (the table's ``integer`` case)
SPECIFIC["tf.math.reduce_mean"] += [S(A((2, 3), "int32", "int", 9)), S(A((2, 3, 4), "int64", "int", 7), 1), S(A((4,), "int32", "int", 5), keepdims=True)]


def samples_for(name: str, params: tuple[str, ...], required: tuple[str, ...]) -> list[Sample] | None:
    """The samples of the entry ``name`` (``params`` all its parameters, ``required`` those
    without a default); ``None`` when none fit."""
    if name in SPECIFIC:
        return SPECIFIC[name]
    short = name.rsplit(".", 1)[1]
    kind = "positive" if short in POSITIVE else "normal"
    if params[1:3] == ("axis", "keepdims"):
        return _reduce(kind)
    if len(required) == 1 and required[0] in UNARY_NAMES:
        return _unary(kind)
    if required == ("x", "y"):
        return _binary(kind)
    return None
