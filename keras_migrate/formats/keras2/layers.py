"""Translate one standalone-Keras-2 / tf.keras layer config into Keras 3's type and config.

Each legacy class has a rule: a function from its legacy config to ``(keras3_type,
keras3_config)``. Rules drop arguments Keras 3 rejects but that never affected inference
(``input_length``, ``implementation``, ``fused``...), rename what Keras 3 renamed, and pin
numerics Keras 3 changed: ``hard_sigmoid`` keeps its legacy 0.2 slope and GRU keeps
``reset_after=False`` when the file meant it. An argument that *would* change inference and
cannot be reproduced raises :class:`UnsupportedError` naming the layer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from keras_migrate.errors import UnsupportedError

__all__ = [
    "EXTENSION_MODULES",
    "LEGACY_HARD_SIGMOID",
    "TranslateContext",
    "normalize_activation",
    "normalize_object",
    "register",
    "supported_classes",
    "translate_layer",
]

#: Registered name of the compat activation reproducing Keras 1/2's hard_sigmoid.
LEGACY_HARD_SIGMOID = "keras_migrate>legacy_hard_sigmoid"

#: Keys every legacy layer config may carry that Keras 3 layer constructors don't take,
#: and that the IR records elsewhere (name, trainable, dtype) or that don't affect inference.
_BASE_KEYS = frozenset(
    {"name", "trainable", "dtype", "batch_input_shape", "batch_size", "input_dtype", "input_shape", "autocast"}
)

_ACTIVATIONS = frozenset(
    {
        "linear", "relu", "relu6", "sigmoid", "tanh", "softmax", "softplus", "softsign", "selu",
        "elu", "exponential", "swish", "silu", "gelu", "mish", "log_softmax", "leaky_relu",
        "hard_silu", "hard_swish",
    }
)  # fmt: skip


@dataclass
class TranslateContext:
    """What a rule may consult or report while translating one layer."""

    layer_name: str
    path: str = ""
    generation: str = "keras2"
    notes: list[str] = field(default_factory=list)
    #: The layer's raw ``inbound_nodes`` (legacy form), for rules whose translation depends
    #: on how the layer is called (tf.keras ``TFOpLambda`` keeps its operands there).
    inbound_nodes: Any = None

    def fail(self, message: str, hint: str | None = None) -> UnsupportedError:
        return UnsupportedError(message, path=self.path or None, layer=self.layer_name, hint=hint)


Rule = Callable[[dict[str, Any], TranslateContext], tuple[str, dict[str, Any]]]
_RULES: dict[str, Rule] = {}


def register(*names: str) -> Callable[[Rule], Rule]:
    """Register a rule for legacy class names (used here and by extension modules)."""

    def decorate(fn: Rule) -> Rule:
        for n in names:
            _RULES[n] = fn
        return fn

    return decorate


_rule = register

#: Rewrites one parsed call ``(args, kwargs)`` of a translated layer ``(type, config)``.
CallRewrite = Callable[[str, Mapping[str, Any], tuple[Any, ...], dict[str, Any]], tuple[tuple[Any, ...], dict[str, Any]]]
_CALL_REWRITES: dict[str, CallRewrite] = {}


def register_call_rewrite(*names: str) -> Callable[[CallRewrite], CallRewrite]:
    """Register how calls of legacy classes change with their translation.

    For layers whose legacy call signature differs from their Keras 3 target's, e.g. a
    ``TFOpLambda`` recorded as ``op(x, y=t)`` that becomes ``Add()([x, t])``.
    """

    def decorate(fn: CallRewrite) -> CallRewrite:
        for n in names:
            _CALL_REWRITES[n] = fn
        return fn

    return decorate


def rewrite_call(
    class_name: str, layer_type: str, config: Mapping[str, Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """A parsed call of a ``class_name`` layer, as its Keras 3 translation takes it."""
    _load_extensions()
    fn = _CALL_REWRITES.get(class_name)
    return (args, kwargs) if fn is None else fn(layer_type, config, args, kwargs)

#: Modules adding rules for further layer families; imported on first use.
EXTENSION_MODULES = (
    "keras_migrate.formats.tfkeras.layers",
    "keras_migrate.formats.tfkeras.attention",
    "keras_migrate.formats.tfkeras.preprocessing",
)
_EXTENSIONS_LOADED = False


def _load_extensions() -> None:
    global _EXTENSIONS_LOADED
    if _EXTENSIONS_LOADED:
        return
    _EXTENSIONS_LOADED = True
    import importlib

    for name in EXTENSION_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise


def supported_classes() -> frozenset[str]:
    """Every legacy class name this module (and its extensions) translates."""
    _load_extensions()
    return frozenset(_RULES)


# --------------------------------------------------------------------------- helpers


def normalize_activation(value: Any, ctx: TranslateContext) -> Any:
    """Map a legacy activation (string or serialized dict) to its Keras 3 equivalent."""
    if value is None:
        return "linear"
    if isinstance(value, Mapping):
        name = value.get("config") if value.get("class_name") == "function" else value.get("class_name")
        if isinstance(name, str):
            return normalize_activation(name, ctx)
        raise ctx.fail(f"activation {value!r} is not a built-in Keras activation")
    if value == LEGACY_HARD_SIGMOID:
        return value
    if value == "hard_sigmoid":
        # Keras 3 changed the slope from 0.2 to 1/6; only a Keras 3 file means the new one.
        return "hard_sigmoid" if ctx.generation == "keras3" else LEGACY_HARD_SIGMOID
    if value in _ACTIVATIONS:
        return value
    raise ctx.fail(
        f"activation {value!r} is not a built-in Keras activation",
        hint="custom activations need a custom-object mapping",
    )


def normalize_object(value: Any) -> Any:
    """Normalize a serialized initializer/regularizer/constraint to ``{class_name, config}``.

    tf.keras 1.13-1.15 (``2.2.4-tf``) put ``dtype`` into initializer configs; Keras 3
    rejects it, and the weights are loaded anyway, so it is dropped.
    """
    if isinstance(value, Mapping) and "class_name" in value:
        cfg = {k: v for k, v in dict(value.get("config") or {}).items() if k != "dtype"}
        return {"class_name": value["class_name"], "config": cfg}
    return value


def _clean(config: Mapping[str, Any], drop: tuple[str, ...] = ()) -> dict[str, Any]:
    out = {}
    for k, v in config.items():
        if k in _BASE_KEYS or k in drop:
            continue
        if k.endswith(("_initializer", "_regularizer", "_constraint")):
            v = normalize_object(v)
        out[k] = v
    return out


def _with_activation(cfg: dict[str, Any], ctx: TranslateContext, *keys: str) -> dict[str, Any]:
    for k in keys:
        if k in cfg:
            cfg[k] = normalize_activation(cfg[k], ctx)
    return cfg


def _int_axis(axis: Any) -> Any:
    if isinstance(axis, (list, tuple)) and len(axis) == 1:
        return axis[0]
    return axis


def translate_layer(class_name: str, config: Mapping[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    """Translate a legacy ``(class_name, config)`` to Keras 3's ``(type, config)``."""
    _load_extensions()
    rule = _RULES.get(class_name)
    if rule is None:
        if class_name == "Lambda":
            raise ctx.fail(
                "Lambda layers hold Python bytecode, which is never executed",
                hint="rebuild the layer in code, or replace it with built-in layers before converting",
            )
        raise ctx.fail(
            f"unknown layer class {class_name!r}",
            hint="it is not a built-in Keras layer; custom layers are not supported yet",
        )
    layer_type, cfg = rule(dict(config), ctx)
    return layer_type, _fit_keras3(layer_type, cfg, ctx)


