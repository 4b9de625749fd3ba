"""A one-line-per-node text form of the IR, for ``inspect``, reviews and golden tests.

Layers print once (type, arguments, weight shapes and where each weight lives); the graph
then prints one numbered line per call, so a shared layer shows as one ``@layer`` used by
several lines, and a nested model prints its own indented graph.
"""

from __future__ import annotations

import json
from typing import Any

from keras_migrate.ir.graph import Graph, Layer, Model, ValueRef, map_structure

__all__ = ["format_graph", "format_layer", "format_model"]


def _value(x: Any) -> str:
    if isinstance(x, ValueRef):
        return f"%{x.name}"
    if isinstance(x, list):
        return "[" + ", ".join(_value(v) for v in x) + "]"
    if isinstance(x, tuple):
        return "(" + ", ".join(_value(v) for v in x) + ")"
    if isinstance(x, dict):
        return "{" + ", ".join(f"{k}: {_value(v)}" for k, v in x.items()) + "}"
    return json.dumps(x)


def _short(value: Any) -> str:
    if isinstance(value, dict) and isinstance(value.get("class_name"), str) and set(value) <= {"class_name", "config"}:
        # Serialized initializers/regularizers/constraints: the class name says enough.
        return value["class_name"]
    text = json.dumps(value, separators=(",", ":"), default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def format_layer(layer: Layer) -> str:
    """``@name = Type{arg=value, ...}  weights{kernel: float32[3,4] h5:..., ...}``"""
    args = ", ".join(f"{k}={_short(v)}" for k, v in layer.config.items() if v is not None)
    line = f"@{layer.name} = {layer.type}{{{args}}}"
    if not layer.trainable:
        line += " frozen"
    if layer.weights:
        ws = ", ".join(
            f"{w.name}: {w.dtype}[{','.join(str(d) for d in w.shape)}] {w.source.describe()}"
            + (f" +{len(w.transforms)} transforms" if w.transforms else "")
            for w in layer.weights
        )
        line += f"  weights{{{ws}}}"
    if layer.origin.class_name and layer.origin.class_name != layer.type:
        line += f"  # from {layer.origin.class_name}"
    return line


def _io(graph: Graph, structure: Any) -> str:
    def one(name: str) -> str:
        v = graph.values.get(name)
        t = f": {v.type}" if v is not None and v.type is not None else ""
        return f"%{name}{t}"

    if isinstance(structure, str):
        return one(structure)
    return _value(map_structure(lambda n: ValueRef(n), structure)) if not isinstance(structure, list) else ", ".join(
        one(n) for n in structure
    )


def format_graph(graph: Graph, indent: str = "") -> str:
    """The graph and, indented inside it, each nested model's graph."""
    lines = [f"{indent}layers:"]
    for layer in graph.layers:
        lines.append(f"{indent}  {format_layer(layer)}")
        if layer.subgraph is not None:
            lines.append(format_graph(layer.subgraph, indent + "    "))
    lines.append(f"{indent}graph {graph.name}({_io(graph, graph.input_structure)}) {{")
    for i, node in enumerate(graph.nodes):
        outs = ", ".join(f"%{o}" for o in node.outputs)
        args = ", ".join(_value(a) for a in node.args)
        if node.kwargs:
            args += ", " + ", ".join(f"{k}={_value(v)}" for k, v in node.kwargs.items())
        types = ", ".join(str(graph.values[o].type) for o in node.outputs if graph.values[o].type is not None)
        suffix = f"  # {types}" if types else ""
        lines.append(f"{indent}  {i:>3} | {outs} = @{node.layer}({args}){suffix}")
    out = graph.output_structure
    ret = f"%{out}" if isinstance(out, str) else _value(map_structure(lambda n: ValueRef(n), out))
    lines.append(f"{indent}  return {ret}")
    lines.append(f"{indent}}}")
    return "\n".join(lines)


def format_model(model: Model) -> str:
    """Provenance header plus :func:`format_graph`."""
    p = model.provenance
    head = [f"model {model.name!r}"]
    facts = [
        f"format={p.source_format}" if p.source_format else "",
        f"keras_version={p.keras_version}" if p.keras_version else "",
        f"backend={p.backend}" if p.backend else "",
        f"generation={p.generation}" if p.generation else "",
    ]
    head.append("  source: " + " ".join(f for f in facts if f) + (f" ({p.source_path})" if p.source_path else ""))
    for note in p.notes:
        head.append(f"  note: {note}")
    for new, old in model.renamed.items():
        head.append(f"  renamed: {old!r} -> {new!r}")
    if model.training is not None:
        from keras_migrate.ir.training import format_training

        head += format_training(model.training)
    return "\n".join(head) + "\n" + format_graph(model.graph)
