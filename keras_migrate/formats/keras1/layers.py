"""Translate one Keras 1 layer config into Keras 3's type and config.

Most Keras 1 classes survived into Keras 2 under new argument names (Keras 2's own
``legacy/interfaces.py`` table: ``output_dim`` -> ``units``, ``border_mode`` ->
``padding``, ``dim_ordering`` -> ``data_format``...). Those are renamed to their Keras 2
form here, from the table shared with the codemods (:mod:`keras_migrate.ir.ops.keras1_args`),
and handed to the Keras 2 rules (:mod:`keras_migrate.formats.keras2.layers`), which pin
the numerics Keras 3 changed. Classes Keras 2 dropped (``MaxoutDense``, ``Highway``, ``SReLU``,
``ParametricSoftplus``, ``Merge`` cosine mode, BatchNormalization modes 1 and 2) map to
compat layers with Keras 1's exact formulas. A setting that cannot be reproduced raises
:class:`UnsupportedError` naming the layer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from keras_migrate.formats.bidirectional import legacy_backward_layer
from keras_migrate.formats.rules import (
    KERAS1,
    Rule,
    TranslateContext,
    apply_rule,
    normalize_activation,
    register,
    supported_classes,
    translate_layer,
)
from keras_migrate.ir.ops.keras1_args import (
    CONV_ARGS,
    DIM_ORDERING,
    LAYOUT_ARGS,
    RNN_ARGS,
    WEIGHT_ARGS,
    arg_renames,
)

__all__ = ["KERAS1_CLASSES", "convert_object", "translate_keras1"]

#: Keras 1 regularizer / constraint names -> Keras 3 class names and argument renames.
_REGULARIZERS = {"L1L2Regularizer", "WeightRegularizer", "ActivityRegularizer", "L1L2"}
_CONSTRAINTS = {
    "MaxNorm": ("MaxNorm", {"m": "max_value", "axis": "axis"}),
    "maxnorm": ("MaxNorm", {"m": "max_value", "axis": "axis"}),
    "NonNeg": ("NonNeg", {}),
    "nonneg": ("NonNeg", {}),
    "UnitNorm": ("UnitNorm", {"axis": "axis"}),
    "unitnorm": ("UnitNorm", {"axis": "axis"}),
    "MinMaxNorm": ("MinMaxNorm", {"low": "min_value", "high": "max_value", "rate": "rate", "axis": "axis"}),
}


def convert_object(value: Any, ctx: TranslateContext, what: str) -> Any:
    """A Keras 1 regularizer/constraint dict (``{"name": "L1L2Regularizer", ...}``) in
    Keras 3 form (``{"class_name": "L1L2", "config": {...}}``); strings pass through."""
    if value is None or isinstance(value, str):
        return value
    if not isinstance(value, Mapping):
        raise ctx.fail(f"cannot read {what} {value!r}")
    if "class_name" in value:
        return value
    name = value.get("name")
    if name in _REGULARIZERS:
        return {"class_name": "L1L2", "config": {"l1": float(value.get("l1", 0.0)), "l2": float(value.get("l2", 0.0))}}
    if name in _CONSTRAINTS:
        cls, renames = _CONSTRAINTS[name]
        return {"class_name": cls, "config": {new: value[old] for old, new in renames.items() if old in value}}
    raise ctx.fail(f"unknown Keras 1 {what} {name!r}", hint="only built-in regularizers and constraints convert")


_INITIALIZER_ALIASES = {"zero": "zeros", "one": "ones", "uniform": "random_uniform", "normal": "random_normal"}


def _initializer(value: Any) -> Any:
    if isinstance(value, str):
        return _INITIALIZER_ALIASES.get(value, value)
    return value


def _rule(*names: str) -> Callable[[Rule], Rule]:
    """Register a rule in the Keras 1 rule set (class names mean other things in Keras 2)."""
    return register(*names, rules=KERAS1)


#: Keys every Keras 1 layer may carry that Keras 3 does not take (shape hints, dtype).
_DROP = ("input_dim", "input_length", "input_dtype", "batch_input_shape", "weights", "trainable", "name")

#: Renames every Keras 1 layer config gets, whatever its class (before the class's own).
_COMMON = {**WEIGHT_ARGS, **LAYOUT_ARGS}


def _rename(config: Mapping[str, Any], ctx: TranslateContext, renames: Mapping[str, str], drop: tuple[str, ...] = ()) -> dict[str, Any]:
    """Apply renames and value conversions common to every Keras 1 layer."""
    out: dict[str, Any] = {}
    for k, v in config.items():
        if k in _DROP or k in drop:
            continue
        new = renames.get(k, k)
        if k == "dim_ordering":
            if v not in DIM_ORDERING:
                raise ctx.fail(f"unknown dim_ordering {v!r}")
            v = DIM_ORDERING[v]
        if new.endswith("_initializer"):
            v = _initializer(v)
        elif new.endswith(("_regularizer", "_constraint")):
            v = convert_object(v, ctx, new.rsplit("_", 1)[1])
        out[new] = v
    if out.get("padding") == "full":
        raise ctx.fail(
            "border_mode='full' (Theano only) has no Keras 3 equivalent",
            hint="it is a 'valid' convolution of an input zero-padded by kernel_size - 1; rebuild it that way",
        )
    return out


def _keras2(class_name: str, config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    return translate_layer(class_name, config, ctx)


def _simple(k2_class: str, keras1_class: str | None = None, drop: tuple[str, ...] = ()) -> Rule:
    """A class whose Keras 1 config only needs its arguments renamed (the renames of
    ``keras1_class``, ``k2_class`` by default), then Keras 2's rule for ``k2_class``."""
    table = {**_COMMON, **arg_renames(keras1_class or k2_class)}

    def rule(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
        return _keras2(k2_class, _rename(config, ctx, table, drop), ctx)

    return rule


#: Keras 1 classes that only need renames, and the Keras 2 class each becomes.
_RENAMED_ONLY = {
    "Dense": "Dense", "TimeDistributedDense": "Dense", "Activation": "Activation", "Dropout": "Dropout",
    "SpatialDropout1D": "SpatialDropout1D", "SpatialDropout2D": "SpatialDropout2D",
    "SpatialDropout3D": "SpatialDropout3D", "GaussianNoise": "GaussianNoise", "GaussianDropout": "GaussianDropout",
    "Reshape": "Reshape", "Permute": "Permute", "Flatten": "Flatten", "RepeatVector": "RepeatVector",
    "Masking": "Masking", "ActivityRegularization": "ActivityRegularization", "ELU": "ELU",
    "LeakyReLU": "LeakyReLU", "ThresholdedReLU": "ThresholdedReLU", "PReLU": "PReLU",
    "Convolution1D": "Conv1D", "AtrousConvolution1D": "Conv1D", "LocallyConnected1D": "LocallyConnected1D",
    "MaxPooling1D": "MaxPooling1D", "AveragePooling1D": "AveragePooling1D", "UpSampling1D": "UpSampling1D",
    "Cropping1D": "Cropping1D", "MaxPooling2D": "MaxPooling2D", "MaxPooling3D": "MaxPooling3D",
    "AveragePooling2D": "AveragePooling2D", "AveragePooling3D": "AveragePooling3D",
    "GlobalMaxPooling1D": "GlobalMaxPooling1D", "GlobalMaxPooling2D": "GlobalMaxPooling2D",
    "GlobalMaxPooling3D": "GlobalMaxPooling3D", "GlobalAveragePooling1D": "GlobalAveragePooling1D",
    "GlobalAveragePooling2D": "GlobalAveragePooling2D", "GlobalAveragePooling3D": "GlobalAveragePooling3D",
}  # fmt: skip
for _n, _k2 in _RENAMED_ONLY.items():
    # TimeDistributedDense applied a Dense to every timestep: Dense's renames.
    _rule(_n)(_simple(_k2, "Dense" if _n == "TimeDistributedDense" else _n))


def _kernel_size(config: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    config = dict(config)
    config["kernel_size"] = [int(config.pop(k)) for k in keys]
    return config


def _conv2d_rule(k2_class: str) -> Rule:
    renames = {**_COMMON, **CONV_ARGS}

    def rule(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
        cfg = _rename(_kernel_size(config, ("nb_row", "nb_col")), ctx, renames)
        return _keras2(k2_class, cfg, ctx)

    return rule


_rule("Convolution2D")(_conv2d_rule("Conv2D"))
_rule("AtrousConvolution2D")(_conv2d_rule("Conv2D"))
_rule("LocallyConnected2D")(_conv2d_rule("LocallyConnected2D"))


@_rule("Convolution3D")
def _conv3d(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    cfg = _rename(_kernel_size(config, ("kernel_dim1", "kernel_dim2", "kernel_dim3")), ctx, {**_COMMON, **CONV_ARGS})
    return _keras2("Conv3D", cfg, ctx)


@_rule("SeparableConvolution2D")
def _separable(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    config = _kernel_size(config, ("nb_row", "nb_col"))
    init = config.pop("init", "glorot_uniform")
    cfg = _rename(config, ctx, {**_COMMON, **arg_renames("SeparableConvolution2D")})
    cfg["depthwise_initializer"] = cfg["pointwise_initializer"] = _initializer(init)
    return _keras2("SeparableConv2D", cfg, ctx)


def deconv_output_padding(output_shape: Any, kernel: list[int], strides: list[int], padding: str, channels_first: bool) -> list[int] | None:
    """Keras 3 ``output_padding`` giving Keras 1 ``Deconvolution2D``'s stored ``output_shape``.

    TF's conv2d_transpose (which Keras 1 called with that shape) accepts every size whose
    forward convolution gives back the input size; Keras 3 picks one of them per
    ``output_padding``. Returns None when the spatial size is not recorded.
    """
    if not isinstance(output_shape, (list, tuple)) or len(output_shape) != 4:
        return None
    spatial = output_shape[2:] if channels_first else output_shape[1:3]
    if any(d is None for d in spatial):
        return None
    out = []
    for size, k, s in zip(spatial, kernel, strides):
        size, k, s = int(size), int(k), int(s)
        if padding == "valid":
            n_in = (size - k) // s + 1
            base = (n_in - 1) * s + k
        else:
            n_in = -(-size // s)
            base = (n_in - 1) * s + k - 2 * (k // 2)
        out.append(size - base)
    return out


@_rule("Deconvolution2D")
def _deconv(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    raw_shape = config.get("output_shape")
    cfg = _rename(_kernel_size(config, ("nb_row", "nb_col")), ctx, {**_COMMON, **CONV_ARGS}, ("output_shape",))
    strides = [int(s) for s in cfg.get("strides", [1, 1])]
    pad = deconv_output_padding(
        raw_shape, cfg["kernel_size"], strides, cfg.get("padding", "valid"), cfg.get("data_format") == "channels_first"
    )
    t, out = _keras2("Conv2DTranspose", cfg, ctx)
    if pad is None:
        ctx.notes.append(f"{ctx.layer_name}: Deconvolution2D output_shape has no spatial size; Keras 3's default output size is used")
        return t, out
    if cfg.get("padding") == "same" and any(k % 2 == 0 for k in cfg["kernel_size"]):
        raise ctx.fail(
            "Deconvolution2D with border_mode='same' and an even kernel size aligns its padding differently in Keras 3",
        )
    if any(p < 0 or p >= s for p, s in zip(pad, strides)):
        raise ctx.fail(
            f"Deconvolution2D output_shape {raw_shape} is not reachable from its input with strides {strides}",
        )
    out["output_padding"] = pad  # explicit even when 0: Keras 3's default size can differ
    return t, out


def _padding_dict(value: Any, keys: tuple[tuple[str, str], ...]) -> Any:
    if isinstance(value, Mapping):
        pairs = [[int(value.get(a, 0)), int(value.get(b, 0))] for a, b in keys]
        return pairs[0] if len(pairs) == 1 else pairs
    return value


@_rule("ZeroPadding1D")
def _zeropad1d(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    cfg = _rename(config, ctx, {})
    cfg["padding"] = _padding_dict(cfg.get("padding", 1), (("left_pad", "right_pad"),))
    return _keras2("ZeroPadding1D", cfg, ctx)


@_rule("ZeroPadding2D")
def _zeropad2d(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    cfg = _rename(config, ctx, arg_renames("ZeroPadding2D"))
    pad = _padding_dict(cfg.get("padding", [1, 1]), (("top_pad", "bottom_pad"), ("left_pad", "right_pad")))
    if isinstance(pad, (list, tuple)) and len(pad) == 4:
        pad = [[int(pad[0]), int(pad[1])], [int(pad[2]), int(pad[3])]]
    cfg["padding"] = pad
    return _keras2("ZeroPadding2D", cfg, ctx)


for _n in ("ZeroPadding3D", "Cropping2D", "Cropping3D", "UpSampling2D", "UpSampling3D"):
    _rule(_n)(_simple(_n))


@_rule("Embedding")
def _embedding(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    if float(config.get("dropout") or 0.0) > 0.0:
        ctx.notes.append(f"{ctx.layer_name}: Embedding dropout={config['dropout']} acts only in training; dropped")
    cfg = _rename(config, ctx, arg_renames("Embedding"), ("dropout",))
    cfg["input_dim"] = int(config["input_dim"])  # a real argument here, not a shape hint
    return _keras2("Embedding", cfg, ctx)


def _forget_bias(config: dict[str, Any], cfg: dict[str, Any]) -> None:
    if "forget_bias_init" in config:
        cfg.pop("forget_bias_init", None)
        cfg["unit_forget_bias"] = config["forget_bias_init"] in ("one", "ones")


def _rnn_rule(k2_class: str) -> Rule:
    def rule(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
        cfg = _rename(config, ctx, RNN_ARGS, ("consume_less",))
        _forget_bias(config, cfg)
        return _keras2(k2_class, cfg, ctx)

    return rule


for _n in ("SimpleRNN", "GRU", "LSTM"):
    _rule(_n)(_rnn_rule(_n))


@_rule("ConvLSTM2D")
def _convlstm(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    cfg = _rename(
        _kernel_size(config, ("nb_row", "nb_col")),
        ctx,
        {**_COMMON, **arg_renames("ConvLSTM2D")},
        ("consume_less",),
    )
    _forget_bias(config, cfg)
    return _keras2("ConvLSTM2D", cfg, ctx)


@_rule("BatchNormalization")
def _batchnorm(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    mode = config.get("mode", 0)
    if mode not in (0, 1, 2) or isinstance(mode, bool):
        raise ctx.fail(f"unknown BatchNormalization mode {mode!r} (Keras 1 has 0, 1 and 2)")
    cfg = _rename(config, ctx, arg_renames("BatchNormalization"), ("mode",))
    if mode == 0:
        return _keras2("BatchNormalization", cfg, ctx)
    ctx.notes.append(
        f"{ctx.layer_name}: BatchNormalization mode={mode} ("
        + ("sample-wise statistics" if mode == 1 else "batch statistics also at inference")
        + ") kept as compat layer keras_migrate>Keras1BatchNormalization"
    )
    return "keras_migrate>Keras1BatchNormalization", {
        "mode": mode,
        "axis": int(cfg.get("axis", -1)),
        "epsilon": float(cfg.get("epsilon", 1e-3)),
    }


@_rule("ParametricSoftplus")
def _psoftplus(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    return "keras_migrate>ParametricSoftplus", {
        "alpha_init": float(config.get("alpha_init", 0.2)),
        "beta_init": float(config.get("beta_init", 5.0)),
        "shared_axes": config.get("shared_axes"),
    }


@_rule("SReLU")
def _srelu(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    return "keras_migrate>SReLU", {"shared_axes": config.get("shared_axes")}


@_rule("MaxoutDense")
def _maxout(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    return "keras_migrate>MaxoutDense", {
        "units": int(config["output_dim"]),
        "nb_feature": int(config.get("nb_feature", 4)),
        "use_bias": bool(config.get("bias", True)),
    }


@_rule("Highway")
def _highway(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    return "keras_migrate>Highway", {
        "activation": normalize_activation(config.get("activation", "linear"), ctx),
        "use_bias": bool(config.get("bias", True)),
    }


_MERGE_CLASSES = {"sum": "Add", "mul": "Multiply", "ave": "Average", "max": "Maximum"}


@_rule("Merge")
def _merge(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    mode = config.get("mode", "sum")
    if config.get("mode_type") == "lambda":  # recovered from its bytecode as a Lambda on the list
        from keras_migrate.formats.lambdas.rule import translate_lambda

        function = {"function": mode, "function_type": "lambda", "arguments": config.get("arguments") or {}}
        return translate_lambda(function, ctx)
    if config.get("mode_type", "raw") != "raw" or not isinstance(mode, str):
        raise ctx.fail(
            "Merge with a callable mode stored by name holds user code, which is never executed",
            hint="rebuild that merge with a built-in layer before converting",
        )
    if mode in _MERGE_CLASSES:
        return _MERGE_CLASSES[mode], {}
    if mode == "concat":
        return "Concatenate", {"axis": int(config.get("concat_axis", -1))}
    if mode in ("dot", "cos"):
        axes = config.get("dot_axes", -1)
        axes = [int(a) for a in axes] if isinstance(axes, (list, tuple)) else [int(axes), int(axes)]
        if mode == "dot":
            return "Dot", {"axes": axes, "normalize": False}
        return "keras_migrate>Keras1CosineMerge", {"dot_axes": axes}
    raise ctx.fail(f"unknown Merge mode {mode!r}")


def _wrapped(config: dict[str, Any], ctx: TranslateContext) -> dict[str, Any]:
    inner = config.get("layer")
    if not isinstance(inner, Mapping) or "class_name" not in inner:
        raise ctx.fail("wrapper without a wrapped layer config")
    inner_cfg = dict(inner.get("config") or {})
    sub = TranslateContext(
        layer_name=f"{ctx.layer_name}/{inner_cfg.get('name', inner['class_name'])}",
        path=ctx.path,
        generation=ctx.generation,
        notes=ctx.notes,
    )
    t, c = translate_keras1(str(inner["class_name"]), inner_cfg, sub)
    if inner_cfg.get("name") is not None:
        c = {"name": inner_cfg["name"], **c}
    return {"class_name": t, "config": c}


@_rule("TimeDistributed")
def _time_distributed(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    return "TimeDistributed", {"layer": _wrapped(config, ctx)}


@_rule("Bidirectional")
def _bidirectional(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    mode = config.get("merge_mode", "concat")
    if mode not in ("concat", "sum", "mul", "ave", None):
        raise ctx.fail(f"unknown Bidirectional merge_mode {mode!r}")
    wrapped = _wrapped(config, ctx)
    backward = legacy_backward_layer(wrapped)
    extra = {} if backward is None else {"backward_layer": backward}
    return "Bidirectional", {"layer": wrapped, "merge_mode": mode, **extra}


#: Every Keras 1 layer class this module translates.
KERAS1_CLASSES = supported_classes(KERAS1)


def translate_keras1(class_name: str, config: Mapping[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    """Translate a Keras 1 ``(class_name, config)`` to Keras 3's ``(type, config)``."""
    return apply_rule(class_name, config, ctx, KERAS1)
