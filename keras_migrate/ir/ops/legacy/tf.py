"""What the TensorFlow functions the codemods meet inside Keras code mean in Keras 3.

Keyed by the symbol under ``tf.`` (``math.reduce_sum``), with the top-level aliases TF
exports (``reduce_sum``) pointing at the same entry. Where a function is also one a
tf.keras ``TFOpLambda`` layer runs, its parameters and defaults come from
:data:`keras_migrate.ir.ops.tf.TF_OPS` (one signature table for the converter and the
codemods); the others are written here as TF 2 (or, for the TF 1 functions that no longer
exist, TF 1.15) declared them. Checked against TensorFlow by
``tests/ir/ops/test_legacy_ops.py``.
"""

from __future__ import annotations

from keras_migrate.ir.ops.legacy.backend import ARG_INDICES_NOTE, INT32_INDICES, SHAPE_NOTE
from keras_migrate.ir.ops.legacy.records import LegacyOp, case, legacy_op, when
from keras_migrate.ir.ops.tf import TF_OPS

__all__ = ["TF_LEGACY_OPS"]


def _signature(symbol: str, defaults: dict[str, str] | None = None) -> str:
    """``symbol``'s signature from :data:`TF_OPS` (``defaults`` overriding where TF's
    declared ``None`` means a value), with TF's trailing ``name=None``."""
    spec = TF_OPS[symbol]
    parts = []
    for p in spec.params:
        if defaults and p in defaults:
            parts.append(f"{p}={defaults[p]}")
        elif p in spec.defaults:
            value = spec.defaults[p]
            parts.append(f"{p}={value!r}")
        else:
            parts.append(p)
    return ", ".join([*parts, "name=None"])


def _tf(symbol: str, *cases: object, defaults: dict[str, str] | None = None, **kw: str) -> LegacyOp:
    """An entry whose signature is :data:`TF_OPS`' (see :func:`_signature`)."""
    return legacy_op(f"tf.{symbol}", _signature(symbol, defaults), *cases, **kw)  # type: ignore[arg-type]


_FLOAT_DIVIDE = when("floating", "x", "y", text="x or y is floating (TF divided integers to float64)")
_INT_OPERANDS = when("integer", "x", "y", text="x and y are integers (a model's known dtypes)")
_DIVIDE_NOTE = (
    "tf.{f}(x, y) divided integers to float64 (the engine could not show x or y floating): "
    "keras.ops.{o}(x, y) for floating x, y; for integers "
    "keras.ops.{o}(keras.ops.cast(x, 'float64'), keras.ops.cast(y, 'float64'))"
)
#: TF divided integers to float64 (a case only known dtypes select: ``integer``).
_INT_DIVIDE = "ops.{o}(ops.cast(x, 'float64'), ops.cast(y, 'float64'))"
_REDUCE = {
    "reduce_sum": "sum",
    "reduce_mean": "mean",
    "reduce_max": "max",
    "reduce_min": "min",
    "reduce_prod": "prod",
    "reduce_any": "any",
    "reduce_all": "all",
    "reduce_logsumexp": "logsumexp",
    "reduce_std": "std",
    "reduce_variance": "var",
}
_UNARY = {
    "abs": "abs",
    "exp": "exp",
    "log": "log",
    "sqrt": "sqrt",
    "square": "square",
    "sign": "sign",
    "tanh": "tanh",
    "sigmoid": "sigmoid",
    "floor": "floor",
    "ceil": "ceil",
    "round": "round",
    "sin": "sin",
    "cos": "cos",
    "negative": "negative",
    "log1p": "log1p",
    "expm1": "expm1",
    "rsqrt": "rsqrt",
    "reciprocal": "reciprocal",
    "erf": "erf",
    "logical_not": "logical_not",
}
_BINARY = {
    "maximum": "maximum",
    "minimum": "minimum",
    "add": "add",
    "subtract": "subtract",
    "multiply": "multiply",
    "pow": "power",
    "equal": "equal",
    "not_equal": "not_equal",
    "greater": "greater",
    "greater_equal": "greater_equal",
    "less": "less",
    "less_equal": "less_equal",
    "logical_and": "logical_and",
    "logical_or": "logical_or",
    "floordiv": "floor_divide",
}
_NN = {
    "relu": "relu",
    "relu6": "relu6",
    "elu": "elu",
    "selu": "selu",
    "softsign": "softsign",
    "sigmoid": "sigmoid",
    "tanh": "tanh",
}
_SHAPE_TF = SHAPE_NOTE.replace("K.shape", "tf.shape")
_TF1_CAST = {"to_float": "float32", "to_double": "float64", "to_int32": "int32", "to_int64": "int64"}

