"""This package's compat layers that are not lowered beside their Keras 3 family.

(``keras_migrate>ThresholdedReLU`` lives in ``activations``, LocallyConnected in ``conv``,
the legacy bilinear up-sampling in ``reshaping``, LayerScale/CustomScaleLayer in ``core``.)
The Keras 1 layers here follow the numpy kernels in
``keras_migrate/ir/interpreter/kernels/keras1.py`` formula for formula.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from keras_migrate.converters.onnx.activations import activation, gelu
from keras_migrate.converters.onnx.builder import Builder
from keras_migrate.converters.onnx.keras3_ops import get_item
from keras_migrate.converters.onnx.lazy import Reshaped
from keras_migrate.converters.onnx.registry import Call, lowering
from keras_migrate.converters.onnx.tensors import Tensor, elem_type
from keras_migrate.errors import UnsupportedError
from keras_migrate.ir.ops.tf import TFOP_TYPE, bind_tf_call, result_dtype, tf_op_outputs

__all__ = ["TF_LOWERINGS", "TF_NOT_LOWERED"]

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
    gamma = c.weight("gamma", Reshaped(tuple(shape)), "shaped")
    beta = c.weight("beta", Reshaped(tuple(shape)), "shaped")
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


@dataclass(frozen=True, slots=True)
class _TFArgs:
    """One bound ``TFOp`` call for a lowering: ``values`` holds every TF argument by name
    (tensor and constant operands as ONNX value names, attributes as values)."""

    b: Builder
    values: Mapping[str, Any]
    dtype: str  # the operands' dtype
    result: str  # the result's dtype
    shape: tuple[int | None, ...]  # the first input tensor's
    ranks: Mapping[str, int]  # every operand's rank
    outputs: int  # tensors the model uses, for split/unstack

    def __call__(self, key: str) -> str:
        return str(self.values[key])

    @property
    def rank(self) -> int:
        return len(self.shape)

    def zero(self) -> str:
        return self.b.const(np.zeros((), self.dtype))

    def one(self) -> str:
        return self.b.const(np.ones((), self.dtype))


TFLower = Callable[[_TFArgs], "str | list[str]"]


def _tf_axes(axis: Any, rank: int) -> list[int]:
    if axis is None:
        return list(range(rank))
    return [int(a) for a in axis] if isinstance(axis, (list, tuple)) else [int(axis)]


def _onnx(op: str, *keys: str) -> TFLower:
    """An ONNX op on the named arguments."""
    return lambda t: str(t.b.op(op, [t(k) for k in keys]))


def _true_divide(t: _TFArgs) -> str:
    """TF's true division: integer operands are divided in the floating dtype TF gives them."""
    x, y = t("x"), t("y")
    if t.result != t.dtype:
        x, y = (str(t.b.op("Cast", [v], to=elem_type(t.result))) for v in (x, y))
    return str(t.b.op("Div", [x, y]))


def _tf_unary(op: str) -> TFLower:
    """A one-tensor ONNX op (the argument TF calls ``x`` or ``features``)."""
    return lambda t: str(t.b.op(op, [t("features" if "features" in t.values else "x")]))


def _tf_activation(name: str, key: str = "features") -> TFLower:
    return lambda t: str(activation(t.b, t(key), name))


def _tf_reduce(op: str) -> Callable[[_TFArgs], str]:
    return lambda t: t.b.reduce(op, t("input_tensor"), _tf_axes(t.values["axis"], t.rank), bool(t.values["keepdims"]))


def _tf_boolean_reduce(op: str) -> TFLower:
    def lower(t: _TFArgs) -> str:
        b = t.b
        as_int = b.op("Cast", [t("input_tensor")], to=elem_type("int32"))
        y = b.reduce(op, as_int, _tf_axes(t.values["axis"], t.rank), bool(t.values["keepdims"]))
        return str(b.op("Cast", [y], to=elem_type("bool")))

    return lower


