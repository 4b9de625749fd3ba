"""``RNN`` over a one-cell ``StackedRNNCells`` becomes ``RNN`` over the cell itself.

``RNN([LSTMCell(n)])`` in tf_keras (and standalone Keras 2.1+) wraps the list in a
``StackedRNNCells`` holding one cell. It computes exactly as its cell: the stack's state is
the cell's state list, its output the cell's output, its weights the cell's. Keras 3's
``StackedRNNCells`` with one cell fails under jax ("scan body function carry input and
carry output must have the same pytree structure"), so the IR holds the cell directly.

It runs after the weights are attached, because every container lays the weights out as
the *source* config says (a tf_keras ``.keras`` under ``cell/cells/lstm_cell/vars``, a
checkpoint by object path); only the IR names change (``cells/0/kernel`` -> ``kernel``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from keras_migrate.ir.graph import Graph, Layer

__all__ = ["unstack_single_cells"]

_STACK_PREFIX = "cells/0/"


def _lone_cell(rnn: Mapping[str, Any]) -> dict[str, Any] | None:
    """The one cell of an RNN config over a one-cell stack, else None."""
    cell = rnn.get("cell")
    if not isinstance(cell, Mapping) or cell.get("class_name") != "StackedRNNCells":
        return None
    cells = (cell.get("config") or {}).get("cells")
    return dict(cells[0]) if isinstance(cells, list) and len(cells) == 1 and isinstance(cells[0], Mapping) else None


def _rename(name: str, prefix: str) -> str:
    return prefix + name[len(prefix) + len(_STACK_PREFIX):] if name.startswith(prefix + _STACK_PREFIX) else name


def _unstack(layer: Layer) -> Layer:
    if layer.subgraph is not None:
        return replace(layer, subgraph=unstack_single_cells(layer.subgraph))
    config = dict(layer.config)
    prefixes: list[str] = []
    if layer.type == "RNN" and (cell := _lone_cell(config)) is not None:
        config["cell"] = cell
        prefixes.append("")
    elif layer.type == "Bidirectional":
        for key, prefix in (("layer", "forward_layer/"), ("backward_layer", "backward_layer/")):
            spec = config.get(key)
            if isinstance(spec, Mapping) and spec.get("class_name") == "RNN":
                inner = dict(spec.get("config") or {})
                if (cell := _lone_cell(inner)) is not None:
                    config[key] = {**spec, "config": {**inner, "cell": cell}}
                    prefixes.append(prefix)
        if config.get("backward_layer") is None and "forward_layer/" in prefixes:
            prefixes.append("backward_layer/")  # Keras builds the backward copy from "layer"
    if not prefixes:
        return layer
    weights = layer.weights
    for prefix in prefixes:
        weights = tuple(replace(w, name=_rename(w.name, prefix)) for w in weights)
    return replace(layer, config=config, weights=weights)


def unstack_single_cells(graph: Graph) -> Graph:
    """``graph`` with every one-cell stack (in RNN and Bidirectional(RNN)) replaced by its cell."""
    layers = tuple(_unstack(layer) for layer in graph.layers)
    if all(a is b for a, b in zip(layers, graph.layers, strict=True)):
        return graph
    return replace(graph, layers=layers)
