"""Test inputs for verification: random but valid for each model input.

Floats are standard normal; integer inputs feeding an Embedding stay below its vocabulary
size (so every index is valid), with some zeros so masking paths are exercised. Inputs of
vocabulary layers (StringLookup, IntegerLookup, TextVectorization) draw from the layer's
vocabulary plus values outside it and the mask token; CategoryEncoding inputs stay below
``num_tokens``; other string inputs are short words.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from keras_migrate.errors import KerasMigrateError
from keras_migrate.ir.graph import Graph, Model
from keras_migrate.ir.specs import LOOKUP_TYPES

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


#: Strings beyond any vocabulary: an unknown word, the empty string (the mask token of
#: TextVectorization), punctuation and case that TextVectorization's standardization removes.
_EXTRA_STRINGS = ("zzz-unknown", "", "Hello, World!")


def _pool(graph: Graph, value: str) -> list[object]:
    """Values worth feeding to ``value``: the vocabularies of the lookup layers reading it."""
    pool: list[object] = []
    for node in graph.consumers(value):
        layer = graph.layer(node.layer)
        vocabulary = layer.config.get("vocabulary")
        if layer.type in LOOKUP_TYPES and isinstance(vocabulary, list):
            pool += vocabulary
            if layer.config.get("mask_token") is not None:
                pool.append(layer.config["mask_token"])
        elif layer.type == "CategoryEncoding":
            pool += list(range(int(layer.config["num_tokens"])))
    return pool


def _strings(rng: np.random.Generator, shape: list[int], pool: list[object], sentences: bool) -> np.ndarray:
    words = [str(w) for w in pool] + list(_EXTRA_STRINGS)
    if not sentences:
        return np.asarray(rng.choice(np.asarray(words, dtype=str), size=shape), dtype=str)
    flat = [" ".join(rng.choice(words, size=int(rng.integers(0, 7)))) for _ in range(int(np.prod(shape)))]
    return np.asarray(flat, dtype=str).reshape(shape)


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
        if t.dtype == "string":
            consumers = {graph.layer(n.layer).type for n in graph.consumers(name)}
            out.append(_strings(rng, shape, _pool(graph, name), "TextVectorization" in consumers))
            continue
        dtype = np.dtype(t.dtype if t.dtype != "bool" else "bool")
        pool = _pool(graph, name) if dtype.kind in "iu" else []
        if pool:
            layers = [graph.layer(n.layer) for n in graph.consumers(name)]
            strict = any(lay.type == "CategoryEncoding" or lay.config.get("num_oov_indices") == 0 for lay in layers)
            extra = [] if strict else [-1, 0, 10**6]  # out-of-vocabulary values, unless they are errors
            arr = rng.choice(np.asarray([*pool, *extra], dtype=np.int64), size=shape).astype(dtype)
        elif dtype.kind in "iu":
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
