"""Keras 1.x models: full-model HDF5, weights HDF5 + JSON/YAML, or an architecture alone.

Keras 1 files never record their backend nor (for some layers) their dim_ordering, and
before Keras 1.0.6 BatchNormalization stored a standard deviation where later versions
store a variance. Each such fact is inferred from the file when it can be (weight names
ending in ``:0`` come from TensorFlow, without it from Theano; ``keras_version``), can be
forced with :func:`options` (the CLI's ``--source-backend``, ``--bn-running-std``,
``--dim-ordering``), and is always written into the model's provenance notes.
"""

from __future__ import annotations

import contextlib
import contextvars
import re
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from keras_migrate.errors import UnsupportedError
from keras_migrate.formats.weight_source import (
    WeightOpener,
    WeightSource,
    check_weight_shapes,
    match_layers,
)
from keras_migrate.ir.graph import Graph, Model, Provenance

__all__ = ["Keras1Options", "build_keras1_model", "options"]


@dataclass(frozen=True)
class Keras1Options:
    """Reader choices for facts Keras 1 files do not record (``None`` = infer)."""

    source_backend: str | None = None  # "theano" | "tensorflow"
    bn_running_std: str | None = None  # "variance" | "std"
    dim_ordering: str | None = None  # "th" | "tf" for layers that did not record it


_OPTIONS: contextvars.ContextVar[Keras1Options | None] = contextvars.ContextVar("keras1_options", default=None)


@contextlib.contextmanager
def options(**kwargs: Any) -> Iterator[Keras1Options]:
    """Set reader options for Keras 1 files loaded inside the ``with`` block."""
    opts = replace(_OPTIONS.get() or Keras1Options(), **{k: v for k, v in kwargs.items() if v is not None})
    token = _OPTIONS.set(opts)
    try:
        yield opts
    finally:
        _OPTIONS.reset(token)


def _version_tuple(version: str | None) -> tuple[int, ...] | None:
    if not version:
        return None
    parts = re.findall(r"\d+", version)
    return tuple(int(p) for p in parts[:3]) if parts else None


def _source_backend(weights: WeightSource, opts: Keras1Options) -> tuple[str, str]:
    if opts.source_backend:
        return opts.source_backend, f"source backend {opts.source_backend} (from --source-backend)"
    names = [w.origin or w.name for n in weights.weighted_names() for w in (weights.get(n) or [])]
    if not names:
        return "tensorflow", "no weight names to infer the source backend from; assumed tensorflow"
    if all(not n.endswith(":0") and not re.search(r":\d+$", n) for n in names):
        return "theano", (
            "source backend inferred as theano: weight names lack TensorFlow's ':0' suffix "
            "(e.g. " + repr(names[0]) + "); convolution kernels flipped, as Theano computed true convolution "
            "(override with --source-backend tensorflow)"
        )
    return "tensorflow", (
        "source backend inferred as tensorflow: weight names carry TensorFlow's ':0' suffix "
        "(override with --source-backend theano)"
    )


def _bn_mode(keras_version: str | None, opts: Keras1Options, uses_bn: bool) -> tuple[str, str | None]:
    if opts.bn_running_std:
        return opts.bn_running_std, f"BatchNormalization running_std read as {opts.bn_running_std} (from --bn-running-std)"
    v = _version_tuple(keras_version)
    if v is not None and v < (1, 0, 6):
        return "std", (
            f"BatchNormalization running_std read as a standard deviation: Keras {keras_version} < 1.0.6 stored "
            "sqrt(var + eps) (override with --bn-running-std variance)"
        )
    if not uses_bn:
        return "variance", None
    if v is None:
        return "variance", (
            "BatchNormalization running_std read as the variance (Keras >= 1.0.6); the file does not record its "
            "Keras version (override with --bn-running-std std for files from Keras <= 1.0.5)"
        )
    return "variance", None


def _attach_unknown(graph: Graph, weights: WeightSource) -> Graph:
    """Layers of classes no rule knows (kept only for ``inspect`` and ``--placeholders``)
    and of the user's own classes (``--custom-objects``): the arrays the file stores for
    each, as stored, like the Keras 2 pipeline does (a user class is checked against them
    when it is built)."""
    from keras_migrate.formats.keras2.topology import attach_weights
    from keras_migrate.formats.unknown import declare_unknown_weights
    from keras_migrate.ir.unknown import is_unknown
    from keras_migrate.ir.user_code import is_user_type

    unknown = [lay for lay in graph.layers if (is_unknown(lay.type) or is_user_type(lay.type)) and lay.subgraph is None]
    if not unknown:
        return graph

    def original(name: str) -> str:
        return graph.layer(name).origin.name or name

    only = replace(graph, layers=tuple(unknown))
    only = declare_unknown_weights(only, weights.get, original)
    done = {lay.name: lay for lay in attach_weights(only, weights.get, path=weights.path, original_name=original).layers}
    return replace(graph, layers=tuple(done.get(lay.name, lay) for lay in graph.layers))