def _tf_logsumexp(t: _TFArgs) -> str:
    """Shifted by the finite maximum, as TF does."""
    b, x, axes, keepdims = t.b, t("input_tensor"), _tf_axes(t.values["axis"], t.rank), bool(t.values["keepdims"])
    top = b.reduce("ReduceMax", x, axes, True)
    finite = b.op("Not", [b.op("Or", [b.op("IsInf", [top]), b.op("IsNaN", [top])])])
    top = b.op("Where", [finite, top, t.zero()])
    total = b.reduce("ReduceSum", b.op("Exp", [b.op("Sub", [x, top])]), axes, True)
    y = b.op("Add", [b.op("Log", [total]), top])
    return str(y if keepdims else b.squeeze(y, axes))


def _tf_variance(sqrt: bool) -> TFLower:
    def lower(t: _TFArgs) -> str:
        b, x, axes = t.b, t("input_tensor"), _tf_axes(t.values["axis"], t.rank)
        d = b.op("Sub", [x, b.reduce("ReduceMean", x, axes, True)])
        var = b.reduce("ReduceMean", b.op("Mul", [d, d]), axes, bool(t.values["keepdims"]))
        return str(b.op("Sqrt", [var])) if sqrt else str(var)

    return lower


def _tf_floormod(t: _TFArgs) -> str:
    """TF's FloorMod (the result takes the divisor's sign)."""
    b, x, y = t.b, t("x"), t("y")
    if not t.dtype.startswith("float"):
        return str(b.op("Mod", [x, y], fmod=0))
    r = b.op("Mod", [x, y], fmod=1)
    zero = t.zero()
    signs_differ = b.op("Xor", [b.op("Less", [r, zero]), b.op("Less", [y, zero])])
    fix = b.op("And", [b.op("Not", [b.op("Equal", [r, zero])]), signs_differ])
    return str(b.op("Where", [fix, b.op("Add", [r, y]), r]))


def _tf_divide_no_nan(t: _TFArgs) -> str:
    b = t.b
    is_zero = b.op("Equal", [t("y"), t.zero()])
    safe = b.op("Where", [is_zero, t.one(), t("y")])
    return str(b.op("Where", [is_zero, t.zero(), b.op("Div", [t("x"), safe])]))


def _tf_square(a: str, c: str = "") -> TFLower:
    """``a * a``, or ``(a - c)^2``."""

    def lower(t: _TFArgs) -> str:
        d = t(a) if not c else str(t.b.op("Sub", [t(a), t(c)]))
        return str(t.b.op("Mul", [d, d]))

    return lower


def _tf_l2_normalize(t: _TFArgs) -> str:
    b, x = t.b, t("x")
    sums = b.reduce("ReduceSum", b.op("Mul", [x, x]), _tf_axes(t.values["axis"], t.rank), True)
    floor = b.const(np.asarray(t.values["epsilon"], t.dtype))
    return str(b.op("Mul", [x, b.op("Reciprocal", [b.op("Sqrt", [b.op("Max", [sums, floor])])])]))


def _tf_arg_reduce(op: str) -> TFLower:
    def lower(t: _TFArgs) -> str:
        y = t.b.op(op, [t("input")], axis=int(t.values["axis"]), keepdims=0)
        return str(y if t.values["output_type"] == "int64" else t.b.op("Cast", [y], to=elem_type("int32")))

    return lower


def _tf_softmax(op: str) -> TFLower:
    def lower(t: _TFArgs) -> str:
        axis = t.values["axis"]
        return str(t.b.op(op, [t("logits")], axis=-1 if axis is None else int(axis)))

    return lower


def _tf_matmul(t: _TFArgs) -> str:
    b, xa, xb = t.b, t("a"), t("b")

    def swap(rank: int) -> list[int]:
        return [*range(rank - 2), rank - 1, rank - 2]

    if t.values["transpose_a"] or t.values["adjoint_a"]:
        xa = b.transpose(xa, swap(t.ranks["a"]))
    if t.values["transpose_b"] or t.values["adjoint_b"]:
        xb = b.transpose(xb, swap(t.ranks["b"]))
    return str(b.op("MatMul", [xa, xb]))


