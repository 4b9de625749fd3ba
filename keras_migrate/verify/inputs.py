"""Test inputs for verification: random but valid for each model input.

Floats are standard normal; integer inputs feeding an Embedding stay below its vocabulary
size (so every index is valid), with some zeros so masking paths are exercised.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from keras_migrate.errors import KerasMigrateError
from keras_migrate.ir.graph import Graph, Model

__all__ = ["load_inputs", "make_inputs"]


def _vocab(graph: Graph, value: str) -> int | None:
    sizes = []
    for node in graph.consumers(value):
        layer = graph.layer(node.layer)
        if layer.type == "Embedding":
            sizes.append(int(layer.config["input_dim"]))
        elif layer.subgraph is not None:
            idx = node.inputs.index(value)
            inner = layer.subgraph.inputs[idx] if idx < len(layer.subgraph.inputs) else None
            if inner is not None:
                v = _vocab(layer.subgraph, inner)
                if v:
                    sizes.append(v)
    return min(sizes) if sizes else None


def make_inputs(
    model: Model, *, batch_size: int = 2, seed: int = 0, time_steps: int = 5, spatial: int = 64
) -> list[np.ndarray]:
    """One array per model input (flat order), shapes from the IR with ``None`` filled in.

    Unknown sizes become ``time_steps`` in sequences (rank 3) and ``spatial`` in images and
    volumes (rank 4+), large enough for the strided downsampling of typical convnets.
    """
    rng = np.random.default_rng(seed)
    graph = model.graph
    out = []
    for name in graph.inputs:
        t = graph.values[name].type
        if t is None:
            raise KerasMigrateError(f"input {name!r} has no known shape", hint="pass --inputs FILE.npz")
        free = time_steps if t.rank <= 3 else spatial
        shape = [batch_size if (i == 0 and d is None) else (free if d is None else int(d)) for i, d in enumerate(t.shape)]
        dtype = np.dtype(t.dtype if t.dtype != "bool" else "bool")
        if dtype.kind in "iu":
            vocab = _vocab(graph, name) or 2
            arr = rng.integers(0, vocab, size=shape).astype(dtype)
        elif dtype.kind == "b":
            arr = rng.random(shape) > 0.5
        else:
            arr = rng.standard_normal(shape).astype(dtype if dtype.kind == "f" else np.float32)
        out.append(arr)
    return out


def load_inputs(model: Model, path: str) -> list[np.ndarray]:
    """Inputs from an ``.npz``: keys ``input_0``... in order, or the model's input names."""
    if not os.path.exists(path):
        raise KerasMigrateError("inputs file not found", path=path)
    with np.load(path) as data:
        names = model.graph.inputs
        if all(f"input_{i}" in data for i in range(len(names))):
            return [data[f"input_{i}"] for i in range(len(names))]
        if all(n in data for n in names):
            return [data[n] for n in names]
        raise KerasMigrateError(
            f"inputs file has keys {sorted(data)}; expected input_0..input_{len(names) - 1} or {list(names)}",
            path=path,
        )


def as_structure(model: Model, arrays: list[np.ndarray]) -> Any:
    """Arrange flat inputs like the model's input structure."""
    from keras_migrate.ir.graph import map_structure

    lookup = dict(zip(model.graph.inputs, arrays))
    return map_structure(lambda n: lookup[n], model.graph.input_structure)
