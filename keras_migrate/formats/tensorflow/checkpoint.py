"""TF checkpoints as a weight source: the object graph walked alongside the model config.

``model.save_weights("prefix")`` (tf.keras, no ``.h5`` suffix) writes a tensor bundle
(:mod:`keras_migrate.formats.tensorflow.bundle`) whose object graph
(:mod:`keras_migrate.formats.tensorflow.object_graph`) names a model's layers
``layer-<i>`` and their variables by attribute path. :class:`CheckpointWeights` walks that
graph in step with the model config and matches variable paths to the IR's weight names,
handing the pipeline lazy references into the data shards, so converting reads each tensor
once, when it is written. :func:`read_architecture_with_checkpoint` reads an architecture
file with such weights; the SavedModel reader uses :func:`checkpoint_source` for its
``variables/``. Nothing here imports TensorFlow.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

from keras_migrate.errors import KerasMigrateError
from keras_migrate.formats.architecture import read_architecture_config
from keras_migrate.formats.keras2.topology import split_weights
from keras_migrate.formats.layer_entries import ObjectWeights, entry_name, model_layer_entries
from keras_migrate.formats.pipeline import ModelSource, read_model
from keras_migrate.formats.tensorflow.bundle import TensorBundle
from keras_migrate.formats.tfkeras.preprocessing import VocabularySource
from keras_migrate.formats.vocabulary_files import VocabularyFiles
from keras_migrate.ir.graph import Graph, Layer, Model
from keras_migrate.ir.specs import WeightSpec, weight_specs
from keras_migrate.ir.weights import Weight

__all__ = [
    "CheckpointWeights",
    "checkpoint_source",
    "find_checkpoint_prefix",
    "is_checkpoint",
    "read_architecture_with_checkpoint",
]


_WRAPPER_SEGMENTS = frozenset({"cell", "layer"})


def _normalize(path: str) -> str:
    """A variable's path inside a layer in IR weight-name terms.

    ``cell/kernel`` (RNN) -> ``kernel``; ``forward_layer/cell/kernel`` -> ``forward_layer/kernel``;
    ``layer/kernel`` (TimeDistributed) -> ``kernel``; ``cell/cells/1/kernel`` -> ``cells/1/kernel``.
    """
    parts = []
    for seg in path.split("/"):
        if seg in _WRAPPER_SEGMENTS:
            continue
        m = re.fullmatch(r"cell-(\d+)", seg)
        if m:
            parts += ["cells", m.group(1)]
            continue
        parts.append(seg)
    return "/".join(parts)


class CheckpointWeights(ObjectWeights):
    """A :class:`~keras_migrate.formats.weight_source.WeightSource` over a checkpoint's
    object graph.

    ``get(layer name)`` returns the layer's arrays in Keras 2 file order (a nested model:
    trainable weights of every sublayer, then the rest), found by walking
    ``layer-<i>`` children in step with the model config and matching variable paths to
    the IR's weight names.
    """

    def __init__(
        self,
        bundle: TensorBundle,
        model_config: Mapping[str, Any],
        graph: Graph,
        renamed: Mapping[str, str],
        *,
        path: str,
        keras_version: str | None = None,
        backend: str | None = None,
        source: str = "checkpoint",
    ) -> None:
        self.bundle = bundle
        self.objects = bundle.object_graph()
        self.path = path
        self.keras_version = keras_version
        self.backend = backend
        self._source = source
        self._leaves: dict[tuple[int, str], dict[str, Weight]] = {}
        self._nodes = self._layer_nodes(model_config, 0)
        self.locate_all(graph, renamed)

    def locate(self, original_name: str, layer: Layer, expected: list[tuple[str, WeightSpec]]) -> list[Weight]:
        node = self._nodes.get(original_name)
        if node is None:
            raise KerasMigrateError(
                f"the {self._source} has no object for layer {original_name!r} (no layer-<i> entry matches the "
                "architecture)",
                path=self.path,
                layer=original_name,
                hint="the weights do not fit the architecture",
            )
        return [self._weight(layer, node, owner, spec.name) for owner, spec in expected]

    def locate_stored(self, original_name: str) -> list[Weight]:
        # A SavedModel's ``variables`` view lists ``layer.weights`` (the HDF5 order); a plain
        # checkpoint lists the layer's variables in creation order.
        node = self._nodes.get(original_name)
        if node is None:
            return []
        variables = self.objects.variables_under(node)
        names = {v[0]: rel.split("/")[0] for rel, v in reversed(variables.items())}
        listed = self.objects.weights_list(node)
        if listed is None:
            seen: dict[int, tuple[int, str, str]] = {}
            for v in variables.values():
                seen.setdefault(v[0], v)
            listed = list(seen.values())
        return [Weight(names.get(nid, str(i)), self.bundle.tensor(ckey), origin=ckey) for i, (nid, _, ckey) in enumerate(listed)]

    # -- walking ----------------------------------------------------------------------------
    def _layer_nodes(self, model_config: Mapping[str, Any], node_id: int) -> dict[str, int]:
        """Original layer name -> object-graph node of each layer of the model at ``node_id``."""
        children = self.objects.nodes[node_id].children
        entries = model_layer_entries(model_config)
        out: dict[str, int] = {}
        if any(k.startswith("layer-") for k in children):
            for i, entry in enumerate(entries):
                child = children.get(f"layer-{i}")
                if child is not None:
                    out[entry_name(entry)] = child
            return out
        # Without layer-<i> children only layer_with_weights-<k> can be followed.
        raise KerasMigrateError(
            f"the {self._source}'s object graph has no layer-<i> entries for this model",
            path=self.path,
            hint="it was not written by a tf.keras Sequential or functional model",
        )

    def _weight(self, layer: Layer, node: int, owner: str, name: str) -> Weight:
        # Descend into nested models along the owner path ("outer/inner/leaf").
        current = layer
        for part in owner.split("/")[1:]:
            assert current.subgraph is not None
            sub = next(s for s in current.subgraph.layers if s.name == part)
            nodes = self._layer_nodes({"class_name": current.origin.class_name, "config": current.origin.config}, node)
            orig = sub.origin.name or sub.name
            if orig not in nodes:
                raise KerasMigrateError(
                    f"the {self._source} has no object for layer {orig!r} inside {current.origin.name!r}",
                    path=self.path,
                    layer=orig,
                )
            node, current = nodes[orig], sub
        key = (node, current.name)
        if key not in self._leaves:
            self._leaves[key] = self._leaf(current, node)
        return self._leaves[key][name]

    def _leaf(self, layer: Layer, node: int) -> dict[str, Weight]:
        """Every weight of a (non-model) layer: IR name -> lazy tensor.

        By attribute path first (``cell/kernel`` is the IR's ``kernel``); failing that, by
        position: a SavedModel's ``variables`` view lists ``layer.weights`` (trainable, then
        non-trainable: the HDF5 order), a plain checkpoint its variables in creation order.
        """
        specs = [s.name for s in weight_specs(layer.type, layer.config)]
        variables = self.objects.variables_under(node)
        aliases = _ALIASES.get(layer.type, {})
        found: dict[str, tuple[int, str, str]] = {}
        for rel, var in variables.items():
            norm = _normalize(rel)
            norm = aliases.get(norm, norm)
            if norm in specs and (norm not in found or len(rel) < len(found[norm][1])):
                found[norm] = (var[0], rel, var[2])
        chosen: dict[str, tuple[int, str]] = {}
        if len(found) == len(specs) and len({v[0] for v in found.values()}) == len(specs):
            chosen = {n: (v[0], v[2]) for n, v in found.items()}
        else:
            listed = self.objects.weights_list(node)
            tr, nt = split_weights(layer)
            file_order = [s.name for _, s in tr + nt]
            distinct: list[tuple[int, str]] = []
            for nid, _, ckey in variables.values():
                if nid not in {d[0] for d in distinct}:
                    distinct.append((nid, ckey))
            if listed is not None and len(listed) == len(specs):
                chosen = {n: (v[0], v[2]) for n, v in zip(file_order, listed)}
            elif len(distinct) == len(specs):
                chosen = dict(zip(specs, distinct))
            else:
                available = ", ".join(sorted(variables)) or "none"
                raise KerasMigrateError(
                    f"the {self._source} does not hold this layer's weights ({', '.join(specs)}); it has: {available}",
                    path=self.path,
                    layer=layer.origin.name or layer.name,
                    hint="the weights do not fit the architecture",
                )
        return {n: Weight(n, self.bundle.tensor(ckey), origin=ckey) for n, (_, ckey) in chosen.items()}


#: IR weight name for attribute paths that differ from it, per IR layer type.
_ALIASES: dict[str, dict[str, str]] = {
    "DepthwiseConv1D": {"depthwise_kernel": "kernel"},
    "DepthwiseConv2D": {"depthwise_kernel": "kernel"},
    "TextVectorization": {"_lookup_layer/idf_weights": "idf_weights"},
}
#: tf.keras MultiHeadAttention tracks its projections as ``_query_dense``... attributes.
_MHA_ALIASES = {f"_{p}_dense/{w}": f"{p}_dense/{w}" for p in ("query", "key", "value", "output") for w in ("kernel", "bias")}
_ALIASES.update({"MultiHeadAttention": _MHA_ALIASES, "keras_migrate>LegacyMultiHeadAttention": _MHA_ALIASES})

# --------------------------------------------------------------------------- entry points


def is_checkpoint(path: str) -> bool:
    """``path`` names a checkpoint: a prefix with ``prefix.index``, or a directory with a
    ``checkpoint`` state file."""
    return find_checkpoint_prefix(path, strict=False) is not None


def find_checkpoint_prefix(path: str, *, strict: bool = True) -> str | None:
    """Resolve ``path`` (a prefix, ``prefix.index``, or a directory with a ``checkpoint``
    file) to the bundle prefix."""
    if path.endswith(".index") and os.path.isfile(path):
        return path[: -len(".index")]
    if os.path.isfile(path + ".index"):
        return path
    if os.path.isdir(path):
        state = os.path.join(path, "checkpoint")
        if os.path.isfile(state):
            try:
                with open(state, encoding="utf-8") as f:
                    text = f.read()
            except (OSError, UnicodeDecodeError) as exc:
                raise KerasMigrateError(f"cannot read checkpoint state file ({exc})", path=state) from exc
            m = re.search(r'^model_checkpoint_path:\s*"((?:[^"\\]|\\.)*)"', text, re.M)
            if m:
                name = m.group(1).encode().decode("unicode_escape")
                prefix = name if os.path.isabs(name) else os.path.join(path, name)
                if os.path.isfile(prefix + ".index") or not strict:
                    return prefix
                raise KerasMigrateError(
                    f"the checkpoint state file names {name!r}, but {name}.index is missing", path=path
                )
            if strict:
                raise KerasMigrateError("checkpoint state file names no model_checkpoint_path", path=state)
            return None
        indexes = sorted(f for f in os.listdir(path) if f.endswith(".index"))
        if len(indexes) == 1:
            return os.path.join(path, indexes[0][: -len(".index")])
    if strict:
        raise KerasMigrateError("not a TF checkpoint (no prefix.index)", path=path)
    return None


def read_architecture_with_checkpoint(
    path: str, weights: str, *, vocabulary_files: VocabularyFiles | None = None
) -> Model:
    """``model.to_json()`` / ``to_yaml()`` output with weights from ``save_weights("prefix")``."""
    config, base_fmt = read_architecture_config(path)
    prefix = find_checkpoint_prefix(weights)
    assert prefix is not None
    return read_model(
        checkpoint_source(
            config, prefix, path=path, keras_version=config.get("keras_version"), backend=config.get("backend"),
            source_format=f"{base_fmt}+tf-checkpoint", vocabulary_files=vocabulary_files,
        )
    )


def checkpoint_source(
    config: Mapping[str, Any],
    prefix: str,
    *,
    path: str,
    keras_version: str | None,
    backend: str | None,
    source_format: str,
    what: str = "checkpoint",
    vocabularies: VocabularySource | None = None,
    vocabulary_files: VocabularyFiles | None = None,
) -> ModelSource:
    """What the pipeline needs to build a model from its config and the variables of the
    tensor bundle at ``prefix`` (a checkpoint, or a SavedModel's ``variables/``); a
    config without a Keras version is read as tf.keras 2.21's."""

    def open_weights(graph: Graph, renamed: Mapping[str, str]) -> CheckpointWeights:
        return CheckpointWeights(
            TensorBundle(prefix), config, graph, renamed, path=prefix + ".index", keras_version=keras_version,
            backend=backend, source=what,
        )

    return ModelSource(
        config, path, source_format, keras_version=keras_version or "2.21.0", backend=backend, weights=open_weights,
        vocabularies=vocabularies, vocabulary_files=vocabulary_files,
    )
