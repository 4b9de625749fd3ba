"""Where a model's weights come from: the one interface the pipeline's attach stage reads.

Three containers keep legacy weights, and each reader wraps its own in a
:class:`WeightSource`:

* an HDF5 weights group (``model.save('x.h5')``, ``save_weights('w.h5')``):
  :class:`keras_migrate.formats.keras2.h5.H5Weights`, also read for Keras 1 files;
* a ``.keras`` archive's ``model.weights.h5`` member, laid out by object path:
  :class:`keras_migrate.formats.keras3.archive.ZipWeights`;
* a TF tensor bundle (``save_weights('prefix')``, a SavedModel's ``variables/``), laid out
  by its object graph: :class:`keras_migrate.formats.tensorflow.checkpoint.CheckpointWeights`.

Every source answers by the layer's *original* name (as the file wrote it) with the
layer's weights in Keras 2 file order (for a nested model: the trainable weights of every
sublayer, then the rest), each a lazy :class:`~keras_migrate.ir.weights.Weight`; nothing
is read until the weight is written or interpreted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

import numpy as np

from keras_migrate.errors import KerasMigrateError
from keras_migrate.ir.graph import Graph, Layer
from keras_migrate.ir.input_weights import check_input_weights
from keras_migrate.ir.specs import weight_relations, weight_specs
from keras_migrate.ir.weights import Weight

__all__ = ["WeightOpener", "WeightSource", "check_weight_shapes", "match_layers"]


class WeightSource(Protocol):
    """A model's weights, by original layer name, in Keras 2 file order."""

    @property
    def path(self) -> str:
        """The file the weights are read from (named in errors)."""
        ...

    @property
    def backend(self) -> str | None:
        """The backend the weights were saved with, when the container records it
        (``"theano"`` weights need their convolution kernels flipped)."""
        ...

    def get(self, layer_name: str) -> list[Weight] | None:
        """The weights of the layer the file calls ``layer_name``; ``None`` if it has none."""
        ...

    def weighted_names(self) -> list[str]:
        """The names of the layers that have weights, in the file's order."""
        ...


#: Opens a model's weights once its config is translated: ``(graph, renamed)`` -> source,
#: ``renamed`` mapping the IR's layer names to the file's. An HDF5 weights group ignores
#: both; a ``.keras`` archive and a checkpoint locate each weight by walking the graph.
WeightOpener = Callable[[Graph, Mapping[str, str]], WeightSource]


def match_layers(needed: Sequence[str], weights: WeightSource) -> tuple[dict[str, str], bool]:
    """Which file entry holds each needed layer's weights: ``({layer: entry}, by_order)``.

    By name when every needed layer has an entry; otherwise by position when the counts
    agree (as Keras itself loaded weights files whose layer names differ, ``by_order`` is
    then ``True``); otherwise the weights do not fit the architecture.
    """
    available = weights.weighted_names()
    if all(weights.get(n) is not None for n in needed):
        return {n: n for n in needed}, False
    if len(needed) == len(available):
        return dict(zip(needed, available)), True
    missing = [n for n in needed if weights.get(n) is None]
    raise KerasMigrateError(
        f"the weights file has no weights for layers {missing[:5]}",
        path=weights.path,
        hint="the weights do not fit the architecture",
    )


# --------------------------------------------------------------------------- shape checks
#
# A weight of the wrong shape or dtype would be written as it is, and Keras 3 would then
# refuse the converted file (or cast it silently). What each layer kind's config implies
# about its weights lives in one IR table, :func:`keras_migrate.ir.specs.weight_specs`
# (shape dimensions the config fixes, dtype kinds, weights that share one shape); every
# weight of every layer is checked against it here, wrappers and nested models included.
# Dimensions set by the input the layer is called on are not known here and not checked;
# sizes and dtypes a Keras weight can never have are refused earlier
# (:func:`~keras_migrate.ir.weights.check_array_declaration`).


