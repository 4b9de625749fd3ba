"""The IR walk: every node of a graph, in order, through its registered lowering.

Tensors keep Keras' layout (channels_last for Keras' default) between layers; node
outputs take the IR value's name when it is free, so an ONNX graph reads like the model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from keras_migrate.converters.onnx.builder import Builder, OpNode
from keras_migrate.converters.onnx.registry import Call, lower_call
from keras_migrate.converters.onnx.tensors import Tensor
from keras_migrate.errors import UnsupportedError
from keras_migrate.ir.graph import Graph, ValueRef, flatten_structure, map_structure

__all__ = ["emit_graph", "flat_tensors"]


def emit_graph(
    b: Builder,
    graph: Graph,
    inputs: Sequence[Tensor],
    *,
    prefix: str = "",
    path_prefix: str = "",
) -> list[Tensor]:
    """Emit every node of ``graph`` into ``b``; returns the graph's flat outputs.

    ``prefix`` names nodes and values of an inlined nested model (``outer_node/``);
    ``path_prefix`` names its weights (``outer_layer/``), shared by every call.
    """
    env: dict[str, Tensor] = dict(zip(graph.inputs, inputs, strict=True))
    layers = {layer.name: layer for layer in graph.layers}
    # Tensor names already bound to an IR value: a lowering that returns one of them (an
    # inference identity such as Dropout) made no fresh tensor, so it must not be renamed.
    bound = {t.name for t in inputs}
    uses = _Uses()
    for node in graph.nodes:
        layer = layers[node.layer]
        args = _resolve(node.args, env)
        kwargs = _resolve(dict(node.kwargs), env)
        out_types = [graph.values[n].type if n in graph.values else None for n in node.outputs]
        call = Call(b.with_scope(prefix + node.name), layer, tuple(args), dict(kwargs), out_types, path_prefix + layer.name)
        outs = lower_call(call)
        if len(outs) != len(node.outputs):
            raise UnsupportedError(
                f"ONNX lowering of {layer.type} made {len(outs)} outputs, the node has {len(node.outputs)}",
                layer=layer.name,
            )
        for value_name, t in zip(node.outputs, outs, strict=True):
            out = Tensor(t.name, t.type, t.mask)
            if t.name not in bound:
                _rename_output(b, t.name, prefix + value_name, out, uses)
            env[value_name] = out
            bound.add(out.name)
    return [env[n] for n in graph.outputs]


def _rename_output(b: Builder, current: str, wanted: str, tensor: Tensor, uses: _Uses) -> None:
    """Give a node's output the IR value's name when the tensor is fresh and the name free."""
    if wanted in b.names.used:
        return
    for node in reversed(b.nodes):
        if current in node.outputs:
            if uses.consumed(b, current) or current in b.root.initializers:
                return
            node.outputs[node.outputs.index(current)] = wanted
            b.names.used.add(wanted)
            tensor.name = wanted
            return


class _Uses:
    """The names some node of ``b.nodes`` takes as input, indexed as the list grows.

    While a graph is emitted its node list only grows (the peephole pass, which rewrites
    inputs, runs afterwards), so each node is indexed once instead of every node being
    scanned for every output renamed (quadratic: ~30 000 membership tests on ResNet50).
    A different or shorter list than the one indexed starts the index over.
    """

    __slots__ = ("names", "nodes", "seen")

    def __init__(self) -> None:
        self.nodes: list[OpNode] | None = None
        self.seen = 0
        self.names: set[str] = set()

    def consumed(self, b: Builder, name: str) -> bool:
        if b.nodes is not self.nodes or len(b.nodes) < self.seen:
            self.nodes, self.seen, self.names = b.nodes, 0, set()
        for node in b.nodes[self.seen :]:
            self.names.update(node.inputs)
        self.seen = len(b.nodes)
        return name in self.names


def _resolve(structure: Any, env: Mapping[str, Tensor]) -> Any:
    return map_structure(lambda x: env[x.name] if isinstance(x, ValueRef) else x, structure)


def flat_tensors(structure: Any) -> list[Tensor]:
    """The tensors of a nested argument structure, in order."""
    return [t for t in flatten_structure(structure) if isinstance(t, Tensor)]
