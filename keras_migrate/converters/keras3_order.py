"""The order in which Keras 3 lists a functional model's layers, computed from the IR.

Keras 3 names each layer's weights group after its position among same-class layers
(``dense``, ``dense_1``...) in ``model.layers`` order, and that order comes from a depth-first
walk of the graph from its outputs, then a sort by depth. A writer that streams weights
without building the model must reproduce that order exactly; this module does so from the
graph structure alone (Keras 3.x ``ops/function.py`` ``map_graph``).
"""

from __future__ import annotations

from typing import Any

from keras_migrate.ir.graph import Graph, ValueRef, map_structure

__all__ = ["keras_layer_order"]


def _flat_refs(structure: Any) -> list[str]:
    """Tensors of a node's arguments in Keras' flatten order (dict keys sorted)."""
    out: list[str] = []

    def visit(x: Any) -> None:
        if isinstance(x, ValueRef):
            out.append(x.name)
        elif isinstance(x, (list, tuple)):
            for item in x:
                visit(item)
        elif isinstance(x, dict):
            for k in sorted(x):
                visit(x[k])

    visit(structure)
    return out


def keras_layer_order(graph: Graph) -> list[str]:
    """Names of the layers (input values count as InputLayers) in Keras 3 ``model.layers`` order."""
    inputs = set(graph.inputs)
    nodes = {n.name: n for n in graph.nodes}
    producer = {v.name: v.producer for v in graph.values.values()}

    def node_inputs(node_key: str) -> list[str]:
        if node_key in inputs:  # an InputLayer's node
            return []
        n = nodes[node_key]
        return _flat_refs((n.args, dict(n.kwargs)))

    def node_key_of(value: str) -> str:
        if value in inputs:
            return value
        p = producer[value]
        assert p is not None
        return p

    def op_of(node_key: str) -> str:
        return node_key if node_key in inputs else nodes[node_key].layer

    finished: set[str] = set()
    ordered: list[str] = []
    op_index: dict[str, int] = {}

    def visit(value: str) -> None:
        key = node_key_of(value)
        if key in finished:
            return
        op = op_of(key)
        op_index.setdefault(op, len(op_index))
        for v in node_inputs(key):
            visit(v)
        finished.add(key)
        ordered.append(key)

    for out in _flat_refs(map_structure(ValueRef, graph.output_structure)):
        visit(out)

    node_depth: dict[str, int] = {}
    op_depth: dict[str, int] = {}
    for key in reversed(ordered):
        depth = node_depth.setdefault(key, 0)
        op = op_of(key)
        depth = max(depth, op_depth.get(op, 0))
        op_depth[op] = depth
        node_depth[key] = depth
        for v in node_inputs(key):
            parent = node_key_of(v)
            node_depth[parent] = max(depth + 1, node_depth.get(parent, 0))
    for name in graph.inputs:
        if name not in op_depth:
            op_depth[name] = 0
            op_index[name] = -1

    by_depth: dict[int, list[str]] = {}
    for op, d in op_depth.items():
        by_depth.setdefault(d, []).append(op)
    order: list[str] = []
    for d in sorted(by_depth, reverse=True):
        order += sorted(by_depth[d], key=lambda o: op_index[o])
    return order
