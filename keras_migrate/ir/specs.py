"""What Keras 3 layers own: their weights, in order, and where Keras 3 saves them.

One table serves both ends of the pipeline. Readers use :func:`weight_names` to give legacy
arrays their Keras 3 names (a Keras 2 file stores them in the same order Keras 3 creates
them); the ``.keras`` writer uses :func:`save_groups` to place each weight at the path
Keras 3's loader looks for (e.g. an LSTM's weights live under ``cell/vars``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from keras_migrate.ir.unknown import UNKNOWN_TYPE, unknown_weights

__all__ = ["LOOKUP_TYPES", "SaveGroup", "ShapeRule", "WeightRelation", "WeightSpec", "save_groups", "snake_case", "weight_names", "weight_specs"]


#: An expected weight shape: the dimensions the layer's config fixes as integers, the others
#: (set by the input the layer is called on) as ``None``.
ShapeRule = tuple[int | None, ...]


@dataclass(frozen=True, slots=True)
class WeightSpec:
    """One weight a layer owns: its IR name and whether Keras makes it trainable, and what
    the layer's config implies about the array (compared by name and trainability only).

    The readers check every stored array against ``shape``, ``kinds`` and ``same_as``
    before anything is written, so a converted file always loads in Keras 3."""

    name: str
    trainable: bool = True
    #: Expected shape (see :data:`ShapeRule`); ``None`` when not even the rank is known.
    shape: ShapeRule | None = field(default=None, compare=False)
    #: numpy ``dtype.kind`` letters the stored array may have (``"f"``: floating point).
    kinds: str = field(default="f", compare=False)
    #: Weights of one layer with the same non-empty tag must have one shape.
    same_as: str = field(default="", compare=False)


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


def _pos(config: Mapping[str, Any], key: str) -> int | None:
    """A positive integer config value, else ``None`` (unknown: not checked)."""
    v = config.get(key)
    return v if isinstance(v, int) and not isinstance(v, bool) and v > 0 else None


def _kernel(config: Mapping[str, Any], rank: int) -> tuple[int | None, ...]:
    v = config.get("kernel_size")
    if isinstance(v, int) and not isinstance(v, bool):
        v = [v] * rank
    if isinstance(v, (list, tuple)) and len(v) == rank and all(isinstance(d, int) and not isinstance(d, bool) for d in v):
        return tuple(int(d) for d in v)
    return (None,) * rank


_CONV_RANK = {f"Conv{n}D": n for n in (1, 2, 3)}
_CONV_T_RANK = {f"Conv{n}DTranspose": n for n in (1, 2, 3)}
_DEPTHWISE_RANK = {"DepthwiseConv1D": 1, "DepthwiseConv2D": 2}
_SEPARABLE_RANK = {"SeparableConv1D": 1, "SeparableConv2D": 2}
_GATES = {"SimpleRNN": 1, "SimpleRNNCell": 1, "LSTM": 4, "LSTMCell": 4, "GRU": 3, "GRUCell": 3}
_CONV_LSTM_RANK = {"ConvLSTM1D": 1, "ConvLSTM2D": 2, "ConvLSTM3D": 3}


def _w(name: str, shape: ShapeRule | None, *, trainable: bool = True, kinds: str = "f", same_as: str = "") -> WeightSpec:
    return WeightSpec(name, trainable, shape, kinds, same_as)


def _kernel_bias(layer_type: str, config: Mapping[str, Any], use_bias: bool) -> list[WeightSpec]:
    """Dense, convolutions and locally connected layers: a kernel and an optional bias."""
    kernel: ShapeRule | None = None  # locally connected (compat) layers: one kernel per position
    bias: ShapeRule | None = None
    if layer_type == "Dense":
        units = _pos(config, "units")
        kernel, bias = (None, units), (units,)
    elif layer_type in _CONV_RANK:
        filters = _pos(config, "filters")
        kernel, bias = (*_kernel(config, _CONV_RANK[layer_type]), None, filters), (filters,)
    elif layer_type in _CONV_T_RANK:
        filters = _pos(config, "filters")
        kernel, bias = (*_kernel(config, _CONV_T_RANK[layer_type]), filters, None), (filters,)
    elif layer_type.startswith("keras_migrate>LocallyConnected"):
        # one kernel per output position, (positions, kernel * channels, filters); bias per position
        rank = 1 if layer_type.endswith("1D") else 2
        filters = _pos(config, "filters")
        kernel, bias = (None, None, filters), (*(None,) * rank, filters)
    elif layer_type in _DEPTHWISE_RANK:
        kernel, bias = (*_kernel(config, _DEPTHWISE_RANK[layer_type]), None, _pos(config, "depth_multiplier")), (None,)
    return [_w("kernel", kernel)] + ([_w("bias", bias)] if use_bias else [])


def _recurrent(layer_type: str, config: Mapping[str, Any], use_bias: bool) -> list[WeightSpec]:
    """SimpleRNN/LSTM/GRU (and their cells) and ConvLSTM: gates side by side on the last axis."""
    if layer_type in _CONV_LSTM_RANK:
        f = _pos(config, "filters")
        ks = _kernel(config, _CONV_LSTM_RANK[layer_type])
        width = None if f is None else 4 * f
        return [_w("kernel", (*ks, None, width)), _w("recurrent_kernel", (*ks, f, width))] + (
            [_w("bias", (width,))] if use_bias else []
        )
    units = _pos(config, "units")
    width = None if units is None else _GATES[layer_type] * units
    two_biases = layer_type.startswith("GRU") and bool(config.get("reset_after", True))
    return [_w("kernel", (None, width)), _w("recurrent_kernel", (units, width))] + (
        [_w("bias", (2, width) if two_biases else (width,))] if use_bias else []
    )


def _attention(layer_type: str, config: Mapping[str, Any], use_bias: bool) -> list[WeightSpec]:
    """MultiHeadAttention: four EinsumDense projections (query/key/value into heads, output back)."""
    heads, key_dim = _pos(config, "num_heads"), _pos(config, "key_dim")
    value_dim = _pos(config, "value_dim") or key_dim
    shapes: dict[str, tuple[ShapeRule | None, ShapeRule | None]] = {
        "query": ((None, heads, key_dim), (heads, key_dim)),
        "key": ((None, heads, key_dim), (heads, key_dim)),
        "value": ((None, heads, value_dim), (heads, value_dim)),
        "output": (None, None),  # its rank follows output_shape and the attention axes
    }
    return [
        _w(f"{p}_dense/{n}", shapes[p][0 if n == "kernel" else 1])
        for p in _MHA_PARTS
        for n in ("kernel", "bias")
        if use_bias or n == "kernel"
    ]


def _keras1_group(layer_type: str, name: str) -> str:
    """Keras 1 compat weights that must share one shape: Highway's two square kernels and
    its two biases; every per-feature parameter of ParametricSoftplus, SReLU and the
    BatchNormalization modes; none of MaxoutDense's."""
    if layer_type == "keras_migrate>MaxoutDense":
        return ""
    if layer_type == "keras_migrate>Highway":
        return "bias" if "bias" in name else "kernel"
    return "params"


