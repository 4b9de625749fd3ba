"""What Keras 3 layers own: their weights, in order, and where Keras 3 saves them.

One table serves both ends of the pipeline. Readers use :func:`weight_names` to give legacy
arrays their Keras 3 names (a Keras 2 file stores them in the same order Keras 3 creates
them); the ``.keras`` writer uses :func:`save_groups` to place each weight at the path
Keras 3's loader looks for (e.g. an LSTM's weights live under ``cell/vars``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["LOOKUP_TYPES", "SaveGroup", "WeightSpec", "save_groups", "snake_case", "weight_names", "weight_specs"]


@dataclass(frozen=True, slots=True)
class WeightSpec:
    """One weight a layer owns: its IR name and whether Keras makes it trainable."""

    name: str
    trainable: bool = True


@dataclass(frozen=True, slots=True)
class SaveGroup:
    """A ``vars`` group in a Keras 3 weights file: a sub-path and the weights it holds, in order."""

    path: str
    weights: tuple[str, ...]
    #: Dataset names, when Keras saves by name (``vars/idf_weights``) rather than ``0, 1...``.
    keys: tuple[str, ...] = ()


_KERNEL_BIAS = (
    "Dense",
    "Conv1D",
    "Conv2D",
    "Conv3D",
    "Conv1DTranspose",
    "Conv2DTranspose",
    "Conv3DTranspose",
    "DepthwiseConv1D",
    "DepthwiseConv2D",
    "keras_migrate>LocallyConnected1D",
    "keras_migrate>LocallyConnected2D",
)
_SEPARABLE = ("SeparableConv1D", "SeparableConv2D")
#: Keras 1 compat layers (keras_migrate.compat._keras1): (name, trainable), bias-named ones only with use_bias.
_KERAS1: dict[str, tuple[tuple[str, bool], ...]] = {
    "keras_migrate>MaxoutDense": (("kernel", True), ("bias", True)),
    "keras_migrate>Highway": (("kernel", True), ("carry_kernel", True), ("bias", True), ("carry_bias", True)),
    "keras_migrate>ParametricSoftplus": (("alpha", True), ("beta", True)),
    "keras_migrate>SReLU": (("t_left", True), ("a_left", True), ("t_right", True), ("a_right", True)),
    "keras_migrate>Keras1BatchNormalization": (
        ("gamma", True), ("beta", True), ("moving_mean", False), ("moving_variance", False),
    ),
}
_RNN = ("SimpleRNN", "LSTM", "GRU", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D")
#: MultiHeadAttention and its compat subclass: four EinsumDense sublayers, in build order.
_MHA = ("MultiHeadAttention", "keras_migrate>LegacyMultiHeadAttention")
_MHA_PARTS = ("query", "key", "value", "output")
_CELLS = ("SimpleRNNCell", "LSTMCell", "GRUCell")
#: Vocabulary (lookup) layer types and whether their vocabulary holds strings (else integers).
#: Their only variable is the tf_idf weights, saved by name. Shared by the readers that
#: recover vocabularies and by verification, which is why it lives here, framework-free.
LOOKUP_TYPES: dict[str, bool] = {"StringLookup": True, "IntegerLookup": False, "TextVectorization": True}


def _inner(config: Mapping[str, Any], key: str) -> tuple[str, Mapping[str, Any]]:
    sub = config[key]
    return sub["class_name"], sub.get("config", {})


def weight_specs(layer_type: str, config: Mapping[str, Any]) -> list[WeightSpec]:
    """The weights a Keras 3 layer of this type and config owns, in Keras 3's order."""
    use_bias = bool(config.get("use_bias", True))
    if layer_type in _KERNEL_BIAS:
        return [WeightSpec("kernel")] + ([WeightSpec("bias")] if use_bias else [])
    if layer_type in _SEPARABLE:
        return [WeightSpec("depthwise_kernel"), WeightSpec("pointwise_kernel")] + (
            [WeightSpec("bias")] if use_bias else []
        )
    if layer_type in _RNN or layer_type in _CELLS:
        return [WeightSpec("kernel"), WeightSpec("recurrent_kernel")] + ([WeightSpec("bias")] if use_bias else [])
    if layer_type == "BatchNormalization":
        out = []
        if config.get("scale", True):
            out.append(WeightSpec("gamma"))
        if config.get("center", True):
            out.append(WeightSpec("beta"))
        return [*out, WeightSpec("moving_mean", False), WeightSpec("moving_variance", False)]
    if layer_type in ("LayerNormalization", "GroupNormalization"):
        out = []
        if config.get("scale", True):
            out.append(WeightSpec("gamma"))
        if config.get("center", True):
            out.append(WeightSpec("beta"))
        return out
    if layer_type == "Embedding":
        return [WeightSpec("embeddings")]
    if layer_type in _KERAS1:
        return [WeightSpec(n, t) for n, t in _KERAS1[layer_type] if use_bias or "bias" not in n]
    if layer_type == "PReLU":
        return [WeightSpec("alpha")]
    if layer_type == "Normalization":  # statistics are weights unless the config holds them
        stats = ("mean", "variance", "count")
        return [] if config.get("mean") is not None else [WeightSpec(n, False) for n in stats]
    if layer_type == "keras_migrate>LayerScale":
        return [WeightSpec("gamma")]
    if layer_type in LOOKUP_TYPES:
        return [WeightSpec("idf_weights", False)] if config.get("output_mode") == "tf_idf" else []
    if layer_type == "Discretization":  # adapted (tf.keras): the adapt summary, until it becomes bin_boundaries
        return [WeightSpec("summary", False)] if config.get("bin_boundaries") is None else []
    if layer_type == "EinsumDense":
        return [WeightSpec("kernel")] + ([WeightSpec("bias")] if config.get("bias_axes") else [])
    if layer_type in _MHA:
        return [WeightSpec(f"{p}_dense/{n}") for p in _MHA_PARTS for n in ("kernel", "bias") if use_bias or n == "kernel"]
    if layer_type == "Attention":
        return ([WeightSpec("scale")] if config.get("use_scale") else []) + (
            [WeightSpec("concat_score_weight")] if config.get("score_mode") == "concat" else []
        )
    if layer_type == "AdditiveAttention":
        return [WeightSpec("scale")] if config.get("use_scale", True) else []
    if layer_type == "TimeDistributed":
        return weight_specs(*_inner(config, "layer"))
    if layer_type == "Bidirectional":
        fwd = weight_specs(*_inner(config, "layer"))
        bwd_type, bwd_cfg = _inner(config, "backward_layer") if config.get("backward_layer") else _inner(config, "layer")
        bwd = weight_specs(bwd_type, bwd_cfg)
        return [WeightSpec(f"forward_layer/{w.name}", w.trainable) for w in fwd] + [
            WeightSpec(f"backward_layer/{w.name}", w.trainable) for w in bwd
        ]
    if layer_type == "RNN":
        cell_type, cell_cfg = _inner(config, "cell")
        if cell_type == "StackedRNNCells":
            out = []
            for i, cell in enumerate(cell_cfg["cells"]):
                out += [WeightSpec(f"cells/{i}/{w.name}", w.trainable) for w in weight_specs(cell["class_name"], cell["config"])]
            return out
        return weight_specs(cell_type, cell_cfg)
    return []