#: ``tf.math.l2_normalize`` without an axis normalised over every axis (TF's formula).
_L2_ALL_AXES = case(
    "ops.multiply(x, ops.rsqrt(ops.maximum(ops.sum(ops.square(x), keepdims=True), epsilon)))", when("omitted", "axis")
)
#: ``tf.nn.silu(features, beta)``: ``features * sigmoid(beta * features)``.
_SILU_BETA = case("ops.multiply(features, ops.sigmoid(ops.multiply(features, beta)))", when("given", "beta"))


def _matmul_transposed() -> list[object]:
    """``tf.matmul`` with ``transpose_*`` flags (the last two axes of that operand swapped)
    or ``adjoint_*`` flags (swapped and conjugated: on real values the same)."""
    out: list[object] = []
    operand = {
        "": "{x}",
        "transpose": "ops.swapaxes({x}, -1, -2)",
        "adjoint": "ops.conj(ops.swapaxes({x}, -1, -2))",
    }
    for kind_a in operand:
        for kind_b in operand:
            if not kind_a and not kind_b:
                continue
            conditions = [when("one_of", f"{k}_{x}", True) for k, x in ((kind_a, "a"), (kind_b, "b")) if k]
            a, b = operand[kind_a].format(x="a"), operand[kind_b].format(x="b")
            out.append(case(f"ops.matmul({a}, {b})", *conditions))
    return out


_MATMUL_TRANSPOSED = _matmul_transposed()

