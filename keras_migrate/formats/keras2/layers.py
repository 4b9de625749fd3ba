"""Translate one standalone-Keras-2 / tf.keras layer config into Keras 3's type and config.

Each legacy class has a rule: a function from its legacy config to ``(keras3_type,
keras3_config)``. Rules drop arguments Keras 3 rejects but that never affected inference
(``input_length``, ``implementation``, ``fused``...), rename what Keras 3 renamed, and pin
numerics Keras 3 changed: ``hard_sigmoid`` keeps its legacy 0.2 slope and GRU keeps
``reset_after=False`` when the file meant it. An argument that *would* change inference and
cannot be reproduced raises :class:`UnsupportedError` naming the layer.

The rules register into :mod:`keras_migrate.formats.rules` (rule set ``KERAS2``, shared by
tf.keras and Keras 3 configs); translate through :mod:`keras_migrate.formats.ruleset`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from keras_migrate.errors import KerasMigrateError
from keras_migrate.formats.bidirectional import legacy_backward_layer
from keras_migrate.formats.rules import (
    LEGACY_HARD_SIGMOID,
    Rule,
    TranslateContext,
    clean_config,
    register,
    rule_for,
    translate_layer,
    with_activation,
)

__all__: list[str] = []  # rules register themselves in keras_migrate.formats.rules

def _known(class_name: str) -> Rule:
    rule = rule_for(class_name)
    assert rule is not None, class_name
    return rule


def _int_axis(axis: Any) -> Any:
    if isinstance(axis, (list, tuple)) and len(axis) == 1:
        return axis[0]
    return axis


# --------------------------------------------------------------------------- rules


def _sameregister(name: str, drop: tuple[str, ...], activations: tuple[str, ...]) -> Rule:
    def rule(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
        return name, with_activation(clean_config(config, drop), ctx, *activations)

    return rule


def _same(*names: str, drop: tuple[str, ...] = (), activations: tuple[str, ...] = ("activation",)) -> None:
    """Classes Keras 3 keeps under the same name and arguments (minus ``drop``)."""
    for n in names:
        register(n)(_sameregister(n, drop, activations))


_same("Dense")
_same("Activation")
_same("Dropout", "GaussianNoise", "GaussianDropout", "AlphaDropout")
_same("SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", drop=("noise_shape",))
_same("ActivityRegularization", "Masking", "Flatten", "Reshape", "Permute", "RepeatVector")
_same("Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose")
_same("ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D", "Cropping1D", "Cropping2D", "Cropping3D")
_same("UpSampling1D", "UpSampling3D")


@register("UpSampling2D")
def _upsampling2d(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    cfg = clean_config(config)
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
    register(_alias)(_known(_target))


def _depthwiseregister(kind: str) -> Rule:
    def rule(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
        # Keras 2 serializes `groups`, `filters` and kernel_* keys Keras 3 rejects.
        drop = ("groups", "filters", "kernel_initializer", "kernel_regularizer", "kernel_constraint")
        return kind, with_activation(clean_config(config, drop), ctx, "activation")

    return rule


register("DepthwiseConv1D")(_depthwiseregister("DepthwiseConv1D"))
register("DepthwiseConv2D")(_depthwiseregister("DepthwiseConv2D"))


def _as_tuple(v: Any) -> tuple[Any, ...]:
    return tuple(v) if isinstance(v, (list, tuple)) else (v,)


@register("BatchNormalization", "SyncBatchNormalization")
def _batchnorm(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    if config.get("renorm"):
        ctx.notes.append(f"{ctx.layer_name}: batch renormalization only affects training; dropped")
    cfg = clean_config(
        config,
        ("renorm", "renorm_clipping", "renorm_momentum", "fused", "virtual_batch_size", "adjustment", "synchronized"),
    )
    if config.get("virtual_batch_size") or config.get("adjustment"):
        raise ctx.fail("BatchNormalization virtual_batch_size/adjustment cannot be reproduced in Keras 3")
    cfg["axis"] = _int_axis(cfg.get("axis", -1))
    return "BatchNormalization", cfg


@register("Embedding")
def _embedding(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    return "Embedding", clean_config(config, ("input_length", "sparse"))


@register("LeakyReLU")
def _leaky(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    cfg = clean_config(config)
    if "alpha" in cfg:
        cfg["negative_slope"] = cfg.pop("alpha")
    cfg.setdefault("negative_slope", 0.3)
    return "LeakyReLU", cfg


@register("ReLU")
def _relu(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    cfg = clean_config(config)
    if cfg.get("max_value") is not None:
        cfg["max_value"] = float(cfg["max_value"])
    return "ReLU", cfg


@register("PReLU")
def _prelu(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    return "PReLU", clean_config(config)


@register("ThresholdedReLU")
def _thresholded(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    return "keras_migrate>ThresholdedReLU", {"theta": float(config.get("theta", 1.0))}


@register("LocallyConnected1D", "LocallyConnected2D")
def _locally(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    rank = 1 if "kernel_size" in config and len(_as_tuple(config["kernel_size"])) == 1 else 2
    # implementation 2/3 kernels are re-laid-out to implementation 1 by keras2_weights.
    cfg = with_activation(clean_config(config, ("implementation",)), ctx, "activation")
    if cfg.get("padding", "valid") != "valid":
        raise ctx.fail("LocallyConnected with padding other than 'valid' is not supported")
    return f"keras_migrate>LocallyConnected{rank}D", cfg


# -- recurrent ---------------------------------------------------------------------------

_RNN_DROP = ("implementation", "time_major", "input_dim", "input_length", "reset_after_default")


def _rnn_cfg(config: dict[str, Any], ctx: TranslateContext) -> dict[str, Any]:
    cfg = with_activation(clean_config(config, _RNN_DROP), ctx, "activation", "recurrent_activation")
    return cfg


def _make_rnnregister(name: str) -> Rule:
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
    register(_n)(_make_rnnregister(_n))


def _cellregister(name: str) -> Rule:
    def rule(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
        cfg = _rnn_cfg(config, ctx)
        if name == "GRUCell":
            cfg["reset_after"] = bool(config.get("reset_after", False))
        if name in ("LSTMCell", "GRUCell"):
            cfg.setdefault("recurrent_activation", LEGACY_HARD_SIGMOID if ctx.generation != "tf.keras" else "sigmoid")
        return name, cfg

    return rule


for _n in ("SimpleRNNCell", "LSTMCell", "GRUCell"):
    register(_n)(_cellregister(_n))


def _serialized(class_name: str, config: Mapping[str, Any]) -> dict[str, Any]:
    return {"class_name": class_name, "config": dict(config)}


def _translate_nested(obj: Mapping[str, Any], ctx: TranslateContext) -> dict[str, Any]:
    if not (isinstance(obj, Mapping) and isinstance(obj.get("class_name"), str) and isinstance(obj.get("config", {}), Mapping)):
        raise KerasMigrateError(
            "a nested layer (a cell or a wrapped layer) is not a {class_name, config} object",
            path=ctx.path, layer=ctx.layer_name, hint="the file is damaged; re-save the model from its original Keras",
        )
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


@register("RNN")
def _generic_rnn(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    cfg = clean_config(config, ("cell", "time_major", "input_dim", "input_length"))
    cell = config["cell"]
    if isinstance(cell, list):
        cell = {"class_name": "StackedRNNCells", "config": {"cells": cell}}
    if cell["class_name"] == "StackedRNNCells":
        cells = [_translate_nested(c, ctx) for c in cell["config"]["cells"]]
        cfg["cell"] = _serialized("StackedRNNCells", {"cells": cells})
    else:
        cfg["cell"] = _translate_nested(cell, ctx)
    return "RNN", cfg


@register("TimeDistributed")
def _time_distributed(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    cfg = clean_config(config, ("layer",))
    cfg["layer"] = _translate_nested(config["layer"], ctx)
    return "TimeDistributed", cfg


@register("Bidirectional")
def _bidirectional(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    cfg = clean_config(config, ("layer", "backward_layer", "num_constants"))
    cfg["layer"] = _translate_nested(config["layer"], ctx)
    if config.get("backward_layer"):
        cfg["backward_layer"] = _translate_nested(config["backward_layer"], ctx)
    elif (backward := legacy_backward_layer(cfg["layer"])) is not None:
        cfg["backward_layer"] = backward
    cfg.setdefault("merge_mode", "concat")
    return "Bidirectional", cfg
