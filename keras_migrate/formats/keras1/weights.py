"""Keras 1 weight arrays -> the IR layers' Keras 3 weights (lazy re-layouts only).

The rules are Keras 2's own Keras-1 loading rules (``preprocess_weights_for_loading``)
plus what Keras 2 never did: 'th' kernels of every convolution (incl. separable and
Deconvolution2D) to Keras 3's layout, GRU's 9 and LSTM/ConvLSTM2D's 12 per-gate arrays
(file order i, c, f, o) regrouped into Keras 3's concatenated i, f, c, o, the Keras <= 1.1
Convolution1D layout, BatchNormalization ``running_std`` holding the standard deviation
(Keras <= 1.0.5), and Theano's true convolution (spatially flipped kernels).

A nested model's group holds all trainable weights of its leaf layers (recursively, in
layer order) and then all non-trainable ones, with Keras 1's own per-layer counts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from keras_migrate.errors import KerasMigrateError, UnsupportedError
from keras_migrate.ir.graph import Graph, Layer
from keras_migrate.ir.specs import weight_specs
from keras_migrate.ir.weights import Flip, Map, Reshape, Transpose, Weight

__all__ = ["WeightOptions", "attach_keras1_weights", "keras1_weight_count"]


@dataclass
class WeightOptions:
    """How to read arrays whose meaning the file does not record."""

    #: ``theano`` flips convolution kernels (true convolution), ``tensorflow`` does not.
    backend: str = "tensorflow"
    #: ``variance`` (Keras >= 1.0.6) or ``std`` (Keras <= 1.0.5) for BN ``running_std``.
    bn_running_std: str = "variance"
    path: str = ""
    notes: list[str] = field(default_factory=list)


_CONV_LIKE = frozenset(
    {"Convolution1D", "AtrousConvolution1D", "Convolution2D", "AtrousConvolution2D", "Convolution3D", "Deconvolution2D"}
)


def keras1_weight_count(class_name: str, config: Mapping[str, Any]) -> tuple[int, int]:
    """(trainable, non-trainable) arrays a Keras 1 layer owns, in its own order."""
    bias = 1 if config.get("bias", True) else 0
    if class_name in _CONV_LIKE or class_name in ("Dense", "TimeDistributedDense", "MaxoutDense", "LocallyConnected1D", "LocallyConnected2D"):
        return 1 + bias, 0
    if class_name == "SeparableConvolution2D":
        return 2 + bias, 0
    if class_name == "Highway":
        return 2 + 2 * bias, 0
    if class_name in ("Embedding", "PReLU"):
        return 1, 0
    if class_name == "ParametricSoftplus":
        return 2, 0
    if class_name == "SReLU":
        return 4, 0
    if class_name == "SimpleRNN":
        return 3, 0
    if class_name == "GRU":
        return (3 if config.get("consume_less") == "gpu" else 9), 0
    if class_name == "LSTM":
        return (3 if config.get("consume_less") == "gpu" else 12), 0
    if class_name == "ConvLSTM2D":
        return 12, 0
    if class_name == "BatchNormalization":
        return 2, 2
    if class_name in ("TimeDistributed", "Bidirectional"):
        inner = config["layer"]
        t, n = keras1_weight_count(inner["class_name"], inner.get("config") or {})
        return (t, n) if class_name == "TimeDistributed" else (2 * t, 2 * n)
    return 0, 0


# --------------------------------------------------------------------------- leaf rules


def _fail(layer_name: str, opts: WeightOptions, message: str, hint: str | None = None) -> UnsupportedError:
    return UnsupportedError(message, path=opts.path or None, layer=layer_name, hint=hint)


def _spatial_flip(w: Weight) -> Weight:
    return w.then(Flip(tuple(range(len(w.shape) - 2))))


def _th(cfg: Mapping[str, Any]) -> bool:
    return cfg.get("dim_ordering") == "th"


#: The rank of each Keras 1 convolution kernel the file stores (Keras 1 writes 1-D kernels 4-D).
_KERNEL_RANK = {
    "Convolution1D": 4, "AtrousConvolution1D": 4, "Convolution2D": 4, "AtrousConvolution2D": 4,
    "Deconvolution2D": 4, "Convolution3D": 5,
}  # fmt: skip


def _conv_kernel(cls: str, cfg: Mapping[str, Any], w: Weight, name: str, opts: WeightOptions) -> Weight:
    """A Keras 1 convolution kernel in Keras 3's layout (spatial..., in, out)."""
    rank = _KERNEL_RANK.get(cls, 0)
    if len(w.shape) != rank if rank else len(w.shape) < 3:
        # a damaged file's kernel of another rank would fail inside the re-layout transforms
        raise _fail(
            name, opts, f"{cls} kernel has shape {tuple(w.shape)}, not a {rank or '3- or more'}-D kernel",
            hint="the weights do not fit the architecture, or the file is damaged",
        )
    if cls in ("Convolution1D", "AtrousConvolution1D"):
        shape = w.shape
        filters = int(cfg["nb_filter"])
        if len(shape) == 4 and shape[1] == 1 and shape[3] == filters:
            w = w.then(Reshape((shape[0], shape[2], shape[3])))
        elif len(shape) == 4 and shape[3] == 1 and shape[0] == filters:
            w = w.then(Transpose((2, 3, 1, 0)), Reshape((shape[2], shape[1], shape[0])))
            opts.notes.append(f"{name}: Convolution1D kernel in the Keras <= 1.1 layout (nb_filter, input_dim, length, 1), re-laid-out")
        else:
            raise _fail(name, opts, f"Convolution1D kernel shape {shape} is neither Keras 1 layout")
    elif cls in ("Convolution2D", "AtrousConvolution2D") and _th(cfg):
        w = w.then(Transpose((2, 3, 1, 0)))
    elif cls == "Convolution3D" and _th(cfg):
        w = w.then(Transpose((2, 3, 4, 1, 0)))
    elif cls == "Deconvolution2D":
        w = w.then(Transpose((2, 3, 0, 1)) if _th(cfg) else Transpose((0, 1, 3, 2)))
    if opts.backend == "theano":
        w = _spatial_flip(w)
    return w