_MATH: list[tuple[str, LegacyOp]] = [
    *((f"math.{f}", _tf(f"math.{f}", f"ops.{o}(input_tensor, axis=axis, keepdims=keepdims)", aliases="keep_dims:keepdims reduction_indices:axis")) for f, o in _REDUCE.items() if f != "reduce_mean"),
    (
        "math.reduce_mean",
        _tf(
            "math.reduce_mean",
            case(
                "ops.mean(input_tensor, axis=axis, keepdims=keepdims)",
                when("floating", "input_tensor", text="input_tensor is floating (TF's integer mean truncated)"),
            ),
            case(
                "ops.cast(ops.mean(input_tensor, axis=axis, keepdims=keepdims), input_tensor.dtype)",
                when("integer", "input_tensor", text="input_tensor is an integer (a model's known dtypes)"),
            ),
            follow_up="tf.reduce_mean: keras.ops.mean(input_tensor, axis=axis, keepdims=keepdims) when "
            "input_tensor is floating (the engine could not show it); on integers TF truncated: "
            "keras.ops.cast(keras.ops.mean(input_tensor, axis=axis, keepdims=keepdims), input_tensor.dtype)",
            aliases="keep_dims:keepdims reduction_indices:axis",
        ),
    ),
    *((f"math.{f}", _tf(f"math.{f}", f"ops.{o}(x)")) for f, o in _UNARY.items()),
    ("math.softplus", _tf("math.softplus", "ops.softplus(features)")),
    *(
        (f"math.{f}", legacy_op(f"tf.math.{f}", "x, name=None", f"ops.{o}(x)"))
        for f, o in {"is_nan": "isnan", "is_inf": "isinf", "is_finite": "isfinite"}.items()
    ),
    *((f"math.{f}", _tf(f"math.{f}", f"ops.{o}(x, y)")) for f, o in _BINARY.items()),
    ("math.divide", _tf("math.divide", case("ops.divide(x, y)", _FLOAT_DIVIDE), case(_INT_DIVIDE.format(o="divide"), _INT_OPERANDS), follow_up=_DIVIDE_NOTE.format(f="math.divide", o="divide"))),
    ("math.truediv", _tf("math.truediv", case("ops.true_divide(x, y)", _FLOAT_DIVIDE), case(_INT_DIVIDE.format(o="true_divide"), _INT_OPERANDS), follow_up=_DIVIDE_NOTE.format(f="math.truediv", o="true_divide"))),
    (
        "math.argmax",
        _tf(
            "math.argmax",
            case("ops.argmax(input, axis=axis)", INT32_INDICES),
            case("ops.cast(ops.argmax(input, axis=axis), output_type)", when("given", "output_type")),
            follow_up=ARG_INDICES_NOTE.format(name="tf.math.argmax", op="argmax", x="input", axis="axis"),
            defaults={"axis": "0"},
            explicit="axis",
            aliases="dimension:axis",
        ),
    ),
    (
        "math.argmin",
        _tf(
            "math.argmin",
            case("ops.argmin(input, axis=axis)", INT32_INDICES),
            case("ops.cast(ops.argmin(input, axis=axis), output_type)", when("given", "output_type")),
            follow_up=ARG_INDICES_NOTE.format(name="tf.math.argmin", op="argmin", x="input", axis="axis"),
            defaults={"axis": "0"},
            explicit="axis",
            aliases="dimension:axis",
        ),
    ),
    (
        "math.cumsum",
        legacy_op("tf.math.cumsum", "x, axis=0, exclusive=False, reverse=False, name=None", "ops.cumsum(x, axis=axis)", explicit="axis"),
    ),
    ("math.top_k", legacy_op("tf.math.top_k", "input, k=1, sorted=True, name=None", "ops.top_k(input, k, sorted=sorted)", explicit="k")),
    ("math.in_top_k", legacy_op("tf.math.in_top_k", "targets, predictions, k, name=None", "ops.in_top_k(targets, predictions, k)")),
    (
        "math.segment_sum",
        legacy_op(
            "tf.math.segment_sum",
            "data, segment_ids, name=None",
            case(
                "ops.segment_sum(data, segment_ids, num_segments=int(ops.max(segment_ids)) + 1)",
                when("concrete", "segment_ids", text="segment_ids is concrete (int() of a traced value raises)"),
            ),
            follow_up="tf.math.segment_sum: keras.ops.segment_sum(data, segment_ids, num_segments=N) with N "
            "the number of segments (max(segment_ids) + 1) as a Python int: the engine could not show "
            "segment_ids concrete, and keras.ops needs num_segments for traced ids",
        ),
    ),
    ("math.l2_normalize", _tf("math.l2_normalize", case("ops.normalize(x, axis=axis, epsilon=epsilon)", when("given", "axis")), _L2_ALL_AXES, explicit="epsilon", aliases="dim:axis", follow_up="tf.math.l2_normalize without axis normalised over all axes: pass axis explicitly to keras.ops.normalize")),
]

