"""This package's compat layers that are not lowered beside their Keras 3 family.

(``keras_migrate>ThresholdedReLU`` lives in ``activations``, LocallyConnected in ``conv``,
the legacy bilinear up-sampling in ``reshaping``, LayerScale/CustomScaleLayer in ``core``.)
The Keras 1 layers here follow the numpy kernels in
``keras_migrate/ir/interpreter/kernels/keras1.py`` formula for formula.
"""

from __future__ import annotations

import numpy as np

from keras_migrate.converters.onnx._core import Call, Tensor, lowering
from keras_migrate.converters.onnx.activations import activation

__all__: list[str] = []

_EPSILON = 1e-7


@lowering("keras_migrate>MaxoutDense")
def _maxout_dense(c: Call) -> Tensor:
    """``max_f (x @ kernel[f] + bias[f])`` as one MatMul with the kernel laid out (I, F*U)."""
    b = c.b
    kernel = c.layer.weight("kernel")  # (F, I, U)
    features, _, units = (int(d) for d in kernel.shape)
    w = c.weight("kernel", lambda a: np.transpose(a, (1, 0, 2)).reshape(a.shape[1], -1), "flat")
    y = b.op("Reshape", [b.op("MatMul", [c.x.name, w]), b.ints([0, features, units])])
    if c.has_weight("bias"):
        y = b.op("Add", [y, c.weight("bias")])
    return Tensor(b.reduce("ReduceMax", y, [1], keepdims=False))


@lowering("keras_migrate>Highway")
def _highway(c: Call) -> Tensor:
    b, x = c.b, c.x.name
    bias = c.has_weight("bias")
    y = b.op("MatMul", [x, c.weight("carry_kernel")])
    if bias:
        y = b.op("Add", [y, c.weight("carry_bias")])
    t = b.op("Sigmoid", [y])
    y = b.op("MatMul", [x, c.weight("kernel")])
    if bias:
        y = b.op("Add", [y, c.weight("bias")])
    act = activation(b, y, c.cfg.get("activation", "linear"))
    carry = b.op("Mul", [b.op("Sub", [b.scalar(1.0), t]), x])
    return Tensor(b.op("Add", [b.op("Mul", [act, t]), carry]))


@lowering("keras_migrate>ParametricSoftplus", passes_mask=True)
def _parametric_softplus(c: Call) -> Tensor:
    b = c.b
    y = b.op("Softplus", [b.op("Mul", [c.weight("beta"), c.x.name])])
    return Tensor(b.op("Mul", [y, c.weight("alpha")]))


@lowering("keras_migrate>SReLU", passes_mask=True)
def _srelu(c: Call) -> Tensor:
    b, x = c.b, c.x.name
    tl, al, ar = c.weight("t_left"), c.weight("a_left"), c.weight("a_right")
    tr_actual = b.op("Add", [tl, b.op("Abs", [c.weight("t_right")])])
    shifted = b.op("Sub", [x, tl])
    centre = b.op("Min", [b.op("Relu", [shifted]), b.op("Sub", [tr_actual, tl])])
    centre = b.op("Sub", [centre, b.op("Mul", [al, b.op("Relu", [b.op("Neg", [shifted])])])])
    right = b.op("Mul", [b.op("Relu", [b.op("Sub", [x, tr_actual])]), ar])
    return Tensor(b.op("Add", [b.op("Add", [tl, centre]), right]))


@lowering("keras_migrate>Keras1BatchNormalization")
def _keras1_batchnorm(c: Call) -> Tensor:
    """Mode 1: per-sample statistics; mode 2: statistics of the batch being run."""
    b, x, cfg = c.b, c.x.name, c.cfg
    eps = b.scalar(float(cfg.get("epsilon", 1e-3)))
    rank = c.x.rank
    if int(cfg.get("mode", 2)) == 1:
        mean = b.reduce("ReduceMean", x, [-1])
        centred = b.op("Sub", [x, mean])
        var = b.reduce("ReduceMean", b.op("Mul", [centred, centred]), [-1])
        std = b.op("Sqrt", [b.op("Add", [var, eps])])
        y = b.op("Div", [centred, b.op("Add", [std, eps])])
        return Tensor(b.op("Add", [b.op("Mul", [c.weight("gamma"), y]), c.weight("beta")]))
    axis = int(cfg.get("axis", -1)) % rank
    reduce = [i for i in range(rank) if i != axis]
    shape = [1] * rank
    shape[axis] = -1
    mean = b.reduce("ReduceMean", x, reduce)
    centred = b.op("Sub", [x, mean])
    var = b.reduce("ReduceMean", b.op("Mul", [centred, centred]), reduce)
    y = b.op("Div", [centred, b.op("Sqrt", [b.op("Add", [var, eps])])])
    gamma = c.weight("gamma", lambda a: a.reshape(shape), "shaped")
    beta = c.weight("beta", lambda a: a.reshape(shape), "shaped")
    return Tensor(b.op("Add", [b.op("Mul", [y, gamma]), beta]))


@lowering("keras_migrate>Keras1CosineMerge")
def _keras1_cosine_merge(c: Call) -> Tensor:
    b = c.b
    ta, tb = c.tensors()
    if ta.rank != 2 or tb.rank != 2:
        raise c.unsupported("Keras 1 Merge(mode='cos') is reproduced for 2D inputs only")
    ax = int(c.cfg.get("dot_axes", [1, 1])[0]) % 2

    def dot(x: str, y: str) -> str:
        s = b.reduce("ReduceSum", b.op("Mul", [x, y]), [ax], keepdims=False)
        return str(b.unsqueeze(s, [1]))

    den = b.op("Max", [b.op("Sqrt", [b.op("Mul", [dot(ta.name, ta.name), dot(tb.name, tb.name)])]), b.scalar(_EPSILON)])
    return Tensor(b.unsqueeze(b.op("Div", [dot(ta.name, tb.name), den]), [1]))


