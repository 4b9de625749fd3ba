"""Nested models (``Functional``/``Sequential`` layers): inlined at every call.

The inner graph is emitted in place with the outer call's tensors (and masks) as its
inputs; its nodes are named ``<outer node>/<inner node>`` and its weights
``<nested layer>/<inner layer>/<weight>``, so a nested model called twice shares one set
of initializers.
"""

from __future__ import annotations

from keras_migrate.converters.onnx.emit import emit_graph, flat_tensors
from keras_migrate.converters.onnx.registry import Call, lowering
from keras_migrate.converters.onnx.tensors import Tensor

__all__: list[str] = []


@lowering("Functional", "Sequential", "Model", uses_mask=True)
def _nested_model(c: Call) -> list[Tensor]:
    graph = c.layer.subgraph
    if graph is None:
        raise c.unsupported(f"{c.layer.type} layer without a subgraph")
    inputs = flat_tensors(c.args[0] if len(c.args) == 1 else list(c.args))
    if len(inputs) != len(graph.inputs):
        raise c.unsupported(f"nested model takes {len(graph.inputs)} inputs, got {len(inputs)}")
    explicit = c.kwargs.get("mask")
    if explicit is not None:
        masks = [t.name if isinstance(t, Tensor) else None for t in (explicit if isinstance(explicit, (list, tuple)) else [explicit])]
        inputs = [Tensor(t.name, t.type, m) for t, m in zip(inputs, masks + [None] * len(inputs))]
    outs = emit_graph(c.b, graph, inputs, prefix=f"{c.b.scope}/", path_prefix=f"{c.path}/")
    return [Tensor(t.name, t.type, t.mask) for t in outs]
