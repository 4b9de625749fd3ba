"""What a Keras 1 model from the Theano backend computed differently, beyond flipped kernels.

Checked against genuine Keras 1.2.2 on Theano 1.0.5 (``fixtures/keras-1.2.2-theano``).
Theano's ``border_mode='same'`` differs from TensorFlow's SAME (every Keras 3 backend)
wherever a kernel or pool is even or strided; each difference becomes explicit padding
layers around a ``'valid'`` layer, so every emitter and the interpreter get it:

* convolutions (also inside ``TimeDistributed``) ran in Theano's ``'half'`` mode:
  ``((kernel - 1) * dilation + 1) // 2`` zeros on *both* sides, then the output cropped
  to ``ceil(n / stride)``. TensorFlow puts the odd zero at the end and, with strides,
  pads a size-dependent amount. They become ``ZeroPadding`` + ``'valid'``;
* pooling padded ``pool - 1`` (``pool - 2`` for odd pools above 2) on both sides, left the
  padding out of the max and the average, then cropped to ``ceil(n / stride)``. Max
  pooling becomes edge-replicated padding (``Cropping`` + ``Concatenate`` copies of the
  border, which never changes a maximum: every window reaching into the padding holds
  that border element) + ``'valid'`` max pooling; average pooling becomes ``ZeroPadding``
  + ``'valid'`` average pooling times a constant (``window size / valid elements``, a
  ``keras.ops.multiply`` node), both cropped to Theano's output size;
* ``'same'`` ``Deconvolution2D`` was the gradient of a half-padded convolution (Theano
  runs it only for odd kernels): a ``'valid'`` transposed convolution cropped by
  ``kernel // 2`` at the start, to the stored ``output_shape``;
* ``ConvLSTM2D`` (no padding layer fits inside its recurrence): an even kernel with
  stride 1 half-pads exactly as TensorFlow's SAME pads a kernel one larger whose extra
  last row/column is zero, so both kernels grow by a zero row/column.

Refused, naming the layer: strided ``'same'`` ConvLSTM2D, ``'same'`` pooling inside
``TimeDistributed``, and any of the above on spatial sizes the model leaves unknown.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from keras_migrate.errors import UnsupportedError
from keras_migrate.ir.graph import Graph, Layer, Node, TensorType, ValueRef
from keras_migrate.ir.ops.keras3 import op_type
from keras_migrate.ir.rewrite import Rewriter
from keras_migrate.ir.weights import Concat, InMemory, Weight

__all__ = ["theano_fixups", "theano_pool_pads"]

_CONV = {"Conv1D": 1, "Conv2D": 2, "Conv3D": 3}
_POOL = {f"{kind}Pooling{n}D": n for kind in ("Max", "Average") for n in (1, 2, 3)}


def _ints(v: Any, n: int) -> list[int]:
    return [int(x) for x in v] if isinstance(v, (list, tuple)) else [int(v)] * n


def _differs(kernel: list[int], strides: list[int], dilation: list[int]) -> bool:
    return any(((k - 1) * d + 1) % 2 == 0 or s > 1 for k, s, d in zip(kernel, strides, dilation))


def _pads(n: int | None, k: int, s: int, d: int) -> tuple[int, int] | None:
    """(before, after) zeros giving Theano's 'half' + crop output with a 'valid' convolution."""
    ke = (k - 1) * d + 1
    before = ke // 2
    if n is None:
        return (before, ke - 1 - before) if s == 1 else None
    out = -(-n // s)
    after = max((out - 1) * s + ke - n - before, 0)
    if (n + before + after - ke) // s + 1 != out:
        return None
    return before, after


def theano_pool_pads(rank: int, pool: int) -> int:
    """The zeros Keras 1's Theano ``pool2d``/``pool3d`` put on each side of a 'same' pool."""
    if rank == 3:
        return pool - 2 if pool % 2 == 1 else pool - 1
    return pool - 2 if pool > 2 and pool % 2 == 1 else pool - 1


def _refuse(layer: Layer, message: str, path: str) -> UnsupportedError:
    return UnsupportedError(
        f"Theano backend: {message}", path=path or None, layer=layer.origin.name or layer.name,
        hint="only files from the TensorFlow backend (or Theano models without this setting) convert exactly",
    )


def _check(layer: Layer, path: str) -> None:
    cfg = layer.config
    if layer.subgraph is not None:
        for sub in layer.subgraph.layers:
            _check(sub, path)
        return
    if layer.type in _POOL and layer.type.endswith("3D") and cfg.get("padding") == "same" and 1 in _ints(cfg.get("pool_size", 2), 3):
        raise _refuse(layer, "Theano's 'same' 3D pooling with a pool size of 1 pads -1 (Theano itself fails)", path)
    if layer.type == "ConvLSTM2D" and cfg.get("padding") == "same" and any(s > 1 for s in _ints(cfg.get("strides", 1), 2)):
        raise _refuse(layer, "a strided ConvLSTM2D 'same' convolution pads differently in Keras 3", path)
    if layer.type == "TimeDistributed":
        inner = cfg["layer"]
        if inner["class_name"] in _POOL and inner["config"].get("padding") == "same":
            raise _refuse(layer, "a wrapped 'same' pooling pads both sides (and leaves the padding out) unlike Keras 3", path)


# --------------------------------------------------------------------------- targets


def _conv_differs(cfg: Any, rank: int) -> bool:
    return cfg.get("padding") == "same" and _differs(
        _ints(cfg["kernel_size"], rank), _ints(cfg.get("strides", 1), rank), _ints(cfg.get("dilation_rate", 1), rank)
    )


def _target(layer: Layer) -> str | None:
    """Which rewrite ``layer`` needs (None: Theano computed it as Keras 3 does)."""
    cfg = layer.config
    if layer.type in _CONV and _conv_differs(cfg, _CONV[layer.type]):
        return "conv"
    if layer.type in _POOL and cfg.get("padding") == "same":
        return "pool"
    if layer.type == "Conv2DTranspose" and cfg.get("padding") == "same":
        return "deconv"
    if layer.type == "TimeDistributed" and cfg["layer"]["class_name"] in _CONV:
        inner = cfg["layer"]
        if _conv_differs(inner["config"], _CONV[inner["class_name"]]):
            return "wrapped_conv"
    return None


def _spatial(t: TensorType | None, rank: int, channels_first: bool, offset: int = 1) -> list[int | None]:
    if t is None:
        return [None] * rank
    dims = t.shape[offset:]
    return list(dims[1:] if channels_first else dims[:-1])


def _axes(rank: int, channels_first: bool, offset: int = 1) -> list[int]:
    """Tensor axes of the spatial dims (``offset`` leading axes: batch, or batch and time)."""
    first = offset + (1 if channels_first else 0)
    return list(range(first, first + rank))


def _padding_config(pairs: list[tuple[int, int]], data_format: str) -> dict[str, Any]:
    rank = len(pairs)
    cfg: dict[str, Any] = {"padding": list(pairs[0]) if rank == 1 else [list(p) for p in pairs]}
    if rank > 1:
        cfg["data_format"] = data_format
    return cfg


def _cropping_config(pairs: list[tuple[int, int]], data_format: str) -> dict[str, Any]:
    rank = len(pairs)
    cfg: dict[str, Any] = {"cropping": list(pairs[0]) if rank == 1 else [list(p) for p in pairs]}
    if rank > 1:
        cfg["data_format"] = data_format
    return cfg


def _name(layer: Layer) -> str:
    return layer.origin.name or layer.name


class _Emulate:
    """The node rewrites of one graph (``typed``: the graph with static types)."""

    def __init__(self, graph: Graph, typed: Graph, path: str, notes: list[str]) -> None:
        self.graph, self.typed, self.path, self.notes = graph, typed, path, notes

    def type_of(self, value: str) -> TensorType | None:
        return self.typed.values[value].type

    # -- convolutions -----------------------------------------------------------------
    def conv(self, rw: Rewriter, node: Node, layer: Layer) -> None:
        cfg = layer.config
        rank = _CONV[layer.type]
        src = node.inputs[0]
        cf = cfg.get("data_format") == "channels_first"
        pads = self._conv_pads(layer, cfg, rank, _spatial(self.type_of(src), rank, cf))
        data_format = cfg.get("data_format", "channels_last")
        padded = rw.insert(f"{layer.name}_theano_pad", f"ZeroPadding{rank}D", _padding_config(pads, data_format), (rw.ref(src),))
        rw.replay(node, args=(padded,))
        self.notes.append(
            f"{_name(layer)}: Theano 'same' convolution padded {_padding_config(pads, data_format)['padding']} explicitly, "
            "then 'valid' (Theano's half-padding differs from TensorFlow's SAME for even kernels and strides)"
        )

    def _conv_pads(self, layer: Layer, cfg: Any, rank: int, spatial: list[int | None]) -> list[tuple[int, int]]:
        pads = [
            _pads(n, k, s, d)
            for n, k, s, d in zip(
                spatial, _ints(cfg["kernel_size"], rank), _ints(cfg.get("strides", 1), rank), _ints(cfg.get("dilation_rate", 1), rank)
            )
        ]
        given = [p for p in pads if p is not None]
        if len(given) != rank:
            raise _refuse(layer, "a strided 'same' convolution needs the input size to reproduce Theano's padding", self.path)
        return given

    def wrapped_conv(self, rw: Rewriter, node: Node, layer: Layer) -> None:
        inner = layer.config["layer"]
        icfg = inner["config"]
        rank = _CONV[inner["class_name"]]
        src = node.inputs[0]
        cf = icfg.get("data_format") == "channels_first"
        pads = self._conv_pads(layer, icfg, rank, _spatial(self.type_of(src), rank, cf, offset=2))
        data_format = icfg.get("data_format", "channels_last")
        pad_layer = {"class_name": f"ZeroPadding{rank}D", "config": {"name": f"{icfg.get('name', layer.name)}_theano_pad", **_padding_config(pads, data_format)}}
        padded = rw.insert(f"{layer.name}_theano_pad", "TimeDistributed", {"layer": pad_layer}, (rw.ref(src),))
        rw.replay(node, args=(padded,))
        self.notes.append(
            f"{_name(layer)}: Theano 'same' convolution (in TimeDistributed) padded "
            f"{_padding_config(pads, data_format)['padding']} explicitly, then 'valid'"
        )

    # -- transposed convolution ---------------------------------------------------------
    def deconv(self, rw: Rewriter, node: Node, layer: Layer) -> None:
        cfg = layer.config
        cf = cfg.get("data_format") == "channels_first"
        kernel, strides = _ints(cfg["kernel_size"], 2), _ints(cfg.get("strides", 1), 2)
        stored = layer.origin.config.get("output_shape")
        sizes = _spatial(self.type_of(node.inputs[0]), 2, cf)
        if any(k % 2 == 0 for k in kernel):
            raise _refuse(layer, "a 'same' Deconvolution2D with an even kernel (Theano itself refused to run one)", self.path)
        if not isinstance(stored, (list, tuple)) or len(stored) != 4 or None in sizes:
            raise _refuse(layer, "a 'same' Deconvolution2D needs its input size and stored output_shape to reproduce Theano", self.path)
        wanted = [int(d) for d in (stored[2:] if cf else stored[1:3])]
        crops = []
        for n, k, s, o in zip([int(d) for d in sizes if d is not None], kernel, strides, wanted):
            full = (n - 1) * s + k
            before = k // 2
            if full - before - o < 0 or (o + 2 * before - k) // s + 1 != n:
                raise _refuse(layer, f"Deconvolution2D output_shape {list(stored)} is not reachable with Theano's padding", self.path)
            crops.append((before, full - before - o))
        (out,) = rw.replay(node)  # declared 'valid' without output_padding (see declare below)
        data_format = cfg.get("data_format", "channels_last")
        cropped = rw.insert(f"{layer.name}_theano_crop", "Cropping2D", _cropping_config(crops, data_format), (out,))
        rw.bind(node.outputs[0], cropped)
        self.notes.append(f"{_name(layer)}: Theano 'same' Deconvolution2D as 'valid', then cropped {crops}")

    # -- pooling ------------------------------------------------------------------------
    def pool(self, rw: Rewriter, node: Node, layer: Layer) -> None:
        cfg = layer.config
        rank = _POOL[layer.type]
        cf = cfg.get("data_format") == "channels_first"
        data_format = cfg.get("data_format", "channels_last")
        pool = _ints(cfg.get("pool_size", 2), rank)
        strides = _ints(cfg.get("strides") or pool, rank)
        sizes = _spatial(self.type_of(node.inputs[0]), rank, cf)
        if None in sizes:
            raise _refuse(layer, "Theano's 'same' pooling needs the input's spatial size to be reproduced", self.path)
        ns = [int(n) for n in sizes if n is not None]
        plan = []  # per axis: (before, after, extra outputs to crop, output size)
        for n, k, s in zip(ns, pool, strides):
            p = theano_pool_pads(rank, k)
            out = -(-n // s)
            after = max((out - 1) * s - p + k - n, 0)
            count = (n + p + after - k) // s + 1
            plan.append((p, after, count - out, out))
        x = rw.ref(node.inputs[0])
        axes = _axes(rank, cf)
        maxpool = layer.type.startswith("Max")
        if maxpool:
            x = self._replicate(rw, layer, x, axes, ns, [(p, a) for p, a, _, _ in plan], data_format)
        else:
            x = rw.insert(f"{layer.name}_theano_pad", f"ZeroPadding{rank}D", _padding_config([(p, a) for p, a, _, _ in plan], data_format), (x,))
        (pooled,) = rw.replay(node, args=(x,))  # declared 'valid' (see declare below)
        if any(extra for _, _, extra, _ in plan):
            crop = _cropping_config([(0, extra) for _, _, extra, _ in plan], data_format)
            pooled = rw.insert(f"{layer.name}_theano_crop", f"Cropping{rank}D", crop, (pooled,))
        if not maxpool:
            scale = self._average_scale(rank, ns, pool, strides, plan, cf)
            if not np.all(scale == 1.0):
                const = {"class_name": "__numpy__", "config": {"value": scale.tolist(), "dtype": "float32"}}
                pooled = rw.insert(f"{layer.name}_theano_exclude_pad", op_type("Multiply"), {}, (pooled, const))
        rw.bind(node.outputs[0], pooled)
        how = "edge-replicated" if maxpool else "zero"
        self.notes.append(
            f"{_name(layer)}: Theano 'same' pooling as {how} padding {[(p, a) for p, a, _, _ in plan]} + 'valid'"
            + ("" if maxpool else ", rescaled to leave the padding out of the average")
        )

    @staticmethod
    def _replicate(
        rw: Rewriter, layer: Layer, x: ValueRef, axes: list[int], sizes: list[int], pads: list[tuple[int, int]], data_format: str
    ) -> ValueRef:
        """``x`` with ``pads`` copies of its border elements along each spatial axis."""
        rank = len(axes)
        for i, (axis, n, (before, after)) in enumerate(zip(axes, sizes, pads)):
            if not before and not after:
                continue
            size = n
            parts: list[ValueRef] = []
            for amount, keep in ((before, (0, size - 1)), (after, (size - 1, 0))):
                if amount:
                    crop = [(0, 0)] * rank
                    crop[i] = keep
                    edge = rw.insert(f"{layer.name}_theano_edge", f"Cropping{rank}D", _cropping_config(crop, data_format), (x,))
                    parts.append(edge)
            first = [parts[0]] * before if before else []
            last = [parts[-1]] * after if after else []
            x = rw.insert(f"{layer.name}_theano_replicate", "Concatenate", {"axis": axis}, ([*first, x, *last],))
        return x

    @staticmethod
    def _average_scale(
        rank: int, sizes: list[int], pool: list[int], strides: list[int], plan: list[tuple[int, int, int, int]], cf: bool
    ) -> np.ndarray:
        """``window size / valid elements`` per output position, shaped to broadcast."""
        per_axis = []
        for n, k, s, (p, _, _, out) in zip(sizes, pool, strides, plan):
            starts = np.arange(out) * s - p
            valid = np.minimum(starts + k, n) - np.maximum(starts, 0)
            per_axis.append(k / valid.astype(np.float64))
        scale = per_axis[0]
        for a in per_axis[1:]:
            scale = np.multiply.outer(scale, a)
        scale = scale.astype(np.float32)
        return scale if cf else scale[..., None]

    # -- ConvLSTM2D ---------------------------------------------------------------------
    @staticmethod
    def grow_convlstm(layer: Layer) -> Layer:
        """An even 'same' ConvLSTM2D kernel as the odd one with a zero last row/column."""
        ks = _ints(layer.config["kernel_size"], 2)
        weights = []
        for w in layer.weights:
            if w.name not in ("kernel", "recurrent_kernel"):
                weights.append(w)
                continue
            grown = w
            for axis, k in enumerate(ks):
                if k % 2 == 0:
                    shape = list(grown.shape)
                    shape[axis] = 1
                    zeros = Weight(f"{w.name}_theano_zero", InMemory(np.zeros(shape, dtype=grown.dtype)))
                    grown = Weight(w.name, Concat((grown, zeros), axis=axis), trainable=w.trainable, origin=w.origin)
            weights.append(grown)
        return replace(layer, config={**layer.config, "kernel_size": [k + 1 if k % 2 == 0 else k for k in ks]}, weights=tuple(weights))


def _rewrite(graph: Graph, path: str, notes: list[str]) -> Graph:
    graph = replace(graph, layers=tuple(replace(lay, subgraph=_rewrite(lay.subgraph, path, notes)) if lay.subgraph is not None else lay for lay in graph.layers))
    grown = {}
    for lay in graph.layers:
        if lay.type == "ConvLSTM2D" and lay.config.get("padding") == "same" and any(k % 2 == 0 for k in _ints(lay.config["kernel_size"], 2)):
            grown[lay.name] = _Emulate.grow_convlstm(lay)
            notes.append(f"{_name(lay)}: Theano 'same' ConvLSTM2D with an even kernel as kernel_size {grown[lay.name].config['kernel_size']} (a zero last row/column)")
    if grown:
        graph = replace(graph, layers=tuple(grown.get(lay.name, lay) for lay in graph.layers))
    targets = {lay.name: t for lay in graph.layers if (t := _target(lay)) is not None}
    if not targets:
        return graph
    from keras_migrate.ir.passes.infer_types import infer_graph_types

    emulate = _Emulate(graph, infer_graph_types(graph), path, notes)

    def on_node(rw: Rewriter, node: Node) -> bool:
        kind = targets.get(node.layer)
        if kind is None:
            return False
        getattr(emulate, kind)(rw, node, graph.layer(node.layer))
        return True

    def declare(lay: Layer) -> Layer:
        kind = targets.get(lay.name)
        if kind in ("conv", "pool"):
            return lay.with_config(padding="valid")
        if kind == "deconv":
            return lay.with_config(padding="valid", output_padding=None)
        if kind == "wrapped_conv":
            inner = lay.config["layer"]
            return lay.with_config(layer={**inner, "config": {**inner["config"], "padding": "valid"}})
        return lay

    # Every layer keeps its place (the padding layers come last); targets become 'valid'.
    return Rewriter.rewrite(graph, on_node, declare=declare)


def theano_fixups(graph: Graph, *, path: str = "", notes: list[str]) -> Graph:
    """Refuse what Theano computed differently and no layer reproduces; emulate the rest."""
    for layer in graph.layers:
        _check(layer, path)
    return _rewrite(graph, path, notes)
