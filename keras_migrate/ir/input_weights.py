"""Weight sizes fixed by the input a layer is called on, checked before anything is written.

A layer's config fixes some of its weights' dimensions (``units``, ``kernel_size``...:
:func:`keras_migrate.ir.specs.weight_specs`); the others follow from the input it is
called on: a ``Dense`` kernel's rows are the input's features, a convolution kernel's
in-channels its channel count, a ``BatchNormalization``'s size the normalized axis. Keras 3
builds every layer from its input shape before it loads the weights, so a weight that
does not fit the input converts without complaint and the ``.keras`` then refuses to load.

:func:`input_types` infers the static type of every value it can from the graph's input
types by the layer rules of :mod:`keras_migrate.ir.shapes` (a node without a rule leaves
its outputs unknown, and so everything downstream of them); :func:`check_input_weights`
then compares each layer's weights with what its inferred input implies. Unknown
dimensions (``None``, an untyped input, a layer kind without a rule here) are not checked:
the check only ever refuses what Keras 3 would refuse.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from keras_migrate.errors import KerasMigrateError
from keras_migrate.ir.graph import Graph, Layer, Node, TensorType, ValueRef, flatten_structure
from keras_migrate.ir.shapes import rule_type

__all__ = ["INPUT_WEIGHT_RULES", "check_input_weights", "input_types", "input_weight_shapes"]

Shape = tuple[int | None, ...]
#: Marks an input dimension the static types leave unknown (see :func:`_check_node`).
_UNKNOWN = -1
#: Expected shape of each named weight (``None`` dims: not fixed by the input).
Expected = dict[str, Shape]
InputRule = Callable[[Mapping[str, Any], Sequence[Shape]], Expected]

#: What a rule may raise on a config the schema let through but the rule cannot read: the
#: check then says nothing (the IR validator or Keras' own build names the problem).
_UNREADABLE = (ArithmeticError, LookupError, TypeError, ValueError, AttributeError)


def input_types(graph: Graph) -> dict[str, TensorType]:
    """Every value's static type the rules can tell from the graph's typed inputs."""
    layers = {layer.name: layer for layer in graph.layers}
    types: dict[str, TensorType] = {n: v.type for n, v in graph.values.items() if v.type is not None}
    for node in graph.nodes:
        layer = layers.get(node.layer)
        if layer is None or all(o in types for o in node.outputs):
            continue
        try:
            t = rule_type(layer, node, types)
        except _UNREADABLE:
            t = None
        if t is not None:
            types[node.outputs[0]] = t
    return types


def _int(value: Any, default: int | None = None) -> int | None:
    if value is None:
        return default
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _channels_last(cfg: Mapping[str, Any]) -> bool:
    return cfg.get("data_format") != "channels_first"


def _channels(x: Shape, rank: int, cfg: Mapping[str, Any], *, time: bool = False) -> int | None:
    """The channel count of an input of ``rank`` spatial axes (plus batch and, for ConvLSTM, time)."""
    lead = 2 if time else 1
    if len(x) != rank + lead + 1:
        return None
    return x[-1] if _channels_last(cfg) else x[lead]


def _conv(rank: int, *, transpose: bool = False) -> InputRule:
    def rule(cfg: Mapping[str, Any], ins: Sequence[Shape]) -> Expected:
        ch = _channels(ins[0], rank, cfg)
        if ch is None:
            return {}
        if transpose:
            return {"kernel": (*(None,) * rank, None, ch)}
        groups = _int(cfg.get("groups"), 1)
        if groups is None or ch % groups:
            return {}
        return {"kernel": (*(None,) * rank, ch // groups, None)}

    return rule


def _depthwise(rank: int, key: str) -> InputRule:
    def rule(cfg: Mapping[str, Any], ins: Sequence[Shape]) -> Expected:
        ch = _channels(ins[0], rank, cfg)
        return {} if ch is None else {key: (*(None,) * rank, ch, None)}

    return rule


def _conv_lstm(rank: int) -> InputRule:
    def rule(cfg: Mapping[str, Any], ins: Sequence[Shape]) -> Expected:
        ch = _channels(ins[0], rank, cfg, time=True)
        return {} if ch is None else {"kernel": (*(None,) * rank, ch, None)}

    return rule


def _dense(cfg: Mapping[str, Any], ins: Sequence[Shape]) -> Expected:
    x = ins[0]
    return {"kernel": (x[-1], None)} if len(x) >= 2 else {}


def _recurrent(cfg: Mapping[str, Any], ins: Sequence[Shape]) -> Expected:
    x = ins[0]
    return {"kernel": (x[-1], None)} if len(x) == 3 else {}


def _rnn(cfg: Mapping[str, Any], ins: Sequence[Shape]) -> Expected:
    """``RNN(cell)``: the cell's kernel rows are the features; stacked cells each read the
    previous cell's units."""
    x = ins[0]
    cell = cfg.get("cell")
    if len(x) != 3 or not isinstance(cell, Mapping):
        return {}
    if cell.get("class_name") != "StackedRNNCells":
        return {"kernel": (x[-1], None)}
    cells = (cell.get("config") or {}).get("cells") or []
    out: Expected = {}
    features: int | None = x[-1]
    for i, c in enumerate(cells):
        out[f"cells/{i}/kernel"] = (features, None)
        features = _int((c.get("config") or {}).get("units")) if isinstance(c, Mapping) else None
    return out


