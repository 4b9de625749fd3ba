"""Rules for tf.keras layers beyond standalone Keras 2: preprocessing layers, the private
layers of ``tf.keras.applications``, and ``TFOpLambda``/``SlicingOpLambda`` (TF functions
applied to Keras tensors, and ``x[...]`` slicing).

``TFOpLambda`` stores only the TF symbol (``"function": "math.multiply"``); the call's
operands live in the layer's inbound node, the first positionally (a tensor, a list of
tensors, or ``["_CONSTANT_VALUE", -1, value, kwargs]``) and the rest as keyword arguments
named as in the TF function's signature (``{"y": 3.0, "name": null}``).
``SlicingOpLambda`` is the same with ``"function": "__operators__.getitem"`` and the
subscript as keyword ``slice_spec``: a list (or one item) of ``{"start", "stop", "step"}``
dicts, integers, ``null`` (a new axis) and ``{"class_name": "__ellipsis__"}``.

A call a Keras 3 layer computes identically (``x + y``, ``tf.concat``, ``tf.nn.relu``,
``tf.transpose`` keeping the batch first...) becomes that built-in layer. ``tf.reshape``
never does: without the input's shape a rule cannot tell whether a leading ``-1`` is the
batch or folds it into rows. Every other call becomes one ``keras_migrate>TFOp`` layer
holding the TF symbol, its constant arguments, which arguments its input tensors fill and,
for functions returning a list (``tf.split``, ``tf.unstack``), how many tensors it
returns. The table :data:`keras_migrate.ir.ops.tf.TF_OPS` is shared by the rule, the
numpy kernel, the Keras 3 compat layer, the ONNX emitter and the codemods. TF functions
outside it are listed all at once, with every layer using them, by
:func:`check_tf_functions` before anything is translated.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from keras_migrate.errors import UnsupportedError
from keras_migrate.formats.plugin_api import register_layer_rule
from keras_migrate.formats.rules import (
    TranslateContext,
    clean_config,
    register,
    register_call_rewrite,
)
from keras_migrate.ir.graph import ValueRef
from keras_migrate.ir.ops.tf import (
    TF_NODE_OPS,
    TF_OPS,
    TFOP_TYPE,
    TFOpSpec,
    supported_tf_functions,
    tf_op_spec,
)

__all__ = [
    "TENSOR",
    "check_tf_functions",
    "resolve_output_counts",
    "translate_tf_call",
]

#: TF symbols tf.keras records without the operands needed to rerun them: tf_keras itself
#: cannot load such a model again, so neither can this package.
_LOST_OPERANDS = {
    "__operators__.eq": "tf_keras records `a == b` without its right operand",
    "__operators__.ne": "tf_keras records `a != b` without its right operand",
    "einsum": "tf_keras records tf.einsum without its tensor operands",
}
_LOST_HINT = {
    "__operators__.eq": "use tf.math.equal(a, b)",
    "__operators__.ne": "use tf.math.not_equal(a, b)",
    "einsum": "use keras.layers.EinsumDense or tf.linalg.matmul",
}


def check_tf_functions(entries: Iterable[tuple[Mapping[str, Any], str]], path: str) -> None:
    """Fail once, naming every unsupported TF function and every layer calling it.

    ``entries``: every ``(config entry, name)`` of the model config, as the pipeline's
    precheck walks it (:func:`keras_migrate.formats.precheck.config_entries`). Run before
    any translation, so a model using several unsupported functions is reported in one
    message rather than one function per attempt.
    """
    calls: dict[str, list[str]] = {}
    for entry, name in entries:
        cfg = entry.get("config")
        if entry.get("class_name") in ("TFOpLambda", "SlicingOpLambda") and isinstance(cfg, Mapping):
            calls.setdefault(str(cfg.get("function")), []).append(name)
    unknown = {f: names for f, names in calls.items() if f not in TF_OPS}
    if not unknown:
        return
    parts = []
    for function, names in unknown.items():
        layers = ("layer " if len(names) == 1 else "layers ") + ", ".join(repr(n) for n in names)
        reason = f": {_LOST_OPERANDS[function]}" if function in _LOST_OPERANDS else ""
        parts.append(f"{function} ({layers}{reason})")
    fixes = [f"{_LOST_HINT[f]} instead of tf.{f}" for f in unknown if f in _LOST_HINT]
    hint = "; ".join(
        [*fixes, "rebuild those calls with Keras layers or supported TF functions before converting "
         f"(supported: {supported_tf_functions()})"]
    )
    raise UnsupportedError(f"unsupported TF functions: {'; '.join(parts)}", path=path, hint=hint)


def _max_output_index(data: Any, out: dict[str, int]) -> None:
    """Highest tensor index each layer's outputs are referenced with, in node data."""
    if isinstance(data, (list, tuple)):
        if len(data) in (3, 4) and isinstance(data[0], str) and isinstance(data[1], int) and isinstance(data[2], int):
            out[data[0]] = max(out.get(data[0], 0), data[2])
            if len(data) == 4:
                _max_output_index(data[3], out)
            return
        for value in data:
            _max_output_index(value, out)
    elif isinstance(data, Mapping):
        if data.get("class_name") == "__keras_tensor__":
            history = data.get("config", {}).get("keras_history", [])
            if len(history) == 3 and isinstance(history[0], str):
                out[history[0]] = max(out.get(history[0], 0), int(history[2]))
            return
        for value in data.values():
            _max_output_index(value, out)


