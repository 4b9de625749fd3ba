"""Make channels_first models compute in channels_last, keeping their I/O layout.

TensorFlow on CPU cannot run channels_first convolutions, so a channels_first model
converted as it is fails there. This pass rewrites such a graph to compute in
channels_last: every channels_first spatial layer switches its ``data_format``, values
between them stay channels_last, and a transpose (a ``Permute`` layer) is inserted only
where a tensor must return to its original layout: before a layer that depends on axis
order, and at the model outputs (unless ``keep_io=False``, which makes inputs and outputs
channels_last too). Layers that only map elements or take an ``axis`` follow along with
their axis remapped. A ``Dense`` fed by a ``Flatten`` of a (formerly) channels_first tensor
gets its kernel rows permuted instead of a transpose. Convolution kernels need no change:
Keras stores them in the same layout for both data formats.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from keras_migrate.ir.graph import Graph, Layer, Model, Node, ValueRef, map_structure
from keras_migrate.ir.passes._base import Pass, PassResult
from keras_migrate.ir.passes.infer_types import infer_graph_types
from keras_migrate.ir.rewrite import Rewriter
from keras_migrate.ir.weights import Take

__all__ = ["ChannelsLast", "IOLayout", "channels_last_io", "to_channels_last"]

#: Layers with a ``data_format`` that compute on spatial tensors with channels on axis 1.
_SPATIAL = frozenset(
    {
        "Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose",
        "SeparableConv1D", "SeparableConv2D", "DepthwiseConv1D", "DepthwiseConv2D",
        "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D", "AveragePooling2D",
        "AveragePooling3D", "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D", "Cropping1D", "Cropping2D",
        "Cropping3D", "UpSampling1D", "UpSampling2D", "UpSampling3D", "SpatialDropout1D", "SpatialDropout2D",
        "SpatialDropout3D",
    }
)  # fmt: skip
#: Same, but the output has no spatial axes left (channels only).
_GLOBAL = frozenset(
    {
        "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D", "GlobalAveragePooling1D",
        "GlobalAveragePooling2D", "GlobalAveragePooling3D",
    }
)  # fmt: skip
#: Elementwise layers: any layout passes through unchanged.
_ELEMENTWISE = frozenset(
    {
        "Activation", "Dropout", "GaussianNoise", "GaussianDropout", "AlphaDropout", "ActivityRegularization",
        "ReLU", "ELU", "LeakyReLU", "keras_migrate>ThresholdedReLU", "Identity", "Add", "Subtract", "Multiply",
        "Average", "Maximum", "Minimum",
    }
)  # fmt: skip
#: Layers with an ``axis`` argument that follows the layout.
_AXIS = frozenset({"BatchNormalization", "Concatenate", "Softmax", "LayerNormalization"})

# 1D layers take channels_first data too, but TensorFlow runs those fine; only move them
# when they sit inside a channels_first run anyway.


@dataclass(frozen=True, slots=True)
class IOLayout:
    """How ``--channels-last`` re-laid out a model's interface, so a verification can feed
    the converted model the source's inputs and compare its outputs with the source's.

    ``inputs``: input name -> the axes permutation taking the source's array to the
    converted model's (``np.transpose(x, perm)``). ``outputs``: per flat output position,
    the permutation taking the source's output to the converted one's, or None if unchanged.
    """

    inputs: Mapping[str, tuple[int, ...]]
    outputs: tuple[tuple[int, ...] | None, ...]

    @property
    def changed(self) -> bool:
        return bool(self.inputs) or any(p is not None for p in self.outputs)


@dataclass(frozen=True, slots=True)
class _Tag:
    """Layout of a value relative to the source: ``moved`` = original channel axis now last."""

    moved: int | None = None


def _perm_to_last(rank: int, c: int) -> tuple[int, ...]:
    return tuple([i for i in range(rank) if i != c] + [c])


def _perm_to_original(rank: int, c: int) -> tuple[int, ...]:
    fwd = _perm_to_last(rank, c)
    inv = [0] * rank
    for i, p in enumerate(fwd):
        inv[p] = i
    return tuple(inv)


def _new_axis(axis: int, rank: int, c: int) -> int:
    a = axis % rank
    if a == c:
        return rank - 1
    return a - 1 if a > c else a


def _is_cf(layer: Layer) -> bool:
    return layer.config.get("data_format") == "channels_first"


def needs_pass(graph: Graph) -> bool:
    for _, layer in graph.walk_layers():
        if (layer.type in _SPATIAL or layer.type in _GLOBAL) and _is_cf(layer):
            return True
    return False


class _ToChannelsLast:
    """One graph's rewrite; ``tags`` says where each old value's channels now are."""

    def __init__(self, graph: Graph, keep_io: bool) -> None:
        self.g = graph
        self.keep_io = keep_io
        self.rw = Rewriter(graph)
        self.tags: dict[str, _Tag] = {}
        self.notes: list[str] = []
        #: Interface values whose layout changed (``keep_io=False``): see :class:`IOLayout`.
        self.moved_inputs: dict[str, tuple[int, ...]] = {}
        self.moved_outputs: list[tuple[int, ...] | None] = []
        self.dense_rows: dict[str, tuple[int, ...]] = {}

    def rank(self, value: str) -> int:
        t = self.g.values[value].type
        assert t is not None, f"value {value} has no type"
        return t.rank

    def _bind(self, value: str, ref: ValueRef, tag: _Tag) -> None:
        self.rw.bind(value, ref)
        self.tags[value] = tag

    def _permute(self, ref: ValueRef, perm: tuple[int, ...], base: str) -> ValueRef:
        return self.rw.insert(base, "Permute", {"dims": [p for p in perm[1:]]}, (ref,))

    def as_is(self, value: str) -> ValueRef:
        ref, tag = self.rw.ref(value), self.tags[value]
        if tag.moved is None:
            return ref
        r = self.rank(value)
        back = self._permute(ref, _perm_to_original(r, tag.moved), f"{value}_to_channels_first")
        self._bind(value, back, _Tag())
        return back

    def moved(self, value: str, c: int = 1) -> ValueRef:
        ref, tag = self.rw.ref(value), self.tags[value]
        if tag.moved == c:
            return ref
        if tag.moved is not None:
            ref = self.as_is(value)
        r = self.rank(value)
        new = self._permute(ref, _perm_to_last(r, c), f"{value}_to_channels_last")
        self._bind(value, new, _Tag(c))
        return new

    def run(self) -> Graph:
        g = self.g
        cf_consumers = {n.inputs[0] for n in g.nodes if n.inputs and self._cf_spatial(g.layer(n.layer))}
        for name in g.inputs:
            t = g.values[name].type
            if not self.keep_io and name in cf_consumers and t is not None and t.rank >= 3:
                perm = _perm_to_last(t.rank, 1)
                new_t = replace(t, shape=tuple(t.shape[p] for p in perm))
                self.tags[name] = _Tag(1)
                self.moved_inputs[name] = perm
                self.rw.input(name, new_t)
                self.notes.append(f"input {name!r} is now channels_last {list(new_t.shape)}")
            else:
                self.tags[name] = _Tag()
                self.rw.input(name)
        for node in g.nodes:
            self._node(node)

        def out(name: str) -> str:
            if self.keep_io:
                return self.as_is(name).name
            moved = self.tags[name].moved
            if moved is not None:
                self.notes.append(f"output {name!r} is now channels_last")
            self.moved_outputs.append(None if moved is None else _perm_to_last(self.rank(name), moved))
            return self.rw.ref(name).name

        graph = self.rw.build(map_structure(out, g.output_structure))
        if self.dense_rows:
            graph = replace(
                graph,
                layers=tuple(
                    lay.with_weights(tuple(w.then(Take(self.dense_rows[lay.name], 0)) if w.name == "kernel" else w for w in lay.weights))
                    if lay.name in self.dense_rows
                    else lay
                    for lay in graph.layers
                ),
            )
        return graph

    def _cf_spatial(self, layer: Layer) -> bool:
        return (layer.type in _SPATIAL or layer.type in _GLOBAL) and _is_cf(layer)

    def _node(self, node: Node) -> None:
        layer = self.g.layer(node.layer)
        first = node.inputs[0] if node.inputs else None
        single = len(node.args) == 1 and isinstance(node.args[0], ValueRef) and not node.kwargs
        new_layer = layer
        out_tag = _Tag()
        if self._cf_spatial(layer) and single and first is not None:
            args: tuple[Any, ...] = (self.moved(first),)
            new_layer = layer.with_config(data_format="channels_last")
            out_tag = _Tag(None) if layer.type in _GLOBAL and not layer.config.get("keepdims") else _Tag(1)
        elif layer.type in _ELEMENTWISE and node.inputs and not node.kwargs:
            tags = {self.tags[v].moved for v in node.inputs}
            if tags == {None} or len(node.inputs) == 0:
                args = self._args(node, self.as_is)
            else:
                c = next(t for t in tags if t is not None)
                ranks = {self.rank(v) for v in node.inputs}
                if len(ranks) == 1:
                    args = self._args(node, lambda v: self.moved(v, c))
                    out_tag = _Tag(c)
                else:
                    args = self._args(node, self.as_is)
        elif layer.type in _AXIS and node.inputs and not node.kwargs and self.tags[node.inputs[0]].moved is not None:
            moved_axis = self.tags[node.inputs[0]].moved
            assert moved_axis is not None
            c = moved_axis
            r = self.rank(node.inputs[0])
            args = self._args(node, lambda v: self.moved(v, c))
            axis = layer.config.get("axis", -1)
            if isinstance(axis, list):
                new_axis: Any = [_new_axis(a, r, c) for a in axis]
            else:
                new_axis = _new_axis(int(axis), r, c)
            new_layer = layer.with_config(axis=new_axis)
            out_tag = _Tag(c)
        elif layer.type == "Flatten" and single and first is not None and self.tags[first].moved is not None:
            args, new_layer = self._flatten(node, layer, first)
        else:
            args = self._args(node, self.as_is)
        self.rw.declare(new_layer)
        kwargs = self.rw.remap(dict(node.kwargs), self.as_is)
        self.rw.replay(node, layer=new_layer, args=args, kwargs=kwargs)
        for o in node.outputs:
            self.tags[o] = out_tag

    def _args(self, node: Node, fix: Callable[[str], ValueRef]) -> tuple[Any, ...]:
        return tuple(self.rw.remap(a, fix) for a in node.args)

    def _flatten(self, node: Node, layer: Layer, first: str) -> tuple[tuple[Any, ...], Layer]:
        c = self.tags[first].moved
        assert c is not None
        if layer.config.get("data_format") == "channels_first":
            # Flatten(channels_first) moves channels last before flattening: same result.
            return (self.rw.ref(first),), layer.with_config(data_format="channels_last")
        consumers = self.g.consumers(node.outputs[0])
        dense_only = consumers and all(
            self.g.layer(n.layer).type == "Dense"
            and len(self.g.nodes_of(n.layer)) == 1
            and n.args == (ValueRef(node.outputs[0]),)
            for n in consumers
        ) and node.outputs[0] not in self.g.outputs
        if not dense_only:
            return (self.as_is(first),), layer
        t = self.g.values[first].type
        assert t is not None
        shape = tuple(int(d or 0) for d in t.shape[1:])  # original layout, no batch
        old_index = np.arange(int(np.prod(shape))).reshape(shape)
        moved_shape_perm = [a - 1 for a in _perm_to_last(len(shape) + 1, c)[1:]]
        rows = tuple(int(i) for i in np.transpose(old_index, moved_shape_perm).reshape(-1))
        for n in consumers:
            self.dense_rows[n.layer] = rows
        return (self.rw.ref(first),), layer


def to_channels_last(graph: Graph, *, keep_io: bool = True) -> tuple[Graph, list[str]]:
    """Rewrite ``graph`` (and nested models, keeping their interfaces) to compute channels_last."""
    notes: list[str] = []
    layers = []
    changed = False
    for layer in graph.layers:
        if layer.subgraph is not None and needs_pass(layer.subgraph):
            sub, sub_notes = to_channels_last(layer.subgraph, keep_io=True)
            layers.append(replace(layer, subgraph=sub))
            notes += sub_notes
            changed = True
        else:
            layers.append(layer)
    if changed:
        graph = replace(graph, layers=tuple(layers))
    if not any(((lay.type in _SPATIAL or lay.type in _GLOBAL) and _is_cf(lay)) for lay in graph.layers):
        return graph, notes
    typed = infer_graph_types(graph)
    rw = _ToChannelsLast(typed, keep_io)
    new = rw.run()
    return new, notes + rw.notes


def channels_last_io(graph: Graph) -> IOLayout:
    """The interface changes ``ChannelsLast(keep_io=False)`` makes to ``graph`` (the same
    rewrite, run for its record; weights stay lazy, so this reads none)."""
    flat = len(graph.outputs)
    if not any(((lay.type in _SPATIAL or lay.type in _GLOBAL) and _is_cf(lay)) for lay in graph.layers):
        return IOLayout({}, (None,) * flat)
    rw = _ToChannelsLast(infer_graph_types(graph), keep_io=False)
    rw.run()
    return IOLayout(dict(rw.moved_inputs), tuple(rw.moved_outputs))


class ChannelsLast(Pass):
    """See the module docstring. ``keep_io=False`` is the CLI's ``--channels-last``."""

    name = "channels-last"

    def __init__(self, keep_io: bool = True) -> None:
        self.keep_io = keep_io

    def run(self, model: Model) -> PassResult:
        if not needs_pass(model.graph):
            return PassResult(model, False)
        graph, notes = to_channels_last(model.graph, keep_io=self.keep_io)
        prov = model.provenance.with_note("computes in channels_last inside (channels_first input/output layout kept)" if self.keep_io else "converted to channels_last, including inputs and outputs")
        for n in notes:
            prov = prov.with_note(n)
        return PassResult(replace(model, graph=graph, provenance=prov), True)


