"""Fill in every value's shape and dtype by running the interpreter on a tiny batch.

Running the numpy kernels once on a batch of one yields exact output shapes for every
layer, so no per-layer shape rules are needed. When an input has unknown non-batch
dimensions (e.g. sequence length), a second run with another size tells which output
dimensions are dynamic. It reads every weight, so only passes that need shapes run it.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from keras_migrate.ir.graph import Graph, Model, TensorType
from keras_migrate.ir.passes._base import Pass, PassResult

__all__ = ["InferTypes", "infer_graph_types"]


def _probe(graph: Graph, batch: int, free: int) -> dict[str, np.ndarray]:
    from keras_migrate.ir.interpreter import run_graph

    arrays = []
    for name in graph.inputs:
        t = graph.values[name].type
        assert t is not None
        shape = [(batch if d is None else d) if i == 0 else (free if d is None else d) for i, d in enumerate(t.shape)]
        if t.dtype == "string":  # text whose token count follows the free size, so lengths show as dynamic
            arrays.append(np.full(shape, " ".join(["a"] * free), dtype=str))
        else:
            arrays.append(np.zeros(shape, dtype=t.dtype))
    result: dict[str, np.ndarray] = run_graph(graph, arrays, intermediates=True)
    return result


def infer_graph_types(graph: Graph) -> Graph:
    """Return ``graph`` with every value typed (inputs must be typed)."""
    if any(graph.values[n].type is None for n in graph.inputs):
        return graph
    first = _probe(graph, 1, 3)
    free_dims = any(d is None for n in graph.inputs for d in graph.values[n].type.shape[1:])  # type: ignore[union-attr]
    second = _probe(graph, 1, 4) if free_dims else first
    values = dict(graph.values)
    fixed_batch = [graph.values[n].type.shape[0] for n in graph.inputs]  # type: ignore[union-attr]
    batch_known = all(b is not None for b in fixed_batch)
    for name, v in values.items():
        if name not in first:
            continue
        a, b = np.asarray(first[name]), np.asarray(second[name])
        shape: list[int | None] = []
        for i, (da, db) in enumerate(zip(a.shape, b.shape)):
            if i == 0 and not batch_known:
                shape.append(None)
            else:
                shape.append(int(da) if da == db else None)
        dtype = "string" if a.dtype.kind in "USO" else str(a.dtype)
        values[name] = replace(v, type=TensorType(tuple(shape), dtype))
    layers = tuple(
        replace(lay, subgraph=infer_graph_types(lay.subgraph)) if lay.subgraph is not None else lay for lay in graph.layers
    )
    return replace(graph, values=values, layers=layers)


class InferTypes(Pass):
    name = "infer-types"

    def run(self, model: Model) -> PassResult:
        return PassResult(model.with_graph(infer_graph_types(model.graph)), True)