def _axis_sizes(cfg: Mapping[str, Any], x: Shape, default: int = -1) -> Shape | None:
    axis = cfg.get("axis", default)
    axes = list(axis) if isinstance(axis, (list, tuple)) else [axis]
    if not axes or not all(isinstance(a, int) and not isinstance(a, bool) and -len(x) <= a < len(x) for a in axes):
        return None
    return tuple(x[a] for a in axes)


def _norm(names: tuple[str, ...], *, flat: bool) -> InputRule:
    """One value per normalized feature; ``flat``: a 1-D weight even over several axes."""

    def rule(cfg: Mapping[str, Any], ins: Sequence[Shape]) -> Expected:
        sizes = _axis_sizes(cfg, ins[0])
        if sizes is None:
            return {}
        if flat and len(sizes) != 1:
            return {}
        return dict.fromkeys(names, sizes)

    return rule


def _prelu(cfg: Mapping[str, Any], ins: Sequence[Shape]) -> Expected:
    x = ins[0]
    shape = list(x[1:])
    shared = cfg.get("shared_axes") or []
    if isinstance(shared, int):
        shared = [shared]
    for a in shared:
        if not isinstance(a, int) or not 1 <= a <= len(shape):
            return {}
        shape[a - 1] = 1
    return {"alpha": tuple(shape)} if shape else {}


def _additive(cfg: Mapping[str, Any], ins: Sequence[Shape]) -> Expected:
    return {"scale": (ins[0][-1],)} if ins[0] else {}


def _highway(cfg: Mapping[str, Any], ins: Sequence[Shape]) -> Expected:
    d = ins[0][-1] if len(ins[0]) == 2 else None
    return {"kernel": (d, d), "carry_kernel": (d, d), "bias": (d,), "carry_bias": (d,)}


def _maxout(cfg: Mapping[str, Any], ins: Sequence[Shape]) -> Expected:
    return {"kernel": (None, ins[0][-1], None)} if len(ins[0]) == 2 else {}


def _attention(cfg: Mapping[str, Any], ins: Sequence[Shape]) -> Expected:
    """MultiHeadAttention: ``ins`` is (query, value, key); each projection reads its input's
    last axis, the output projection writes the query's features unless ``output_shape``."""
    q, v, k = ins[0], ins[1], ins[2] if len(ins) > 2 else ins[1]
    out: Expected = {
        "query_dense/kernel": (q[-1], None, None),
        "key_dense/kernel": (k[-1], None, None),
        "value_dense/kernel": (v[-1], None, None),
    }
    if cfg.get("output_shape") is None and cfg.get("attention_axes") is None:
        out["output_dense/kernel"] = (None, None, q[-1])
        out["output_dense/bias"] = (q[-1],)
    return out


def _prefixed(prefix: str, expected: Expected) -> Expected:
    return {f"{prefix}{k}": v for k, v in expected.items()}


def _inner(cfg: Mapping[str, Any], key: str = "layer") -> tuple[str, Mapping[str, Any]] | None:
    spec = cfg.get(key)
    if not isinstance(spec, Mapping) or not isinstance(spec.get("class_name"), str):
        return None
    inner_cfg = spec.get("config")
    return spec["class_name"], inner_cfg if isinstance(inner_cfg, Mapping) else {}


def _time_distributed(cfg: Mapping[str, Any], ins: Sequence[Shape]) -> Expected:
    inner = _inner(cfg)
    x = ins[0]
    if inner is None or len(x) < 3:
        return {}
    return input_weight_shapes(inner[0], inner[1], [(x[0], *x[2:])])


def _bidirectional(cfg: Mapping[str, Any], ins: Sequence[Shape]) -> Expected:
    fwd = _inner(cfg)
    if fwd is None:
        return {}
    bwd = _inner(cfg, "backward_layer") if cfg.get("backward_layer") else fwd
    out = _prefixed("forward_layer/", input_weight_shapes(fwd[0], fwd[1], ins[:1]))
    if bwd is not None:
        out.update(_prefixed("backward_layer/", input_weight_shapes(bwd[0], bwd[1], ins[:1])))
    return out


#: Weight shapes implied by the input, by layer type: ``rule(config, input shapes)``.
INPUT_WEIGHT_RULES: dict[str, InputRule] = {
    "Dense": _dense,
    **{f"Conv{n}D": _conv(n) for n in (1, 2, 3)},
    **{f"Conv{n}DTranspose": _conv(n, transpose=True) for n in (1, 2, 3)},
    **{f"DepthwiseConv{n}D": _depthwise(n, "kernel") for n in (1, 2)},
    **{f"SeparableConv{n}D": _depthwise(n, "depthwise_kernel") for n in (1, 2)},
    **{f"ConvLSTM{n}D": _conv_lstm(n) for n in (1, 2, 3)},
    **{name: _recurrent for name in ("SimpleRNN", "LSTM", "GRU")},
    "RNN": _rnn,
    "BatchNormalization": _norm(("gamma", "beta", "moving_mean", "moving_variance"), flat=True),
    "LayerNormalization": _norm(("gamma", "beta"), flat=False),
    "GroupNormalization": _norm(("gamma", "beta"), flat=True),
    "PReLU": _prelu,
    "AdditiveAttention": _additive,
    "MultiHeadAttention": _attention,
    "keras_migrate>LegacyMultiHeadAttention": _attention,
    "keras_migrate>Highway": _highway,
    "keras_migrate>MaxoutDense": _maxout,
    "TimeDistributed": _time_distributed,
    "Bidirectional": _bidirectional,
}