# --------------------------------------------------------------------------- TF ops (tf.keras)

_UNARY = {
    "negative": "Neg", "abs": "Abs", "sqrt": "Sqrt", "exp": "Exp", "log": "Log", "reciprocal": "Reciprocal",
    "sigmoid": "Sigmoid", "tanh": "Tanh", "softplus": "Softplus", "relu": "Relu", "softsign": "Softsign",
}  # fmt: skip
_BINARY = {"add": "Add", "subtract": "Sub", "truediv": "Div", "maximum": "Max", "minimum": "Min", "pow": "Pow"}
_REDUCE = {
    "reduce_mean": "ReduceMean", "reduce_sum": "ReduceSum", "reduce_max": "ReduceMax",
    "reduce_min": "ReduceMin", "reduce_prod": "ReduceProd",
}  # fmt: skip


@lowering("keras_migrate>TFOp")
def _tf_op(c: Call) -> Tensor:
    """A TF function on Keras tensors (``TFOpLambda``), as the numpy kernel in
    ``kernels/tfkeras.py`` computes it: constants take the tensors' dtype."""
    from keras_migrate.formats.tfkeras_layers import tf_op_spec

    b, cfg = c.b, c.cfg
    function = str(cfg.get("function"))
    try:
        spec = tf_op_spec(function)
    except KeyError as exc:
        raise c.unsupported(str(exc.args[0])) from None
    names = list(cfg.get("tensor_arguments") or [spec.params[0]])
    first = c.args[0]
    tensors = list(first) if len(names) > 1 and isinstance(first, (list, tuple)) else [first]
    if len(tensors) != len(names) or not all(isinstance(t, Tensor) for t in tensors):
        raise c.unsupported(f"tf.{function} takes {len(names)} tensors, got {len(tensors)}")
    dtype = tensors[0].type.dtype if tensors[0].type is not None else "float32"
    values: dict[str, object] = {n: t.name for n, t in zip(names, tensors)}
    attrs = {**dict(spec.defaults), **dict(cfg.get("arguments") or {})}
    for key, value in attrs.items():
        if key in names:
            continue
        values[key] = b.const(np.asarray(value, dtype=dtype), "operand") if key in spec.operands else value

    def t(key: str) -> str:
        return str(values[key])

    op = spec.op
    if op in _BINARY:
        return Tensor(b.op(_BINARY[op], [t("x"), t("y")]))
    if op == "multiply":
        return Tensor(b.op("Mul", [t("x"), t("y")]) if "y" in values else b.op("Mul", [t("scalar"), t("x")]))
    if op == "floordiv":
        return Tensor(b.op("Floor", [b.op("Div", [t("x"), t("y")])]))
    if op == "squared_difference":
        d = b.op("Sub", [t("x"), t("y")])
        return Tensor(b.op("Mul", [d, d]))
    if op == "square":
        return Tensor(b.op("Mul", [t("x"), t("x")]))
    if op == "rsqrt":
        return Tensor(b.op("Reciprocal", [b.op("Sqrt", [t("x")])]))
    key = "features" if "features" in values else "x"
    if op in _UNARY:
        return Tensor(b.op(_UNARY[op], [t(key)]))
    if op in ("relu6", "elu", "selu"):
        return Tensor(activation(b, t("features"), op))
    if op == "silu":
        x = t("features")
        return Tensor(b.op("Mul", [x, b.op("Sigmoid", [b.op("Mul", [x, b.scalar(float(values["beta"]))])])]))  # type: ignore[arg-type]
    if op == "leaky_relu":
        return Tensor(b.op("LeakyRelu", [t("features")], alpha=float(values["alpha"])))  # type: ignore[arg-type]
    if op == "gelu":
        x = t("features")
        if not values.get("approximate"):
            return Tensor(activation(b, x, "gelu"))
        cube = b.op("Mul", [b.op("Mul", [x, x]), x])
        inner = b.op("Mul", [b.scalar(float(np.sqrt(2.0 / np.pi))), b.op("Add", [x, b.op("Mul", [b.scalar(0.044715), cube])])])
        return Tensor(b.op("Mul", [b.op("Mul", [b.scalar(0.5), x]), b.op("Add", [b.scalar(1.0), b.op("Tanh", [inner])])]))
    if op == "softmax":
        axis = values.get("axis")
        return Tensor(b.op("Softmax", [t("logits")], axis=-1 if axis is None else int(axis)))  # type: ignore[call-overload]
    if op in _REDUCE:
        axis = values.get("axis")
        keepdims = bool(values.get("keepdims"))
        if axis is None:
            return Tensor(b.op(_REDUCE[op], [t("input_tensor")], keepdims=int(keepdims)))
        axes = [int(a) for a in axis] if isinstance(axis, (list, tuple)) else [int(axis)]  # type: ignore[call-overload]
        return Tensor(b.reduce(_REDUCE[op], t("input_tensor"), axes, keepdims))
    if op == "clip_by_value":
        return Tensor(b.op("Max", [b.op("Min", [t("t"), t("clip_value_max")]), t("clip_value_min")]))
    raise c.unsupported(f"tf.{function} has no ONNX lowering")
