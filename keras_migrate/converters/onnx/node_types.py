"""Every value's type for the ONNX emitter, node by node, never from a whole-model probe.

ONNX needs each value's rank and static dims. A layer with a rule in :mod:`.shapes` is
typed from its config; a nested model is typed by walking its own graph with the call's
input types; any other layer runs alone, on zeros of its own input types
(:func:`~keras_migrate.ir.passes.infer_types.probe_node_types`). Probing the whole model
instead would feed *every* layer inputs of one probe length, and a model that cannot take
that length (a ``Cropping1D((5000, 5000))`` on a free-length sequence) could not be
exported although its ``.keras`` and ``.py`` forms are fine.
"""

from __future__ import annotations

from dataclasses import replace

from keras_migrate.errors import UnsupportedError
from keras_migrate.ir.graph import Graph, Layer, Node, TensorType
from keras_migrate.ir.passes.infer_types import probe_node_types
from keras_migrate.ir.shapes import rule_type

__all__ = ["graph_types"]


def _nested(layer: Layer, node: Node, types: dict[str, TensorType]) -> tuple[Layer, tuple[TensorType, ...]] | None:
    """The nested model typed with this call's inputs, and its output types (None: not nested)."""
    sub = layer.subgraph
    if sub is None:
        return None
    if node.kwargs or len(node.inputs) != len(sub.inputs) or len(node.outputs) != len(sub.outputs):
        return None
    values = dict(sub.values)
    for outer, inner in zip(node.inputs, sub.inputs, strict=True):
        values[inner] = replace(values[inner], type=types[outer])
    typed = graph_types(replace(sub, values=values))
    outs = tuple(typed.values[n].type for n in typed.outputs)
    if any(t is None for t in outs):
        return None
    return replace(layer, subgraph=typed), outs  # type: ignore[return-value]


def graph_types(graph: Graph) -> Graph:
    """``graph`` (inputs typed) with every value and every nested model's values typed."""
    untyped = [n for n in graph.inputs if graph.values[n].type is None]
    if untyped:
        raise UnsupportedError(f"model input {untyped[0]!r} has no known shape; ONNX needs its rank")
    types: dict[str, TensorType] = {n: graph.values[n].type for n in graph.inputs}  # type: ignore[misc]
    layers = {layer.name: layer for layer in graph.layers}
    typed_layers: dict[str, Layer] = {}
    for node in graph.nodes:
        layer = layers[node.layer]
        one = rule_type(layer, node, types)
        if one is not None:
            types[node.outputs[0]] = one
            continue
        nested = _nested(layer, node, types) if layer.subgraph is not None else None
        if nested is not None:
            typed_layers.setdefault(layer.name, nested[0])
            outs = nested[1]
        else:
            outs = probe_node_types(layer, node, types)
            sub = layer.subgraph
            if sub is not None and layer.name not in typed_layers and all(sub.values[n].type is not None for n in sub.inputs):
                # called in a way the walk does not follow (masks, ...): its own declared inputs
                typed_layers[layer.name] = replace(layer, subgraph=graph_types(sub))
        types.update(zip(node.outputs, outs, strict=True))
    values = {name: replace(v, type=types[name]) if name in types else v for name, v in graph.values.items()}
    new_layers = tuple(typed_layers.get(layer.name, layer) for layer in graph.layers)
    return replace(graph, values=values, layers=new_layers)