def weight_names(layer_type: str, config: Mapping[str, Any]) -> list[str]:
    return [w.name for w in weight_specs(layer_type, config)]


def snake_case(name: str) -> str:
    """Keras 3's snake-casing of class names, used for the object paths in weights files."""
    name = re.sub(r"\W+", "", name)
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def save_groups(layer_type: str, config: Mapping[str, Any]) -> list[SaveGroup]:
    """Where Keras 3 saves this layer's weights, relative to the layer's own path.

    Every Keras 3 layer writes a ``vars`` group (empty for weightless layers); layers that
    hold sub-layers (RNN cells, wrapped layers) nest theirs, in attribute-name order.
    """
    if layer_type in _RNN:
        return [SaveGroup("vars", ()), SaveGroup("cell/vars", tuple(weight_names(layer_type, config)))]
    if layer_type in _MHA:
        # Keras saves the sublayers under their public properties (query_dense...), the
        # weightless softmax and dropout under their private attribute names.
        mha_names = weight_names(layer_type, config)
        dense = [SaveGroup(f"{p}_dense/vars", tuple(n for n in mha_names if n.startswith(f"{p}_dense/"))) for p in sorted(_MHA_PARTS)]
        return [SaveGroup("vars", ()), SaveGroup("_dropout_layer/vars", ()), SaveGroup("_softmax/vars", ()), *dense]
    if layer_type in LOOKUP_TYPES:
        idf = tuple(weight_names(layer_type, config))
        groups = [SaveGroup("vars", idf, idf)]
        # TextVectorization saves its inner StringLookup too, with the same variables.
        return [*groups, SaveGroup("_lookup_layer/vars", idf, idf)] if layer_type == "TextVectorization" else groups
    if layer_type == "TimeDistributed":
        inner_type, inner_cfg = _inner(config, "layer")
        return [SaveGroup("vars", ())] + [
            SaveGroup(f"layer/{g.path}", g.weights) for g in save_groups(inner_type, inner_cfg)
        ]
    if layer_type == "Bidirectional":
        inner_type, inner_cfg = _inner(config, "layer")
        bwd_type, bwd_cfg = _inner(config, "backward_layer") if config.get("backward_layer") else (inner_type, inner_cfg)
        groups = [SaveGroup("vars", ())]
        # Keras walks attributes sorted by name: backward_layer before forward_layer.
        for prefix, (t, c) in (("backward_layer", (bwd_type, bwd_cfg)), ("forward_layer", (inner_type, inner_cfg))):
            groups += [
                SaveGroup(f"{prefix}/{g.path}", tuple(f"{prefix}/{w}" for w in g.weights)) for g in save_groups(t, c)
            ]
        return groups
    if layer_type == "RNN":
        cell_type, cell_cfg = _inner(config, "cell")
        if cell_type == "StackedRNNCells":
            groups = [SaveGroup("vars", ()), SaveGroup("cell/vars", ())]
            used: dict[str, int] = {}
            for i, cell in enumerate(cell_cfg["cells"]):
                base = snake_case(cell["class_name"])
                k = used.get(base, 0)
                used[base] = k + 1
                key = base if k == 0 else f"{base}_{k}"
                names = tuple(f"cells/{i}/{w}" for w in weight_names(cell["class_name"], cell["config"]))
                groups.append(SaveGroup(f"cell/cells/{key}/vars", names))
            return groups
        return [SaveGroup("vars", ()), SaveGroup("cell/vars", tuple(weight_names(cell_type, cell_cfg)))]
    return [SaveGroup("vars", tuple(weight_names(layer_type, config)))]