def _gates(raw: Sequence[Weight], order: Sequence[int]) -> Weight:
    return Weight.concat("", [raw[i] for i in order], axis=-1)


def _leaf(cls: str, cfg: Mapping[str, Any], raw: Sequence[Weight], name: str, opts: WeightOptions, ltype: str, lcfg: Mapping[str, Any]) -> dict[str, Weight]:
    """Named Keras 3 weights of one Keras 1 leaf layer (``raw`` in Keras 1 file order)."""
    bias = bool(cfg.get("bias", True))
    if cls in ("Dense", "TimeDistributedDense", "MaxoutDense", "LocallyConnected1D", "LocallyConnected2D"):
        out = {"kernel": raw[0]}
        if bias:
            out["bias"] = raw[1]
        return out
    if cls in _CONV_LIKE:
        out = {"kernel": _conv_kernel(cls, cfg, raw[0], name, opts)}
        if bias:
            out["bias"] = raw[1]
        return out
    if cls == "SeparableConvolution2D":
        dw, pw = raw[0], raw[1]
        if _th(cfg):
            dw, pw = dw.then(Transpose((2, 3, 1, 0))), pw.then(Transpose((2, 3, 1, 0)))
        if opts.backend == "theano":
            opts.notes.append(f"{name}: Keras 1's Theano backend had no separable convolution; kernels taken as stored")
        out = {"depthwise_kernel": dw, "pointwise_kernel": pw}
        if bias:
            out["bias"] = raw[2]
        return out
    if cls == "Highway":
        out = {"kernel": raw[0], "carry_kernel": raw[1]}
        if bias:
            out |= {"bias": raw[2], "carry_bias": raw[3]}
        return out
    if cls == "Embedding":
        return {"embeddings": raw[0]}
    if cls == "PReLU":
        return {"alpha": raw[0]}
    if cls == "ParametricSoftplus":
        return {"alpha": raw[0], "beta": raw[1]}
    if cls == "SReLU":
        return dict(zip(("t_left", "a_left", "t_right", "a_right"), raw))
    if cls == "BatchNormalization":
        var = raw[3]
        if opts.bn_running_std == "std":
            eps = float(cfg.get("epsilon", 1e-3))
            # Keras <= 1.0.5 divided by (std + eps); (std + eps)^2 - eps under Keras 3's sqrt(var + eps).
            var = var.then(Map("add", eps), Map("square"), Map("add", -eps))
        return {"gamma": raw[0], "beta": raw[1], "moving_mean": raw[2], "moving_variance": var}
    if cls == "SimpleRNN":
        return {"kernel": raw[0], "recurrent_kernel": raw[1], "bias": raw[2]}
    if cls in ("GRU", "LSTM"):
        if len(raw) == 3:  # consume_less='gpu': already concatenated (z|r|h, i|f|c|o)
            return {"kernel": raw[0], "recurrent_kernel": raw[1], "bias": raw[2]}
        k: tuple[int, ...]
        r: tuple[int, ...]
        b: tuple[int, ...]
        if cls == "GRU":
            k, r, b = (0, 3, 6), (1, 4, 7), (2, 5, 8)
        else:  # file order i, c, f, o -> i, f, c, o
            k, r, b = (0, 6, 3, 9), (1, 7, 4, 10), (2, 8, 5, 11)
        return {"kernel": _gates(raw, k), "recurrent_kernel": _gates(raw, r), "bias": _gates(raw, b)}
    if cls == "ConvLSTM2D":
        def fix(w: Weight) -> Weight:
            w = w.then(Transpose((2, 3, 1, 0))) if _th(cfg) else w
            return _spatial_flip(w) if opts.backend == "theano" else w

        kc, rc, bc = (0, 6, 3, 9), (1, 7, 4, 10), (2, 8, 5, 11)
        return {
            "kernel": Weight.concat("", [fix(raw[i]) for i in kc], axis=-1),
            "recurrent_kernel": Weight.concat("", [fix(raw[i]) for i in rc], axis=-1),
            "bias": _gates(raw, bc),
        }
    if cls in ("TimeDistributed", "Bidirectional"):
        inner = cfg["layer"]
        icls, icfg = str(inner["class_name"]), inner.get("config") or {}
        itype, ilcfg = lcfg["layer"]["class_name"], lcfg["layer"]["config"]
        if cls == "TimeDistributed":
            return _leaf(icls, icfg, raw, name, opts, itype, ilcfg)
        half = len(raw) // 2
        fwd = _leaf(icls, icfg, raw[:half], name, opts, itype, ilcfg)
        bwd = _leaf(icls, icfg, raw[half:], name, opts, itype, ilcfg)
        return {f"forward_layer/{k}": v for k, v in fwd.items()} | {f"backward_layer/{k}": v for k, v in bwd.items()}
    raise _fail(name, opts, f"no weight rule for Keras 1 {cls}")