_ENTRIES: list[tuple[str, LegacyOp]] = [
    *_MATH,
    *((f"nn.{f}", _tf(f"nn.{f}", f"ops.{o}({TF_OPS[f'nn.{f}'].params[0]})")) for f, o in _NN.items()),
    ("nn.silu", _tf("nn.silu", "ops.silu(features)", _SILU_BETA)),
    ("nn.swish", _tf("nn.swish", "ops.silu(features)", _SILU_BETA)),
    ("nn.gelu", _tf("nn.gelu", "ops.gelu(features, approximate=approximate)", explicit="approximate")),
    ("nn.softmax", _tf("nn.softmax", "ops.softmax(logits, axis=axis)", defaults={"axis": "-1"}, aliases="dim:axis")),
    ("nn.log_softmax", _tf("nn.log_softmax", "ops.log_softmax(logits, axis=axis)", defaults={"axis": "-1"}, aliases="dim:axis")),
    ("nn.leaky_relu", _tf("nn.leaky_relu", "ops.leaky_relu(features, negative_slope=alpha)")),
    (
        "nn.l2_normalize",
        _tf("nn.l2_normalize", case("ops.normalize(x, axis=axis, epsilon=epsilon)", when("given", "axis")), _L2_ALL_AXES, explicit="epsilon", aliases="dim:axis", follow_up="tf.nn.l2_normalize without axis normalised over all axes: pass axis explicitly to keras.ops.normalize"),
    ),
    ("nn.dropout", legacy_op("tf.nn.dropout", "x, rate, noise_shape=None, seed=None, name=None", "random.dropout(x, rate, noise_shape=noise_shape, seed=seed)", random=True)),
    ("nn.moments", legacy_op("tf.nn.moments", "x, axes, shift=None, keepdims=False, name=None", "ops.moments(x, axes, keepdims=keepdims)", aliases="keep_dims:keepdims", ignored="name shift")),
    ("nn.top_k", legacy_op("tf.nn.top_k", "input, k=1, sorted=True, name=None", "ops.top_k(input, k, sorted=sorted)", explicit="k")),
    (
        "nn.sigmoid_cross_entropy_with_logits",
        legacy_op("tf.nn.sigmoid_cross_entropy_with_logits", "labels=None, logits=None, name=None", "ops.binary_crossentropy(labels, logits, from_logits=True)"),
    ),
    (
        "nn.softmax_cross_entropy_with_logits",
        legacy_op(
            "tf.nn.softmax_cross_entropy_with_logits",
            "labels, logits, axis=-1, name=None",
            "ops.categorical_crossentropy(labels, logits, from_logits=True, axis=axis)",
            aliases="dim:axis",
        ),
    ),
    (
        "nn.sparse_softmax_cross_entropy_with_logits",
        legacy_op("tf.nn.sparse_softmax_cross_entropy_with_logits", "labels=None, logits=None, name=None", "ops.sparse_categorical_crossentropy(labels, logits, from_logits=True)"),
    ),
    ("matmul", _tf("matmul", "ops.matmul(a, b)", *_MATMUL_TRANSPOSED)),
    ("linalg.matmul", _tf("linalg.matmul", "ops.matmul(a, b)", *_MATMUL_TRANSPOSED)),
    ("concat", _tf("concat", "ops.concatenate(values, axis=axis)")),
    ("stack", _tf("stack", "ops.stack(values, axis=axis)")),
    ("unstack", _tf("unstack", "ops.unstack(value, num, axis=axis)")),
    ("reshape", _tf("reshape", "ops.reshape(tensor, shape)")),
    ("transpose", _tf("transpose", "ops.transpose(a, perm)")),
    ("expand_dims", _tf("expand_dims", "ops.expand_dims(input, axis)", aliases="dim:axis")),
    ("squeeze", _tf("squeeze", "ops.squeeze(input, axis=axis)", aliases="squeeze_dims:axis")),
    ("tile", _tf("tile", "ops.tile(input, multiples)")),
    ("gather", _tf("gather", "ops.take(params, indices, axis=axis)", defaults={"axis": "0"}, explicit="axis")),
    ("cast", _tf("cast", "ops.cast(x, dtype)")),
    ("clip_by_value", _tf("clip_by_value", "ops.clip(t, clip_value_min, clip_value_max)")),
    (
        "where",
        _tf(
            "where",
            case("ops.where(condition, x, y)", when("given", "x"), when("given", "y")),
            follow_up="tf.where(condition) with one argument returned the indices of the true "
            "elements: use keras.ops.stack(keras.ops.nonzero(condition), axis=-1)",
        ),
    ),
    ("shape", legacy_op("tf.shape", "input, out_type='int32', name=None", case("ops.shape(input)", when("indexed")), follow_up=_SHAPE_TF, ignored="name out_type")),
    ("size", legacy_op("tf.size", "input, out_type='int32', name=None", "ops.size(input)", ignored="name out_type")),
    ("zeros", legacy_op("tf.zeros", "shape, dtype='float32', name=None", "ops.zeros(shape, dtype=dtype)", explicit="dtype")),
    ("ones", legacy_op("tf.ones", "shape, dtype='float32', name=None", "ops.ones(shape, dtype=dtype)", explicit="dtype")),
    ("zeros_like", legacy_op("tf.zeros_like", "input, dtype=None, name=None", "ops.zeros_like(input, dtype=dtype)")),
    ("ones_like", legacy_op("tf.ones_like", "input, dtype=None, name=None", "ops.ones_like(input, dtype=dtype)")),
    ("range", legacy_op("tf.range", "start, limit=None, delta=1, dtype=None, name='range'", "ops.arange(start, limit, delta, dtype=dtype)")),
    (
        "one_hot",
        legacy_op(
            "tf.one_hot",
            "indices, depth, on_value=None, off_value=None, axis=None, dtype=None, name=None",
            "ops.one_hot(indices, depth, dtype=dtype)",
            follow_up="tf.one_hot with on_value/off_value/axis: keras.ops.one_hot(indices, depth, axis=axis, "
            "dtype=dtype) * (on_value - off_value) + off_value",
        ),
    ),
    ("stop_gradient", legacy_op("tf.stop_gradient", "input, name=None", "ops.stop_gradient(input)")),
    ("convert_to_tensor", legacy_op("tf.convert_to_tensor", "value, dtype=None, dtype_hint=None, name=None", "ops.convert_to_tensor(value, dtype=dtype)")),
    ("identity", legacy_op("tf.identity", "input, name=None", "ops.copy(input)")),
    *(
        (f"random.{f}", legacy_op(f"tf.random.{f}", f"shape, {a}=0.0, {b}={c}, dtype='float32', seed=None, name=None", f"random.{k}(shape, {ka}={a}, {kb}={b}, dtype=dtype, seed=seed)", explicit="dtype", random=True))
        for f, k, a, b, c, ka, kb in (
            ("normal", "normal", "mean", "stddev", "1.0", "mean", "stddev"),
            ("uniform", "uniform", "minval", "maxval", "None", "minval", "maxval"),
            ("truncated_normal", "truncated_normal", "mean", "stddev", "1.0", "mean", "stddev"),
        )
    ),
    ("math.divide_no_nan", _tf("math.divide_no_nan", "ops.divide_no_nan(x, y)")),
    ("compat.v1.floor_div", _tf("compat.v1.floor_div", "ops.floor_divide(x, y)")),
    ("math.floormod", _tf("math.floormod", "ops.mod(x, y)")),
    ("math.squared_difference", _tf("math.squared_difference", "ops.square(ops.subtract(x, y))")),
    ("math.scalar_mul", _tf("math.scalar_mul", "ops.multiply(scalar, x)")),
    ("math.logical_xor", _tf("math.logical_xor", "ops.logical_xor(x, y)")),
    ("math.tan", _tf("math.tan", "ops.tan(x)")),
    ("math.log_sigmoid", _tf("math.log_sigmoid", "ops.log_sigmoid(x)")),
    ("math.log_softmax", _tf("math.log_softmax", "ops.log_softmax(logits, axis=axis)", defaults={"axis": "-1"}, aliases="dim:axis")),
    (
        "math.reduce_euclidean_norm",
        _tf("math.reduce_euclidean_norm", "ops.sqrt(ops.sum(ops.square(input_tensor), axis=axis, keepdims=keepdims))"),
    ),
    ("math.add_n", _tf("math.add_n", "ops.sum(ops.stack(inputs), axis=0)")),
    (
        "pad",
        _tf(
            "pad",
            case("ops.pad(tensor, paddings, constant_values=constant_values)", when("one_of", "mode", "CONSTANT", "constant")),
            follow_up="tf.pad with mode REFLECT/SYMMETRIC: keras.ops.pad(x, paddings, mode='reflect'/'symmetric') "
            "(check the result on your backend: torch pads only the last axes, and backends differ on 'symmetric')",
        ),
    ),
    (
        "split",
        _tf(
            "split",
            case("ops.split(value, num_or_size_splits, axis=axis)", when("int", "num_or_size_splits")),
            # a literal list of sizes: keras.ops.split takes the split points (running sums)
            case(
                "ops.split(value, split_points(num_or_size_splits), axis=axis)",
                when("nonnegative_ints", "num_or_size_splits"),
            ),
            follow_up="tf.split with a list of sizes: keras.ops.split takes split points, "
            "keras.ops.split(x, numpy.cumsum(sizes)[:-1].tolist(), axis=axis)",
        ),
    ),
    # TF 1 functions TF 2 no longer has
    *((f, legacy_op(f"tf.{f}", "x, name=None", f'ops.cast(x, "{d}")')) for f, d in _TF1_CAST.items()),
    ("assign", legacy_op("tf.assign", "ref, value, validate_shape=None, use_locking=None, name=None", "ref.assign(value)", ignored="name use_locking validate_shape")),
    ("assign_add", legacy_op("tf.assign_add", "ref, value, use_locking=None, name=None", "ref.assign_add(value)", ignored="name use_locking")),
    ("assign_sub", legacy_op("tf.assign_sub", "ref, value, use_locking=None, name=None", "ref.assign_sub(value)", ignored="name use_locking")),
    *(
        (f, legacy_op(f"tf.{f}", sig, follow_up=text))
        for f, sig, text in (
            ("placeholder", "dtype, shape=None, name=None", "tf.placeholder does not exist in TF 2: use keras.Input(shape=..., dtype=...) and call the model on data"),
            ("Session", "target='', graph=None, config=None", "TF 1 sessions do not exist in TF 2 or Keras 3: run the model eagerly (model(x), model.predict(x)) and drop the session"),
            ("InteractiveSession", "target='', graph=None, config=None", "TF 1 sessions do not exist in TF 2 or Keras 3: run the model eagerly (model(x), model.predict(x)) and drop the session"),
            ("get_variable", "name, shape=None, dtype=None, initializer=None", "tf.get_variable does not exist in TF 2: create the weight in build() with self.add_weight(name=..., shape=..., initializer=...)"),
            ("variable_scope", "name_or_scope, default_name=None, values=None", "tf.variable_scope does not exist in TF 2: drop it (layers own their weights), or use keras.name_scope(name) for names"),
            ("global_variables_initializer", "", "variables initialise themselves in TF 2 and Keras 3: remove this call"),
            ("div", "x, y, name=None", "tf.div does not exist in TF 2 (it divided like Python 2): keras.ops.floor_divide(x, y) for integers, keras.ops.divide(x, y) for floats"),
        )
    ),
    (
        "Print",
        legacy_op(
            "tf.Print",
            "input_, data, message=None, first_n=None, summarize=None, name=None",
            follow_up="tf.Print does not exist in TF 2: it returned input_ and printed data; use input_ "
            "itself, and print in eager code with print(message, keras.ops.convert_to_numpy(t))",
        ),
    ),
]

