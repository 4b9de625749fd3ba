"""``CuDNNLSTM`` / ``CuDNNGRU`` (standalone Keras 2.0.9-2.3, tf.keras'
``tf.compat.v1.keras.layers``): rules and weight re-layouts.

A CuDNN layer computes what Keras 3's built-in layer computes with fixed settings, so it
becomes that layer (no compat layer is needed):

* ``CuDNNLSTM``: ``LSTM(activation='tanh', recurrent_activation='sigmoid')``. cuDNN adds a
  separate input bias and recurrent bias (the stored bias has ``8 * units`` entries, gates
  i, f, c, o in each half); Keras' LSTM adds one, their sum (exact for inference).
* ``CuDNNGRU``: ``GRU(reset_after=True, recurrent_activation='sigmoid')``; the ``6 * units``
  bias is Keras' ``(2, 3 * units)`` reset-after bias (input row, recurrent row; z, r, h).

The kernels' meaning depends on who wrote the file. Standalone Keras 2.x handed each gate's
``(input, units)`` kernel block to cuDNN by flattening it, and cuDNN reads a gate matrix as
``(units, input)`` row-major: the gate computes ``x @ reshape(block, (units, input)).T``, and
the recurrent block ``h @ block.T``. Keras 2.2.4's own loader converts exactly so when it
loads CuDNN weights into LSTM/GRU (``_convert_rnn_weights``, legacy-formats.md §2.3). The
tf.keras of TF 1.x did the same (its ``_canonical_to_params`` only flattens). Later tf.keras
(tf_keras 2.21 checked) transposes each block first (``canonical_to_params(...,
transpose_weights=True)``, the path its own LSTM/GRU take on a GPU), so its kernels mean what
an LSTM's do and only the bias changes. Which TF 2 release switched is not pinned down here:
files saying ``keras_version`` ``2.2.4-tf`` or older (TF <= 2.1) are read the TF 1.x way, and
the conversion notes that assumption; ``2.3.0-tf`` (TF 2.2) and later the transposing way.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from keras_migrate.formats.rules import TranslateContext, clean_config, register
from keras_migrate.ir.graph import Graph, Layer
from keras_migrate.ir.kinds import Generation
from keras_migrate.ir.weights import GatherFlat, Reshape, SumBlocks, Weight

__all__ = ["CUDNN_CLASSES", "fix_cudnn_weights", "flattened_kernels"]

#: CuDNN class -> (Keras 3 type, gate count).
CUDNN_CLASSES: dict[str, tuple[str, int]] = {"CuDNNLSTM": ("LSTM", 4), "CuDNNGRU": ("GRU", 3)}

_DROP = ("time_major",)


def _cudnn_rule(class_name: str) -> Any:
    target, _ = CUDNN_CLASSES[class_name]

    def rule(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
        if config.get("time_major"):
            raise ctx.fail(f"{class_name} with time_major=True is not supported", hint="rebuild it with time_major=False")
        cfg = clean_config(config, _DROP)
        cfg.update(activation="tanh", recurrent_activation="sigmoid", use_bias=True)
        if target == "GRU":
            cfg["reset_after"] = True
        return target, cfg

    return rule


for _name in CUDNN_CLASSES:
    register(_name)(_cudnn_rule(_name))


def _cudnn_class(layer: Layer) -> list[tuple[str, str]]:
    """``(weight prefix, CuDNN class)`` for each CuDNN layer ``layer`` was translated from."""
    origin = layer.origin
    if origin.class_name in CUDNN_CLASSES:
        return [("", origin.class_name)]
    if origin.class_name != "Bidirectional":
        return []
    inner = origin.config.get("layer") or {}
    backward = origin.config.get("backward_layer") or inner
    out = []
    for prefix, sub in (("forward_layer/", inner), ("backward_layer/", backward)):
        if isinstance(sub, dict) and sub.get("class_name") in CUDNN_CLASSES:
            out.append((prefix, str(sub["class_name"])))
    return out


def _input_kernel_indices(rows: int, units: int, gates: int) -> tuple[int, ...]:
    """Flat indices taking a standalone-Keras CuDNN input kernel ``(rows, gates * units)``
    to the LSTM/GRU kernel computing the same: per gate, ``reshape(block, (units, rows)).T``."""
    width = gates * units
    out = []
    for i in range(rows):
        for g in range(gates):
            for j in range(units):
                flat = j * rows + i  # position in the block flattened row-major
                out.append((flat // units) * width + g * units + flat % units)
    return tuple(out)


def _recurrent_kernel_indices(units: int, gates: int) -> tuple[int, ...]:
    """Per gate, the transposed ``(units, units)`` block of a ``(units, gates * units)`` kernel."""
    width = gates * units
    return tuple(j * width + g * units + i for i in range(units) for g in range(gates) for j in range(units))


def _relayout(weight: Weight, role: str, cudnn: str, units: int, standalone: bool) -> Weight:
    _, gates = CUDNN_CLASSES[cudnn]
    shape = weight.shape
    if role == "bias":
        if len(shape) != 1 or shape[0] != 2 * gates * units:
            return weight  # not a CuDNN bias: the shape check names it
        return weight.then(SumBlocks(2)) if cudnn == "CuDNNLSTM" else weight.then(Reshape((2, gates * units)))
    if not standalone or len(shape) != 2 or shape[1] != gates * units:
        return weight
    if role == "kernel":
        return weight.then(GatherFlat(_input_kernel_indices(shape[0], units, gates), shape))
    if role == "recurrent_kernel" and shape[0] == units:
        return weight.then(GatherFlat(_recurrent_kernel_indices(units, gates), shape))
    return weight


def flattened_kernels(generation: Generation, keras_version: str | None) -> bool:
    """Whether a file's CuDNN kernels are in the flattened (standalone Keras, TF 1.x
    tf.keras) layout rather than the transposing one of later tf.keras."""
    version = (keras_version or "").strip()
    base, tf_suffix = version.removesuffix("-tf"), version.endswith("-tf")
    try:
        major, minor = (int(p) for p in base.split(".")[:2])
    except ValueError:
        return generation in ("keras1", "keras2")
    return (major, minor) < ((2, 3) if tf_suffix else (2, 4))


def _fix_layer(layer: Layer, standalone: bool) -> Layer:
    found = _cudnn_class(layer)
    if not found:
        return layer
    new = []
    for w in layer.weights:
        for prefix, cudnn in found:
            if w.name.startswith(prefix) and w.name[len(prefix) :] in ("kernel", "recurrent_kernel", "bias"):
                cfg = layer.config.get("layer", {}).get("config", {}) if prefix else layer.config
                if prefix == "backward_layer/" and layer.config.get("backward_layer"):
                    cfg = layer.config["backward_layer"].get("config", {})
                w = _relayout(w, w.name[len(prefix) :], cudnn, int(cfg["units"]), standalone).renamed(w.name)
                break
        new.append(w)
    return layer.with_weights(tuple(new))


def fix_cudnn_weights(graph: Graph, generation: Generation, keras_version: str | None = None) -> tuple[Graph, str | None]:
    """Re-lay out the weights of every layer translated from a CuDNN layer (nested models
    included) as its Keras 3 LSTM/GRU needs them (see the module docstring); with the
    graph, a provenance note when the layout was assumed from an ambiguous version."""
    flattened = flattened_kernels(generation, keras_version)
    fixed, changed = _fix_graph(graph, flattened)
    note = None
    if changed and flattened and (keras_version or "").endswith("-tf"):
        note = (
            f"CuDNN layers from tf.keras {keras_version}: kernels read in TF 1.x tf.keras' layout "
            "(as Keras' own CuDNN-to-LSTM/GRU loader converts them); a file written by TF 2.0/2.1 may use the "
            "transposed layout of later tf.keras"
        )
    return fixed, note


def _fix_graph(graph: Graph, flattened: bool) -> tuple[Graph, bool]:
    layers = []
    changed = False
    for layer in graph.layers:
        if layer.subgraph is not None:
            sub, inner = _fix_graph(layer.subgraph, flattened)
            layer, changed = replace(layer, subgraph=sub), changed or inner
        else:
            new = _fix_layer(layer, flattened)
            layer, changed = new, changed or new is not layer
        layers.append(layer)
    return replace(graph, layers=tuple(layers)), changed