def _tf_transpose(t: _TFArgs) -> str:
    perm = t.values["perm"]
    return str(t.b.op("Transpose", [t("a")], perm=list(range(t.rank))[::-1] if perm is None else [int(p) for p in perm]))


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


def _tf_pad(t: _TFArgs) -> str:
    b = t.b
    pads = [[int(p) for p in pair] for pair in t.values["paddings"]]
    if t.values["mode"] != "CONSTANT":
        return _tf_mirror(b, t("tensor"), t.shape, pads, str(t.values["mode"]))
    fill = b.const(np.asarray(t.values["constant_values"], t.dtype))
    return str(b.op("Pad", [t("tensor"), b.ints([p[0] for p in pads] + [p[1] for p in pads]), fill], mode="constant"))


def _tf_subscript(items: list[Any]) -> list[Any]:
    """A recorded ``x[...]`` subscript as Python index items."""
    out: list[Any] = []
    for item in items:
        if isinstance(item, Mapping):
            out.append(Ellipsis if item.get("class_name") == "__ellipsis__" else slice(item["start"], item["stop"], item["step"]))
        else:
            out.append(item)
    return out


def _tf_select(t: _TFArgs) -> str:
    """TF1's ``Select``: a rank-1 condition chooses whole rows (unsqueezed to ``x``'s rank)."""
    condition = t("condition")
    rank = max(t.ranks.get("x", 0), t.ranks.get("y", 0))
    if t.ranks.get("condition") == 1 and rank > 1:
        condition = str(t.b.unsqueeze(condition, list(range(1, rank))))
    return str(t.b.op("Where", [condition, t("x"), t("y")]))


def _tf_add_n(t: _TFArgs) -> str:
    names = list(t.values["inputs"])
    return str(names[0] if len(names) == 1 else t.b.op("Sum", names))