def resolve_output_counts(layers: Sequence[Any], references: Any, lambda_type: str = "") -> dict[str, Any]:
    """``TFOp`` layers whose config leaves their output count open, and pending Lambdas
    whose later outputs the model uses, with the count filled in.

    ``tf.unstack`` without ``num`` returns one tensor per element along its axis, which the
    config does not record (no shapes are stored); the translation then returns the first
    ``k`` of them, ``k`` being one more than the highest output index the model uses
    (``references``: every node and the model outputs). A Lambda returning a list has as
    many outputs as the list, which only its recovery tells: the model's references give
    how many it uses (``lambda_type``: the pending Lambda's IR type, given by the caller, as
    the Lambda machinery imports this module). ``layers`` are IR layers; the result maps
    their names to the completed layers.
    """
    from dataclasses import replace

    open_layers = [
        lay
        for lay in layers
        if (lay.type == TFOP_TYPE and "outputs" in lay.config and lay.config["outputs"] is None)
        or (lambda_type and lay.type == lambda_type)
    ]
    if not open_layers:
        return {}
    used: dict[str, int] = {}
    _max_output_index(references, used)
    counts = {lay.name: used.get(lay.origin.name or lay.name, 0) + 1 for lay in open_layers}
    return {
        lay.name: replace(lay, config={**lay.config, "outputs": counts[lay.name]})
        for lay in open_layers
        if lay.type == TFOP_TYPE or counts[lay.name] > 1
    }


# --------------------------------------------------------------------------- preprocessing


