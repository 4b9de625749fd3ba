"""Weights laid out by object rather than by layer name, and the config walk that finds them.

Savers that lay weights out by object (a ``.keras`` archive's object paths, a TF
checkpoint's ``layer-<i>`` children) number a model's layers in ``model.layers`` order;
both readers walk the config with these helpers to find each layer's place, and locate
every weight of the translated graph up front (:class:`ObjectWeights`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from keras_migrate.formats.keras2.topology import expected_weights
from keras_migrate.ir.graph import Graph, Layer
from keras_migrate.ir.specs import WeightSpec
from keras_migrate.ir.unknown import is_unknown
from keras_migrate.ir.user_code import is_user_type
from keras_migrate.ir.weights import Weight

__all__ = ["ObjectWeights", "entry_name", "model_layer_entries"]


def model_layer_entries(model_config: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The config entries of ``model.layers`` in order (the ``layer-<i>`` numbering).

    Functional models list every layer including their InputLayers; Sequential models
    omit the InputLayer they create themselves (``Sequential.layers`` skips it).
    """
    cfg = model_config.get("config")
    entries = cfg if isinstance(cfg, list) else (cfg or {}).get("layers", [])
    entries = [e for e in entries if isinstance(e, Mapping)]
    if model_config.get("class_name") == "Sequential" and entries and entries[0].get("class_name") == "InputLayer":
        entries = entries[1:]
    return entries


def entry_name(entry: Mapping[str, Any]) -> str:
    """The layer name a config entry records (top level, or inside its config)."""
    cfg = entry.get("config")
    return str(entry.get("name") or (cfg.get("name") if isinstance(cfg, Mapping) else "") or "")


class ObjectWeights:
    """Base of the :class:`~keras_migrate.formats.weight_source.WeightSource` s whose
    container lays weights out by object: every weight of the translated graph is located
    once, at opening (so a misfit is refused before anything is written), by
    :meth:`locate`, which subclasses implement."""

    path: str
    backend: str | None

    def locate_all(self, graph: Graph, renamed: Mapping[str, str]) -> None:
        """Locate the weights of every layer of ``graph`` that has any, in graph order."""
        self._layers: dict[str, list[Weight]] = {}
        for layer in graph.layers:
            if is_user_type(layer.type):  # the user's class: whatever the file holds for it, in order
                orig = renamed.get(layer.name, layer.origin.name or layer.name)
                self._layers[orig] = self.locate_stored(orig)
                continue
            expected = expected_weights(layer)
            orig = renamed.get(layer.name, layer.origin.name or layer.name)
            if expected:
                self._layers[orig] = self.locate(orig, layer, expected)
            elif is_unknown(layer.type):  # a class no rule knows (inspect, --placeholders)
                found = self.locate_stored(orig)
                if found:
                    self._layers[orig] = found

    def locate(self, original_name: str, layer: Layer, expected: list[tuple[str, WeightSpec]]) -> list[Weight]:
        """The weights of ``layer`` (called ``original_name`` in the file), one per
        ``(owner path, spec)`` of ``expected``, in that order."""
        raise NotImplementedError

    def locate_stored(self, original_name: str) -> list[Weight]:
        """Every weight the container stores for a layer no weight table describes (the
        user's class, or a class no rule knows), in the order the layer created them (none
        where a container cannot tell); a user class checks them when it is built."""
        return []

    def get(self, layer_name: str) -> list[Weight] | None:
        return self._layers.get(layer_name)

    def weighted_names(self) -> list[str]:
        return list(self._layers)
