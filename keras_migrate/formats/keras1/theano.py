"""What a Keras 1 model from the Theano backend computed differently, beyond flipped kernels.

Keras 1's Theano backend ran ``border_mode='same'`` convolutions in Theano's ``'half'``
mode: ``(kernel - 1) * dilation + 1) // 2`` zeros on *both* sides, then (for even kernels)
the output cropped to ``ceil(n / stride)``. TensorFlow's SAME (every Keras 3 backend)
puts the odd zero at the end and, with strides, pads by a size-dependent amount, so the
two agree only for odd kernels with stride 1. Those convolutions become an explicit
``ZeroPadding`` layer plus a ``'valid'`` convolution, which is exact.

Settings with no exact Keras 3 form are refused, naming the layer: Theano ``'same'``
pooling (it pads ``pool - 1`` or ``pool - 2`` zeros on both sides and averages excluding
them), ``'same'`` Deconvolution2D, and ConvLSTM2D / wrapped convolutions whose ``'same'``
convolutions pad differently (no padding layer fits inside them).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from keras_migrate.errors import UnsupportedError
from keras_migrate.ir.graph import Graph, Layer, Node
from keras_migrate.ir.rewrite import Rewriter

__all__ = ["theano_fixups"]

_CONV = {"Conv1D": 1, "Conv2D": 2, "Conv3D": 3}
_POOL = frozenset({"MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D", "AveragePooling2D", "AveragePooling3D"})


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


def _refuse(layer: Layer, message: str, path: str) -> UnsupportedError:
    return UnsupportedError(
        f"Theano backend: {message}", path=path or None, layer=layer.origin.name or layer.name,
        hint="only files from the TensorFlow backend (or Theano models without this setting) convert exactly",
    )


def _check(layer: Layer, path: str) -> None:
    cfg, ocfg = layer.config, layer.origin.config
    if layer.subgraph is not None:
        for sub in layer.subgraph.layers:
            _check(sub, path)
        return
    if layer.type in _POOL and cfg.get("padding") == "same" and any(p > 1 for p in _ints(cfg.get("pool_size", 2), 1)):
        raise _refuse(layer, "'same' pooling pads both sides (and averages without the padding), unlike every Keras 3 backend", path)
    if layer.type == "Conv2DTranspose" and cfg.get("padding") == "same":
        raise _refuse(layer, "'same' Deconvolution2D aligns its padding differently from Keras 3", path)
    if layer.type == "ConvLSTM2D":
        ks = _ints(cfg["kernel_size"], 2)
        if any(k % 2 == 0 for k in ks) or (cfg.get("padding") == "same" and _differs(ks, _ints(cfg.get("strides", 1), 2), [1, 1])):
            raise _refuse(layer, "ConvLSTM2D 'same' convolutions with an even kernel (or strides) pad differently in Keras 3", path)
    if layer.type == "TimeDistributed" and ocfg:
        inner = cfg["layer"]
        icfg = inner["config"]
        if inner["class_name"] in _CONV and icfg.get("padding") == "same":
            rank = _CONV[inner["class_name"]]
            if _differs(_ints(icfg["kernel_size"], rank), _ints(icfg.get("strides", 1), rank), _ints(icfg.get("dilation_rate", 1), rank)):
                raise _refuse(layer, "a wrapped 'same' convolution with an even kernel (or strides) pads differently in Keras 3", path)


def _needs_padding(layer: Layer) -> bool:
    if layer.type not in _CONV or layer.config.get("padding") != "same":
        return False
    rank = _CONV[layer.type]
    cfg = layer.config
    return _differs(_ints(cfg["kernel_size"], rank), _ints(cfg.get("strides", 1), rank), _ints(cfg.get("dilation_rate", 1), rank))


def _rewrite(graph: Graph, path: str, notes: list[str]) -> Graph:
    graph = replace(graph, layers=tuple(replace(lay, subgraph=_rewrite(lay.subgraph, path, notes)) if lay.subgraph is not None else lay for lay in graph.layers))
    targets = {lay.name for lay in graph.layers if _needs_padding(lay)}
    if not targets:
        return graph
    from keras_migrate.ir.passes.infer_types import infer_graph_types

    typed = infer_graph_types(graph)

    def pad_then_convolve(rw: Rewriter, node: Node) -> bool:
        if node.layer not in targets:
            return False
        layer = graph.layer(node.layer)
        cfg = layer.config
        rank = _CONV[layer.type]
        src = node.inputs[0]
        t = typed.values[src].type
        cf = cfg.get("data_format") == "channels_first"
        spatial = (t.shape[2:] if cf else t.shape[1:-1]) if t is not None else (None,) * rank
        pads = [
            _pads(n, k, s, d)
            for n, k, s, d in zip(
                spatial, _ints(cfg["kernel_size"], rank), _ints(cfg.get("strides", 1), rank), _ints(cfg.get("dilation_rate", 1), rank)
            )
        ]
        given = [p for p in pads if p is not None]
        if len(given) != rank:
            raise _refuse(layer, "a strided 'same' convolution needs the input size to reproduce Theano's padding", path)
        pcfg: dict[str, Any] = {"padding": list(given[0]) if rank == 1 else [list(p) for p in given]}
        if rank > 1:
            pcfg["data_format"] = cfg.get("data_format", "channels_last")
        padded = rw.insert(f"{layer.name}_theano_pad", f"ZeroPadding{rank}D", pcfg, (rw.ref(src),))
        rw.replay(node, args=(padded,))
        notes.append(
            f"{layer.origin.name or layer.name}: Theano 'same' convolution padded {pcfg['padding']} explicitly, "
            "then 'valid' (Theano's half-padding differs from TensorFlow's SAME for even kernels and strides)"
        )
        return True

    # Every layer keeps its place (the padding layers come last); targets become 'valid'.
    return Rewriter.rewrite(
        graph, pad_then_convolve, declare=lambda lay: lay.with_config(padding="valid") if lay.name in targets else lay
    )


def theano_fixups(graph: Graph, *, path: str = "", notes: list[str]) -> Graph:
    """Refuse what Theano computed differently; make 'same' convolutions exact (see module doc)."""
    for layer in graph.layers:
        _check(layer, path)
    return _rewrite(graph, path, notes)
