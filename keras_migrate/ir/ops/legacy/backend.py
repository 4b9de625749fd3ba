"""What every ``keras.backend`` function of Keras 1, Keras 2 and tf.keras means in Keras 3.

Signatures are the legacy ones (tf_keras's, which kept Keras 2's; Keras 1/2-only
functions as Keras 2.2.4 had them), with Keras 2's "dtype None means ``floatx()``" written
as the default ``config.floatx()``. Names Keras 3 still exports from ``keras.backend``
(:data:`KEPT`) mean the same and are not listed. Checked against tf_keras's backend by
``tests/ir/ops/test_legacy_ops.py`` on jax, torch and tensorflow.
"""

from __future__ import annotations

from keras_migrate.ir.ops.legacy.records import LegacyOp, case, legacy_op, when

__all__ = ["BACKEND_OPS", "KEPT"]

#: Names Keras 3 still exports from keras.backend, with the same meaning.
KEPT = frozenset(
    {
        "backend",
        "clear_session",
        "epsilon",
        "floatx",
        "get_uid",
        "image_data_format",
        "is_float_dtype",
        "is_int_dtype",
        "is_keras_tensor",
        "result_type",
        "set_epsilon",
        "set_floatx",
        "set_image_data_format",
        "standardize_dtype",
    }
)

#: keras.ops gives int32 indices where TF gave int64 (same values; jax has no int64 by default)
INT32_INDICES = when(
    "int_width", "result", text="the int64 indices are only compared, cast or used as indices (keras.ops gives int32)"
)
_FLOAT = when("floating", "x", text="x has a floating dtype (on integers the legacy mean truncated)")
#: follow-up of an argmax/argmin whose result's integer width the engine cannot show unused
ARG_INDICES_NOTE = (
    "{name} returned int64 indices, keras.ops.{op} returns int32 (same values): "
    "keras.ops.{op}({x}, axis={axis}), then keras.ops.cast(..., 'int64') where later code needs int64 "
    "(the engine could not show the width unused: the result is not only compared, cast or used as indices)"
)

SHAPE_NOTE = (
    "K.shape returned a tensor but keras.ops.shape(x) returns a tuple (slicing and "
    "arithmetic on it act on the tuple): index it, keras.ops.shape(x)[i], or use "
    "keras.ops.convert_to_tensor(keras.ops.shape(x)) for tensor arithmetic"
)
_RELU_NOTE = (
    "K.relu with tensor alpha/max_value/threshold: keras.activations.relu "
    "needs Python numbers; write it with ops: keras.ops.minimum("
    "keras.ops.where(x >= threshold, x, alpha * (x - threshold)), max_value)"
)
_SLICE_NOTE = (
    "K.slice: a size of -1 meant 'to the end of that axis', which "
    "keras.ops.slice does not accept: use Python slicing (x[:, 1:]) or "
    "keras.ops.slice(x, start, sizes) with explicit non-negative sizes"
)
_BATCH_DOT_NOTE = (
    "K.batch_dot has no keras.ops twin (its result depends on the ranks): for "
    'two 3-D inputs use keras.ops.einsum("bij,bjk->bik", x, y) (adjust the '
    "subscripts to the axes); for two 2-D inputs with axes=1 use "
    "keras.ops.sum(x * y, axis=1, keepdims=True)"
)


def _factory(name: str, first: str, function: str) -> LegacyOp:
    """K.zeros/ones/eye returned variables: a tensor only where the value is just read."""
    return legacy_op(
        f"keras.backend.{name}",
        f"{first}, dtype=config.floatx(), name=None",
        case(f"ops.{function}({first}, dtype=dtype)", when("read_only")),
        explicit="dtype",
        follow_up=f"K.{name} returned a variable (dtype floatx() unless dtype= was given): use "
        f"keras.Variable(keras.ops.{function}({'n' if name == 'eye' else 'shape'}, dtype=...)) if it is "
        f"assigned to, else keras.ops.{function}({'n' if name == 'eye' else 'shape'}, "
        "dtype=keras.config.floatx())",
    )


def _gone(name: str, signature: str, text: str) -> LegacyOp:
    return legacy_op(f"keras.backend.{name}", signature, follow_up=text)