def _quantized(config: Mapping[str, Any]) -> bool:
    """A Keras 3 quantized layer (``int8_from_float32``, ``float8_...`` policies) stores
    integer or float8 kernels: its dtypes are not the float a plain layer's are."""
    policy = config.get("dtype")
    if isinstance(policy, Mapping):
        inner = policy.get("config")
        policy = inner.get("name") if isinstance(inner, Mapping) else policy.get("class_name")
    return isinstance(policy, str) and ("int" in policy or "float8" in policy or "Quantized" in policy)


def _shown(rule: tuple[int | None, ...]) -> str:
    dims = ", ".join("?" if d is None else str(d) for d in rule)
    return f"({dims},)" if len(rule) == 1 else f"({dims})"


def _fits(shape: tuple[int, ...], rule: tuple[int | None, ...]) -> bool:
    return len(shape) == len(rule) and all(want is None or have == want for have, want in zip(shape, rule))


def _check_layer(layer: Layer, path: str) -> None:
    shown = layer.origin.name or layer.name

    def misfit(message: str) -> KerasMigrateError:
        return KerasMigrateError(
            message,
            path=path or None,
            layer=shown,
            hint="the weights do not fit the architecture, or the file is damaged",
        )

    specs = {s.name: s for s in weight_specs(layer.type, layer.config)}
    check_dtype = not _quantized(layer.config)
    shared: dict[str, list[tuple[str, tuple[int, ...]]]] = {}
    for w in layer.weights:
        problem = w.layout_problem()
        if problem is not None:
            raise misfit(f"weight {w.name!r} ({w.origin or w.source.describe()}) cannot be converted: {problem}")
        spec = specs.get(w.name)
        if spec is None:
            continue  # a name the layer does not own: the IR validator names it
        shape = tuple(w.shape)
        if spec.shape is not None and not _fits(shape, spec.shape):
            raise misfit(
                f"weight {w.name!r} ({w.origin or w.name}) has shape {shape}, the layer's config needs {_shown(spec.shape)}"
            )
        kind: str
        try:
            kind = np.dtype(w.dtype).kind
        except TypeError:  # a name numpy does not know (bfloat16 from a TF checkpoint)
            kind = "f" if "float" in str(w.dtype) else "?"
        if check_dtype and kind not in spec.kinds:
            raise misfit(f"weight {w.name!r} ({w.origin or w.name}) has dtype {w.dtype}, the layer needs a float dtype")
        if spec.same_as:
            shared.setdefault(spec.same_as, []).append((w.name, shape))
    shapes = {w.name: tuple(w.shape) for w in layer.weights}
    for rel in weight_relations(layer.type):
        mine, theirs = shapes.get(rel.weight), shapes.get(rel.other)
        if not mine or not theirs or len(theirs) < max(-a for a in rel.other_axes):
            continue
        want = 1
        for a in rel.other_axes:
            want *= theirs[a]
        if mine[rel.axis] != want:
            raise misfit(f"weight {rel.weight!r} has shape {mine}, which does not fit {rel.other!r} of shape {theirs}")
    for group in shared.values():
        if len({shape for _, shape in group}) > 1:
            listed = ", ".join(f"{name} {shape}" for name, shape in group)
            raise misfit(f"weights that must share one shape disagree ({listed})")


def check_weight_shapes(graph: Graph, path: str) -> None:
    """Refuse weights whose shapes or dtypes the layer's config rules out, or whose sizes do
    not fit the static shape of the input the layer is called on
    (:func:`~keras_migrate.ir.input_weights.check_input_weights`), before anything is written
    (nested models included). Only the declared shapes are looked at: nothing is read."""
    _check_config_fit(graph, path)
    check_input_weights(graph, path)


def _check_config_fit(graph: Graph, path: str) -> None:
    for layer in graph.layers:
        if layer.subgraph is not None:
            _check_config_fit(layer.subgraph, path)
        if layer.weights:
            _check_layer(layer, path)
