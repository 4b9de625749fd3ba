"""Fresh weights for a Keras 1 architecture converted without its weights file.

Weight shapes depend on input shapes, so the graph is walked in node order on a batch of
zeros (unknown dimensions set to 3): each layer that owns weights gets them from the
shape of its first input, then runs through its numpy kernel to give the next layers
their shapes. Values are seeded random (kernels ~ N(0, 1/fan_in)), biases zero, scales
and variances one; the model is a correctly shaped, untrained Keras 3 model.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from keras_migrate.errors import KerasMigrateError, UnsupportedError
from keras_migrate.formats.limits import max_weight_bytes
from keras_migrate.ir.graph import Graph, Layer, ValueRef, map_structure
from keras_migrate.ir.interpreter import run_layer
from keras_migrate.ir.specs import weight_specs
from keras_migrate.ir.weights import Weight

__all__ = ["initialize"]

_ONES = ("gamma", "moving_variance", "a_right", "alpha_ps")


def _ints(v: Any, n: int) -> list[int]:
    return [int(x) for x in v] if isinstance(v, (list, tuple)) else [int(v)] * n


def _channels(shape: tuple[int, ...], cfg: Mapping[str, Any]) -> int:
    return shape[1] if cfg.get("data_format") == "channels_first" else shape[-1]


def _shapes(ltype: str, cfg: Mapping[str, Any], shape: tuple[int, ...]) -> dict[str, tuple[int, ...]]:
    """Keras 3 weight shapes of a layer whose first input has ``shape`` (batch included)."""
    units = int(cfg.get("units", 0) or 0)
    if ltype == "Dense":
        return {"kernel": (shape[-1], units), "bias": (units,)}
    if ltype in ("Conv1D", "Conv2D", "Conv3D"):
        ks = _ints(cfg["kernel_size"], len(shape) - 2)
        f = int(cfg["filters"])
        return {"kernel": (*ks, _channels(shape, cfg), f), "bias": (f,)}
    if ltype == "Conv2DTranspose":
        ks = _ints(cfg["kernel_size"], 2)
        f = int(cfg["filters"])
        return {"kernel": (*ks, f, _channels(shape, cfg)), "bias": (f,)}
    if ltype == "SeparableConv2D":
        ks = _ints(cfg["kernel_size"], 2)
        c, dm, f = _channels(shape, cfg), int(cfg.get("depth_multiplier", 1)), int(cfg["filters"])
        return {"depthwise_kernel": (*ks, c, dm), "pointwise_kernel": (1, 1, c * dm, f), "bias": (f,)}
    if ltype in ("keras_migrate>LocallyConnected1D", "keras_migrate>LocallyConnected2D"):
        rank = len(shape) - 2
        ks, st = _ints(cfg["kernel_size"], rank), _ints(cfg.get("strides", 1), rank)
        cf = cfg.get("data_format") == "channels_first" and rank == 2
        spatial = shape[2:] if cf else shape[1:-1]
        out = [(s - k) // t + 1 for s, k, t in zip(spatial, ks, st)]
        f = int(cfg["filters"])
        return {"kernel": (int(np.prod(out)), int(np.prod(ks)) * _channels(shape, cfg if rank == 2 else {}), f), "bias": (*out, f)}
    if ltype == "Embedding":
        return {"embeddings": (int(cfg["input_dim"]), int(cfg["output_dim"]))}
    if ltype in ("BatchNormalization", "keras_migrate>Keras1BatchNormalization"):
        feat = (shape[int(cfg.get("axis", -1))],)
        return {"gamma": feat, "beta": feat, "moving_mean": feat, "moving_variance": feat}
    if ltype in ("PReLU", "keras_migrate>ParametricSoftplus", "keras_migrate>SReLU"):
        p = tuple(1 if i + 1 in (cfg.get("shared_axes") or []) else d for i, d in enumerate(shape[1:]))
        names = {"PReLU": ("alpha",), "keras_migrate>ParametricSoftplus": ("alpha", "beta")}.get(
            ltype, ("t_left", "a_left", "t_right", "a_right")
        )
        return {n: p for n in names}
    if ltype in ("SimpleRNN", "GRU", "LSTM"):
        g = {"SimpleRNN": 1, "GRU": 3, "LSTM": 4}[ltype]
        return {"kernel": (shape[-1], g * units), "recurrent_kernel": (units, g * units), "bias": (g * units,)}
    if ltype == "ConvLSTM2D":
        ks = _ints(cfg["kernel_size"], 2)
        f = int(cfg["filters"])
        c = shape[2] if cfg.get("data_format") == "channels_first" else shape[-1]
        return {"kernel": (*ks, c, 4 * f), "recurrent_kernel": (*ks, f, 4 * f), "bias": (4 * f,)}
    if ltype == "keras_migrate>MaxoutDense":
        nf = int(cfg["nb_feature"])
        return {"kernel": (nf, shape[-1], units), "bias": (nf, units)}
    if ltype == "keras_migrate>Highway":
        d = shape[-1]
        return {"kernel": (d, d), "carry_kernel": (d, d), "bias": (d,), "carry_bias": (d,)}
    if ltype == "TimeDistributed":
        inner = cfg["layer"]
        return _shapes(inner["class_name"], inner["config"], (shape[0], *shape[2:]))
    if ltype == "Bidirectional":
        inner = _shapes(cfg["layer"]["class_name"], cfg["layer"]["config"], shape)
        return {f"{p}/{k}": v for p in ("forward_layer", "backward_layer") for k, v in inner.items()}
    raise UnsupportedError(f"cannot initialize weights of a {ltype} layer")


def _bounded(shape: tuple[int, ...], what: str, path: str, layer: str) -> tuple[int, ...]:
    """``shape`` if an array of it (float64 while drawn) stays under the weight-size limit:
    checked before numpy allocates anything."""
    if any(not isinstance(d, int) or d < 0 for d in shape):
        raise KerasMigrateError(f"{what} would have the shape {shape}", path=path or None, layer=layer,
                                hint="the config's sizes are damaged")
    limit = max_weight_bytes()
    if math.prod(shape) * 8 > limit:
        raise KerasMigrateError(
            f"{what} of shape {shape} would take {math.prod(shape) * 8:,} bytes, over the limit of {limit:,}",
            path=path or None,
            layer=layer,
            hint="set KERAS_MIGRATE_MAX_WEIGHT_BYTES to raise the limit if the model is genuinely that large",
        )
    return shape


def _fresh(layer: Layer, shape: tuple[int, ...], rng: np.random.Generator, path: str = "") -> Layer:
    specs = weight_specs(layer.type, layer.config)
    shapes = _shapes(layer.type, layer.config, shape)
    weights = []
    for s in specs:
        wshape = _bounded(tuple(shapes[s.name]), f"fresh weight {s.name!r}", path, layer.origin.name or layer.name)
        base = s.name.rsplit("/", 1)[-1]
        if "kernel" in base or base in ("embeddings", "a_left", "t_right"):
            fan_in = int(np.prod(wshape[:-1])) or 1
            arr = rng.normal(0.0, 1.0 / np.sqrt(fan_in), wshape)
        elif base in ("gamma", "moving_variance", "a_right") or (base == "beta" and layer.type == "keras_migrate>ParametricSoftplus"):
            arr = np.ones(wshape)
        elif base == "alpha" and layer.type == "keras_migrate>ParametricSoftplus":
            arr = np.full(wshape, float(layer.config.get("alpha_init", 0.2)))
        else:
            arr = np.zeros(wshape)
        if base == "beta" and layer.type == "keras_migrate>ParametricSoftplus":
            arr = np.full(wshape, float(layer.config.get("beta_init", 5.0)))
        weights.append(Weight.of(s.name, arr.astype(np.float32), trainable=s.trainable))
    return layer.with_weights(tuple(weights))


def _run(graph: Graph, inputs: list[np.ndarray], rng: np.random.Generator, path: str = "") -> tuple[Graph, dict[str, Any]]:
    env: dict[str, Any] = dict(zip(graph.inputs, inputs))
    layers = {lay.name: lay for lay in graph.layers}
    for node in graph.nodes:
        layer = layers[node.layer]
        args = map_structure(lambda x: env[x.name] if isinstance(x, ValueRef) else x, node.args)
        kwargs = map_structure(lambda x: env[x.name] if isinstance(x, ValueRef) else x, dict(node.kwargs))
        if layer.subgraph is not None:
            flat = [np.asarray(a) for a in (args[0] if isinstance(args[0], (list, tuple)) else [args[0]])]
            sub, sub_env = _run(layer.subgraph, flat, rng, path)
            layer = replace(layer, subgraph=sub)
            layers[layer.name] = layer
            outs = [sub_env[o] for o in sub.outputs]
        else:
            if weight_specs(layer.type, layer.config) and not layer.weights:
                first = args[0][0] if isinstance(args[0], (list, tuple)) else args[0]
                layer = _fresh(layer, tuple(int(d) for d in np.shape(first)), rng, path)
                layers[layer.name] = layer
            result = run_layer(layer, args, kwargs)
            outs = list(result.outputs) if isinstance(result.outputs, (list, tuple)) else [result.outputs]
        env.update(zip(node.outputs, outs))
    return replace(graph, layers=tuple(layers[lay.name] for lay in graph.layers)), env


def initialize(graph: Graph, *, path: str = "", seed: int = 0) -> Graph:
    """``graph`` with every weight freshly initialized (see the module docstring)."""
    rng = np.random.default_rng(seed)
    inputs = []
    for name in graph.inputs:
        t = graph.values[name].type
        if t is None:
            raise UnsupportedError("an input has no recorded shape", path=path or None, layer=name)
        dims = [(1 if d is None else d) if i == 0 else (3 if d is None else d) for i, d in enumerate(t.shape)]
        _bounded(tuple(dims), "an input batch", path, name)
        inputs.append(np.zeros(dims, dtype=t.dtype))
    new, _ = _run(graph, inputs, rng, path)
    return new