def _prefixed(prefix: str, specs: list[WeightSpec]) -> list[WeightSpec]:
    return [replace(w, name=f"{prefix}{w.name}", same_as=f"{prefix}{w.same_as}" if w.same_as else "") for w in specs]


def weight_specs(layer_type: str, config: Mapping[str, Any]) -> list[WeightSpec]:
    """The weights a Keras 3 layer of this type and config owns, in Keras 3's order, each
    with the shape, dtype kinds and shape-sharing its config implies: the one table of
    weight expectations (readers name legacy arrays by it, check them against it before
    anything is written; the IR validator and the ``.keras`` writer lay weights out by it)."""
    use_bias = bool(config.get("use_bias", True))
    if layer_type in _KERNEL_BIAS:
        return _kernel_bias(layer_type, config, use_bias)
    if layer_type in _SEPARABLE:
        rank = _SEPARABLE_RANK[layer_type]
        filters, dm = _pos(config, "filters"), _pos(config, "depth_multiplier")
        return [
            _w("depthwise_kernel", (*_kernel(config, rank), None, dm)),
            _w("pointwise_kernel", (*(1,) * rank, None, filters)),
        ] + ([_w("bias", (filters,))] if use_bias else [])
    if layer_type in _RNN or layer_type in _CELLS:
        return _recurrent(layer_type, config, use_bias)
    if layer_type in ("BatchNormalization", "LayerNormalization", "GroupNormalization"):
        # One value per normalized feature (BatchNormalization over several axes: one per position).
        rule: ShapeRule | None = (None,) if layer_type == "GroupNormalization" else None
        out = []
        if config.get("scale", True):
            out.append(_w("gamma", rule, same_as="norm"))
        if config.get("center", True):
            out.append(_w("beta", rule, same_as="norm"))
        if layer_type != "BatchNormalization":
            return out
        return [*out, _w("moving_mean", rule, trainable=False, same_as="norm"),
                _w("moving_variance", rule, trainable=False, same_as="norm")]  # fmt: skip
    if layer_type == "Embedding":
        return [_w("embeddings", (_pos(config, "input_dim"), _pos(config, "output_dim")))]
    if layer_type in _KERAS1:
        units, pieces = _pos(config, "units"), _pos(config, "nb_feature")
        keras1_shapes: dict[str, ShapeRule | None] = {
            "keras_migrate>MaxoutDense/kernel": (pieces, None, units),
            "keras_migrate>MaxoutDense/bias": (pieces, units),
            "keras_migrate>Highway/kernel": (None, None),
            "keras_migrate>Highway/carry_kernel": (None, None),
            "keras_migrate>Highway/bias": (None,),
            "keras_migrate>Highway/carry_bias": (None,),
        }
        return [
            _w(n, keras1_shapes.get(f"{layer_type}/{n}"), trainable=t, same_as=_keras1_group(layer_type, n))
            for n, t in _KERAS1[layer_type]
            if use_bias or "bias" not in n
        ]
    if layer_type == "PReLU":
        return [_w("alpha", None)]
    if layer_type == "Normalization":  # statistics are weights unless the config holds them
        if config.get("mean") is not None:
            return []
        return [_w("mean", None, trainable=False, same_as="stats"), _w("variance", None, trainable=False, same_as="stats"),
                _w("count", (), trainable=False, kinds="fiu")]  # fmt: skip
    if layer_type == "keras_migrate>LayerScale":
        return [_w("gamma", (_pos(config, "projection_dim"),))]
    if layer_type in LOOKUP_TYPES:
        return [_w("idf_weights", (None,), trainable=False)] if config.get("output_mode") == "tf_idf" else []
    if layer_type == "Discretization":  # adapted (tf.keras): the adapt summary, until it becomes bin_boundaries
        return [_w("summary", None, trainable=False)] if config.get("bin_boundaries") is None else []
    if layer_type == "EinsumDense":
        return [_w("kernel", None)] + ([_w("bias", None)] if config.get("bias_axes") else [])
    if layer_type in _MHA:
        return _attention(layer_type, config, use_bias)
    if layer_type == "Attention":
        return ([_w("scale", ())] if config.get("use_scale") else []) + (
            [_w("concat_score_weight", ())] if config.get("score_mode") == "concat" else []
        )
    if layer_type == "AdditiveAttention":
        return [_w("scale", (None,))] if config.get("use_scale", True) else []
    if layer_type == UNKNOWN_TYPE:  # the weights the file holds, recorded when they attach
        return [_w(w.name, w.shape, trainable=w.trainable, kinds="fiub") for w in unknown_weights(config)]
    if layer_type == "TimeDistributed":
        return weight_specs(*_inner(config, "layer"))
    if layer_type == "Bidirectional":
        fwd = weight_specs(*_inner(config, "layer"))
        bwd_type, bwd_cfg = _inner(config, "backward_layer") if config.get("backward_layer") else _inner(config, "layer")
        bwd = weight_specs(bwd_type, bwd_cfg)
        return _prefixed("forward_layer/", fwd) + _prefixed("backward_layer/", bwd)
    if layer_type == "RNN":
        cell_type, cell_cfg = _inner(config, "cell")
        if cell_type == "StackedRNNCells":
            out = []
            for i, cell in enumerate(cell_cfg["cells"]):
                out += _prefixed(f"cells/{i}/", weight_specs(cell["class_name"], cell["config"]))
            return out
        return weight_specs(cell_type, cell_cfg)
    return []


@dataclass(frozen=True, slots=True)
class WeightRelation:
    """Dimension ``axis`` of weight ``weight`` equals the product of ``other``'s ``other_axes``:
    what ties a layer's weights together where the config alone does not fix a size."""

    weight: str
    axis: int
    other: str
    other_axes: tuple[int, ...]


def weight_relations(layer_type: str) -> tuple[WeightRelation, ...]:
    """The size relations between one layer's weights (``weight_specs`` fixes the rest)."""
    if layer_type in _DEPTHWISE_RANK:  # one bias per output channel: channels * depth_multiplier
        return (WeightRelation("bias", 0, "kernel", (-2, -1)),)
    if layer_type in _SEPARABLE_RANK:  # the pointwise step reads every depthwise output channel
        return (WeightRelation("pointwise_kernel", -2, "depthwise_kernel", (-2, -1)),)
    return ()


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