#: Legacy arguments Keras 3 may not accept that never change inference at these values.
_NEUTRAL_VALUES: dict[str, tuple[Any, ...]] = {
    "groups": (1,),
    "time_major": (False,),
    "implementation": (0, 1, 2),
    "sparse": (False, None),
    "input_length": (),  # any value: only an input-shape hint
    "input_dim": (),
    "noise_shape": (None,),
    "unroll": (),  # a speed setting; results are the same
    "rms_scaling": (False,),
}


def _fit_keras3(layer_type: str, cfg: dict[str, Any], ctx: TranslateContext) -> dict[str, Any]:
    """Drop arguments Keras 3's constructor rejects when they cannot affect inference.

    Initializers, regularizers and constraints only matter for training from scratch;
    the other neutral arguments are listed in :data:`_NEUTRAL_VALUES`. Anything else Keras
    3 does not take would change the numbers, so it is refused naming the argument.
    """
    from keras_migrate.ir.keras3_api import accepted_args

    accepted = accepted_args(layer_type)
    if accepted is None:
        return cfg
    out = {}
    for key, value in cfg.items():
        if key in accepted:
            out[key] = value
            continue
        if key.endswith(("_initializer", "_regularizer", "_constraint")):
            continue
        neutral = _NEUTRAL_VALUES.get(key)
        if neutral is not None and (not neutral or value in neutral):
            continue
        raise ctx.fail(
            f"{layer_type} argument {key}={value!r} has no Keras 3 equivalent",
            hint="this setting changes the layer's results and cannot be converted exactly",
        )
    return out


# --------------------------------------------------------------------------- rules