def build_keras1_model(
    model_config: Mapping[str, Any],
    open_weights: WeightOpener | None,
    *,
    path: str,
    keras_version: str | None,
    source_format: str,
) -> Model:
    """Build the IR of a Keras 1 model: the pipeline's stages for Keras 1 files (its own
    topology reader and rule set, weight layouts and Theano fix-ups); ``open_weights``
    opens the file's weights once the config is translated (``None``: architecture only,
    freshly initialized weights)."""
    from keras_migrate.formats.keras1.topology import graph_from_keras1
    from keras_migrate.formats.keras1.weights import (
        WeightOptions,
        attach_keras1_weights,
        has_keras1_weights,
    )
    from keras_migrate.formats.lambdas import expand_lambdas

    opts = _OPTIONS.get() or Keras1Options()
    graph, reader, topo_notes = graph_from_keras1(model_config, path=path, dim_ordering=opts.dim_ordering)
    graph = expand_lambdas(graph, path=path)  # Lambda calls -> op nodes (they hold no weights)
    notes = [*topo_notes, *reader.notes]
    backend = ""
    uses_bn = any(lay.origin.class_name == "BatchNormalization" for _, lay in graph.walk_layers())
    if open_weights is not None:
        weights = open_weights(graph, reader.renamed)
        backend, why = _source_backend(weights, opts)
        notes.append(why)
        bn, bn_note = _bn_mode(keras_version, opts, uses_bn)
        if bn_note:
            notes.append(bn_note)
        wopts = WeightOptions(backend=backend, bn_running_std=bn, path=weights.path)
        top = [lay for lay in graph.layers if has_keras1_weights(lay)]
        order, by_order = match_layers([lay.origin.name or lay.name for lay in top], weights)
        if by_order:
            notes.append("weights matched to layers by order, as Keras 1 loaded them (layer names differ)")
        graph = attach_keras1_weights(graph, lambda n: weights.get(order[n]) if n in order else None, wopts)
        graph = _attach_unknown(graph, weights)
        notes += wopts.notes
        if backend == "theano":
            from keras_migrate.formats.keras1.theano import theano_fixups

            graph = theano_fixups(graph, path=path, notes=notes)
        check_weight_shapes(graph, weights.path)
    else:
        from keras_migrate.formats.keras1.fresh import initialize

        graph = initialize(graph, path=path)
        message = "architecture only: weights are freshly initialized (random), outputs are not the original model's"
        notes.append(message)
        warnings.warn(f"{path}: {message}", UserWarning, stacklevel=2)
    _check_merge_ranks(graph, path)
    provenance = Provenance(
        source_format=source_format,
        source_path=path,
        keras_version=keras_version or "",
        backend=backend,
        generation="keras1",
        notes=tuple(notes),
    )
    return Model(graph=graph, provenance=provenance, renamed=dict(reader.renamed))


def _check_merge_ranks(graph: Graph, path: str) -> None:
    """Keras 1 ``Merge(mode='dot')`` equals Keras 3's ``Dot`` for 2D and 3D inputs only
    (Keras 1 used batch_matmul with adjoint flags); refuse higher ranks."""
    if not any(lay.origin.class_name == "Merge" and lay.type == "Dot" for _, lay in graph.walk_layers()):
        return
    from keras_migrate.ir.passes.infer_types import infer_graph_types

    def visit(g: Graph) -> None:
        for node in g.nodes:
            layer = g.layer(node.layer)
            if layer.subgraph is not None:
                visit(layer.subgraph)
            elif layer.origin.class_name == "Merge" and layer.type == "Dot":
                ranks = [t.rank for v in node.inputs if (t := g.values[v].type) is not None]
                if any(r > 3 for r in ranks):
                    raise UnsupportedError(
                        f"Keras 1 Merge(mode='dot') of rank-{max(ranks)} tensors used batch_matmul semantics "
                        "that Keras 3's Dot does not reproduce",
                        path=path or None,
                        layer=layer.origin.name or layer.name,
                    )

    visit(infer_graph_types(graph))