def _shared_axes(layer: Layer) -> Layer:
    """PReLU/ParametricSoftplus/SReLU: Keras 1 never saved shared_axes; the weights' 1-sized
    axes are the shared ones (sharing an axis of size 1 changes nothing)."""
    if layer.type not in ("PReLU", "keras_migrate>ParametricSoftplus", "keras_migrate>SReLU") or not layer.weights:
        return layer
    shape = layer.weights[0].shape
    axes = [i + 1 for i, d in enumerate(shape) if d == 1]
    return layer.with_config(shared_axes=axes or None)


def convert_leaf(layer: Layer, raw: Sequence[Weight], opts: WeightOptions) -> Layer:
    """Give one (non-nested) layer its Keras 3 weights from its Keras 1 arrays."""
    cls, cfg = layer.origin.class_name, layer.origin.config
    name = layer.origin.name or layer.name
    t, n = keras1_weight_count(cls, cfg)
    if len(raw) != t + n:
        raise KerasMigrateError(
            f"Keras 1 {cls} owns {t + n} weight arrays, the weights file has {len(raw)}",
            path=opts.path or None,
            layer=name,
            hint="the weights do not fit the architecture",
        )
    named = _leaf(cls, cfg, raw, name, opts, layer.type, layer.config)
    specs = weight_specs(layer.type, layer.config)
    if sorted(named) != sorted(s.name for s in specs):
        raise KerasMigrateError(
            f"internal: Keras 1 {cls} gave weights {sorted(named)}, {layer.type} needs {[s.name for s in specs]}",
            layer=name,
        )
    weights = tuple(replace(named[s.name], name=s.name, trainable=s.trainable) for s in specs)
    return _shared_axes(layer.with_weights(weights))