def _same_rule(name: str, drop: tuple[str, ...], activations: tuple[str, ...]) -> Rule:
    def rule(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
        return name, _with_activation(_clean(config, drop), ctx, *activations)

    return rule


def _same(*names: str, drop: tuple[str, ...] = (), activations: tuple[str, ...] = ("activation",)) -> None:
    """Classes Keras 3 keeps under the same name and arguments (minus ``drop``)."""
    for n in names:
        _RULES[n] = _same_rule(n, drop, activations)


_same("Dense")
_same("Activation")
_same("Dropout", "GaussianNoise", "GaussianDropout", "AlphaDropout")
_same("SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", drop=("noise_shape",))
_same("ActivityRegularization", "Masking", "Flatten", "Reshape", "Permute", "RepeatVector")
_same("Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose")
_same("ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D", "Cropping1D", "Cropping2D", "Cropping3D")
_same("UpSampling1D", "UpSampling3D")


@_rule("UpSampling2D")
def _upsampling2d(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    cfg = _clean(config)
    if cfg.get("interpolation") == "bilinear" and ctx.generation in ("keras1", "keras2"):
        # Standalone Keras resized with TF1's resize_bilinear (no half-pixel centers);
        # Keras 3 and tf.keras 2 use half-pixel centers, which gives other numbers.
        return "keras_migrate>LegacyBilinearUpSampling2D", {"size": cfg.get("size", [2, 2]), "data_format": cfg.get("data_format")}
    return "UpSampling2D", cfg
_same("MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D", "AveragePooling2D", "AveragePooling3D")
_same("GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D")
_same("GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D")
_same("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot")
_same("ELU", "Softmax", "LayerNormalization", "UnitNormalization", "GroupNormalization", "Identity")
_same("SeparableConv1D", "SeparableConv2D", drop=("groups",))

for _alias, _target in (
    ("MaxPool1D", "MaxPooling1D"), ("MaxPool2D", "MaxPooling2D"), ("MaxPool3D", "MaxPooling3D"),
    ("AvgPool1D", "AveragePooling1D"), ("AvgPool2D", "AveragePooling2D"), ("AvgPool3D", "AveragePooling3D"),
    ("GlobalMaxPool1D", "GlobalMaxPooling1D"), ("GlobalMaxPool2D", "GlobalMaxPooling2D"),
    ("GlobalMaxPool3D", "GlobalMaxPooling3D"), ("GlobalAvgPool1D", "GlobalAveragePooling1D"),
    ("GlobalAvgPool2D", "GlobalAveragePooling2D"), ("GlobalAvgPool3D", "GlobalAveragePooling3D"),
    ("Convolution1D", "Conv1D"), ("Convolution3D", "Conv3D"), ("SeparableConvolution1D", "SeparableConv1D"),
    ("SeparableConvolution2D", "SeparableConv2D"), ("Convolution2DTranspose", "Conv2DTranspose"),
    ("Deconvolution2D", "Conv2DTranspose"), ("Deconv2D", "Conv2DTranspose"),
    ("Convolution3DTranspose", "Conv3DTranspose"), ("Deconvolution3D", "Conv3DTranspose"),
    ("Deconv3D", "Conv3DTranspose"), ("Convolution2D", "Conv2D"),
):  # fmt: skip
    _RULES[_alias] = _RULES[_target]


def _depthwise_rule(kind: str) -> Rule:
    def rule(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
        # Keras 2 serializes `groups`, `filters` and kernel_* keys Keras 3 rejects.
        drop = ("groups", "filters", "kernel_initializer", "kernel_regularizer", "kernel_constraint")
        return kind, _with_activation(_clean(config, drop), ctx, "activation")

    return rule


_RULES["DepthwiseConv1D"] = _depthwise_rule("DepthwiseConv1D")
_RULES["DepthwiseConv2D"] = _depthwise_rule("DepthwiseConv2D")


def _as_tuple(v: Any) -> tuple[Any, ...]:
    return tuple(v) if isinstance(v, (list, tuple)) else (v,)


@_rule("BatchNormalization", "SyncBatchNormalization")
def _batchnorm(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    if config.get("renorm"):
        ctx.notes.append(f"{ctx.layer_name}: batch renormalization only affects training; dropped")
    cfg = _clean(
        config,
        ("renorm", "renorm_clipping", "renorm_momentum", "fused", "virtual_batch_size", "adjustment", "synchronized"),
    )
    if config.get("virtual_batch_size") or config.get("adjustment"):
        raise ctx.fail("BatchNormalization virtual_batch_size/adjustment cannot be reproduced in Keras 3")
    cfg["axis"] = _int_axis(cfg.get("axis", -1))
    return "BatchNormalization", cfg


@_rule("Embedding")
def _embedding(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    return "Embedding", _clean(config, ("input_length", "sparse"))


@_rule("LeakyReLU")
def _leaky(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    cfg = _clean(config)
    if "alpha" in cfg:
        cfg["negative_slope"] = cfg.pop("alpha")
    cfg.setdefault("negative_slope", 0.3)
    return "LeakyReLU", cfg


@_rule("ReLU")
def _relu(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    cfg = _clean(config)
    if cfg.get("max_value") is not None:
        cfg["max_value"] = float(cfg["max_value"])
    return "ReLU", cfg


@_rule("PReLU")
def _prelu(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    return "PReLU", _clean(config)


@_rule("ThresholdedReLU")
def _thresholded(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    return "keras_migrate>ThresholdedReLU", {"theta": float(config.get("theta", 1.0))}


@_rule("LocallyConnected1D", "LocallyConnected2D")
def _locally(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    rank = 1 if "kernel_size" in config and len(_as_tuple(config["kernel_size"])) == 1 else 2
    # implementation 2/3 kernels are re-laid-out to implementation 1 by keras2_weights.
    cfg = _with_activation(_clean(config, ("implementation",)), ctx, "activation")
    if cfg.get("padding", "valid") != "valid":
        raise ctx.fail("LocallyConnected with padding other than 'valid' is not supported")
    return f"keras_migrate>LocallyConnected{rank}D", cfg


# -- recurrent ---------------------------------------------------------------------------

_RNN_DROP = ("implementation", "time_major", "input_dim", "input_length", "reset_after_default")


def _rnn_cfg(config: dict[str, Any], ctx: TranslateContext) -> dict[str, Any]:
    cfg = _with_activation(_clean(config, _RNN_DROP), ctx, "activation", "recurrent_activation")
    return cfg


def _make_rnn_rule(name: str) -> Rule:
    def rule(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
        cfg = _rnn_cfg(config, ctx)
        # Keras 2 default recurrent_activation was hard_sigmoid; configs store it, but be safe.
        if name in ("LSTM", "GRU", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"):
            cfg.setdefault("recurrent_activation", LEGACY_HARD_SIGMOID if ctx.generation != "tf.keras" else "sigmoid")
        if name == "GRU":
            # Keras 1/2 GRUs are reset_after=False unless the config says otherwise;
            # Keras 3 defaults to True, which would silently change the numbers.
            cfg["reset_after"] = bool(config.get("reset_after", False))
        return name, cfg

    return rule


for _n in ("SimpleRNN", "LSTM", "GRU", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"):
    _RULES[_n] = _make_rnn_rule(_n)


def _cell_rule(name: str) -> Rule:
    def rule(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
        cfg = _rnn_cfg(config, ctx)
        if name == "GRUCell":
            cfg["reset_after"] = bool(config.get("reset_after", False))
        if name in ("LSTMCell", "GRUCell"):
            cfg.setdefault("recurrent_activation", LEGACY_HARD_SIGMOID if ctx.generation != "tf.keras" else "sigmoid")
        return name, cfg

    return rule


for _n in ("SimpleRNNCell", "LSTMCell", "GRUCell"):
    _RULES[_n] = _cell_rule(_n)


def _serialized(class_name: str, config: Mapping[str, Any]) -> dict[str, Any]:
    return {"class_name": class_name, "config": dict(config)}


def _translate_nested(obj: Mapping[str, Any], ctx: TranslateContext) -> dict[str, Any]:
    sub_ctx = TranslateContext(
        layer_name=f"{ctx.layer_name}/{obj.get('config', {}).get('name', obj['class_name'])}",
        path=ctx.path,
        generation=ctx.generation,
        notes=ctx.notes,
    )
    t, c = translate_layer(obj["class_name"], obj.get("config", {}), sub_ctx)
    name = obj.get("config", {}).get("name")
    if name is not None:
        c = {"name": name, **c}
    return _serialized(t, c)


@_rule("RNN")
def _generic_rnn(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    cfg = _clean(config, ("cell", "time_major", "input_dim", "input_length"))
    cell = config["cell"]
    if isinstance(cell, list):
        cell = {"class_name": "StackedRNNCells", "config": {"cells": cell}}
    if cell["class_name"] == "StackedRNNCells":
        cells = [_translate_nested(c, ctx) for c in cell["config"]["cells"]]
        cfg["cell"] = _serialized("StackedRNNCells", {"cells": cells})
    else:
        cfg["cell"] = _translate_nested(cell, ctx)
    return "RNN", cfg


@_rule("TimeDistributed")
def _time_distributed(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    cfg = _clean(config, ("layer",))
    cfg["layer"] = _translate_nested(config["layer"], ctx)
    return "TimeDistributed", cfg


@_rule("Bidirectional")
def _bidirectional(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    cfg = _clean(config, ("layer", "backward_layer", "num_constants"))
    cfg["layer"] = _translate_nested(config["layer"], ctx)
    if config.get("backward_layer"):
        cfg["backward_layer"] = _translate_nested(config["backward_layer"], ctx)
    cfg.setdefault("merge_mode", "concat")
    return "Bidirectional", cfg
