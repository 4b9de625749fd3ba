"""The reader pipeline every format goes through: config -> translate -> attach weights -> fix-ups.

A reader's job ends at a :class:`ModelSource`: the parsed model config, what the file says
about itself (Keras version, backend, format name), how to open its weights
(a :data:`~keras_migrate.formats.weight_source.WeightOpener`) and where it keeps lookup
vocabularies. :func:`read_model` runs the same stages for all of them:

1. **config**: the generation is told from the Keras version (:func:`generation_of`);
   Keras 1 configs go to their own reader
   (:func:`~keras_migrate.formats.keras1.reader.build_keras1_model`), Keras 3 configs get
   their fix-ups (:func:`~keras_migrate.formats.keras3.config.keras3_config_fixups`), and
   everything no rule can translate is refused at once
   (:func:`~keras_migrate.formats.precheck.precheck`);
2. **translate**: the config becomes an IR graph, each layer translated once by the rule
   registry (:func:`~keras_migrate.formats.keras2.topology.graph_from_config`);
3. **attach weights**: the weights are opened against the translated graph and matched to
   its layers by name, or by order when names differ; each weight's declared shape is
   checked against what the layer's config fixes
   (:func:`~keras_migrate.formats.weight_source.check_weight_shapes`; dtypes and sizes
   were checked when the reader declared them);
4. **fix-ups**: weight re-layouts (LocallyConnected, Theano kernels), lookup
   vocabularies the config does not hold, adapted Discretization boundaries.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from keras_migrate.formats.keras1.reader import build_keras1_model
from keras_migrate.formats.keras2.cudnn import fix_cudnn_weights
from keras_migrate.formats.keras2.topology import (
    attach_weights,
    expected_weights,
    graph_from_config,
)
from keras_migrate.formats.keras2.weights import fix_graph_weights, flip_theano_kernels
from keras_migrate.formats.keras3.config import keras3_config_fixups
from keras_migrate.formats.lambdas import expand_lambdas
from keras_migrate.formats.precheck import precheck
from keras_migrate.formats.single_cell import unstack_single_cells
from keras_migrate.formats.tfkeras.augmentation import resolve_discretization
from keras_migrate.formats.tfkeras.preprocessing import (
    VocabularySource,
    describe_form,
    resolve_vocabularies,
)
from keras_migrate.formats.unknown import declare_unknown_weights
from keras_migrate.formats.vocabulary_files import VocabularyFiles, overlay
from keras_migrate.formats.weight_source import (
    WeightOpener,
    WeightSource,
    check_weight_shapes,
    match_layers,
)
from keras_migrate.ir.graph import Graph, Model, Provenance
from keras_migrate.ir.kinds import Generation
from keras_migrate.ir.user_code import is_user_type
from keras_migrate.ir.weights import Weight

__all__ = ["ModelSource", "generation_of", "read_model"]


def generation_of(keras_version: str | None) -> Generation:
    """``keras1``, ``keras2`` (standalone <= 2.3), ``tf.keras`` or ``keras3``."""
    v = (keras_version or "").strip()
    if not v or v.startswith("1"):
        return "keras1"
    if v.startswith("3"):
        return "keras3"
    if v.endswith("-tf"):
        return "tf.keras"
    try:
        major, minor = (int(p) for p in v.split(".")[:2])
    except ValueError:
        return "keras2"
    return "keras2" if (major, minor) < (2, 4) else "tf.keras"


@dataclass(frozen=True, slots=True)
class ModelSource:
    """What a reader found: everything the pipeline needs to build the model."""

    #: The serialized model, ``{"class_name": ..., "config": ...}``, as the file holds it.
    config: Mapping[str, Any]
    #: The model file (named in errors and in the provenance).
    path: str
    #: The form's name in the provenance (``keras-h5``, ``keras-json+h5``, ``keras-zip``...).
    source_format: str
    keras_version: str | None = None
    backend: str | None = None
    #: Opens the weights once the config is translated; ``None``: architecture only.
    weights: WeightOpener | None = None
    #: Lookup vocabularies the form keeps outside the config (assets, tables).
    vocabularies: VocabularySource | None = None
    #: The user's vocabulary files, consulted before the form's own.
    vocabulary_files: VocabularyFiles | None = None


def read_model(source: ModelSource) -> Model:
    """Run the pipeline's stages on what a reader found."""
    generation = generation_of(source.keras_version)
    if generation == "keras1":
        return build_keras1_model(
            source.config,
            source.weights,
            path=source.path,
            keras_version=source.keras_version,
            source_format=source.source_format,
        )
    # 1. config
    config = keras3_config_fixups(source.config, source.path) if generation == "keras3" else source.config
    precheck(config, source.path)
    # 2. translate
    graph, reader = graph_from_config(config, path=source.path, generation=generation)
    graph = expand_lambdas(graph, path=source.path)  # Lambda calls -> op nodes (they hold no weights)
    provenance = Provenance(
        source_format=source.source_format,
        source_path=source.path,
        keras_version=source.keras_version or "",
        backend=source.backend or "",
        generation=generation,
        notes=tuple(reader.notes),
    )
    originals = reader.renamed
    # 3. attach weights, 4. fix-ups
    if source.weights is not None:
        weights = source.weights(graph, originals)
        graph, by_order = _attach(graph, weights, originals)
        if by_order:
            provenance = provenance.with_note("weights matched to layers by order (layer names differ)")
        graph = fix_graph_weights(graph, weights.path)
        graph, cudnn_note = fix_cudnn_weights(graph, generation, source.keras_version)
        if cudnn_note is not None:
            provenance = provenance.with_note(cudnn_note)
        if (weights.backend or source.backend) == "theano":
            graph = flip_theano_kernels(graph)
            provenance = provenance.with_note("Theano backend: convolution kernels flipped (true convolution)")
        check_weight_shapes(graph, weights.path)
    graph = resolve_discretization(graph, path=source.path)
    graph = unstack_single_cells(graph)  # after the weights: they follow the source's layout
    vocabularies = overlay(source.vocabulary_files, source.vocabularies, source.source_format)
    graph = resolve_vocabularies(graph, vocabularies, path=source.path, what=describe_form(source.source_format))
    return Model(graph=graph, provenance=provenance, renamed=dict(originals))


def _attach(graph: Graph, weights: WeightSource, originals: Mapping[str, str]) -> tuple[Graph, bool]:
    """Give every layer its weights; ``True`` with the graph when matched by order."""

    def original(name: str) -> str:
        if name in originals:
            return originals[name]
        try:
            return graph.layer(name).origin.name or name
        except KeyError:
            return name

    graph = declare_unknown_weights(graph, weights.get, original)
    needed = [original(lay.name) for lay in graph.layers if expected_weights(lay)]
    order, by_order = match_layers(needed, weights)

    users = {original(lay.name) for lay in graph.layers if is_user_type(lay.type)}

    def get(name: str) -> list[Weight] | None:
        if name in users:  # a user class's weights are found by its name only
            return weights.get(name)
        return weights.get(order[name]) if name in order else None

    return attach_weights(graph, get, path=weights.path, original_name=original), by_order
