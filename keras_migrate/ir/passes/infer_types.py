"""Fill in every value's shape and dtype by running the interpreter on a tiny batch.

Running the numpy kernels once on a batch of one yields exact output shapes for every
layer, so no per-layer shape rules are needed. When an input has unknown non-batch
dimensions (e.g. sequence length), a second run with another size tells which output
dimensions are dynamic. It reads every weight, so only passes that need shapes run it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import numpy as np

from keras_migrate.errors import UnsupportedError
from keras_migrate.ir.graph import Graph, Layer, Model, Node, TensorType, Value
from keras_migrate.ir.passes._base import Pass, PassResult

__all__ = ["NODE_PROBE_SIZES", "InferTypes", "infer_graph_types", "probe_node_types"]


def _zeros(t: TensorType, batch: int, free: int) -> np.ndarray:
    shape = [(batch if d is None else d) if i == 0 else (free if d is None else d) for i, d in enumerate(t.shape)]
    if t.dtype == "string":  # text whose token count follows the free size, so lengths show as dynamic
        return np.full(shape, " ".join(["a"] * free), dtype=str)
    return np.zeros(shape, dtype=t.dtype)


def _probe(graph: Graph, batch: int, free: int) -> dict[str, np.ndarray]:
    from keras_migrate.ir.interpreter import run_graph

    arrays = []
    for name in graph.inputs:
        t = graph.values[name].type
        assert t is not None
        arrays.append(_zeros(t, batch, free))
    result: dict[str, np.ndarray] = run_graph(graph, arrays, intermediates=True)
    return result


def _dynamic(first: np.ndarray, second: np.ndarray, batch_known: bool) -> TensorType:
    a, b = np.asarray(first), np.asarray(second)
    shape = tuple(None if (i == 0 and not batch_known) or da != db else int(da) for i, (da, db) in enumerate(zip(a.shape, b.shape)))
    return TensorType(shape, "string" if a.dtype.kind in "USO" else str(a.dtype))


#: Free-dimension sizes a lone node is probed with, pair after pair until one runs: the two
#: sizes of a pair differ by more than any stride a layer takes, so a dynamic output
#: dimension never comes out equal by rounding; larger pairs only for a layer that
#: refuses short inputs (a wide crop or kernel).
NODE_PROBE_SIZES: tuple[tuple[int, int], ...] = ((5, 11), (67, 135), (1031, 2063), (16411, 32823))


def probe_node_types(layer: Layer, node: Node, types: Mapping[str, TensorType]) -> tuple[TensorType, ...]:
    """The types of ``node``'s outputs, from running ``layer`` alone on zeros of its input types.

    Unlike a whole-model probe, the node sees inputs of exactly its types (fixed dims as
    they are; free ones at the probe sizes), so no other layer's minimum input length
    matters, and a layer that needs long inputs is retried at :data:`NODE_PROBE_SIZES`.
    """
    from keras_migrate.ir.interpreter import run_graph

    names = tuple(dict.fromkeys(node.inputs))
    missing = [n for n in names if n not in types]
    if missing:
        raise UnsupportedError(f"input {missing[0]!r} has no known type", layer=layer.name)
    values = {n: Value(n, types[n]) for n in names}
    values.update({n: Value(n, None, node.name, i) for i, n in enumerate(node.outputs)})
    lone = Graph(f"{layer.name}/probe", (layer,), (node,), values, list(names), list(node.outputs))
    batch_known = all(types[n].shape[:1] != (None,) for n in names)
    batch = next((types[n].shape[0] for n in names if types[n].shape[:1] != (None,)), 1) or 1
    free = any(d is None for n in names for d in types[n].shape[1:])
    failure: UnsupportedError | None = None
    for small, large in NODE_PROBE_SIZES:
        try:
            with np.errstate(all="ignore"):  # zeros: log(0) and the like are fine here
                first = run_graph(lone, [_zeros(types[n], batch, small) for n in names], intermediates=True)
                second = run_graph(lone, [_zeros(types[n], batch, large) for n in names], intermediates=True)
        except UnsupportedError as exc:
            if not free:
                raise
            failure = exc
            continue
        if free and any(0 in np.shape(run[n])[1:] for run in (first, second) for n in node.outputs):
            # numpy slices past the end without complaint: an empty output means "too short"
            failure = UnsupportedError(f"empty output on inputs {small} long", layer=layer.name)
            continue
        return tuple(_dynamic(first[n], second[n], batch_known) for n in node.outputs)
    assert failure is not None
    raise failure


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