_UNARY = {
    "abs": "abs",
    "cos": "cos",
    "sin": "sin",
    "exp": "exp",
    "log": "log",
    "sqrt": "sqrt",
    "square": "square",
    "sign": "sign",
    "tanh": "tanh",
    "sigmoid": "sigmoid",
    "softplus": "softplus",
    "softsign": "softsign",
    "round": "round",
    "ndim": "ndim",
    "transpose": "transpose",
    "dtype": "dtype",
    "is_tensor": "is_tensor",
    "flatten": None,
    "identity": "copy",
    "get_value": "convert_to_numpy",
    "eval": "convert_to_numpy",
}
_BINARY = ("equal", "not_equal", "greater", "greater_equal", "less", "less_equal", "maximum", "minimum")
_REDUCE = ("max", "min", "sum", "prod", "std", "var", "all", "any", "logsumexp")
_LEARNING_PHASE = "the global learning phase was removed: pass training=True/False to layer and model calls"

_OPS: list[LegacyOp] = [
    *(legacy_op(f"keras.backend.{n}", "x", f"ops.{f}(x)") for n, f in _UNARY.items() if f),
    legacy_op("keras.backend.flatten", "x", "ops.reshape(x, (-1,))"),
    *(legacy_op(f"keras.backend.{n}", "x, y", f"ops.{n}(x, y)") for n in _BINARY),
    legacy_op(
        "keras.backend.dot",
        "x, y",
        case(
            "ops.dot(x, y)",
            when("known_rank", "y", 2, text="y has rank 2 (K.dot contracted x's last axis with y's second-to-last for any rank; keras.ops.dot with a y of rank > 2 raises on torch)"),
        ),
        follow_up="K.dot(x, y) contracted x's last axis with y's second-to-last for any rank "
        "(the engine could not show y is 2-D): keras.ops.tensordot(x, y, axes=[[-1], [-2]]) "
        "(keras.ops.dot(x, y) when y is 2-D)",
    ),
    *(
        legacy_op(f"keras.backend.{n}", "x, axis=None, keepdims=False", f"ops.{n}(x, axis=axis, keepdims=keepdims)")
        for n in _REDUCE
    ),
    legacy_op(
        "keras.backend.mean",
        "x, axis=None, keepdims=False",
        case("ops.mean(x, axis=axis, keepdims=keepdims)", _FLOAT),
        follow_up="K.mean(x, axis, keepdims): keras.ops.mean(x, axis=axis, keepdims=keepdims) when x is "
        "floating (the engine could not show it); on integer x K.mean truncated: "
        "keras.ops.cast(keras.ops.mean(x, axis=axis, keepdims=keepdims), x.dtype)",
    ),
    *(
        legacy_op(
            f"keras.backend.{n}",
            "x, axis=-1",
            case(f"ops.{n}(x, axis=axis)", INT32_INDICES),
            explicit="axis",
            follow_up=ARG_INDICES_NOTE.format(name=f"K.{n}", op=n, x="x", axis="-1"),
        )
        for n in ("argmax", "argmin")
    ),
    legacy_op(
        "keras.backend.arange",
        "start, stop=None, step=1, dtype='int32'",
        "ops.arange(start, stop, step, dtype=dtype)",
        explicit="dtype",
    ),
    legacy_op("keras.backend.cast", "x, dtype", "ops.cast(x, dtype)"),
    legacy_op(
        "keras.backend.clip",
        "x, min_value, max_value",
        case(
            "ops.clip(x, min_value, max_value)",
            when("ordered", "min_value", "max_value", text="min_value and max_value are numbers with min_value <= max_value"),
        ),
        follow_up="K.clip raised max_value to min_value where it was smaller and read None as no bound "
        "(the engine could not show min_value <= max_value): "
        "keras.ops.clip(x, min_value, keras.ops.maximum(min_value, max_value))",
    ),
    legacy_op("keras.backend.concatenate", "tensors, axis=-1", "ops.concatenate(tensors, axis=axis)", explicit="axis"),
    legacy_op("keras.backend.cumsum", "x, axis=0", "ops.cumsum(x, axis=axis)", explicit="axis"),
    legacy_op("keras.backend.cumprod", "x, axis=0", "ops.cumprod(x, axis=axis)", explicit="axis"),
    legacy_op("keras.backend.elu", "x, alpha=1.0", "ops.elu(x, alpha)"),
    legacy_op("keras.backend.expand_dims", "x, axis=-1", "ops.expand_dims(x, axis=axis)", explicit="axis"),
    legacy_op("keras.backend.one_hot", "indices, num_classes", "ops.one_hot(indices, num_classes)"),
    _factory("zeros", "shape", "zeros"),
    _factory("ones", "shape", "ones"),
    _factory("eye", "size", "eye"),
    legacy_op("keras.backend.ones_like", "x, dtype=None, name=None", "ops.ones_like(x, dtype=dtype)"),
    legacy_op("keras.backend.zeros_like", "x, dtype=None, name=None", "ops.zeros_like(x, dtype=dtype)"),
    legacy_op("keras.backend.reshape", "x, shape", "ops.reshape(x, shape)"),
    legacy_op("keras.backend.softmax", "x, axis=-1", "ops.softmax(x, axis=axis)"),
    legacy_op("keras.backend.squeeze", "x, axis", "ops.squeeze(x, axis)"),
    legacy_op("keras.backend.stack", "x, axis=0", "ops.stack(x, axis=axis)"),
    legacy_op("keras.backend.tile", "x, n", "ops.tile(x, n)"),
    legacy_op("keras.backend.stop_gradient", "variables", "ops.stop_gradient(variables)"),
    legacy_op(
        "keras.backend.binary_crossentropy",
        "target, output, from_logits=False",
        "ops.binary_crossentropy(target, output, from_logits=from_logits)",
    ),
    legacy_op(
        "keras.backend.categorical_crossentropy",
        "target, output, from_logits=False, axis=-1",
        "ops.categorical_crossentropy(target, output, from_logits=from_logits, axis=axis)",
    ),
    legacy_op(
        "keras.backend.sparse_categorical_crossentropy",
        "target, output, from_logits=False, axis=-1",
        "ops.sparse_categorical_crossentropy(target, output, from_logits=from_logits, axis=axis)",
    ),
    legacy_op("keras.backend.pow", "x, a", "ops.power(x, a)"),
    legacy_op("keras.backend.permute_dimensions", "x, pattern", "ops.transpose(x, pattern)"),
    legacy_op("keras.backend.gather", "reference, indices", "ops.take(reference, indices, axis=0)"),
    legacy_op("keras.backend.reverse", "x, axes", "ops.flip(x, axis=axes)"),
    legacy_op("keras.backend.map_fn", "fn, elems, name=None, dtype=None", "ops.map(fn, elems)", ignored="name dtype"),
    legacy_op(
        "keras.backend.random_normal",
        "shape, mean=0.0, stddev=1.0, dtype=None, seed=None",
        "random.normal(shape, mean=mean, stddev=stddev, dtype=dtype, seed=seed)",
        random=True,
    ),
    legacy_op(
        "keras.backend.random_uniform",
        "shape, minval=0.0, maxval=1.0, dtype=None, seed=None",
        "random.uniform(shape, minval=minval, maxval=maxval, dtype=dtype, seed=seed)",
        random=True,
    ),
    legacy_op(
        "keras.backend.truncated_normal",
        "shape, mean=0.0, stddev=1.0, dtype=None, seed=None",
        "random.truncated_normal(shape, mean=mean, stddev=stddev, dtype=dtype, seed=seed)",
        random=True,
    ),
    legacy_op(
        "keras.backend.random_bernoulli",
        "shape, p=0.0, dtype=config.floatx(), seed=None",
        "ops.cast(ops.less_equal(random.uniform(shape, seed=seed), p), dtype)",
        explicit="dtype",
        aliases="level:p",
        random=True,
    ),
    legacy_op(
        "keras.backend.random_binomial",
        "shape, p=0.0, dtype=config.floatx(), seed=None",
        "ops.cast(ops.less_equal(random.uniform(shape, seed=seed), p), dtype)",
        explicit="dtype",
        random=True,
    ),
    legacy_op(
        "keras.backend.random_normal_variable",
        "shape, mean, scale, dtype=config.floatx(), name=None, seed=None",
        "Variable(random.normal(shape, mean=mean, stddev=scale, dtype=dtype, seed=seed), name=name)",
        explicit="dtype",
        random=True,
    ),
    legacy_op(
        "keras.backend.random_uniform_variable",
        "shape, low, high, dtype=config.floatx(), name=None, seed=None",
        "Variable(random.uniform(shape, minval=low, maxval=high, dtype=dtype, seed=seed), name=name)",
        explicit="dtype",
        random=True,
    ),
    legacy_op(
        "keras.backend.dropout",
        "x, level, noise_shape=None, seed=None",
        "random.dropout(x, level, noise_shape=noise_shape, seed=seed)",
        random=True,
    ),
    legacy_op(
        "keras.backend.constant",
        "value, dtype=config.floatx(), shape=None, name=None",
        case("ops.convert_to_tensor(value, dtype=dtype)", when("omitted", "shape")),
        explicit="dtype",
        follow_up="K.constant(value, shape=...) broadcast or reshaped the value: use "
        "keras.ops.broadcast_to(keras.ops.convert_to_tensor(value, dtype=keras.config.floatx()), shape)",
    ),
    legacy_op(
        "keras.backend.variable",
        "value, dtype=config.floatx(), name=None, constraint=None",
        case("Variable(value, name=name, dtype=dtype)", when("omitted", "constraint")),
        explicit="dtype",
        follow_up="K.variable(..., constraint=) has no Keras 3 twin outside a layer: create the "
        "weight with self.add_weight(..., constraint=constraint) in build()",
    ),
    legacy_op("keras.backend.name_scope", "name", "name_scope(name)"),
    legacy_op(
        "keras.backend.l2_normalize",
        "x, axis=None",
        case("ops.normalize(x, axis=axis, epsilon=1e-12)", when("given", "axis")),
        follow_up="K.l2_normalize without axis normalised over all axes: pass axis explicitly to "
        "keras.ops.normalize",
    ),
    legacy_op(
        "keras.backend.shape",
        "x",
        case("ops.shape(x)", when("indexed")),
        follow_up=SHAPE_NOTE,
    ),
    legacy_op("keras.backend.int_shape", "x", "tuple(x.shape)"),
    legacy_op("keras.backend.get_variable_shape", "x", "tuple(x.shape)"),
    legacy_op("keras.backend.count_params", "x", "int(ops.size(x))"),
    legacy_op(
        "keras.backend.slice",
        "x, start, size",
        case("ops.slice(x, start, size)", when("nonnegative_ints", "size")),
        follow_up=_SLICE_NOTE,
    ),
    legacy_op("keras.backend.in_top_k", "predictions, targets, k", "ops.in_top_k(targets, predictions, k)"),
    legacy_op(
        "keras.backend.switch",
        "condition, then_expression, else_expression",
        case(
            "ops.cond(condition, then_expression, else_expression)",
            when("lambda", "then_expression"),
            when("lambda", "else_expression"),
        ),
        case(
            "ops.where(condition, then_expression, else_expression)",
            when(
                "same_rank",
                "condition",
                "then_expression",
                "else_expression",
                text="condition has the rank of the branches (K.switch aligned a lower-rank condition "
                "on the leading axes, ops.where broadcasts on the trailing ones)",
            ),
        ),
        follow_up="K.switch aligned a lower-rank condition on the LEADING axes (keras.ops.where "
        "broadcasts on the trailing ones) and the engine could not show the ranks equal: "
        "keras.ops.where(c, then_expression, else_expression) with c = the condition after one "
        "keras.ops.expand_dims(c, -1) per missing axis (c = condition when the ranks are equal)",
    ),
    legacy_op("keras.backend.repeat", "x, n", "ops.repeat(ops.expand_dims(x, 1), n, axis=1)"),
    legacy_op("keras.backend.repeat_elements", "x, rep, axis", "ops.repeat(x, rep, axis=axis)"),
    legacy_op(
        "keras.backend.relu",
        "x, alpha=0.0, max_value=None, threshold=0.0",
        case("ops.relu(x)", when("omitted", "alpha"), when("omitted", "max_value"), when("omitted", "threshold")),
        case(
            "activations.relu(x, negative_slope=alpha, max_value=max_value, threshold=threshold)",
            when("number", "alpha"),
            when("number", "max_value"),
            when("number", "threshold"),
        ),
        follow_up=_RELU_NOTE,
    ),
    legacy_op("keras.backend.hard_sigmoid", "x", "ops.clip(0.2 * (x) + 0.5, 0.0, 1.0)"),
    legacy_op("keras.backend.set_value", "x, value", "x.assign(value)"),
    legacy_op("keras.backend.update", "x, new_x", "x.assign(new_x)"),
    legacy_op("keras.backend.update_add", "x, increment", "x.assign_add(increment)"),
    legacy_op("keras.backend.update_sub", "x, decrement", "x.assign_sub(decrement)"),
    legacy_op(
        "keras.backend.batch_get_value",
        "tensors",
        "[ops.convert_to_numpy(v) for v in tensors]",
        aliases="ops:tensors",
    ),
    legacy_op("keras.backend.batch_flatten", "x", "ops.reshape(x, (ops.shape(x)[0], -1))"),
    legacy_op(
        "keras.backend.bias_add",
        "x, bias, data_format=None",
        case("ops.add(x, bias)", when("omitted", "data_format")),
        case("ops.add(x, bias)", when("one_of", "data_format", None, "channels_last")),
        follow_up="K.bias_add with data_format='channels_first': reshape the bias to broadcast "
        "along axis 1, keras.ops.add(x, keras.ops.reshape(bias, (1, -1) + (1,) * (keras.ops.ndim(x) - 2)))",
    ),
    legacy_op("keras.backend.cast_to_floatx", "x", "ops.cast(x, config.floatx())"),
    legacy_op(
        "keras.backend.batch_dot",
        "x, y, axes=None",
        *(
            case(f'ops.einsum("{subscripts}", x, y)', when("one_of", "axes", *values), when("rank", "x", 3), when("rank", "y", 3))
            for subscripts, values in (
                ("bij,bjk->bik", ((2, 1),)),
                ("bij,bkj->bik", ((2, 2), 2)),
                ("bji,bjk->bik", ((1, 1),)),
            )
        ),
        case(
            "ops.sum(ops.multiply(x, y), axis=1, keepdims=True)",
            when("one_of", "axes", 1, (1, 1)),
            when("static_rank", "x", 2),
            when("static_rank", "y", 2),
        ),
        follow_up=_BATCH_DOT_NOTE,
    ),
    legacy_op(
        "keras.backend.set_image_dim_ordering",
        "dim_ordering",
        case('config.set_image_data_format("channels_first")', when("one_of", "dim_ordering", "th")),
        case('config.set_image_data_format("channels_last")', when("one_of", "dim_ordering", "tf")),
        follow_up="K.set_image_dim_ordering took 'th'/'tf': use "
        "keras.config.set_image_data_format('channels_first'/'channels_last')",
    ),
    legacy_op(
        "keras.backend.image_dim_ordering",
        "",
        follow_up="K.image_dim_ordering() returned 'th'/'tf'; use "
        "keras.config.image_data_format() ('channels_first'/'channels_last')",
    ),
    legacy_op(
        "keras.backend.temporal_padding",
        "x, padding=(1, 1)",
        "ops.pad(x, ((0, 0), padding, (0, 0)))",
        explicit="padding",
    ),
    *(
        legacy_op(
            f"keras.backend.spatial_{n}d_padding",
            f"x, padding={((1, 1),) * n}, data_format=None",
            case(
                f"ops.pad(x, ((0, 0), {', '.join(f'padding[{i}]' for i in range(n))}, (0, 0)))",
                when("one_of", "data_format", "channels_last"),
            ),
            case(
                f"ops.pad(x, ((0, 0), (0, 0), {', '.join(f'padding[{i}]' for i in range(n))}))",
                when("one_of", "data_format", "channels_first"),
            ),
            explicit="padding",
            follow_up=f"K.spatial_{n}d_padding with data_format=None followed image_data_format(): "
            f"use keras.ops.pad(x, ((0, 0), *padding, (0, 0))) for channels_last "
            f"(or keras.layers.ZeroPadding{n}D(padding))",
        )
        for n in (2, 3)
    ),
    legacy_op(
        "keras.backend.resize_images",
        "x, height_factor, width_factor, data_format, interpolation='nearest'",
        case(
            "ops.repeat(ops.repeat(x, height_factor, axis=1), width_factor, axis=2)",
            when("one_of", "data_format", "channels_last"),
            when("omitted", "interpolation"),
        ),
        case(
            "ops.repeat(ops.repeat(x, height_factor, axis=2), width_factor, axis=3)",
            when("one_of", "data_format", "channels_first"),
            when("omitted", "interpolation"),
        ),
        follow_up="K.resize_images: use keras.layers.UpSampling2D(size=(height_factor, width_factor), "
        "data_format=..., interpolation=...)(x)",
    ),
    legacy_op(
        "keras.backend.resize_volumes",
        "x, depth_factor, height_factor, width_factor, data_format",
        case(
            "ops.repeat(ops.repeat(ops.repeat(x, depth_factor, axis=1), height_factor, axis=2), width_factor, axis=3)",
            when("one_of", "data_format", "channels_last"),
        ),
        case(
            "ops.repeat(ops.repeat(ops.repeat(x, depth_factor, axis=2), height_factor, axis=3), width_factor, axis=4)",
            when("one_of", "data_format", "channels_first"),
        ),
        follow_up="K.resize_volumes: use keras.layers.UpSampling3D(size=(d, h, w), data_format=...)(x)",
    ),
    *(
        legacy_op(
            f"keras.backend.conv{n}d",
            f"x, kernel, strides={1 if n == 1 else (1,) * n}, padding='valid', data_format=None, dilation_rate={1 if n == 1 else (1,) * n}",
            case(
                "ops.conv(x, kernel, strides, padding, data_format, dilation_rate)",
                when("one_of", "padding", "valid", "same"),
            ),
            follow_up=f"K.conv{n}d with padding='causal': pad the time axis on the left by "
            "dilation_rate * (kernel_size - 1) with keras.ops.pad, then keras.ops.conv(..., padding='valid')",
        )
        for n in (1, 2, 3)
    ),
    legacy_op(
        "keras.backend.depthwise_conv2d",
        "x, depthwise_kernel, strides=(1, 1), padding='valid', data_format=None, dilation_rate=(1, 1)",
        "ops.depthwise_conv(x, depthwise_kernel, strides, padding, data_format, dilation_rate)",
    ),
    legacy_op(
        "keras.backend.separable_conv2d",
        "x, depthwise_kernel, pointwise_kernel, strides=(1, 1), padding='valid', data_format=None, dilation_rate=(1, 1)",
        "ops.separable_conv(x, depthwise_kernel, pointwise_kernel, strides, padding, data_format, dilation_rate)",
    ),
    *(
        legacy_op(
            f"keras.backend.pool{n}d",
            f"x, pool_size, strides={(1,) * n}, padding='valid', data_format=None, pool_mode='max'",
            case("ops.max_pool(x, pool_size, strides, padding, data_format)", when("omitted", "pool_mode")),
            case("ops.max_pool(x, pool_size, strides, padding, data_format)", when("one_of", "pool_mode", "max")),
            case(
                "ops.average_pool(x, pool_size, strides, padding, data_format)",
                when("one_of", "pool_mode", "avg"),
                when("one_of", "padding", "valid"),
            ),
            explicit="strides",
            follow_up=f"K.pool{n}d average with padding='same': use keras.layers.AveragePooling{n}D"
            "(pool_size, strides, padding='same') (TF's average excludes the padding)",
        )
        for n in (2, 3)
    ),
    legacy_op(
        "keras.backend.batch_normalization",
        "x, mean, var, beta, gamma, axis=-1, epsilon=0.001",
        case(
            "ops.batch_normalization(x, mean, var, axis, offset=beta, scale=gamma, epsilon=epsilon)",
            *(when("known_rank", p, 1, text=f"{p} is 1-D along axis") for p in ("mean", "var", "beta", "gamma")),
        ),
        explicit="axis",
        follow_up="K.batch_normalization broadcast mean/var/beta/gamma of any rank, "
        "keras.ops.batch_normalization takes them 1-D along axis (the engine could not show "
        "they are): keras.ops.batch_normalization(x, mean, var, axis, offset=beta, scale=gamma, "
        "epsilon=epsilon) with 1-D statistics, else (x - mean) / keras.ops.sqrt(var + epsilon) * gamma + beta",
    ),
    # Keras 1 / Keras 2.x names tf_keras no longer has
    legacy_op("keras.backend.lesser", "x, y", "ops.less(x, y)"),
    legacy_op("keras.backend.lesser_equal", "x, y", "ops.less_equal(x, y)"),
    legacy_op(
        "keras.backend.asymmetric_temporal_padding",
        "x, left_pad=1, right_pad=1",
        "ops.pad(x, ((0, 0), (left_pad, right_pad), (0, 0)))",
        explicit="left_pad right_pad",
    ),
    legacy_op(
        "keras.backend.asymmetric_spatial_2d_padding",
        "x, top_pad=1, bottom_pad=1, left_pad=1, right_pad=1, dim_ordering='default'",
        case(
            "ops.pad(x, ((0, 0), (top_pad, bottom_pad), (left_pad, right_pad), (0, 0)))",
            when("one_of", "dim_ordering", "tf"),
        ),
        case(
            "ops.pad(x, ((0, 0), (0, 0), (top_pad, bottom_pad), (left_pad, right_pad)))",
            when("one_of", "dim_ordering", "th"),
        ),
        explicit="top_pad bottom_pad left_pad right_pad",
        follow_up="K.asymmetric_spatial_2d_padding followed Keras 1's image_dim_ordering(): use "
        "keras.ops.pad(x, ((0, 0), (top_pad, bottom_pad), (left_pad, right_pad), (0, 0))) for channels_last",
    ),
    legacy_op(
        "keras.backend.separable_conv1d",
        "x, depthwise_kernel, pointwise_kernel, strides=1, padding='valid', data_format=None, dilation_rate=1",
        case(
            "ops.separable_conv(x, depthwise_kernel, pointwise_kernel, strides, padding, data_format, dilation_rate)",
            when("one_of", "padding", "valid", "same"),
        ),
        follow_up="K.separable_conv1d with padding='causal': left-pad the time axis with keras.ops.pad, "
        "then keras.ops.separable_conv(..., padding='valid')",
    ),
    _gone(
        "atrous_conv2d",
        "x, kernel, rate=1, border_mode='valid', dim_ordering='default', image_shape=None, filter_shape=None",
        "K.atrous_conv2d: keras.ops.conv(x, kernel, padding=border_mode, data_format='channels_last', "
        "dilation_rate=rate) with the kernel as (rows, cols, in, out)",
    ),
    _gone(
        "deconv2d",
        "x, kernel, output_shape, strides=(1, 1), border_mode='valid', dim_ordering='default', image_shape=None, filter_shape=None",
        "K.deconv2d: keras.ops.conv_transpose(x, kernel, strides, padding=border_mode, "
        "output_padding=..., data_format='channels_last') (kernel (rows, cols, out, in))",
    ),
    _gone(
        "conv3d_transpose",
        "x, kernel, output_shape, strides=(1, 1, 1), padding='valid', data_format=None",
        "K.conv3d_transpose took an output_shape: use keras.ops.conv_transpose(x, kernel, strides, padding, "
        "output_padding=..., data_format=...)",
    ),
    _gone("legacy_weight_ordering", "", "Keras 1's weight-ordering switch is gone: remove this call"),
    _gone("set_legacy_weight_ordering", "value", "Keras 1's weight-ordering switch is gone: remove this call"),
    _gone(
        "normalize_data_format",
        "value",
        "K.normalize_data_format was removed: write value.lower() if value is not None else "
        "keras.config.image_data_format()",
    ),
    # no equivalent: follow-ups with the concrete replacement
    _gone(
        "function",
        "inputs, outputs, updates=None, name=None",
        "K.function was removed: call the model, or a sub-model "
        "keras.Model(inputs, layer.output), directly on NumPy data",
    ),
    _gone("placeholder", "shape=None, ndim=None, dtype=None, sparse=False, name=None", "K.placeholder was removed: use keras.Input(shape=...) for symbolic inputs"),
    _gone("learning_phase", "", _LEARNING_PHASE),
    _gone("set_learning_phase", "value", _LEARNING_PHASE),
    _gone("learning_phase_scope", "value", "the global learning phase was removed: pass training= to calls"),
    _gone(
        "in_train_phase",
        "x, alt, training=None",
        "in_train_phase was removed: take a training argument in call() and branch on it",
    ),
    _gone(
        "in_test_phase",
        "x, alt, training=None",
        "in_test_phase was removed: take a training argument in call() and branch on it",
    ),
    _gone(
        "gradients",
        "loss, variables",
        "K.gradients was removed: compute gradients in a custom train_step with the "
        "backend's autodiff (tf.GradientTape, jax.grad, torch autograd)",
    ),
    _gone("rnn", "step_function, inputs, initial_states, go_backwards=False, mask=None, constants=None, unroll=False, input_length=None", "K.rnn was removed: use keras.layers.RNN with a custom cell"),
    _gone(
        "print_tensor",
        "x, message=''",
        "K.print_tensor(x, message) printed x and returned it: use x itself, and print in eager "
        "code with print(message, keras.ops.convert_to_numpy(x))",
    ),
    _gone("get_session", "", "TF1 sessions do not exist in Keras 3: remove this call"),
    _gone("set_session", "session", "TF1 sessions do not exist in Keras 3: remove this call"),
    _gone("manual_variable_initialization", "value", "variables initialise themselves in Keras 3: remove this call"),
    _gone("batch_set_value", "tuples", "assign each variable instead: variable.assign(value)"),
    _gone("tf", "", "K.tf is gone: import tensorflow directly (this ties the code to the TF backend)"),
    _gone("get_graph", "", "TF1 graphs do not exist in Keras 3: remove this call"),
    _gone("reset_uids", "", "Keras 3 has no global layer-name counters to reset: remove this call"),
    _gone("is_sparse", "tensor", "use isinstance(x, tf.SparseTensor) (TF backend) or keras.ops.is_tensor"),
    _gone("to_dense", "tensor", "use tf.sparse.to_dense(x) (TF backend only); Keras 3 ops take dense tensors"),
    _gone("is_placeholder", "x", "placeholders were removed: use keras.Input and keras.backend.is_keras_tensor"),
    _gone("is_variable", "x", "use isinstance(x, keras.Variable)"),
    _gone(
        "moving_average_update",
        "x, value, momentum",
        "K.moving_average_update: write x.assign(momentum * x + (1.0 - momentum) * value)",
    ),
    _gone(
        "normalize_batch_in_training",
        "x, gamma, beta, reduction_axes, epsilon=0.001",
        "K.normalize_batch_in_training: mean, var = keras.ops.moments(x, reduction_axes); then "
        "keras.ops.batch_normalization(x, mean, var, axis=-1, offset=beta, scale=gamma, epsilon=epsilon)",
    ),
    _gone(
        "foldl",
        "fn, elems, initializer=None, name=None",
        "K.foldl: keras.ops.scan(lambda acc, x: (fn(acc, x), None), initializer, elems)[0] "
        "(initializer=elems[0] and elems[1:] when it was None)",
    ),
    _gone(
        "foldr",
        "fn, elems, initializer=None, name=None",
        "K.foldr: keras.ops.scan(lambda acc, x: (fn(acc, x), None), initializer, elems, reverse=True)[0]",
    ),
    _gone(
        "ctc_batch_cost",
        "y_true, y_pred, input_length, label_length",
        "K.ctc_batch_cost: keras.ops.ctc_loss(y_true, y_pred, label_length[:, 0], input_length[:, 0], "
        "mask_index=num_classes - 1) (K took softmax outputs with the blank as the last class), "
        "keras.ops.expand_dims(..., 1) for K's (batch, 1) result",
    ),
    _gone(
        "ctc_decode",
        "y_pred, input_length, greedy=True, beam_width=100, top_paths=1",
        "K.ctc_decode: keras.ops.ctc_decode(y_pred, input_length, strategy='greedy' or 'beam_search', "
        "beam_width=..., top_paths=..., mask_index=num_classes - 1)",
    ),
    _gone("ctc_label_dense_to_sparse", "labels, label_lengths", "sparse labels are gone: keras.ops.ctc_loss takes dense labels"),
    _gone(
        "conv2d_transpose",
        "x, kernel, output_shape, strides=(1, 1), padding='valid', data_format=None, dilation_rate=(1, 1)",
        "K.conv2d_transpose took an output_shape: use keras.ops.conv_transpose(x, kernel, strides, padding, "
        "output_padding=..., data_format=..., dilation_rate=...) (the kernel is (h, w, out, in) in both)",
    ),
    _gone("local_conv1d", "inputs, kernel, kernel_size, strides, data_format=None", "locally connected layers were removed: see keras.io's LocallyConnected migration (Dense on extracted patches)"),
    _gone("local_conv2d", "inputs, kernel, kernel_size, strides, output_shape, data_format=None", "locally connected layers were removed: see keras.io's LocallyConnected migration (Dense on extracted patches)"),
    _gone(
        "binary_focal_crossentropy",
        "target, output, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False",
        "use keras.losses.binary_focal_crossentropy(target, output, ...) (it averages over the last axis; K's did not)",
    ),
    _gone(
        "categorical_focal_crossentropy",
        "target, output, alpha=0.25, gamma=2.0, from_logits=False, axis=-1",
        "use keras.losses.categorical_focal_crossentropy(target, output, alpha=alpha, gamma=gamma, from_logits=from_logits, axis=axis)",
    ),
]

#: ``keras.backend.NAME`` -> its meaning (keyed by NAME).
BACKEND_OPS: dict[str, LegacyOp] = {op.name.rsplit(".", 1)[1]: op for op in _OPS}
if len(BACKEND_OPS) != len(_OPS):  # pragma: no cover - a table typo
    raise ValueError("keras.backend table lists a function twice")