def input_weight_shapes(layer_type: str, config: Mapping[str, Any], inputs: Sequence[Shape]) -> Expected:
    """What the input shapes imply about a layer's weights: ``{weight name: shape}`` with
    ``None`` for dimensions the input does not fix; ``{}`` when nothing is known."""
    rule = INPUT_WEIGHT_RULES.get(layer_type)
    if rule is None or not inputs:
        return {}
    try:
        return rule(config, inputs)
    except _UNREADABLE:
        return {}


def _node_inputs(layer: Layer, node: Node) -> list[str]:
    """The node's tensor inputs in the order the rules read them (attention: query, value, key)."""
    if layer.type in ("MultiHeadAttention", "keras_migrate>LegacyMultiHeadAttention"):
        slots: dict[str, str | None] = dict.fromkeys(("query", "value", "key"))
        for key, arg in zip(slots, [a for a in node.args if isinstance(a, ValueRef)]):
            slots[key] = arg.name
        for key in slots:
            ref = node.kwargs.get(key)
            if isinstance(ref, ValueRef):
                slots[key] = ref.name
        return [n for n in slots.values() if n is not None] if slots["query"] and slots["value"] else []
    refs = [r.name for r in flatten_structure(node.args) if isinstance(r, ValueRef)]
    return refs + [r.name for r in flatten_structure(dict(node.kwargs)) if isinstance(r, ValueRef)]


def _shown(dims: Sequence[int | None]) -> str:
    text = ", ".join("?" if d is None else str(d) for d in dims)
    return f"({text},)" if len(dims) == 1 else f"({text})"


def _check_node(layer: Layer, node: Node, types: Mapping[str, TensorType], path: str) -> None:
    names = _node_inputs(layer, node)
    if not names or any(n not in types or not types[n].shape for n in names):
        return
    shapes = [types[n].shape for n in names]
    expected = input_weight_shapes(layer.type, layer.config, shapes)
    # the same rules on the input with its unknown dims (past the batch) marked -1: a weight
    # dimension that comes out negative is one the input leaves unknown, and Keras 3, which
    # builds every weight from the input shape, cannot create it
    marked = [(s[0], *(_UNKNOWN if d is None else d for d in s[1:])) for s in shapes]
    open_dims = input_weight_shapes(layer.type, layer.config, marked)
    for w in layer.weights:
        unknown = open_dims.get(w.name)
        if unknown is not None and any(d is not None and d < 0 for d in unknown):
            stored = tuple(int(d) for d in w.shape)
            same_rank = len(stored) == len(unknown)
            shown = tuple(
                None if d is not None and d < 0 else (stored[i] if d is None and same_rank else d)
                for i, d in enumerate(unknown)
            )
            raise KerasMigrateError(
                f"weight {w.name!r} cannot be built: the layer's input {_shown(shapes[0])} leaves its shape "
                f"{_shown(shown)} unknown, and Keras 3 creates every weight from the input shape",
                path=path or None,
                layer=layer.origin.name or layer.name,
                hint="the model's input shape is damaged or incomplete; give the model a fully defined input shape",
            )
    for w in layer.weights:
        want = expected.get(w.name)
        if want is None:
            continue
        have = tuple(int(d) for d in w.shape)
        if len(have) == len(want) and all(e is None or h == e for h, e in zip(have, want)):
            continue
        # the dims the input does not fix are shown as stored, so only the misfit differs
        implied = tuple(h if e is None else e for h, e in zip(have, want)) if len(have) == len(want) else want
        raise KerasMigrateError(
            f"weight {w.name!r} has shape {_shown(have)}, the layer's input {_shown(shapes[0])} implies {_shown(implied)}",
            path=path or None,
            layer=layer.origin.name or layer.name,
            hint="the weights do not fit the architecture's input shapes, or the file is damaged",
        )


def check_input_weights(graph: Graph, path: str) -> None:
    """Refuse any weight whose size does not fit the static shape of the input its layer is
    called on (every call of a shared layer; nested models with their own input types).
    Only declared shapes are looked at: nothing is read."""
    types = input_types(graph)
    layers = {layer.name: layer for layer in graph.layers}
    for layer in graph.layers:
        if layer.subgraph is not None:
            check_input_weights(layer.subgraph, path)
    for node in graph.nodes:
        called = layers.get(node.layer)
        if called is not None and called.weights and called.type in INPUT_WEIGHT_RULES:
            _check_node(called, node, types, path)

