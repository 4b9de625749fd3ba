"""The TF functions a ``keras_migrate>TFOp`` layer runs: signatures, binding, dtype rules.

tf.keras records a TF function applied to Keras tensors (``TFOpLambda``,
``SlicingOpLambda``) by its symbol (``"math.multiply"``); the reader
(:mod:`keras_migrate.formats.tfkeras.layers`) turns it into one ``TFOp`` IR layer holding
the symbol, its constant arguments by TF parameter name, which arguments the layer's input
tensors fill, and how many tensors it returns. :data:`TF_OPS` gives each supported symbol
its canonical op (what it computes, :mod:`keras_migrate.ir.ops.tf_semantics`), its
parameters in TF's order and their roles; :func:`bind_tf_call` binds one call the same way
for every consumer (numpy kernel, Keras 3 compat layer, ONNX lowering), with TF's dtype
rules (:func:`operand_dtype`, :func:`result_dtype`). The codemods read the TF signatures
from here too.

No framework is imported; the compat layer's source (and so a generated ``model.py``)
copies what it uses of this module.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "TFOP_TYPE",
    "TFRESIZING_TYPE",
    "TF_NODE_OPS",
    "TF_OPS",
    "TFCall",
    "TFNodeOp",
    "TFOpSpec",
    "bind_tf_call",
    "constant_dtype",
    "operand_dtype",
    "result_dtype",
    "strided_slice_items",
    "supported_tf_functions",
    "tf_op_outputs",
    "tf_op_spec",
]

#: IR type of the generic compat layer running one TF function.
TFOP_TYPE = "keras_migrate>TFOp"
#: IR type of tf.keras' ``Resizing`` (the compat layer resizing with TF's image kernels).
TFRESIZING_TYPE = "keras_migrate>TFResizing"


@dataclass(frozen=True, slots=True)
class TFOpSpec:
    """One TF function: its canonical op, parameters in TF's order, and their roles.

    ``params[0]`` is the argument tf.keras records positionally. ``operands`` are the
    arguments a Keras tensor may fill; a constant operand takes the dtype of the tensors
    it meets (as TF converts it), except the ``own_dtype`` ones (indices, conditions). The
    remaining parameters are attributes, with defaults in ``defaults`` (an attribute
    without a default is required). ``result`` is the output dtype: ``"same"`` as the
    operands, ``"bool"``, ``"attr:NAME"`` for the dtype attribute ``NAME`` names, or
    ``"truediv"``: TF's true division, which divides integers in floating point (8- and
    16-bit ones to float32, wider ones to float64).
    ``sequence``: ``params[0]`` is a list of tensors (``tf.stack``).
    """

    op: str
    params: tuple[str, ...]
    operands: tuple[str, ...]
    defaults: Mapping[str, Any] = field(default_factory=dict)
    own_dtype: tuple[str, ...] = ()
    result: str = "same"
    sequence: bool = False


def _binary(op: str, result: str = "same") -> TFOpSpec:
    return TFOpSpec(op, ("x", "y"), ("x", "y"), result=result)


def _unary(op: str, first: str = "x", **attrs: Any) -> TFOpSpec:
    return TFOpSpec(op, (first, *attrs), (first,), attrs)


def _reduce(op: str) -> TFOpSpec:
    return TFOpSpec(op, ("input_tensor", "axis", "keepdims"), ("input_tensor",), {"axis": None, "keepdims": False})


def _arg_reduction(op: str) -> TFOpSpec:
    return TFOpSpec(op, ("input", "axis", "output_type"), ("input",), {"axis": None, "output_type": "int64"}, result="attr:output_type")


def _l2_spec() -> TFOpSpec:
    return TFOpSpec("l2_normalize", ("x", "axis", "epsilon", "dim"), ("x",), {"axis": None, "epsilon": 1e-12, "dim": None})


def _matmul_spec() -> TFOpSpec:
    flags = ("transpose_a", "transpose_b", "adjoint_a", "adjoint_b", "a_is_sparse", "b_is_sparse", "grad_a", "grad_b")
    return TFOpSpec("matmul", ("a", "b", *flags, "output_type"), ("a", "b"), {**dict.fromkeys(flags, False), "output_type": None})


def _transpose_spec() -> TFOpSpec:
    return TFOpSpec("transpose", ("a", "perm", "conjugate"), ("a",), {"perm": None, "conjugate": False})


def _squeeze_spec() -> TFOpSpec:
    return TFOpSpec("squeeze", ("input", "axis", "squeeze_dims"), ("input",), {"axis": None, "squeeze_dims": None})


def _pad_spec() -> TFOpSpec:
    return TFOpSpec("pad", ("tensor", "paddings", "mode", "constant_values"), ("tensor",), {"mode": "CONSTANT", "constant_values": 0})


def _gather_spec() -> TFOpSpec:
    return TFOpSpec(
        "gather",
        ("params", "indices", "validate_indices", "axis", "batch_dims"),
        ("params", "indices"),
        {"validate_indices": None, "axis": None, "batch_dims": 0},
        own_dtype=("indices",),
    )


#: TF symbols (as tf.keras records them in ``TFOpLambda.function``) this package runs.
TF_OPS: dict[str, TFOpSpec] = {
    "__operators__.add": _binary("add"),
    "math.add": _binary("add"),
    "math.subtract": _binary("subtract"),
    "math.multiply": _binary("multiply"),
    "math.truediv": _binary("truediv", result="truediv"),
    "math.divide": _binary("truediv", result="truediv"),
    "math.divide_no_nan": _binary("divide_no_nan"),
    "math.floordiv": _binary("floordiv"),
    "compat.v1.floor_div": _binary("floordiv"),
    "math.floormod": _binary("floormod"),
    "math.mod": _binary("floormod"),
    "math.maximum": _binary("maximum"),
    "math.minimum": _binary("minimum"),
    "math.pow": _binary("pow"),
    "math.squared_difference": _binary("squared_difference"),
    "math.scalar_mul": TFOpSpec("multiply", ("scalar", "x"), ("scalar", "x")),
    "compat.v1.math.scalar_mul": TFOpSpec("multiply", ("scalar", "x"), ("scalar", "x")),
    "math.equal": _binary("equal", "bool"),
    "math.not_equal": _binary("not_equal", "bool"),
    "math.less": _binary("less", "bool"),
    "math.less_equal": _binary("less_equal", "bool"),
    "math.greater": _binary("greater", "bool"),
    "math.greater_equal": _binary("greater_equal", "bool"),
    "math.logical_and": _binary("logical_and", "bool"),
    "math.logical_or": _binary("logical_or", "bool"),
    "math.logical_xor": _binary("logical_xor", "bool"),
    "math.logical_not": TFOpSpec("logical_not", ("x",), ("x",), result="bool"),
    "math.negative": _unary("negative"),
    "math.abs": _unary("abs"),
    "math.sign": _unary("sign"),
    "math.sqrt": _unary("sqrt"),
    "math.rsqrt": _unary("rsqrt"),
    "math.square": _unary("square"),
    "math.exp": _unary("exp"),
    "math.expm1": _unary("expm1"),
    "math.log": _unary("log"),
    "math.log1p": _unary("log1p"),
    "math.reciprocal": _unary("reciprocal"),
    "math.floor": _unary("floor"),
    "math.ceil": _unary("ceil"),
    "math.round": _unary("round"),
    "math.sin": _unary("sin"),
    "math.cos": _unary("cos"),
    "math.tan": _unary("tan"),
    "math.erf": _unary("erf"),
    "math.sigmoid": _unary("sigmoid"),
    "nn.sigmoid": _unary("sigmoid"),
    "math.log_sigmoid": _unary("log_sigmoid"),
    "math.tanh": _unary("tanh"),
    "nn.tanh": _unary("tanh"),
    "math.softplus": _unary("softplus", "features"),
    "nn.relu": _unary("relu", "features"),
    "nn.relu6": _unary("relu6", "features"),
    "nn.elu": _unary("elu", "features"),
    "nn.selu": _unary("selu", "features"),
    "nn.softsign": _unary("softsign", "features"),
    "nn.silu": _unary("silu", "features", beta=1.0),
    "nn.swish": _unary("silu", "features", beta=1.0),
    "nn.leaky_relu": _unary("leaky_relu", "features", alpha=0.2),
    "nn.gelu": _unary("gelu", "features", approximate=False),
    "nn.softmax": _unary("softmax", "logits", axis=None),
    "nn.log_softmax": _unary("log_softmax", "logits", axis=None),
    "math.log_softmax": _unary("log_softmax", "logits", axis=None),
    "math.l2_normalize": _l2_spec(),
    "nn.l2_normalize": _l2_spec(),
    "math.reduce_mean": _reduce("reduce_mean"),
    "math.reduce_sum": _reduce("reduce_sum"),
    "math.reduce_max": _reduce("reduce_max"),
    "math.reduce_min": _reduce("reduce_min"),
    "math.reduce_prod": _reduce("reduce_prod"),
    "math.reduce_any": _reduce("reduce_any"),
    "math.reduce_all": _reduce("reduce_all"),
    "math.reduce_logsumexp": _reduce("reduce_logsumexp"),
    "math.reduce_std": _reduce("reduce_std"),
    "math.reduce_variance": _reduce("reduce_variance"),
    "math.reduce_euclidean_norm": _reduce("reduce_euclidean_norm"),
    "math.argmax": _arg_reduction("argmax"),
    "math.argmin": _arg_reduction("argmin"),
    "clip_by_value": TFOpSpec(
        "clip_by_value", ("t", "clip_value_min", "clip_value_max"), ("t", "clip_value_min", "clip_value_max")
    ),
    "cast": TFOpSpec("cast", ("x", "dtype"), ("x",), result="attr:dtype"),
    "where": TFOpSpec("where", ("condition", "x", "y"), ("condition", "x", "y"), {"x": None, "y": None}, own_dtype=("condition",)),
    # TF1's ``Select``: a rank-1 condition picks whole rows of ``x``/``y`` (no broadcasting).
    "compat.v1.where": TFOpSpec(
        "select", ("condition", "x", "y"), ("condition", "x", "y"), {"x": None, "y": None}, own_dtype=("condition",)
    ),
    "identity": TFOpSpec("identity", ("input",), ("input",)),
    "linalg.matmul": _matmul_spec(),
    "matmul": _matmul_spec(),
    "reshape": TFOpSpec("reshape", ("tensor", "shape"), ("tensor",)),
    "transpose": _transpose_spec(),
    "compat.v1.transpose": _transpose_spec(),
    "expand_dims": TFOpSpec("expand_dims", ("input", "axis"), ("input",)),
    "squeeze": _squeeze_spec(),
    "compat.v1.squeeze": _squeeze_spec(),
    "tile": TFOpSpec("tile", ("input", "multiples"), ("input",)),
    "nn.space_to_depth": TFOpSpec("space_to_depth", ("input", "block_size", "data_format"), ("input",), {"data_format": "NHWC"}),
    "pad": _pad_spec(),
    "compat.v1.pad": _pad_spec(),
    "gather": _gather_spec(),
    "compat.v1.gather": _gather_spec(),
    "__operators__.getitem": TFOpSpec("getitem", ("tensor", "slice_spec", "var"), ("tensor",), {"var": None}),
    # List-valued first argument (every element a Keras tensor).
    "concat": TFOpSpec("concat", ("values", "axis"), ("values",), sequence=True),
    "math.add_n": TFOpSpec("add_n", ("inputs",), ("inputs",), sequence=True),
    "stack": TFOpSpec("stack", ("values", "axis"), ("values",), {"axis": 0}, sequence=True),
    # Several outputs.
    "split": TFOpSpec("split", ("value", "num_or_size_splits", "axis", "num"), ("value",), {"axis": 0, "num": None}),
    "unstack": TFOpSpec("unstack", ("value", "num", "axis"), ("value",), {"num": None, "axis": 0}),
}


@dataclass(frozen=True, slots=True)
class TFNodeOp:
    """A TF graph op (``NodeDef.op``, as tf.keras 2.0-2.3 stored it in a
    ``TensorFlowOpLayer``) as a call of the TF function :data:`TF_OPS` knows.

    ``inputs``: the function parameter each of the node's inputs fills, in order; when the
    function takes a list first (``spec.sequence``), that parameter takes every input the
    others leave. ``attrs``: node attribute -> function parameter. ``rewrite``, for an op
    whose inputs are not the function's parameters (``StridedSlice``), turns the node's
    arguments (named by ``inputs`` and ``attrs``) into the function's; ``ValueError`` when
    they cannot be.
    """

    function: str
    inputs: tuple[str, ...]
    attrs: Mapping[str, str] = field(default_factory=dict)
    rewrite: Callable[[dict[str, Any]], dict[str, Any]] | None = None


_ELLIPSIS = {"class_name": "__ellipsis__"}
_SLICE_MASKS = ("begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask")


def strided_slice_items(
    begin: Any, end: Any, strides: Any, masks: Mapping[str, int]
) -> list[Any]:
    """A ``StridedSlice`` node (constant ``begin``/``end``/``strides`` and its five bit
    masks) as the ``x[...]`` subscript items ``__operators__.getitem`` records: an int
    (``shrink_axis_mask``), ``None`` (``new_axis_mask``), the ellipsis marker, or a
    ``{"start", "stop", "step"}`` slice whose masked bounds are ``None``. The ellipsis bit
    wins over the others and a new axis ignores begin/end, as TF's dense spec does; a
    shrunk axis takes ``begin`` whatever its begin mask (TF reads it so)."""
    bounds = [begin, end, strides]
    if not all(isinstance(b, (list, tuple)) and all(isinstance(v, int) and not isinstance(v, bool) for v in b) for b in bounds):
        raise ValueError("begin, end and strides must be constant lists of integers")
    if not len(begin) == len(end) == len(strides):
        raise ValueError(f"begin, end and strides differ in length ({len(begin)}, {len(end)}, {len(strides)})")
    unknown = {k: v for k, v in masks.items() if k in _SLICE_MASKS and int(v) >> len(begin)}
    if unknown:
        raise ValueError(f"masks {unknown} name axes past the {len(begin)} slice items")
    items: list[Any] = []
    for i, (start, stop, step) in enumerate(zip(begin, end, strides, strict=True)):
        bit = 1 << i

        def has(mask: str, bit: int = bit) -> bool:
            return bool(int(masks.get(mask, 0)) & bit)

        if has("ellipsis_mask"):
            items.append(dict(_ELLIPSIS))
        elif has("new_axis_mask"):
            items.append(None)
        elif has("shrink_axis_mask"):
            if step <= 0:
                raise ValueError(f"a shrunk axis with stride {step}")
            items.append(int(start))
        else:
            if step == 0:
                raise ValueError("a zero stride")
            items.append(
                {
                    "start": None if has("begin_mask") else int(start),
                    "stop": None if has("end_mask") else int(stop),
                    "step": int(step),
                }
            )
    return items


def _strided_slice(arguments: dict[str, Any]) -> dict[str, Any]:
    masks = {m: arguments.pop(m, 0) for m in _SLICE_MASKS}
    items = strided_slice_items(arguments.pop("begin"), arguments.pop("end"), arguments.pop("strides"), masks)
    return {**arguments, "slice_spec": items}


def _node_ops() -> dict[str, TFNodeOp]:
    binary = {
        "Add": "math.add", "AddV2": "math.add", "Sub": "math.subtract", "Mul": "math.multiply",
        "RealDiv": "math.truediv", "DivNoNan": "math.divide_no_nan", "FloorDiv": "math.floordiv",
        "FloorMod": "math.floormod", "Maximum": "math.maximum", "Minimum": "math.minimum", "Pow": "math.pow",
        "SquaredDifference": "math.squared_difference", "Equal": "math.equal", "NotEqual": "math.not_equal",
        "Less": "math.less", "LessEqual": "math.less_equal", "Greater": "math.greater",
        "GreaterEqual": "math.greater_equal", "LogicalAnd": "math.logical_and", "LogicalOr": "math.logical_or",
    }  # fmt: skip
    unary = {
        "LogicalNot": "math.logical_not", "Neg": "math.negative", "Abs": "math.abs", "Sign": "math.sign",
        "Sqrt": "math.sqrt", "Rsqrt": "math.rsqrt", "Square": "math.square", "Exp": "math.exp",
        "Expm1": "math.expm1", "Log": "math.log", "Log1p": "math.log1p", "Reciprocal": "math.reciprocal",
        "Floor": "math.floor", "Ceil": "math.ceil", "Round": "math.round", "Sin": "math.sin", "Cos": "math.cos",
        "Tan": "math.tan", "Erf": "math.erf", "Sigmoid": "math.sigmoid", "Tanh": "math.tanh",
        "Softplus": "math.softplus", "Relu": "nn.relu", "Relu6": "nn.relu6", "Elu": "nn.elu", "Selu": "nn.selu",
        "Softsign": "nn.softsign", "Softmax": "nn.softmax", "LogSoftmax": "nn.log_softmax",
    }  # fmt: skip
    reductions = {
        "Mean": "math.reduce_mean", "Sum": "math.reduce_sum", "Max": "math.reduce_max", "Min": "math.reduce_min",
        "Prod": "math.reduce_prod", "Any": "math.reduce_any", "All": "math.reduce_all",
    }  # fmt: skip
    ops: dict[str, TFNodeOp] = {}
    for op, function in binary.items():
        ops[op] = TFNodeOp(function, TF_OPS[function].params[:2])
    for op, function in unary.items():
        ops[op] = TFNodeOp(function, TF_OPS[function].params[:1])
    for op, function in reductions.items():
        ops[op] = TFNodeOp(function, ("input_tensor", "axis"), {"keep_dims": "keepdims"})
    for op, function in (("ArgMax", "math.argmax"), ("ArgMin", "math.argmin")):
        ops[op] = TFNodeOp(function, ("input", "axis"), {"output_type": "output_type"})
    flags = {"transpose_a": "transpose_a", "transpose_b": "transpose_b"}
    adjoints = {"adj_x": "adjoint_a", "adj_y": "adjoint_b"}
    ops.update(
        LeakyRelu=TFNodeOp("nn.leaky_relu", ("features",), {"alpha": "alpha"}),
        Cast=TFNodeOp("cast", ("x",), {"DstT": "dtype"}),
        SelectV2=TFNodeOp("where", ("condition", "x", "y")),
        Select=TFNodeOp("compat.v1.where", ("condition", "x", "y")),
        Identity=TFNodeOp("identity", ("input",)),
        StridedSlice=TFNodeOp(
            "__operators__.getitem", ("tensor", "begin", "end", "strides"), {m: m for m in _SLICE_MASKS}, _strided_slice
        ),
        Split=TFNodeOp("split", ("axis", "value"), {"num_split": "num_or_size_splits"}),
        SplitV=TFNodeOp("split", ("value", "num_or_size_splits", "axis")),
        Unpack=TFNodeOp("unstack", ("value",), {"num": "num", "axis": "axis"}),
        MatMul=TFNodeOp("matmul", ("a", "b"), flags),
        BatchMatMul=TFNodeOp("matmul", ("a", "b"), adjoints),
        BatchMatMulV2=TFNodeOp("matmul", ("a", "b"), adjoints),
        Reshape=TFNodeOp("reshape", ("tensor", "shape")),
        Transpose=TFNodeOp("transpose", ("a", "perm")),
        ExpandDims=TFNodeOp("expand_dims", ("input", "axis")),
        Squeeze=TFNodeOp("squeeze", ("input",), {"squeeze_dims": "axis"}),
        Tile=TFNodeOp("tile", ("input", "multiples")),
        Pad=TFNodeOp("pad", ("tensor", "paddings")),
        PadV2=TFNodeOp("pad", ("tensor", "paddings", "constant_values")),
        MirrorPad=TFNodeOp("pad", ("tensor", "paddings"), {"mode": "mode"}),
        GatherV2=TFNodeOp("gather", ("params", "indices", "axis"), {"batch_dims": "batch_dims"}),
        ConcatV2=TFNodeOp("concat", ("values", "axis")),
        Pack=TFNodeOp("stack", ("values",), {"axis": "axis"}),
        AddN=TFNodeOp("math.add_n", ("inputs",)),
        ClipByValue=TFNodeOp("clip_by_value", ("t", "clip_value_min", "clip_value_max")),
    )
    return ops


#: TF graph ops (``NodeDef.op``) a ``TensorFlowOpLayer`` may hold, as TF functions of :data:`TF_OPS`.
TF_NODE_OPS: dict[str, TFNodeOp] = _node_ops()


def tf_op_spec(function: str) -> TFOpSpec:
    """The spec of a TF symbol; ``KeyError`` naming the supported ones if unknown."""
    spec = TF_OPS.get(function)
    if spec is None:
        raise KeyError(f"TF function tf.{function} is not supported (supported: {supported_tf_functions()})")
    return spec


def supported_tf_functions() -> str:
    """The supported TF symbols, grouped by module: ``tf.math.{abs, add}, tf.{cast}``."""
    groups: dict[str, list[str]] = {}
    for function in sorted(TF_OPS):
        module, _, name = function.rpartition(".")
        groups.setdefault(f"tf.{module}." if module else "tf.", []).append(name)
    return ", ".join(f"{module}{{{', '.join(names)}}}" for module, names in sorted(groups.items()))


def tf_op_outputs(config: Mapping[str, Any]) -> int:
    """How many tensors one call of a ``TFOp`` layer returns (its config's ``outputs``)."""
    return int(config.get("outputs") or 1)


def _leaves(value: Any) -> list[Any]:
    """The scalars of a nested list constant (iterative: generated code copies this)."""
    leaves, stack = [], [value]
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(item)
        else:
            leaves.append(item)
    return leaves


def constant_dtype(value: Any) -> str:
    """The dtype TF gives a Python constant: ``bool``, ``int32`` or ``float32``."""
    leaves = _leaves(value)
    if leaves and all(isinstance(v, bool) for v in leaves):
        return "bool"
    return "int32" if all(isinstance(v, int) for v in leaves) else "float32"


def operand_dtype(spec: TFOpSpec, tensor_dtypes: Mapping[str, str], constants: Mapping[str, Any]) -> str:
    """The dtype a call's numeric operands share, as TF converts them: the first tensor's
    (``tensor_dtypes``: argument name -> dtype name), else the first constant's."""
    shared = [p for p in spec.params if p in spec.operands and p not in spec.own_dtype]
    for name in shared:
        if name in tensor_dtypes:
            return tensor_dtypes[name]
    for name in shared:
        if constants.get(name) is not None:
            return constant_dtype(constants[name])
    return "float32"


#: The floating dtype TF's true division gives integer operands (``math_ops._TRUEDIV_TABLE``).
TRUEDIV_DTYPES: Mapping[str, str] = {
    "int8": "float32", "uint8": "float32", "int16": "float32", "uint16": "float32",
    "int32": "float64", "uint32": "float64", "int64": "float64", "uint64": "float64",
}


def result_dtype(spec: TFOpSpec, operands: str, arguments: Mapping[str, Any]) -> str:
    """The dtype of a call's result(s), given its operands' dtype and its arguments."""
    if spec.result == "bool":
        return "bool"
    if spec.result == "truediv":
        return TRUEDIV_DTYPES.get(operands, operands)
    if spec.result.startswith("attr:"):
        return str(arguments[spec.result[len("attr:") :]])
    return operands



@dataclass(frozen=True, slots=True)
class TFCall:
    """One call of a ``TFOp`` layer, bound: every TF argument of the function by name.

    ``values`` maps the arguments the input tensors fill to the caller's tensors (a list
    for a list-valued argument), constant operands to arrays of their TF dtype (as the
    caller's ``constant`` hook made them), and attributes to their values, defaults
    included. ``dtype`` is the dtype the numeric operands share (:func:`result_dtype` gives
    the result's).
    """

    function: str
    spec: TFOpSpec
    values: dict[str, Any]
    dtype: str


def _array(key: str, value: Any) -> Any:
    return value


def bind_tf_call(
    config: Mapping[str, Any],
    inputs: Any,
    dtype_of: Callable[[Any], str],
    constant: Callable[[str, Any], Any] = _array,
) -> TFCall:
    """Bind one call of a ``TFOp`` layer: ``config`` is its IR config, ``inputs`` the tensor
    (or list of tensors) it is called on, ``dtype_of`` names a tensor's dtype.

    Constant operands take the dtype of the tensors they meet (as TF converts them),
    except the ``own_dtype`` ones: integer indices become int64, as TF's index tensors.
    ``constant(name, array)`` turns each constant operand into the caller's kind of value
    (a tensor, an initializer). Raises ``KeyError`` for an unknown function and
    ``ValueError`` when the inputs do not match ``tensor_arguments``.
    """
    function = str(config.get("function"))
    spec = tf_op_spec(function)
    names = list(config.get("tensor_arguments") or [spec.params[0]])
    if spec.sequence:
        tensors = [list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]]
    else:
        tensors = list(inputs) if len(names) > 1 else [inputs]
    if len(tensors) != len(names):
        raise ValueError(f"tf.{function} takes {len(names)} tensors, got {len(tensors)}")
    values: dict[str, Any] = dict(zip(names, tensors, strict=True))
    arguments = {**spec.defaults, **dict(config.get("arguments") or {})}
    dtypes = {n: dtype_of(t[0] if spec.sequence else t) for n, t in values.items()}
    dtype = operand_dtype(spec, dtypes, arguments)
    for key, value in arguments.items():
        if key in values:
            continue
        if key in spec.operands and value is not None:
            if key in spec.own_dtype:
                array = np.asarray(value)
                value = constant(key, array.astype(np.int64) if array.dtype.kind in "iu" else array)
            else:
                value = constant(key, np.asarray(value, dtype=dtype))
        values[key] = value
    return TFCall(function, spec, values, dtype)
