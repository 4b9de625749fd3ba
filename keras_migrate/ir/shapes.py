"""Static shape and dtype inference from layer rules, without running the model.

The ONNX emitter needs every value's rank and static dims. ``ir.passes.infer_types`` gets
them by running the numpy interpreter on a probe batch, which reads every weight and
computes every layer (seconds and hundreds of MB on ResNet50). For the common layers the
output type follows from the input types and the config alone; :func:`static_graph_types`
applies those rules and returns ``None`` as soon as a node has no rule (a nested model, a
layer without a rule here, several outputs), so the caller falls back to the probe. The
interpreter stays the oracle: the tests compare both on every fixture this module covers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from keras_migrate.ir.graph import Graph, Layer, Node, TensorType, ValueRef, flatten_structure

__all__ = ["STATIC_DTYPES", "STATIC_RULES", "rule_type", "static_graph_types"]

Shape = tuple[int | None, ...]
Rule = Callable[[Layer, Sequence[Shape]], Shape | None]


def _spatial_axes(rank: int, data_format: str | None) -> list[int]:
    return list(range(2, rank)) if data_format == "channels_first" else list(range(1, rank - 1))


def _channel_axis(rank: int, data_format: str | None) -> int:
    return 1 if data_format == "channels_first" else rank - 1


def _tuple(value: Any, n: int) -> list[int]:
    if isinstance(value, int):
        return [value] * n
    out = [int(v) for v in value]
    return out if len(out) == n else []


def _window_out(n: int | None, k: int, s: int, d: int, padding: str) -> int | None:
    if n is None:
        return None
    if padding in ("same", "causal"):
        return -(-n // s)
    if padding == "valid":
        return (n - (k - 1) * d - 1) // s + 1
    raise ValueError(padding)


def _conv(layer: Layer, ins: Sequence[Shape]) -> Shape | None:
    (x,) = ins
    cfg = layer.config
    axes = _spatial_axes(len(x), cfg.get("data_format"))
    n = len(axes)
    k, s, d = _tuple(cfg["kernel_size"], n), _tuple(cfg.get("strides", 1), n), _tuple(cfg.get("dilation_rate", 1), n)
    if not (k and s and d):
        return None
    out = list(x)
    for i, ax in enumerate(axes):
        out[ax] = _window_out(x[ax], k[i], s[i], d[i], cfg.get("padding", "valid"))
    out[_channel_axis(len(x), cfg.get("data_format"))] = int(cfg["filters"])
    return tuple(out)


def _pool(layer: Layer, ins: Sequence[Shape]) -> Shape | None:
    (x,) = ins
    cfg = layer.config
    axes = _spatial_axes(len(x), cfg.get("data_format"))
    n = len(axes)
    k = _tuple(cfg["pool_size"], n)
    s = _tuple(cfg.get("strides") or cfg["pool_size"], n)
    if not (k and s):
        return None
    out = list(x)
    for i, ax in enumerate(axes):
        out[ax] = _window_out(x[ax], k[i], s[i], 1, cfg.get("padding", "valid"))
    return tuple(out)


def _global_pool(layer: Layer, ins: Sequence[Shape]) -> Shape | None:
    (x,) = ins
    axes = _spatial_axes(len(x), layer.config.get("data_format"))
    if layer.config.get("keepdims"):
        return tuple(1 if i in axes else d for i, d in enumerate(x))
    return tuple(d for i, d in enumerate(x) if i not in axes)


def _dense(layer: Layer, ins: Sequence[Shape]) -> Shape | None:
    (x,) = ins
    return (*x[:-1], int(layer.config["units"]))


def _same(layer: Layer, ins: Sequence[Shape]) -> Shape | None:
    (x,) = ins
    return x


def _broadcast(layer: Layer, ins: Sequence[Shape]) -> Shape | None:
    if len(ins) < 2 or len({len(s) for s in ins}) != 1:
        return None
    out: list[int | None] = []
    for dims in zip(*ins, strict=True):
        known = {d for d in dims if d is not None and d != 1}
        if len(known) > 1:
            return None
        out.append(known.pop() if known else (None if None in dims else 1))
    return tuple(out)


def _concatenate(layer: Layer, ins: Sequence[Shape]) -> Shape | None:
    if not ins or len({len(s) for s in ins}) != 1:
        return None
    axis = int(layer.config.get("axis", -1)) % len(ins[0])
    if axis == 0:
        return None
    along = [s[axis] for s in ins]
    out = list(ins[0])
    out[axis] = None if None in along else sum(d for d in along if d is not None)
    return tuple(out)


def _flatten(layer: Layer, ins: Sequence[Shape]) -> Shape | None:
    (x,) = ins
    rest = x[1:]
    return (x[0], None if None in rest else math.prod(d for d in rest if d is not None))


def _zero_padding(layer: Layer, ins: Sequence[Shape]) -> Shape | None:
    (x,) = ins
    axes = _spatial_axes(len(x), layer.config.get("data_format"))
    pad = layer.config.get("padding", 1)
    pairs: list[tuple[int, int]]
    if isinstance(pad, int):
        pairs = [(pad, pad)] * len(axes)
    elif len(axes) == 1 and len(pad) == 2 and all(isinstance(p, int) for p in pad):
        pairs = [(int(pad[0]), int(pad[1]))]
    elif len(pad) == len(axes) and all(isinstance(p, int) for p in pad):
        pairs = [(int(p), int(p)) for p in pad]
    elif len(pad) == len(axes):
        pairs = [(int(p[0]), int(p[1])) for p in pad]
    else:
        return None
    out = list(x)
    for ax, (lo, hi) in zip(axes, pairs, strict=True):
        out[ax] = None if x[ax] is None else x[ax] + lo + hi  # type: ignore[operator]
    return tuple(out)


def _reshape(layer: Layer, ins: Sequence[Shape]) -> Shape | None:
    (x,) = ins
    target = [int(d) for d in layer.config["target_shape"]]
    if target.count(-1) > 1:
        return None
    if -1 in target:
        rest = x[1:]
        if None in rest:
            return None
        known = math.prod(d for d in target if d != -1)
        total = math.prod(d for d in rest if d is not None)
        if known == 0 or total % known:
            return None
        target[target.index(-1)] = total // known
    return (x[0], *target)


def _pairs(value: Any, n: int) -> list[tuple[int, int]] | None:
    """Keras' per-axis (before, after) amounts: an int, n ints, or n pairs (1-D: one pair)."""
    if isinstance(value, int):
        return [(value, value)] * n
    items = list(value)
    if n == 1 and len(items) == 2 and all(isinstance(p, int) for p in items):
        return [(int(items[0]), int(items[1]))]
    if len(items) != n:
        return None
    if all(isinstance(p, int) for p in items):
        return [(int(p), int(p)) for p in items]
    return [(int(p[0]), int(p[1])) for p in items]


