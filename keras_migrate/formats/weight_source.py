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
from typing import Protocol

from keras_migrate.errors import KerasMigrateError
from keras_migrate.ir.graph import Graph
from keras_migrate.ir.weights import Weight

__all__ = ["WeightOpener", "WeightSource", "match_layers"]


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
