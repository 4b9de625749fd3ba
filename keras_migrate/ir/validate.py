"""Structural checks of an IR graph, with one precise message per problem.

Readers and passes build graphs through :class:`GraphBuilder`, which already refuses
unknown layers and values; :func:`validate` re-checks a finished model (including one
edited by hand through the public API or loaded from a ``.kmir`` file) before it is
written, so a broken graph fails with a clear list instead of a Keras error later.
"""

from __future__ import annotations

from dataclasses import dataclass

from keras_migrate.errors import KerasMigrateError
from keras_migrate.ir.graph import Graph, Model
from keras_migrate.ir.kinds import GENERATIONS, GRAPH_KINDS
from keras_migrate.ir.specs import weight_specs

__all__ = ["IRValidationError", "Problem", "problems", "validate"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong: where (graph path and layer or node) and what."""

    where: str
    message: str
    #: The layer concerned (its path inside nested graphs), when there is one.
    layer: str | None = None
    #: The layer expects weights and holds none at all (a model read without weights).
    no_weights: bool = False

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class IRValidationError(KerasMigrateError):
    """The IR is inconsistent; ``problems`` lists every issue found. One line naming the
    model's source file and the first layer concerned, like every error users see."""

    def __init__(self, found: list[Problem], *, path: str | None = None) -> None:
        self.problems = found
        layer = next((p.layer for p in found if p.layer), None)
        if found and all(p.no_weights for p in found):
            # The one way a reader hands over such a graph: an architecture without its weights.
            others = f" (and {len(found) - 1} other layer{'s' if len(found) > 2 else ''})" if len(found) > 1 else ""
            super().__init__(
                f"{found[0].message}{others}: the model was read without weights",
                path=path or None,
                layer=layer,
                hint="pass the weights file with --weights (HDF5 weights or a TF checkpoint), or convert the full "
                "saved model",
            )
            return
        shown = "; ".join(str(p) for p in found[:5])
        more = f" (+{len(found) - 5} more)" if len(found) > 5 else ""
        super().__init__(
            f"invalid IR: {shown}{more}",
            path=path or None,
            layer=layer,
            hint="the model was built or edited inconsistently; re-read it from its source file",
        )


def _check(graph: Graph, path: str, out: list[Problem]) -> None:
    if graph.kind not in GRAPH_KINDS:
        out.append(Problem(path or graph.name, f"graph kind {graph.kind!r} is not one of {', '.join(GRAPH_KINDS)}"))
    layer_names = [lay.name for lay in graph.layers]
    for name in {n for n in layer_names if layer_names.count(n) > 1}:
        out.append(Problem(f"{path}{name}", "layer name is not unique"))
    layers = {lay.name: lay for lay in graph.layers}
    defined = set(graph.inputs)
    for name in graph.inputs:
        if name not in graph.values:
            out.append(Problem(f"{path}{name}", "input is not a declared value"))
    node_names: set[str] = set()
    for node in graph.nodes:
        where = f"{path}{node.name}"
        if node.name in node_names:
            out.append(Problem(where, "node name is not unique"))
        node_names.add(node.name)
        if node.layer not in layers:
            out.append(Problem(where, f"calls unknown layer {node.layer!r}"))
        for v in node.inputs:
            if v not in graph.values:
                out.append(Problem(where, f"reads undeclared value {v!r}"))
            elif v not in defined:
                out.append(Problem(where, f"reads {v!r} before it is computed (nodes are not in topological order)"))
        for o in node.outputs:
            if o in defined:
                out.append(Problem(where, f"value {o!r} is produced twice"))
            defined.add(o)
            declared = graph.values.get(o)
            if declared is None:
                out.append(Problem(where, f"output {o!r} is not a declared value"))
            elif declared.producer != node.name:
                out.append(Problem(where, f"value {o!r} names {declared.producer!r} as its producer"))
    for o in graph.outputs:
        if o not in defined:
            out.append(Problem(f"{path}{o}", "model output is never computed"))
    for layer in graph.layers:
        where = f"{path}{layer.name}"
        if layer.subgraph is not None:
            _check(layer.subgraph, where + "/", out)
            continue
        expected = [s.name for s in weight_specs(layer.type, layer.config)]
        got = [w.name for w in layer.weights]
        if expected and not got:
            out.append(Problem(where, f"{layer.type} holds none of its weights {expected}", where, no_weights=True))
        elif expected and got != expected:
            out.append(Problem(where, f"{layer.type} weights are {got}, expected {expected}", where))
        for w in layer.weights:
            if any(d < 0 for d in w.shape):
                out.append(Problem(where, f"weight {w.name!r} has an invalid shape {w.shape}"))


def problems(model: Model | Graph) -> list[Problem]:
    """Every problem found (empty when the model is valid)."""
    out: list[Problem] = []
    if isinstance(model, Model) and model.provenance.generation not in ("", *GENERATIONS):
        generation = model.provenance.generation
        out.append(Problem("provenance", f"generation {generation!r} is not one of {', '.join(GENERATIONS)}"))
    _check(model.graph if isinstance(model, Model) else model, "", out)
    return out


def validate(model: Model | Graph) -> None:
    """Raise :class:`IRValidationError` listing every problem, if any."""
    found = problems(model)
    if found:
        raise IRValidationError(found, path=model.provenance.source_path if isinstance(model, Model) else None)
