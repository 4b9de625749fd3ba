"""Rules for tf.keras layers beyond standalone Keras 2: preprocessing layers, the private
layers of ``tf.keras.applications``, and ``TFOpLambda`` (TF functions applied to Keras
tensors).

``TFOpLambda`` stores only the TF symbol (``"function": "math.multiply"``); the call's
operands live in the layer's inbound node, the first positionally (a tensor, or
``["_CONSTANT_VALUE", -1, value, kwargs]``) and the rest as keyword arguments named as in
the TF function's signature (``{"y": 3.0, "name": null}``). A call whose operands are all
tensors and that a Keras 3 layer computes identically (``x + y``, ``tf.concat``,
``tf.nn.relu``...) becomes that built-in layer; every other call becomes one
``keras_migrate>TFOp`` layer holding the TF symbol, its constant arguments and which
arguments its input tensors fill. The table :data:`TF_OPS` (no framework imported) is
shared by the rule, the numpy kernel and the Keras 3 compat layer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from keras_migrate.errors import UnsupportedError
from keras_migrate.formats.keras2_layers import (
    TranslateContext,
    _clean,
    register,
    register_call_rewrite,
)
from keras_migrate.ir.graph import ValueRef

__all__ = ["TFOP_TYPE", "TF_OPS", "TFOpSpec", "tf_op_spec"]

#: IR type of the generic compat layer running one TF function.
TFOP_TYPE = "keras_migrate>TFOp"


@dataclass(frozen=True, slots=True)
class TFOpSpec:
    """One TF function: its canonical op, parameters in TF's order, and their roles.

    ``params[0]`` is the argument tf.keras records positionally. ``operands`` are numeric
    inputs (Keras tensors or constants, which take the tensors' dtype as TF converts
    them); the remaining parameters are attributes, with defaults in ``defaults`` (an
    attribute without a default is required).
    """

    op: str
    params: tuple[str, ...]
    operands: tuple[str, ...]
    defaults: Mapping[str, Any] = field(default_factory=dict)


def _binary(op: str) -> TFOpSpec:
    return TFOpSpec(op, ("x", "y"), ("x", "y"))


def _unary(op: str, first: str = "x", **attrs: Any) -> TFOpSpec:
    return TFOpSpec(op, (first, *attrs), (first,), attrs)


def _reduce(op: str) -> TFOpSpec:
    return TFOpSpec(op, ("input_tensor", "axis", "keepdims"), ("input_tensor",), {"axis": None, "keepdims": False})


#: TF symbols (as tf.keras records them in ``TFOpLambda.function``) this package runs.
TF_OPS: dict[str, TFOpSpec] = {
    "__operators__.add": _binary("add"),
    "math.add": _binary("add"),
    "math.subtract": _binary("subtract"),
    "math.multiply": _binary("multiply"),
    "math.truediv": _binary("truediv"),
    "math.divide": _binary("truediv"),
    "math.floordiv": _binary("floordiv"),
    "compat.v1.floor_div": _binary("floordiv"),
    "math.maximum": _binary("maximum"),
    "math.minimum": _binary("minimum"),
    "math.pow": _binary("pow"),
    "math.squared_difference": _binary("squared_difference"),
    "math.scalar_mul": TFOpSpec("multiply", ("scalar", "x"), ("scalar", "x")),
    "compat.v1.math.scalar_mul": TFOpSpec("multiply", ("scalar", "x"), ("scalar", "x")),
    "math.negative": _unary("negative"),
    "math.abs": _unary("abs"),
    "math.sqrt": _unary("sqrt"),
    "math.rsqrt": _unary("rsqrt"),
    "math.square": _unary("square"),
    "math.exp": _unary("exp"),
    "math.log": _unary("log"),
    "math.reciprocal": _unary("reciprocal"),
    "math.sigmoid": _unary("sigmoid"),
    "nn.sigmoid": _unary("sigmoid"),
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
    "math.reduce_mean": _reduce("reduce_mean"),
    "math.reduce_sum": _reduce("reduce_sum"),
    "math.reduce_max": _reduce("reduce_max"),
    "math.reduce_min": _reduce("reduce_min"),
    "math.reduce_prod": _reduce("reduce_prod"),
    "clip_by_value": TFOpSpec(
        "clip_by_value", ("t", "clip_value_min", "clip_value_max"), ("t", "clip_value_min", "clip_value_max")
    ),
    # List-valued first argument: only as built-in layers (every element a tensor).
    "concat": TFOpSpec("concat", ("values", "axis"), ("values",)),
    "math.add_n": TFOpSpec("add_n", ("inputs",), ("inputs",)),
}

#: TF keyword arguments that never change the result.
_IGNORED_KWARGS = frozenset({"name"})
#: Ops whose first argument is a list of tensors; only built-in translations exist.
_LIST_OPS = frozenset({"concat", "add_n"})
#: Two-tensor ops Keras 3 merge layers compute identically (same rank: plain broadcasting).
_MERGE = {"add": "Add", "subtract": "Subtract", "multiply": "Multiply", "maximum": "Maximum", "minimum": "Minimum"}
#: One-tensor ops that are a Keras 3 activation exactly (at their TF default attributes).
_ACTIVATION = {
    "relu": "relu", "relu6": "relu6", "sigmoid": "sigmoid", "tanh": "tanh", "softplus": "softplus",
    "elu": "elu", "selu": "selu", "softsign": "softsign", "exp": "exponential",
}  # fmt: skip


def tf_op_spec(function: str) -> TFOpSpec:
    """The spec of a TF symbol; ``KeyError`` naming the supported ones if unknown."""
    spec = TF_OPS.get(function)
    if spec is None:
        raise KeyError(f"TF function tf.{function} is not supported (supported: {supported_tf_functions()})")
    return spec


def supported_tf_functions() -> str:
    return ", ".join(f"tf.{f}" for f in sorted(TF_OPS))


# --------------------------------------------------------------------------- preprocessing


@register("Rescaling")
def _rescaling(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    cfg = _clean(config)
    if isinstance(cfg.get("scale"), (list, tuple)):
        ctx.notes.append(
            f"{ctx.layer_name}: Keras 3 Rescaling reshapes a per-channel scale when "
            "keras.config.image_data_format() is channels_first; load the model under channels_last"
        )
    return "Rescaling", {"scale": cfg.get("scale", 1.0), "offset": cfg.get("offset", 0.0)}


@register("Normalization")
def _normalization(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    cfg = _clean(config)
    mean, variance = cfg.get("mean"), cfg.get("variance")
    if (mean is None) != (variance is None):
        raise ctx.fail("Normalization config sets only one of mean and variance")
    axis = cfg.get("axis", -1)
    if isinstance(axis, list):
        axis = tuple(axis)
    out = {"axis": axis, "mean": mean, "variance": variance, "invert": bool(cfg.get("invert", False))}
    return "Normalization", out


# --------------------------------------------------------------------------- applications


@register("CustomScaleLayer", "Custom>CustomScaleLayer")
def _custom_scale(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    # tf.keras.applications.InceptionResNetV2: inputs[0] + inputs[1] * scale.
    if "scale" not in config or set(_clean(config)) - {"scale"}:
        raise ctx.fail("CustomScaleLayer config is not InceptionResNetV2's (expected only 'scale')")
    return "keras_migrate>CustomScaleLayer", {"scale": float(config["scale"])}


@register("LayerScale")
def _layer_scale(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    # tf.keras.applications.ConvNeXt: x * gamma, gamma of shape (projection_dim,).
    cfg = _clean(config)
    if set(cfg) != {"init_values", "projection_dim"}:
        raise ctx.fail("LayerScale config is not ConvNeXt's (expected init_values and projection_dim)")
    return "keras_migrate>LayerScale", {"init_values": cfg["init_values"], "projection_dim": int(cfg["projection_dim"])}


@register("StochasticDepth")
def _stochastic_depth(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    # ConvNeXt's drop path: identity at inference. Other libraries' StochasticDepth layers
    # (e.g. tfa's, which adds a scaled residual) have other configs and are refused.
    if set(_clean(config)) != {"drop_path_rate"}:
        raise ctx.fail("StochasticDepth config is not ConvNeXt's drop path (expected only drop_path_rate)")
    ctx.notes.append(f"{ctx.layer_name}: StochasticDepth is the identity at inference; converted to Identity")
    return "Identity", {}


# --------------------------------------------------------------------------- TFOpLambda


class _Tensor:
    """Marks an argument that a Keras tensor fills (in a raw, unparsed node)."""

    def __repr__(self) -> str:
        return "<tensor>"


_TENSOR = _Tensor()


def _is_ref(value: Any) -> bool:
    return (
        isinstance(value, (list, tuple))
        and len(value) in (3, 4)
        and isinstance(value[0], str)
        and isinstance(value[1], int)
        and isinstance(value[2], int)
        and value[0] != "_CONSTANT_VALUE"
    )


def _has_ref(value: Any) -> bool:
    if _is_ref(value):
        return True
    if isinstance(value, Mapping):
        return any(_has_ref(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_has_ref(v) for v in value)
    return False


def _raw_value(value: Any, ctx: TranslateContext) -> Any:
    """A raw argument as ``_TENSOR`` or a JSON constant (tensors nested in constants fail)."""
    if isinstance(value, Mapping) and value.get("class_name") == "__keras_tensor__":
        return _TENSOR
    if _is_ref(value):
        return _TENSOR
    if _has_ref(value):
        raise ctx.fail("TF op arguments mixing tensors and constants in one structure are not supported")
    return value


def _raw_call(node: Any, ctx: TranslateContext) -> tuple[Any, dict[str, Any]]:
    """``(first argument, keyword arguments)`` of one raw tf.keras node."""
    if not isinstance(node, (list, tuple)) or not node:
        raise ctx.fail(f"cannot read the TF op's inbound node {str(node)[:80]}")
    entries = [node] if not isinstance(node[0], (list, tuple)) else list(node)

    def first(entry: Any) -> Any:
        if isinstance(entry, (list, tuple)) and len(entry) == 4 and entry[0] == "_CONSTANT_VALUE":
            return _raw_value(entry[2], ctx)
        if _is_ref(entry):
            return _TENSOR
        raise ctx.fail(f"cannot read the TF op's inbound node entry {str(entry)[:80]}")

    kwargs = entries[0][3] if len(entries[0]) == 4 and isinstance(entries[0][3], Mapping) else {}
    value = first(entries[0]) if len(entries) == 1 else [first(e) for e in entries]
    return value, {k: _raw_value(v, ctx) for k, v in kwargs.items()}


def _translate_call(function: str, spec: TFOpSpec, node: Any, ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    first, kwargs = _raw_call(node, ctx)
    arguments: dict[str, Any] = {spec.params[0]: first}
    for key, value in kwargs.items():
        if key in _IGNORED_KWARGS:
            continue
        if key not in spec.params[1:]:
            raise ctx.fail(f"tf.{function} called with argument {key!r}, which is not supported")
        arguments[key] = value
    for key in spec.params:
        if key not in arguments:
            if key not in spec.defaults:
                raise ctx.fail(f"tf.{function} call does not record its argument {key!r}")
            arguments[key] = spec.defaults[key]
    for key, value in arguments.items():
        if key not in spec.operands and value is _TENSOR:
            raise ctx.fail(f"tf.{function} with a tensor as {key!r} is not supported (only constants)")
    tensors = [k for k in spec.params if k in spec.operands and arguments[k] is _TENSOR]
    constants = {k: v for k, v in arguments.items() if k not in tensors}
    op = spec.op
    if op in _LIST_OPS:
        values = arguments[spec.params[0]]
        if not isinstance(values, list) or not values or any(v is not _TENSOR for v in values):
            raise ctx.fail(f"tf.{function} is supported only on a list of Keras tensors")
        if op == "concat":
            return "Concatenate", {"axis": int(constants["axis"])}
        return "Add", {}
    if not tensors:
        raise ctx.fail(f"tf.{function} call has no Keras tensor argument")
    if isinstance(first, list):
        raise ctx.fail(f"tf.{function} with a list as its first argument is not supported")
    if op in _MERGE and tensors == list(spec.operands) and len(tensors) == 2 and spec.params[0] == "x":
        return _MERGE[op], {}
    if len(tensors) == 1 and spec.params[0] in tensors:
        if op in _ACTIVATION:
            return "Activation", {"activation": _ACTIVATION[op]}
        if op == "silu" and float(constants["beta"]) == 1.0:
            return "Activation", {"activation": "silu"}
        if op == "gelu" and not constants["approximate"]:
            return "Activation", {"activation": "gelu"}
        if op == "leaky_relu" and float(constants["alpha"]) >= 0:  # Keras 3 refuses negative slopes
            return "LeakyReLU", {"negative_slope": float(constants["alpha"])}
        if op == "softmax":
            axis = constants["axis"]
            return "Softmax", {"axis": -1 if axis is None else axis}
    return TFOP_TYPE, {"function": function, "arguments": constants, "tensor_arguments": tensors}


@register("TFOpLambda")
def _tf_op_lambda(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    function = config.get("function")
    if not isinstance(function, str):
        raise ctx.fail("TFOpLambda config names no TF function")
    spec = TF_OPS.get(function)
    if spec is None:
        raise ctx.fail(
            f"TF function tf.{function} (TFOpLambda layer {ctx.layer_name!r}) is not supported",
            hint=f"supported TF functions: {supported_tf_functions()}",
        )
    nodes = ctx.inbound_nodes
    if not isinstance(nodes, list) or not nodes:
        raise ctx.fail(f"TFOpLambda tf.{function} outside a functional model (no recorded call) is not supported")
    results = [_translate_call(function, spec, node, ctx) for node in nodes]
    if any(r != results[0] for r in results[1:]):
        raise ctx.fail(f"TFOpLambda tf.{function} is called with different arguments at different nodes")
    return results[0]


def _tensor_argument(name: str, first_param: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> Any:
    value = args[0] if name == first_param else kwargs.get(name)
    if not isinstance(value, ValueRef):
        raise UnsupportedError(f"TF op argument {name!r} is not a Keras tensor in this call")
    return value


@register_call_rewrite("TFOpLambda")
def _tf_op_call(
    layer_type: str, config: Mapping[str, Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """Call the translation with its input tensors only: one, or a list of several."""
    if layer_type == TFOP_TYPE:
        spec = tf_op_spec(str(config["function"]))
        names: Sequence[str] = config["tensor_arguments"]
        refs = [_tensor_argument(n, spec.params[0], args, kwargs) for n in names]
        return ((refs[0] if len(refs) == 1 else refs),), {}
    if layer_type in ("Add", "Subtract", "Multiply", "Maximum", "Minimum") and not isinstance(args[0], list):
        return ([args[0], _tensor_argument("y", "x", args, kwargs)],), {}
    if layer_type in ("Concatenate", "Add"):
        return (list(args[0]),), {}
    return (args[0],), {}