def _cropping(layer: Layer, ins: Sequence[Shape]) -> Shape | None:
    (x,) = ins
    axes = _spatial_axes(len(x), layer.config.get("data_format"))
    pairs = _pairs(layer.config.get("cropping", 1), len(axes))
    if pairs is None:
        return None
    out = list(x)
    for ax, (lo, hi) in zip(axes, pairs, strict=True):
        out[ax] = None if x[ax] is None else x[ax] - lo - hi  # type: ignore[operator]
    return tuple(out)


def _upsampling(layer: Layer, ins: Sequence[Shape]) -> Shape | None:
    (x,) = ins
    axes = _spatial_axes(len(x), layer.config.get("data_format"))
    size = _tuple(layer.config.get("size", 2), len(axes))
    if not size:
        return None
    out = list(x)
    for ax, k in zip(axes, size, strict=True):
        out[ax] = None if x[ax] is None else x[ax] * k  # type: ignore[operator]
    return tuple(out)


def _permute(layer: Layer, ins: Sequence[Shape]) -> Shape | None:
    (x,) = ins
    dims = [int(d) for d in layer.config["dims"]]
    if sorted(dims) != list(range(1, len(x))):
        return None
    return (x[0], *(x[d] for d in dims))


def _repeat_vector(layer: Layer, ins: Sequence[Shape]) -> Shape | None:
    (x,) = ins
    return (x[0], int(layer.config["n"]), *x[1:]) if len(x) == 2 else None


def _depthwise(layer: Layer, ins: Sequence[Shape]) -> Shape | None:
    (x,) = ins
    channels = x[_channel_axis(len(x), layer.config.get("data_format"))]
    if channels is None:
        return None
    cfg = {**layer.config, "filters": channels * int(layer.config.get("depth_multiplier", 1))}
    return _conv(Layer(layer.name, layer.type, cfg), ins)


def _rnn(layer: Layer, ins: Sequence[Shape]) -> Shape | None:
    """SimpleRNN / LSTM / GRU without states out: ``(B, T, units)`` or ``(B, units)``."""
    x = ins[0]
    cfg = layer.config
    if len(x) != 3 or cfg.get("return_state"):
        return None
    units = int(cfg["units"])
    return (x[0], x[1], units) if cfg.get("return_sequences") else (x[0], units)


def _inner(layer: Layer) -> Layer | None:
    spec = layer.config.get("layer")
    if not isinstance(spec, dict) or not isinstance(spec.get("class_name"), str):
        return None
    return Layer(f"{layer.name}/inner", spec["class_name"], dict(spec.get("config") or {}))


def _bidirectional(layer: Layer, ins: Sequence[Shape]) -> Shape | None:
    inner = _inner(layer)
    mode = layer.config.get("merge_mode", "concat")
    if inner is None or inner.type not in ("SimpleRNN", "LSTM", "GRU") or layer.config.get("backward_layer"):
        return None
    out = _rnn(inner, ins[:1])
    if out is None or mode not in ("concat", "sum", "mul", "ave"):
        return None
    return (*out[:-1], 2 * out[-1]) if mode == "concat" and out[-1] is not None else out