def _tf_split_sizes(t: _TFArgs, op: str) -> list[int]:
    axis = int(t.values["axis"])
    n = t.shape[axis]
    if n is None:
        raise ValueError("along an axis of unknown size")
    if op == "unstack":
        return [1] * n
    parts = t.values["num_or_size_splits"]
    if isinstance(parts, int):
        return [n // parts] * parts
    sizes = [int(p) for p in parts]
    if -1 in sizes:
        sizes[sizes.index(-1)] = n - (sum(sizes) + 1)
    return sizes


def _tf_split(op: str) -> TFLower:
    def lower(t: _TFArgs) -> list[str]:
        axis = int(t.values["axis"])
        parts = t.b.split(t("value"), _tf_split_sizes(t, op), axis)[: t.outputs]
        return [t.b.squeeze(p, [axis]) if op == "unstack" else p for p in parts]

    return lower


#: Canonical TF op (:data:`keras_migrate.ir.ops.tf.TF_OPS`) -> ONNX lowering: the same
#: names, and the same meaning, as :data:`keras_migrate.ir.ops.tf_semantics.TF_SEMANTICS`
#: (the legacy-op table's cases, and its hand-written helpers).
TF_LOWERINGS: dict[str, TFLower] = {
    "add": _onnx("Add", "x", "y"),
    "subtract": _onnx("Sub", "x", "y"),
    "multiply": lambda t: _onnx("Mul", "x", "y")(t) if "y" in t.values else _onnx("Mul", "scalar", "x")(t),
    "truediv": _true_divide,
    "divide_no_nan": _tf_divide_no_nan,
    "floordiv": lambda t: str(t.b.op("Floor", [t.b.op("Div", [t("x"), t("y")])])),
    "floormod": _tf_floormod,
    "maximum": _onnx("Max", "x", "y"),
    "minimum": _onnx("Min", "x", "y"),
    "pow": _onnx("Pow", "x", "y"),
    "squared_difference": _tf_square("x", "y"),
    "equal": _onnx("Equal", "x", "y"),
    "not_equal": lambda t: str(t.b.op("Not", [t.b.op("Equal", [t("x"), t("y")])])),
    "less": _onnx("Less", "x", "y"),
    "less_equal": _onnx("LessOrEqual", "x", "y"),
    "greater": _onnx("Greater", "x", "y"),
    "greater_equal": _onnx("GreaterOrEqual", "x", "y"),
    "logical_and": _onnx("And", "x", "y"),
    "logical_or": _onnx("Or", "x", "y"),
    "logical_xor": _onnx("Xor", "x", "y"),
    "logical_not": _onnx("Not", "x"),
    "negative": _tf_unary("Neg"),
    "abs": _tf_unary("Abs"),
    "sign": _tf_unary("Sign"),
    "sqrt": _tf_unary("Sqrt"),
    "rsqrt": lambda t: str(t.b.op("Reciprocal", [t.b.op("Sqrt", [t("x")])])),
    "square": _tf_square("x"),
    "exp": _tf_unary("Exp"),
    "expm1": lambda t: str(t.b.op("Sub", [t.b.op("Exp", [t("x")]), t.one()])),
    "log": _tf_unary("Log"),
    "log1p": lambda t: str(t.b.op("Log", [t.b.op("Add", [t("x"), t.one()])])),
    "reciprocal": _tf_unary("Reciprocal"),
    "floor": _tf_unary("Floor"),
    "ceil": _tf_unary("Ceil"),
    "round": _tf_unary("Round"),
    "sin": _tf_unary("Sin"),
    "cos": _tf_unary("Cos"),
    "tan": _tf_unary("Tan"),
    "erf": _tf_unary("Erf"),
    "sigmoid": _tf_unary("Sigmoid"),
    "log_sigmoid": _tf_activation("log_sigmoid", "x"),
    "tanh": _tf_unary("Tanh"),
    "softplus": _tf_unary("Softplus"),
    "relu": _tf_unary("Relu"),
    "relu6": _tf_activation("relu6"),
    "elu": _tf_activation("elu"),
    "selu": _tf_activation("selu"),
    "softsign": _tf_unary("Softsign"),
    "silu": lambda t: str(t.b.op("Mul", [t("features"), t.b.op("Sigmoid", [t.b.op("Mul", [t("features"), t.b.scalar(float(t.values["beta"]))])])])),
    "leaky_relu": lambda t: str(t.b.op("LeakyRelu", [t("features")], alpha=float(t.values["alpha"]))),
    "gelu": lambda t: str(gelu(t.b, t("features"), approximate=bool(t.values.get("approximate")))),
    "softmax": _tf_softmax("Softmax"),
    "log_softmax": _tf_softmax("LogSoftmax"),
    "l2_normalize": _tf_l2_normalize,
    "reduce_mean": _tf_reduce("ReduceMean"),
    "reduce_sum": _tf_reduce("ReduceSum"),
    "reduce_max": _tf_reduce("ReduceMax"),
    "reduce_min": _tf_reduce("ReduceMin"),
    "reduce_prod": _tf_reduce("ReduceProd"),
    "reduce_any": _tf_boolean_reduce("ReduceMax"),
    "reduce_all": _tf_boolean_reduce("ReduceMin"),
    "reduce_logsumexp": _tf_logsumexp,
    "reduce_std": _tf_variance(sqrt=True),
    "reduce_variance": _tf_variance(sqrt=False),
    "reduce_euclidean_norm": lambda t: str(t.b.op("Sqrt", [_tf_reduce("ReduceSumSquare")(t)])),
    "argmax": _tf_arg_reduce("ArgMax"),
    "argmin": _tf_arg_reduce("ArgMin"),
    "clip_by_value": lambda t: str(t.b.op("Max", [t.b.op("Min", [t("t"), t("clip_value_max")]), t("clip_value_min")])),
    "cast": lambda t: str(t.b.op("Cast", [t("x")], to=elem_type(t.result))),
    "where": _onnx("Where", "condition", "x", "y"),
    "select": _tf_select,
    "identity": _onnx("Identity", "input"),
    "matmul": _tf_matmul,
    "reshape": lambda t: str(t.b.op("Reshape", [t("tensor"), t.b.ints([int(d) for d in t.values["shape"]])])),
    "transpose": _tf_transpose,
    "expand_dims": lambda t: str(t.b.unsqueeze(t("input"), [int(t.values["axis"])])),
    "squeeze": lambda t: str(t.b.squeeze(t("input"), [int(a) for a in t.values["axis"]])),
    "tile": lambda t: str(t.b.op("Tile", [t("input"), t.b.ints([int(m) for m in t.values["multiples"]])])),
    "space_to_depth": lambda t: str(
        t.b.op(
            "Transpose",
            [t.b.op("SpaceToDepth", [t.b.op("Transpose", [t("input")], perm=[0, 3, 1, 2])], blocksize=int(t.values["block_size"]))],
            perm=[0, 2, 3, 1],
        )
    ),
    "pad": _tf_pad,
    "gather": lambda t: str(t.b.op("Gather", [t("params"), t("indices")], axis=int(t.values["axis"]))),
    "getitem": lambda t: get_item(t.b, t("tensor"), t.shape, _tf_subscript(list(t.values["slice_spec"]))),
    "concat": lambda t: str(t.b.concat(list(t.values["values"]), int(t.values["axis"]))),
    "add_n": _tf_add_n,
    "stack": lambda t: str(t.b.concat([t.b.unsqueeze(v, [int(t.values["axis"])]) for v in t.values["values"]], int(t.values["axis"]))),
    "split": _tf_split("split"),
    "unstack": _tf_split("unstack"),
}
#: Canonical TF ops with no ONNX lowering, and why (none today).
TF_NOT_LOWERED: dict[str, str] = {}


def _name(value: Any) -> Any:
    """Tensors as their ONNX names (lists of tensors too)."""
    if isinstance(value, Tensor):
        return value.name
    if isinstance(value, list) and value and all(isinstance(v, Tensor) for v in value):
        return [v.name for v in value]
    return value


@lowering(TFOP_TYPE)
def _tf_op(c: Call) -> Any:
    """A TF function on Keras tensors (``TFOpLambda``), bound as every consumer binds it
    (:func:`keras_migrate.ir.ops.tf.bind_tf_call`) and lowered by :data:`TF_LOWERINGS`."""
    b, cfg = c.b, c.cfg
    function = str(cfg.get("function"))
    first = c.args[0]
    tensors = list(first) if isinstance(first, (list, tuple)) else [first]
    if not all(isinstance(t, Tensor) and t.type is not None for t in tensors):
        raise c.unsupported(f"tf.{function} needs typed tensor inputs")
    ranks: dict[str, int] = {}

    def constant(key: str, array: Any) -> str:
        ranks[key] = int(np.ndim(array))
        return b.const(array, "operand")

    try:
        call = bind_tf_call(cfg, first, lambda t: t.type.dtype, constant)
    except KeyError as exc:
        raise c.unsupported(str(exc.args[0])) from None
    except ValueError as exc:
        raise c.unsupported(str(exc)) from None
    lower = TF_LOWERINGS.get(call.spec.op)
    if lower is None:
        raise c.unsupported(f"tf.{function} has no ONNX lowering")
    for key, value in call.values.items():
        if isinstance(value, Tensor) and value.type is not None:
            ranks[key] = value.type.rank
    x0 = tensors[0]
    assert isinstance(x0, Tensor) and x0.type is not None
    args = _TFArgs(
        b,
        {k: _name(v) for k, v in call.values.items()},
        call.dtype,
        result_dtype(call.spec, call.dtype, call.values),
        x0.type.shape,
        ranks,
        tf_op_outputs(cfg),
    )
    try:
        out = lower(args)
    except ValueError as exc:
        raise c.unsupported(f"tf.{function} {exc}") from None
    return [Tensor(p) for p in out] if isinstance(out, list) else Tensor(out)