#: TF aliases of the ``tf.math``/``tf.random``/``tf.linalg`` functions above.
_ALIASES: dict[str, str] = {
    **{f: f"math.{f}" for f in (*_REDUCE, *_UNARY, *_BINARY, "softplus", "is_nan", "is_inf", "is_finite", "divide", "truediv", "argmax", "argmin", "cumsum", "log")},
    "nn.softplus": "math.softplus",
    "linalg.l2_normalize": "math.l2_normalize",
    "log": "math.log",
    "random_normal": "random.normal",
    "random_uniform": "random.uniform",
    "truncated_normal": "random.truncated_normal",
    "math.mod": "math.floormod",
    "floormod": "math.floormod",
    "mod": "math.floormod",
    "squared_difference": "math.squared_difference",
    "scalar_mul": "math.scalar_mul",
    "compat.v1.math.scalar_mul": "math.scalar_mul",
    "add_n": "math.add_n",
    "tan": "math.tan",
    "logical_xor": "math.logical_xor",
    "floor_div": "compat.v1.floor_div",
    "compat.v1.transpose": "transpose",
    "compat.v1.squeeze": "squeeze",
    "compat.v1.gather": "gather",
    "compat.v1.pad": "pad",
}

#: TF symbol (under ``tf.``) -> its meaning; aliases share the entry.
TF_LEGACY_OPS: dict[str, LegacyOp] = dict(_ENTRIES)
for _alias, _target in _ALIASES.items():
    if _target in TF_LEGACY_OPS:
        TF_LEGACY_OPS[_alias] = TF_LEGACY_OPS[_target]