def _time_distributed(layer: Layer, ins: Sequence[Shape]) -> Shape | None:
    (x,) = ins
    inner = _inner(layer)
    rule = STATIC_RULES.get(inner.type) if inner is not None else None
    if inner is None or rule is None or rule is _time_distributed or len(x) < 3:
        return None
    out = rule(inner, [(x[0], *x[2:])])
    return None if out is None else (x[0], x[1], *out[1:])


def _embedding(layer: Layer, ins: Sequence[Shape]) -> Shape | None:
    (x,) = ins
    return (*x, int(layer.config["output_dim"]))


#: Output shape of a one-output layer from its input shapes and config, by layer type.
STATIC_RULES: dict[str, Rule] = {
    **{f"Conv{n}D": _conv for n in (1, 2, 3)},
    **{f"{kind}Pooling{n}D": _pool for kind in ("Max", "Average") for n in (1, 2, 3)},
    **{f"Global{kind}Pooling{n}D": _global_pool for kind in ("Max", "Average") for n in (1, 2, 3)},
    **{f"ZeroPadding{n}D": _zero_padding for n in (1, 2, 3)},
    **{f"Cropping{n}D": _cropping for n in (1, 2, 3)},
    **{f"UpSampling{n}D": _upsampling for n in (1, 2, 3)},
    **{f"SeparableConv{n}D": _conv for n in (1, 2)},
    **{f"DepthwiseConv{n}D": _depthwise for n in (1, 2)},
    **{name: _broadcast for name in ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum")},
    **{
        name: _same
        for name in (
            "Activation",
            "BatchNormalization",
            "Dropout",
            "ReLU",
            "LeakyReLU",
            "ELU",
            "Softmax",
            "SpatialDropout1D",
            "SpatialDropout2D",
            "SpatialDropout3D",
            "GaussianNoise",
            "GaussianDropout",
            "AlphaDropout",
            "LayerNormalization",
            "UnitNormalization",
            "GroupNormalization",
            "PReLU",
            "ThresholdedReLU",
            "ActivityRegularization",
            "Masking",
            "keras_migrate>ThresholdedReLU",
            "keras_migrate>ParametricSoftplus",
            "keras_migrate>SReLU",
        )
    },
    "Dense": _dense,
    "Concatenate": _concatenate,
    "Flatten": _flatten,
    "Reshape": _reshape,
    "Permute": _permute,
    "RepeatVector": _repeat_vector,
    **{name: _rnn for name in ("SimpleRNN", "LSTM", "GRU")},
    "Bidirectional": _bidirectional,
    "TimeDistributed": _time_distributed,
    "Embedding": _embedding,
}

#: Layers whose output dtype is not their input's: the dtype, from the layer (no I/O). Their
#: inputs may be of any dtype (an ``Embedding`` reads integer indices).
STATIC_DTYPES: dict[str, Callable[[Layer], str]] = {
    "Embedding": lambda layer: layer.weight("embeddings").dtype,
}


def rule_type(layer: Layer, node: Node, types: Mapping[str, TensorType]) -> TensorType | None:
    """The type of ``node``'s one output by the rules, or None (no rule, untyped input, ...)."""
    rule = STATIC_RULES.get(layer.type)
    if rule is None or layer.subgraph is not None or len(node.outputs) != 1:
        return None
    refs = [r.name for r in flatten_structure(node.args) if isinstance(r, ValueRef)]
    refs += [r.name for r in flatten_structure(dict(node.kwargs)) if isinstance(r, ValueRef)]
    if not refs or any(r not in types for r in refs):
        return None
    dtypes = {types[r].dtype for r in refs}
    dtype_rule = STATIC_DTYPES.get(layer.type)
    if dtype_rule is None and (len(dtypes) != 1 or not next(iter(dtypes)).startswith("float")):
        return None
    try:
        shape = rule(layer, [types[r].shape for r in refs])
        dtype = dtype_rule(layer) if dtype_rule is not None else types[refs[0]].dtype
    except (KeyError, TypeError, ValueError):
        return None
    return None if shape is None else TensorType(shape, dtype)


def static_graph_types(graph: Graph) -> Graph | None:
    """``graph`` with every value typed by the rules, or None when some node has no rule.

    Inputs must be typed. Outputs take the dtype of the node's first input (float layers
    that keep their input's dtype), or the one :data:`STATIC_DTYPES` gives.
    """
    if any(graph.values[n].type is None for n in graph.inputs):
        return None
    layers = {layer.name: layer for layer in graph.layers}
    types: dict[str, TensorType] = {n: graph.values[n].type for n in graph.inputs}  # type: ignore[misc]
    for node in graph.nodes:
        t = rule_type(layers[node.layer], node, types)
        if t is None:
            return None
        types[node.outputs[0]] = t
    values = {name: replace(v, type=types[name]) if name in types else v for name, v in graph.values.items()}
    return replace(graph, values=values)
