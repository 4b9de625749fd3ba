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

from keras_migrate.errors import KerasMigrateError
from keras_migrate.ir.graph import Graph, Layer
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
# A weight of the wrong shape would be written as it is, and Keras 3 would then refuse the
# converted file. The IR does not know every layer's input shape, so the expected shape of
# every weight cannot be computed here; what the layer's own config fixes is checked for the
# layers that carry most weights (Dense, convolutions, recurrent layers, Embedding,
# normalizations), wrappers included. Other layers' weights are checked for dtype and size
# only (:func:`~keras_migrate.ir.weights.check_array_declaration`).

_CONV = {f"Conv{n}D": n for n in (1, 2, 3)}
_CONV_T = {f"Conv{n}DTranspose": n for n in (1, 2, 3)}
_GATES = {"LSTM": 4, "LSTMCell": 4, "GRU": 3, "GRUCell": 3, "SimpleRNN": 1, "SimpleRNNCell": 1}
_NORMS = ("BatchNormalization", "LayerNormalization")


def _int(config: Mapping[str, Any], key: str) -> int | None:
    v = config.get(key)
    return v if isinstance(v, int) and not isinstance(v, bool) and v > 0 else None


def _ints(config: Mapping[str, Any], key: str, n: int) -> tuple[int, ...] | None:
    v = config.get(key)
    if isinstance(v, int) and not isinstance(v, bool):
        v = [v] * n
    if isinstance(v, list | tuple) and len(v) == n and all(isinstance(d, int) and not isinstance(d, bool) for d in v):
        return tuple(v)
    return None


def _expected(layer_type: str, config: Mapping[str, Any], role: str, shape: tuple[int, ...]) -> str | None:
    """What is wrong with ``shape`` for weight ``role`` of such a layer, or ``None``."""
    if layer_type == "Dense" and (units := _int(config, "units")):
        if role == "kernel" and (len(shape) != 2 or shape[-1] != units):
            return f"(input_dim, {units})"
        if role == "bias" and shape != (units,):
            return f"({units},)"
    conv = _CONV.get(layer_type) or _CONV_T.get(layer_type)
    if conv and (filters := _int(config, "filters")):
        ks = _ints(config, "kernel_size", conv)
        out_axis = -2 if layer_type in _CONV_T else -1
        if role == "kernel" and (
            len(shape) != conv + 2 or shape[out_axis] != filters or (ks is not None and shape[:conv] != ks)
        ):
            dims = ", ".join(str(d) for d in ks) if ks else "..."
            return f"({dims}, in, {filters})" if out_axis == -1 else f"({dims}, {filters}, in)"
        if role == "bias" and shape != (filters,):
            return f"({filters},)"
    gates = _GATES.get(layer_type)
    if gates and (units := _int(config, "units")):
        width = gates * units
        if role == "kernel" and (len(shape) != 2 or shape[-1] != width):
            return f"(input_dim, {width})"
        if role == "recurrent_kernel" and shape != (units, width):
            return f"({units}, {width})"
        if role == "bias" and shape not in ((width,), (2, width)):
            return f"({width},)"
    if layer_type == "Embedding" and role == "embeddings":
        rows, cols = _int(config, "input_dim"), _int(config, "output_dim")
        if rows is not None and cols is not None and shape != (rows, cols):
            return f"({rows}, {cols})"
    return None


def _inner_config(config: Mapping[str, Any], key: str) -> tuple[str, Mapping[str, Any]] | None:
    inner = config.get(key)
    if isinstance(inner, Mapping) and isinstance(inner.get("class_name"), str) and isinstance(inner.get("config"), Mapping):
        return inner["class_name"], inner["config"]
    return None


def _owner(layer: Layer, name: str) -> tuple[str, Mapping[str, Any], str]:
    """The layer type and config a weight belongs to, and its role: wrappers hand their
    weights to the wrapped layer (``forward_layer/kernel`` is the forward RNN's kernel)."""
    if layer.type == "TimeDistributed" and (inner := _inner_config(layer.config, "layer")):
        return inner[0], inner[1], name
    if layer.type == "Bidirectional" and "/" in name:
        head, role = name.split("/", 1)
        key = "backward_layer" if head == "backward_layer" and layer.config.get("backward_layer") else "layer"
        if inner := _inner_config(layer.config, key):
            return inner[0], inner[1], role
    return layer.type, layer.config, name


def _check_layer(layer: Layer, path: str) -> None:
    shown = layer.origin.name or layer.name

    def misfit(message: str) -> KerasMigrateError:
        return KerasMigrateError(
            message,
            path=path or None,
            layer=shown,
            hint="the weights do not fit the architecture, or the file is damaged",
        )

    norms: dict[str, tuple[int, ...]] = {}
    for w in layer.weights:
        problem = w.layout_problem()
        if problem is not None:
            raise misfit(f"weight {w.name!r} ({w.origin or w.source.describe()}) cannot be converted: {problem}")
        shape = tuple(w.shape)
        layer_type, config, role = _owner(layer, w.name)
        want = _expected(layer_type, config, role, shape)
        if want is not None:
            raise misfit(f"weight {w.name!r} ({w.origin or w.name}) has shape {shape}, the layer's config needs {want}")
        if layer_type in _NORMS and role in ("gamma", "beta", "moving_mean", "moving_variance"):
            norms[role] = shape
    if len(set(norms.values())) > 1:
        listed = ", ".join(f"{k} {v}" for k, v in norms.items())
        raise misfit(f"normalization weights disagree in shape ({listed})")


def check_weight_shapes(graph: Graph, path: str) -> None:
    """Refuse weights whose shapes the layer's config rules out, before anything is written
    (nested models included). Only the declared shapes are looked at: nothing is read."""
    for layer in graph.layers:
        if layer.subgraph is not None:
            check_weight_shapes(layer.subgraph, path)
        if layer.weights:
            _check_layer(layer, path)