@register("Rescaling")
def _rescaling(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    cfg = clean_config(config)
    if isinstance(cfg.get("scale"), (list, tuple)):
        ctx.notes.append(
            f"{ctx.layer_name}: Keras 3 Rescaling reshapes a per-channel scale when "
            "keras.config.image_data_format() is channels_first; load the model under channels_last"
        )
    return "Rescaling", {"scale": cfg.get("scale", 1.0), "offset": cfg.get("offset", 0.0)}


@register("Normalization")
def _normalization(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    cfg = clean_config(config)
    mean, variance = cfg.get("mean"), cfg.get("variance")
    if (mean is None) != (variance is None):
        raise ctx.fail("Normalization config sets only one of mean and variance")
    axis = cfg.get("axis", -1)
    if isinstance(axis, list):
        axis = tuple(axis)
    out = {"axis": axis, "mean": mean, "variance": variance, "invert": bool(cfg.get("invert", False))}
    return "Normalization", out


# --------------------------------------------------------------------------- applications


# Application layers are built-ins in disguise: registered through the plugin API.
@register_layer_rule(("CustomScaleLayer", "Custom>CustomScaleLayer"))
def _custom_scale(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    # tf.keras.applications.InceptionResNetV2: inputs[0] + inputs[1] * scale.
    if "scale" not in config or set(clean_config(config)) - {"scale"}:
        raise ctx.fail("CustomScaleLayer config is not InceptionResNetV2's (expected only 'scale')")
    return "keras_migrate>CustomScaleLayer", {"scale": float(config["scale"])}


@register_layer_rule("LayerScale")
def _layer_scale(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    # tf.keras.applications.ConvNeXt: x * gamma, gamma of shape (projection_dim,).
    cfg = clean_config(config)
    if set(cfg) != {"init_values", "projection_dim"}:
        raise ctx.fail("LayerScale config is not ConvNeXt's (expected init_values and projection_dim)")
    return "keras_migrate>LayerScale", {"init_values": cfg["init_values"], "projection_dim": int(cfg["projection_dim"])}


@register_layer_rule("StochasticDepth")
def _stochastic_depth(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    # ConvNeXt's drop path: identity at inference. Other libraries' StochasticDepth layers
    # (e.g. tfa's, which adds a scaled residual) have other configs and are refused.
    if set(clean_config(config)) != {"drop_path_rate"}:
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
        return value.get("class_name") == "__keras_tensor__" or any(_has_ref(v) for v in value.values())
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
        raise ctx.fail(
            "TF op arguments mixing tensors and constants in one structure (a list element or a slice "
            "bound computed from a Keras tensor, e.g. from tf.shape) are not supported",
            hint="only constant shapes, indices and slice bounds can be converted",
        )
    return value


def _raw_call(node: Any, ctx: TranslateContext) -> tuple[Any, dict[str, Any]]:
    """``(first argument, keyword arguments)`` of one raw tf.keras node; a list first
    argument (``tf.stack([a, b])``) stays a list."""
    if not isinstance(node, (list, tuple)) or not node:
        raise ctx.fail(f"cannot read the TF op's inbound node {str(node)[:80]}")

    def first(entry: Any) -> Any:
        if isinstance(entry, (list, tuple)) and len(entry) == 4 and entry[0] == "_CONSTANT_VALUE":
            return _raw_value(entry[2], ctx)
        if _is_ref(entry):
            return _TENSOR
        raise ctx.fail(f"cannot read the TF op's inbound node entry {str(entry)[:80]}")

    entries = list(node) if isinstance(node[0], (list, tuple)) else [node]
    kwargs = entries[0][3] if len(entries[0]) == 4 and isinstance(entries[0][3], Mapping) else {}
    value = first(node) if entries[0] is node else [first(e) for e in entries]
    return value, {k: _raw_value(v, ctx) for k, v in kwargs.items()}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _int_list(value: Any) -> bool:
    return isinstance(value, list) and all(_is_int(v) for v in value)


def _axis_ok(value: Any) -> bool:
    return value is None or _is_int(value) or (_int_list(value) and len(set(value)) == len(value))


def _nested_ints(value: Any) -> bool:
    return _is_int(value) or (isinstance(value, list) and all(_nested_ints(v) for v in value))


def _nested_min(value: Any) -> int:
    return value if _is_int(value) else min((_nested_min(v) for v in value), default=0)


#: dtypes ``tf.cast`` may name here (numpy, every Keras backend and ONNX have them).
_CAST_DTYPES = frozenset(
    {"bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float16", "float32", "float64"}
)
_REDUCTIONS = frozenset(
    {
        "reduce_mean", "reduce_sum", "reduce_max", "reduce_min", "reduce_prod", "reduce_any", "reduce_all",
        "reduce_logsumexp", "reduce_std", "reduce_variance", "reduce_euclidean_norm",
    }
)  # fmt: skip
_PAD_MODES = frozenset({"CONSTANT", "REFLECT", "SYMMETRIC"})


def _slice_items(spec: Any, require: Any) -> list[Any]:
    """The items of a recorded ``x[...]`` subscript, checked; one item becomes a list of one."""
    items = list(spec) if isinstance(spec, list) else [spec]
    ellipses = 0
    for item in items:
        if item is None or _is_int(item):
            continue
        if isinstance(item, Mapping) and item.get("class_name") == "__ellipsis__":
            ellipses += 1
            continue
        require(
            isinstance(item, Mapping)
            and set(item) == {"start", "stop", "step"}
            and all(v is None or _is_int(v) for v in item.values()),
            f"the subscript item {item!r}",
        )
        require(item["step"] != 0, "a zero slice step")
    require(ellipses <= 1, "more than one ellipsis")
    batch = next((i for i in items if i is not None), None)
    if isinstance(batch, Mapping) and (batch.get("step") or 1) < 0:
        # Keras 3 does not know the batch size while tracing: only x[::-k] can be reversed.
        require(batch["start"] is None and batch["stop"] is None, "a bounded negative step along the batch axis")
    return items


def _check(function: str, op: str, a: dict[str, Any], ctx: TranslateContext) -> dict[str, Any]:
    """The constant arguments of one call, validated and in canonical form."""

    def require(ok: bool, what: str, hint: str | None = None) -> None:
        if not ok:
            raise ctx.fail(f"tf.{function} with {what} is not supported", hint=hint)

    if op in _REDUCTIONS:
        require(_axis_ok(a["axis"]), f"axis={a['axis']!r}")
        require(a["keepdims"] in (None, True, False), f"keepdims={a['keepdims']!r}")
        a["keepdims"] = bool(a["keepdims"])
    elif op in ("argmax", "argmin"):
        a["axis"] = 0 if a["axis"] is None else a["axis"]  # TF 2: axis None means 0
        require(_is_int(a["axis"]), f"axis={a['axis']!r}")
        require(a["output_type"] in ("int32", "int64"), f"output_type={a['output_type']!r}")
    elif op in ("softmax", "log_softmax"):
        require(a["axis"] is None or _is_int(a["axis"]), f"axis={a['axis']!r}")
    elif op == "l2_normalize":
        if a["dim"] is not None:  # the deprecated name of axis
            require(a["axis"] is None, "both axis and dim")
            a["axis"], a["dim"] = a["dim"], None
        require(_axis_ok(a["axis"]), f"axis={a['axis']!r}")
        require(isinstance(a["epsilon"], (int, float)), f"epsilon={a['epsilon']!r}")
    elif op == "reshape":
        shape = a["shape"]
        require(_int_list(shape), f"shape={shape!r}", "only a constant target shape can be converted (no tf.shape)")
        require(shape.count(-1) <= 1 and all(d == -1 or d > 0 for d in shape), f"shape={shape!r}")
    elif op == "transpose":
        perm = a["perm"]
        require(perm is None or (_int_list(perm) and sorted(perm) == list(range(len(perm)))), f"perm={perm!r}")
        a["conjugate"] = False  # real tensors: conjugation changes nothing
    elif op == "expand_dims":
        require(_is_int(a["axis"]), f"axis={a['axis']!r}")
    elif op == "squeeze":
        axis = a["axis"] if a["axis"] is not None else a["squeeze_dims"]
        require(
            axis is not None,
            "no axis",
            "without an axis tf.squeeze also drops the batch axis when the batch has one sample; "
            "rebuild the model with tf.squeeze(x, axis=...)",
        )
        axis = [axis] if _is_int(axis) else axis
        require(_int_list(axis) and bool(axis), f"axis={axis!r}")
        a["axis"], a["squeeze_dims"] = axis, None
    elif op == "space_to_depth":
        require(_is_int(a["block_size"]) and a["block_size"] >= 2, f"block_size={a['block_size']!r}")
        require(a["data_format"] == "NHWC", f"data_format={a['data_format']!r}", "only NHWC is supported")
    elif op == "tile":
        require(_int_list(a["multiples"]) and all(m >= 0 for m in a["multiples"]), f"multiples={a['multiples']!r}")
    elif op == "pad":
        pads = a["paddings"]
        require(
            isinstance(pads, list) and all(_int_list(p) and len(p) == 2 and min(p) >= 0 for p in pads),
            f"paddings={pads!r}",
        )
        mode = str(a["mode"]).upper()
        require(mode in _PAD_MODES, f"mode={a['mode']!r}")
        require(
            isinstance(a["constant_values"], (int, float)) and not isinstance(a["constant_values"], bool),
            f"constant_values={a['constant_values']!r}",
        )
        require(mode == "CONSTANT" or (bool(pads) and pads[0] == [0, 0]), f"{mode} padding along the batch axis")
        a["mode"] = mode
    elif op == "gather":
        require(a["batch_dims"] == 0, f"batch_dims={a['batch_dims']!r}")
        a["axis"] = 0 if a["axis"] is None else a["axis"]
        require(_is_int(a["axis"]), f"axis={a['axis']!r}")
        a["validate_indices"] = None  # deprecated, ignored by TF
        if "indices" in a:
            indices = a["indices"]
            require(_nested_ints(indices), f"indices={indices!r}")
            require(_nested_min(indices) >= 0, "negative indices", "TF rejects them on CPU: the model cannot have run")
    elif op == "split":
        parts = a["num_or_size_splits"]
        require(
            (_is_int(parts) and parts >= 1)
            or (_int_list(parts) and bool(parts) and parts.count(-1) <= 1 and all(p >= -1 for p in parts)),
            f"num_or_size_splits={parts!r}",
        )
        require(_is_int(a["axis"]), f"axis={a['axis']!r}")
        a["num"] = None  # only used when the sizes are a tensor
    elif op == "unstack":
        require(a["num"] is None or (_is_int(a["num"]) and a["num"] >= 1), f"num={a['num']!r}")
        require(_is_int(a["axis"]), f"axis={a['axis']!r}")
    elif op in ("stack", "concat"):
        require(_is_int(a["axis"]), f"axis={a['axis']!r}")
    elif op == "cast":
        require(a["dtype"] in _CAST_DTYPES, f"dtype={a['dtype']!r}")
    elif op in ("where", "select"):
        require(
            a.get("x", 0) is not None and a.get("y", 0) is not None,
            "only a condition",
            "tf.where(condition) returns the coordinates of the True elements, so its shape depends on the data",
        )
    elif op == "matmul":
        require(a["output_type"] is None, f"output_type={a['output_type']!r}")
        for flag in ("transpose_a", "transpose_b", "adjoint_a", "adjoint_b"):
            require(isinstance(a[flag], bool), f"{flag}={a[flag]!r}")
    elif op == "getitem":
        require(a["var"] is None, "var")
        a["slice_spec"] = _slice_items(a["slice_spec"], require)
    return a


def _output_count(op: str, a: Mapping[str, Any]) -> int | None:
    if op == "split":
        parts = a["num_or_size_splits"]
        return int(parts) if _is_int(parts) else len(parts)
    return None if a["num"] is None else int(a["num"])  # unstack


def _builtin(function: str, spec: TFOpSpec, tensors: list[str], constants: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """The built-in Keras 3 layer computing this call identically, if there is one."""
    op = spec.op
    if op == "concat":
        return "Concatenate", {"axis": int(constants["axis"])}
    if op == "add_n":
        return "Add", {}
    if op in _MERGE and tensors == list(spec.operands) and len(tensors) == 2 and spec.params[0] == "x":
        return _MERGE[op], {}
    if tensors != [spec.params[0]]:
        return None
    if op == "identity":
        return "Identity", {}
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
    if op == "log_softmax" and constants["axis"] in (None, -1):
        return "Activation", {"activation": "log_softmax"}
    if op == "transpose":
        perm = constants["perm"]
        if perm is not None and len(perm) > 1 and perm[0] == 0:
            return "Permute", {"dims": list(perm[1:])}
    return None


#: Two-tensor ops Keras 3 merge layers compute identically (same rank: plain broadcasting).
_MERGE = {"add": "Add", "subtract": "Subtract", "multiply": "Multiply", "maximum": "Maximum", "minimum": "Minimum"}
#: One-tensor ops that are a Keras 3 activation exactly (at their TF default attributes).
_ACTIVATION = {
    "relu": "relu", "relu6": "relu6", "sigmoid": "sigmoid", "tanh": "tanh", "softplus": "softplus",
    "elu": "elu", "selu": "selu", "softsign": "softsign", "exp": "exponential",
}  # fmt: skip
#: TF keyword arguments that never change the result.
_IGNORED_KWARGS = frozenset({"name"})


def _translate_call(function: str, spec: TFOpSpec, node: Any, ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    first, kwargs = _raw_call(node, ctx)
    if spec.sequence:
        first = first if isinstance(first, list) else [first]
    elif isinstance(first, list):
        if len(first) != 1:
            raise ctx.fail(f"tf.{function} with a list as its first argument is not supported")
        first = first[0]
    arguments: dict[str, Any] = {spec.params[0]: first}
    for key, value in kwargs.items():
        if key in _IGNORED_KWARGS:
            continue
        if key not in spec.params[1:]:
            raise ctx.fail(f"tf.{function} called with argument {key!r}, which is not supported")
        arguments[key] = value
    return _translate_bound(function, spec, arguments, ctx)


def _translate_bound(
    function: str, spec: TFOpSpec, arguments: dict[str, Any], ctx: TranslateContext
) -> tuple[str, dict[str, Any]]:
    """One call's arguments by TF parameter name (``_TENSOR`` where a Keras tensor goes):
    defaults filled, checked, and translated to a built-in layer or a ``TFOp``."""
    for key in spec.params:
        if key not in arguments:
            if key not in spec.defaults:
                raise ctx.fail(f"tf.{function} call does not record its argument {key!r}")
            arguments[key] = spec.defaults[key]
    for key, value in arguments.items():
        if key not in spec.operands and value is _TENSOR:
            raise ctx.fail(f"tf.{function} with a tensor as {key!r} is not supported (only constants)")
    if spec.sequence:
        values = arguments[spec.params[0]]
        if not values or any(v is not _TENSOR for v in values):
            raise ctx.fail(f"tf.{function} is supported only on a list of Keras tensors")
        tensors = [spec.params[0]]
    else:
        tensors = [k for k in spec.params if k in spec.operands and arguments[k] is _TENSOR]
    if not tensors:
        raise ctx.fail(f"tf.{function} call has no Keras tensor argument")
    constants = _check(function, spec.op, {k: v for k, v in arguments.items() if k not in tensors}, ctx)
    builtin = _builtin(function, spec, tensors, constants)
    if builtin is not None:
        return builtin
    config: dict[str, Any] = {"function": function, "arguments": constants, "tensor_arguments": tensors}
    if spec.op in ("split", "unstack"):
        config["outputs"] = _output_count(spec.op, constants)
    return TFOP_TYPE, config


#: The marker :func:`translate_tf_call` takes where a Keras tensor fills an argument.
TENSOR: Any = _TENSOR


def translate_tf_call(function: str, arguments: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    """One call of TF function ``function`` (a :data:`TF_OPS` symbol) with ``arguments`` by
    TF parameter name (:data:`TENSOR` where a Keras tensor goes), translated exactly as a
    ``TFOpLambda`` recording it: a built-in layer or a ``TFOp``. Lambda recovery
    (:mod:`keras_migrate.formats.lambdas`) emits its TF calls through this."""
    spec = TF_OPS.get(function)
    if spec is None:
        raise ctx.fail(f"TF function tf.{function} is not supported", hint=f"supported TF functions: {supported_tf_functions()}")
    return _translate_bound(function, spec, dict(arguments), ctx)


@register("TFOpLambda", "SlicingOpLambda")
def _tf_op_lambda(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    function = config.get("function")
    if not isinstance(function, str):
        raise ctx.fail("TFOpLambda config names no TF function")
    spec = TF_OPS.get(function)
    if spec is None:
        reason = f": {_LOST_OPERANDS[function]}" if function in _LOST_OPERANDS else ""
        hint = f"{_LOST_HINT[function]}; " if function in _LOST_HINT else ""
        raise ctx.fail(
            f"TF function tf.{function} (TFOpLambda layer {ctx.layer_name!r}) is not supported{reason}",
            hint=f"{hint}supported TF functions: {supported_tf_functions()}",
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


@register_call_rewrite("TFOpLambda", "SlicingOpLambda")
def _tf_op_call(
    layer_type: str, config: Mapping[str, Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """Call the translation with its input tensors only: one, or a list of several."""
    if layer_type == TFOP_TYPE:
        spec = tf_op_spec(str(config["function"]))
        if spec.sequence:
            items = args[0] if isinstance(args[0], list) else [args[0]]
            return (list(items),), {}
        names: Sequence[str] = config["tensor_arguments"]
        refs = [_tensor_argument(n, spec.params[0], args, kwargs) for n in names]
        return ((refs[0] if len(refs) == 1 else refs),), {}
    if layer_type in ("Add", "Subtract", "Multiply", "Maximum", "Minimum") and not isinstance(args[0], list):
        return ([args[0], _tensor_argument("y", "x", args, kwargs)],), {}
    if layer_type in ("Concatenate", "Add"):
        return (list(args[0]) if isinstance(args[0], list) else [args[0]],), {}
    return (args[0],), {}


# --------------------------------------------------------------------------- TensorFlowOpLayer
#
# tf.keras 2.0-2.3 (and tf_keras in a TF1 graph) wrapped a raw TF op applied to Keras
# tensors in a ``TensorFlowOpLayer``: its config holds the op's ``NodeDef`` (as JSON:
# ``{"name", "op", "input", "attr"}``) and ``constants`` (input index -> value, a plain JSON
# value or tf_keras 2.21's ``{"class_name": "__numpy__", ...}``); the Keras tensors are the
# other inputs, in order, one per inbound-node entry. :data:`TF_NODE_OPS` names the TF
# function each op is, so it translates exactly as the ``TFOpLambda`` of that function.

_DTYPES = {
    "DT_FLOAT": "float32", "DT_DOUBLE": "float64", "DT_HALF": "float16", "DT_INT32": "int32", "DT_INT64": "int64",
    "DT_INT16": "int16", "DT_INT8": "int8", "DT_UINT8": "uint8", "DT_UINT16": "uint16", "DT_BOOL": "bool",
}  # fmt: skip


def _attr_value(name: str, value: Any, ctx: TranslateContext) -> Any:
    """One ``AttrValue`` as protobuf's JSON mapping writes it, as a Python value."""
    import base64

    try:
        if isinstance(value, Mapping):
            if "b" in value and isinstance(value["b"], bool):
                return value["b"]
            if "i" in value:
                return int(value["i"])
            if "f" in value:
                return float(value["f"])
            if "type" in value and value["type"] in _DTYPES:
                return _DTYPES[value["type"]]
            if "s" in value:
                return base64.b64decode(value["s"], validate=True).decode("utf-8")
            if "list" in value and isinstance(value["list"], Mapping):
                return [int(v) for v in value["list"].get("i", [])]
    except (TypeError, ValueError):  # binascii.Error and UnicodeDecodeError are ValueErrors
        pass
    raise ctx.fail(f"cannot read the NodeDef attribute {name}={str(value)[:80]}")


def _node_constant(value: Any) -> Any:
    if isinstance(value, Mapping) and value.get("class_name") == "__numpy__":
        return value.get("config", {}).get("value")
    return value


@register("TensorFlowOpLayer")
def _tf_op_layer(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    node = config.get("node_def")
    if not isinstance(node, Mapping) or not isinstance(node.get("op"), str):
        raise ctx.fail("TensorFlowOpLayer config holds no NodeDef with an op")
    op = str(node["op"])
    node_op = TF_NODE_OPS.get(op)
    if node_op is None:
        raise ctx.fail(
            f"TF op {op!r} (TensorFlowOpLayer {ctx.layer_name!r}) is not supported",
            hint=f"rebuild it with Keras layers; supported TF ops: {', '.join(sorted(TF_NODE_OPS))}",
        )
    spec = TF_OPS[node_op.function]
    raw_constants = config.get("constants") or {}
    if not isinstance(raw_constants, Mapping):
        raise ctx.fail("TensorFlowOpLayer constants are not a mapping of input index to value")
    keys = [str(k) for k in raw_constants]
    if not all(k.isdigit() for k in keys):
        raise ctx.fail(f"TensorFlowOpLayer constants are keyed by {keys!r}, not by input index")
    constants = {int(k): _node_constant(v) for k, v in raw_constants.items()}
    raw_inputs, attrs = node.get("input", []), node.get("attr") or {}
    if not isinstance(raw_inputs, list) or not all(isinstance(i, str) for i in raw_inputs) or not isinstance(attrs, Mapping):
        raise ctx.fail("TensorFlowOpLayer NodeDef has no list of input names or no attribute map")
    inputs = [i for i in raw_inputs if not i.startswith("^")]  # "^x": control inputs
    params = list(node_op.inputs)
    if spec.sequence:  # the list parameter takes every input the others leave
        params = [params[0]] * (len(inputs) - len(params) + 1) + params[1:]
    if len(params) != len(inputs):
        raise ctx.fail(f"TF op {op!r} has {len(inputs)} inputs, expected {len(node_op.inputs)}")
    arguments: dict[str, Any] = {}
    for index, param in enumerate(params):
        value = constants.get(index, _TENSOR)
        if spec.sequence and param == spec.params[0]:
            arguments.setdefault(param, []).append(value)
        else:
            arguments[param] = value
    for attr, param in node_op.attrs.items():
        if attr in attrs:
            arguments[param] = _attr_value(attr, attrs[attr], ctx)
    if node_op.rewrite is not None:
        try:
            arguments = node_op.rewrite(arguments)
        except (KeyError, ValueError, TypeError) as exc:
            raise ctx.fail(f"TF op {op!r} (TensorFlowOpLayer {ctx.layer_name!r}) is not supported: {exc}") from None
    tensors = sum(1 for i in range(len(inputs)) if i not in constants)
    nodes = ctx.inbound_nodes
    if isinstance(nodes, list):
        for entry in nodes:
            count = len(entry) if isinstance(entry, list) and entry and isinstance(entry[0], list) else 1
            if count != tensors:
                raise ctx.fail(f"TF op {op!r} takes {tensors} Keras tensors but is called on {count}")
    return _translate_bound(node_op.function, spec, arguments, ctx)


@register_call_rewrite("TensorFlowOpLayer")
def _tf_op_layer_call(
    layer_type: str, config: Mapping[str, Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """The node's Keras tensors, in order, as the translation takes them."""
    tensors = list(args[0]) if isinstance(args[0], (list, tuple)) else [args[0]]
    if layer_type == TFOP_TYPE:
        if tf_op_spec(str(config["function"])).sequence:
            return (tensors,), {}
        return ((tensors[0] if len(tensors) == 1 else tensors),), {}
    if layer_type in ("Add", "Subtract", "Multiply", "Maximum", "Minimum", "Concatenate"):
        return (tensors,), {}
    return (tensors[0],), {}
