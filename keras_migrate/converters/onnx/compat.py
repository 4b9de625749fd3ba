"""This package's compat layers that are not lowered beside their Keras 3 family.

(``keras_migrate>ThresholdedReLU`` lives in ``activations``, LocallyConnected in ``conv``,
the legacy bilinear up-sampling in ``reshaping``, LayerScale/CustomScaleLayer in ``core``.)
The Keras 1 layers here follow the numpy kernels in
``keras_migrate/ir/interpreter/kernels/keras1.py`` formula for formula.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from keras_migrate.converters.onnx._core import Builder, Call, Tensor, elem_type, lowering
from keras_migrate.converters.onnx.activations import activation, gelu
from keras_migrate.errors import UnsupportedError

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
    "sign": "Sign", "floor": "Floor", "ceil": "Ceil", "round": "Round", "sin": "Sin", "cos": "Cos", "tan": "Tan",
    "erf": "Erf", "logical_not": "Not",
}  # fmt: skip
_BINARY = {
    "add": "Add", "subtract": "Sub", "truediv": "Div", "maximum": "Max", "minimum": "Min", "pow": "Pow",
    "equal": "Equal", "less": "Less", "less_equal": "LessOrEqual", "greater": "Greater",
    "greater_equal": "GreaterOrEqual", "logical_and": "And", "logical_or": "Or", "logical_xor": "Xor",
}  # fmt: skip
_REDUCE = {
    "reduce_mean": "ReduceMean", "reduce_sum": "ReduceSum", "reduce_max": "ReduceMax",
    "reduce_min": "ReduceMin", "reduce_prod": "ReduceProd",
}  # fmt: skip
#: Largest / smallest int64, ONNX Slice's "to the end" bounds.
_INT_MAX, _INT_MIN = 2**63 - 1, -(2**63)


def _tf_axes(axis: Any, rank: int) -> list[int]:
    if axis is None:
        return list(range(rank))
    return [int(a) for a in axis] if isinstance(axis, (list, tuple)) else [int(axis)]


def _tf_reduce(b: Builder, op: str, x: str, axes: list[int], keepdims: bool, dtype: str) -> str:
    """One TF reduction of ``x`` over ``axes`` (every one TF has, as ONNX reductions)."""
    if op in _REDUCE:
        return b.reduce(_REDUCE[op], x, axes, keepdims)
    if op in ("reduce_any", "reduce_all"):
        as_int = b.op("Cast", [x], to=elem_type("int32"))
        y = b.reduce("ReduceMax" if op == "reduce_any" else "ReduceMin", as_int, axes, keepdims)
        return str(b.op("Cast", [y], to=elem_type("bool")))
    if op == "reduce_euclidean_norm":
        return str(b.op("Sqrt", [b.reduce("ReduceSumSquare", x, axes, keepdims)]))
    if op == "reduce_logsumexp":  # shifted by the finite maximum, as TF does
        top = b.reduce("ReduceMax", x, axes, True)
        finite = b.op("Not", [b.op("Or", [b.op("IsInf", [top]), b.op("IsNaN", [top])])])
        top = b.op("Where", [finite, top, b.const(np.zeros((), dtype))])
        total = b.reduce("ReduceSum", b.op("Exp", [b.op("Sub", [x, top])]), axes, True)
        y = b.op("Add", [b.op("Log", [total]), top])
        return y if keepdims else b.squeeze(y, axes)
    if op in ("reduce_variance", "reduce_std"):
        d = b.op("Sub", [x, b.reduce("ReduceMean", x, axes, True)])
        var = b.reduce("ReduceMean", b.op("Mul", [d, d]), axes, keepdims)
        return var if op == "reduce_variance" else str(b.op("Sqrt", [var]))
    raise UnsupportedError(f"{op} has no ONNX lowering")


def _tf_floormod(b: Builder, x: str, y: str, dtype: str) -> str:
    """TF's FloorMod (the result takes the divisor's sign)."""
    if not dtype.startswith("float"):
        return str(b.op("Mod", [x, y], fmod=0))
    r = b.op("Mod", [x, y], fmod=1)
    zero = b.const(np.zeros((), dtype))
    signs_differ = b.op("Xor", [b.op("Less", [r, zero]), b.op("Less", [y, zero])])
    fix = b.op("And", [b.op("Not", [b.op("Equal", [r, zero])]), signs_differ])
    return str(b.op("Where", [fix, b.op("Add", [r, y]), r]))


def _tf_mirror(b: Builder, x: str, shape: tuple[int | None, ...], pads: list[list[int]], mode: str) -> str:
    """REFLECT / SYMMETRIC padding as one Gather of mirrored indices per padded axis."""
    edge = 1 if mode == "REFLECT" else 0
    for axis, (before, after) in enumerate(pads):
        if not before and not after:
            continue
        n = shape[axis]
        if n is None or before > n - edge or after > n - edge:
            raise UnsupportedError(f"{mode} padding {before, after} along axis {axis} of size {n}")
        index = list(range(before - 1 + edge, edge - 1, -1)) + list(range(n)) + list(range(n - 1 - edge, n - 1 - edge - after, -1))
        x = b.op("Gather", [x, b.ints(index)], axis=axis)
    return x


def _tf_getitem(b: Builder, x: str, shape: tuple[int | None, ...], items: list[Any]) -> str:
    """``x[...]``: one Slice over the sliced axes, then Gather for indices, Unsqueeze for new axes."""
    is_ellipsis = [isinstance(i, dict) and i.get("class_name") == "__ellipsis__" for i in items]
    used = sum(1 for i, e in zip(items, is_ellipsis, strict=True) if i is not None and not e)
    full: list[Any] = []
    for item, ellipsis in zip(items, is_ellipsis, strict=True):
        full += [{"start": None, "stop": None, "step": None}] * (len(shape) - used) if ellipsis else [item]
    starts, ends, axes, steps = [], [], [], []
    axis = 0
    for item in full:
        if isinstance(item, dict):
            start, stop, step = item["start"], item["stop"], item["step"] or 1
            n = shape[axis]
            if n is not None:
                picked = range(*slice(start, stop, step).indices(n))
                start, stop = (picked[0], picked[-1] + step) if len(picked) else (0, 0)
                step = step if len(picked) else 1
                stop = _INT_MIN if stop < 0 and step < 0 else stop
            else:
                start = (0 if step > 0 else -1) if start is None else start
                stop = (_INT_MAX if step > 0 else _INT_MIN) if stop is None else stop
            if (start, stop, step) != (0, _INT_MAX, 1):
                starts.append(int(start))
                ends.append(int(stop))
                axes.append(axis)
                steps.append(int(step))
        if item is not None:
            axis += 1
    if axes:
        x = b.slice(x, starts, ends, axes, steps)
    axis = 0
    for item in full:  # indices and new axes, left to right on the output's axes
        if item is None:
            x = b.unsqueeze(x, [axis])
            axis += 1
        elif isinstance(item, int):
            x = b.op("Gather", [x, b.const(np.asarray(item, np.int64), "index")], axis=axis)
        else:
            axis += 1
    return x


@lowering("keras_migrate>TFOp")
def _tf_op(c: Call) -> Any:
    """A TF function on Keras tensors (``TFOpLambda``), as the numpy kernel in
    ``kernels/tfkeras.py`` computes it: constants take the operands' dtype."""
    from keras_migrate.formats.tfkeras.layers import (
        operand_dtype,
        result_dtype,
        tf_op_outputs,
        tf_op_spec,
    )

    b, cfg = c.b, c.cfg
    function = str(cfg.get("function"))
    try:
        spec = tf_op_spec(function)
    except KeyError as exc:
        raise c.unsupported(str(exc.args[0])) from None
    names = list(cfg.get("tensor_arguments") or [spec.params[0]])
    first = c.args[0]
    many = spec.sequence or len(names) > 1
    tensors = list(first) if many and isinstance(first, (list, tuple)) else [first]
    if not all(isinstance(t, Tensor) and t.type is not None for t in tensors):
        raise c.unsupported(f"tf.{function} needs typed tensor inputs")
    if not spec.sequence and len(tensors) != len(names):
        raise c.unsupported(f"tf.{function} takes {len(names)} tensors, got {len(tensors)}")
    given = {names[0]: tensors} if spec.sequence else dict(zip(names, tensors, strict=True))
    constants = dict(cfg.get("arguments") or {})
    dtypes = {n: (t[0] if isinstance(t, list) else t).type.dtype for n, t in given.items()}
    dtype = operand_dtype(spec, dtypes, constants)
    values: dict[str, Any] = {n: ([x.name for x in t] if isinstance(t, list) else t.name) for n, t in given.items()}
    attrs = {**dict(spec.defaults), **constants}
    for key, value in attrs.items():
        if key in values:
            continue
        if key in spec.operands and value is not None:
            array = np.asarray(value, dtype=np.int64) if key in spec.own_dtype and key != "condition" else (
                np.asarray(value) if key in spec.own_dtype else np.asarray(value, dtype=dtype)
            )
            value = b.const(array, "operand")
        values[key] = value
    x0 = tensors[0]
    assert isinstance(x0, Tensor) and x0.type is not None
    rank, shape = x0.type.rank, x0.type.shape

    def t(key: str) -> str:
        return str(values[key])

    op = spec.op
    if op in _BINARY:
        return Tensor(b.op(_BINARY[op], [t("x"), t("y")]))
    if op == "not_equal":
        return Tensor(b.op("Not", [b.op("Equal", [t("x"), t("y")])]))
    if op == "multiply":
        return Tensor(b.op("Mul", [t("x"), t("y")]) if "y" in values else b.op("Mul", [t("scalar"), t("x")]))
    if op == "floordiv":
        return Tensor(b.op("Floor", [b.op("Div", [t("x"), t("y")])]))
    if op == "floormod":
        return Tensor(_tf_floormod(b, t("x"), t("y"), dtype))
    if op == "divide_no_nan":
        is_zero = b.op("Equal", [t("y"), b.const(np.zeros((), dtype))])
        safe = b.op("Where", [is_zero, b.const(np.ones((), dtype)), t("y")])
        return Tensor(b.op("Where", [is_zero, b.const(np.zeros((), dtype)), b.op("Div", [t("x"), safe])]))
    if op == "squared_difference":
        d = b.op("Sub", [t("x"), t("y")])
        return Tensor(b.op("Mul", [d, d]))
    if op == "square":
        return Tensor(b.op("Mul", [t("x"), t("x")]))
    if op == "rsqrt":
        return Tensor(b.op("Reciprocal", [b.op("Sqrt", [t("x")])]))
    if op == "expm1":
        return Tensor(b.op("Sub", [b.op("Exp", [t("x")]), b.const(np.ones((), dtype))]))
    if op == "log1p":
        return Tensor(b.op("Log", [b.op("Add", [t("x"), b.const(np.ones((), dtype))])]))
    if op == "log_sigmoid":
        return Tensor(activation(b, t("x"), "log_sigmoid"))
    key = "features" if "features" in values else "x"
    if op in _UNARY:
        return Tensor(b.op(_UNARY[op], [t(key)]))
    if op in ("relu6", "elu", "selu"):
        return Tensor(activation(b, t("features"), op))
    if op == "silu":
        x = t("features")
        return Tensor(b.op("Mul", [x, b.op("Sigmoid", [b.op("Mul", [x, b.scalar(float(values["beta"]))])])]))
    if op == "leaky_relu":
        return Tensor(b.op("LeakyRelu", [t("features")], alpha=float(values["alpha"])))
    if op == "gelu":
        return Tensor(gelu(b, t("features"), approximate=bool(values.get("approximate"))))
    if op in ("softmax", "log_softmax"):
        axis = values.get("axis")
        kind = "Softmax" if op == "softmax" else "LogSoftmax"
        return Tensor(b.op(kind, [t("logits")], axis=-1 if axis is None else int(axis)))
    if op == "l2_normalize":
        x = t("x")
        sums = b.reduce("ReduceSum", b.op("Mul", [x, x]), _tf_axes(values["axis"], rank), True)
        floor = b.const(np.asarray(values["epsilon"], dtype))
        return Tensor(b.op("Mul", [x, b.op("Reciprocal", [b.op("Sqrt", [b.op("Max", [sums, floor])])])]))
    if op.startswith("reduce_"):
        axes = _tf_axes(values.get("axis"), rank)
        return Tensor(_tf_reduce(b, op, t("input_tensor"), axes, bool(values.get("keepdims")), dtype))
    if op in ("argmax", "argmin"):
        y = b.op("ArgMax" if op == "argmax" else "ArgMin", [t("input")], axis=int(values["axis"]), keepdims=0)
        return Tensor(y if values["output_type"] == "int64" else b.op("Cast", [y], to=elem_type("int32")))
    if op == "clip_by_value":
        return Tensor(b.op("Max", [b.op("Min", [t("t"), t("clip_value_max")]), t("clip_value_min")]))
    if op == "cast":
        return Tensor(b.op("Cast", [t("x")], to=elem_type(result_dtype(spec, dtype, values))))
    if op == "where":
        return Tensor(b.op("Where", [t("condition"), t("x"), t("y")]))
    if op == "matmul":
        xa, xb = t("a"), t("b")
        swap = lambda r: [*range(r - 2), r - 1, r - 2]  # noqa: E731
        if values["transpose_a"] or values["adjoint_a"]:
            xa = b.transpose(xa, swap(rank))
        if values["transpose_b"] or values["adjoint_b"]:
            other = tensors[1] if len(tensors) > 1 else None
            xb = b.transpose(xb, swap(other.rank if isinstance(other, Tensor) else np.ndim(attrs["b"])))
        return Tensor(b.op("MatMul", [xa, xb]))
    if op == "reshape":
        return Tensor(b.op("Reshape", [t("tensor"), b.ints([int(d) for d in values["shape"]])]))
    if op == "transpose":
        perm = values["perm"]
        return Tensor(b.op("Transpose", [t("a")], perm=list(range(rank))[::-1] if perm is None else [int(p) for p in perm]))
    if op == "expand_dims":
        return Tensor(b.unsqueeze(t("input"), [int(values["axis"])]))
    if op == "squeeze":
        return Tensor(b.squeeze(t("input"), [int(a) for a in values["axis"]]))
    if op == "tile":
        return Tensor(b.op("Tile", [t("input"), b.ints([int(m) for m in values["multiples"]])]))
    if op == "pad":
        pads = [[int(p) for p in pair] for pair in values["paddings"]]
        if values["mode"] != "CONSTANT":
            return Tensor(_tf_mirror(b, t("tensor"), shape, pads, str(values["mode"])))
        fill = b.const(np.asarray(values["constant_values"], dtype))
        return Tensor(b.op("Pad", [t("tensor"), b.ints([p[0] for p in pads] + [p[1] for p in pads]), fill], mode="constant"))
    if op == "gather":
        return Tensor(b.op("Gather", [t("params"), t("indices")], axis=int(values["axis"])))
    if op == "getitem":
        return Tensor(_tf_getitem(b, t("tensor"), shape, list(values["slice_spec"])))
    if op == "stack":
        axis = int(values["axis"])
        return Tensor(b.concat([b.unsqueeze(v, [axis]) for v in values["values"]], axis))
    if op in ("split", "unstack"):
        axis = int(values["axis"])
        n = shape[axis]
        if n is None:
            raise c.unsupported(f"tf.{function} along an axis of unknown size")
        if op == "unstack":
            sizes = [1] * n
        elif isinstance(values["num_or_size_splits"], int):
            sizes = [n // int(values["num_or_size_splits"])] * int(values["num_or_size_splits"])
        else:
            sizes = [int(p) for p in values["num_or_size_splits"]]
            if -1 in sizes:
                sizes[sizes.index(-1)] = n - (sum(sizes) + 1)
        parts = b.split(t("value"), sizes, axis)[: tf_op_outputs(cfg)]
        return [Tensor(b.squeeze(p, [axis]) if op == "unstack" else p) for p in parts]
    raise c.unsupported(f"tf.{function} has no ONNX lowering")