def _order(layer: Layer) -> tuple[list[tuple[Layer, int]], list[tuple[Layer, int]]]:
    """Keras 1 file order of a layer's arrays: (trainable, non-trainable) as (leaf, index)."""
    if layer.subgraph is None:
        t, n = keras1_weight_count(layer.origin.class_name, layer.origin.config)
        tr = [(layer, i) for i in range(t)]
        nt = [(layer, t + i) for i in range(n)]
    else:
        tr, nt = [], []
        for sub in layer.subgraph.layers:
            a, b = _order(sub)
            tr += a
            nt += b
    return (tr, nt) if layer.trainable else ([], tr + nt)


def _assign(layer: Layer, raw: Sequence[Weight], opts: WeightOptions) -> Layer:
    if layer.subgraph is None:
        return convert_leaf(layer, raw, opts)
    tr, nt = _order(layer)
    slots = tr + nt
    if len(slots) != len(raw):
        raise KerasMigrateError(
            f"the nested model's Keras 1 layers own {len(slots)} weight arrays, the weights file has {len(raw)}",
            path=opts.path or None,
            layer=layer.origin.name or layer.name,
            hint="the weights do not fit the architecture",
        )
    per_leaf: dict[int, dict[int, Weight]] = {}
    for (leaf, idx), w in zip(slots, raw):
        per_leaf.setdefault(id(leaf), {})[idx] = w

    def rebuild(lay: Layer) -> Layer:
        if lay.subgraph is not None:
            return replace(lay, subgraph=replace(lay.subgraph, layers=tuple(rebuild(s) for s in lay.subgraph.layers)))
        got = per_leaf.get(id(lay))
        if not got:
            return lay
        return convert_leaf(lay, [got[i] for i in sorted(got)], opts)

    return rebuild(layer)


def has_keras1_weights(layer: Layer) -> bool:
    if layer.subgraph is not None:
        return any(has_keras1_weights(s) for s in layer.subgraph.layers)
    return sum(keras1_weight_count(layer.origin.class_name, layer.origin.config)) > 0


def attach_keras1_weights(graph: Graph, get: Callable[[str], Sequence[Weight] | None], opts: WeightOptions) -> Graph:
    """Give every layer its weights; ``get(original_name)`` returns Keras 1 arrays in file order."""
    layers = []
    for layer in graph.layers:
        if not has_keras1_weights(layer):
            layers.append(layer)
            continue
        name = layer.origin.name or layer.name
        raw = get(name)
        if raw is None:
            raise KerasMigrateError(
                "the weights file has no weights for this layer",
                path=opts.path or None,
                layer=name,
                hint="the weights do not fit the architecture",
            )
        layers.append(_assign(layer, list(raw), opts))
    return replace(graph, layers=tuple(layers))
