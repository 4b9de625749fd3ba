"""The graph walker: runs a graph node by node through the registered kernels.

It propagates Keras masks and frees each value as soon as its last reader has run, so
memory stays at the activations alive rather than all of them. With
``intermediates=True`` it keeps and returns every value instead, for per-layer diffing.
It assumes the kernels are registered: the public entry points
(:func:`keras_migrate.ir.interpreter.run_graph`) load them first; the nested-model kernel
calls :func:`execute` directly, which is why this module imports no kernel.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from keras_migrate.errors import UnsupportedError
from keras_migrate.ir.graph import Graph, ValueRef, flatten_structure, map_structure
from keras_migrate.ir.interpreter.registry import Context, call_kernel

__all__ = ["execute"]


def _resolve(structure: Any, env: Mapping[str, Any]) -> Any:
    return map_structure(lambda x: env[x.name] if isinstance(x, ValueRef) else x, structure)


def execute(
    graph: Graph,
    inputs: Any,
    *,
    intermediates: bool = False,
    training: bool = False,
    input_masks: Any = None,
    output_masks: list[Any] | None = None,
) -> Any:
    """Run ``graph`` on ``inputs`` (a structure matching ``graph.input_structure``, or a flat
    list in ``graph.inputs`` order). Returns outputs in ``graph.output_structure`` shape,
    or, with ``intermediates=True``, a dict of every value by name.
    """
    flat_names = graph.inputs
    if isinstance(inputs, Mapping) and not isinstance(graph.input_structure, dict):
        flat_inputs = [inputs[n] for n in flat_names]
    elif isinstance(inputs, (list, tuple)) or isinstance(graph.input_structure, (list, dict)):
        flat_inputs = flatten_structure(inputs) if not isinstance(inputs, np.ndarray) else [inputs]
    else:
        flat_inputs = [inputs]
    if len(flat_inputs) != len(flat_names):
        raise ValueError(f"graph {graph.name!r} takes {len(flat_names)} inputs, got {len(flat_inputs)}")
    env: dict[str, Any] = {n: np.asarray(x) for n, x in zip(flat_names, flat_inputs, strict=True)}
    masks: dict[str, Any] = {}
    if input_masks is not None:
        masks = {n: m for n, m in zip(flat_names, _flatten_keep_none(input_masks), strict=False) if m is not None}

    # liveness: index of the last node reading each value
    last_use: dict[str, int] = {}
    for i, node in enumerate(graph.nodes):
        for name in node.inputs:
            last_use[name] = i
    keep = set(graph.outputs)

    for i, node in enumerate(graph.nodes):
        layer = graph.layer(node.layer)
        args = _resolve(node.args, env)
        kwargs = _resolve(dict(node.kwargs), env)
        arg_masks = map_structure(lambda x: masks.get(x.name) if isinstance(x, ValueRef) else None, node.args)
        ctx = Context(masks=arg_masks, training=training)
        try:
            result = call_kernel(layer, args, kwargs, ctx)
        except UnsupportedError as exc:
            if exc.layer is not None:
                raise
            # helpers deep in a kernel (e.g. activation look-up) do not know the layer
            raise UnsupportedError(exc.message, layer=layer.name, hint=exc.hint) from exc
        except Exception as exc:  # a kernel failure names the layer, never a bare trace
            raise UnsupportedError(
                f"numpy interpreter failed: {type(exc).__name__}: {exc}", layer=layer.name
            ) from exc
        outs = result.outputs
        flat_out = list(outs) if isinstance(outs, (list, tuple)) else [outs]
        if len(flat_out) != len(node.outputs):
            raise UnsupportedError(
                f"kernel for {layer.type} produced {len(flat_out)} outputs, node expects {len(node.outputs)}",
                layer=layer.name,
            )
        out_masks = result.masks
        flat_masks = list(out_masks) if isinstance(out_masks, (list, tuple)) else [out_masks] * len(flat_out)
        for name, value, m in zip(node.outputs, flat_out, flat_masks, strict=False):
            env[name] = value
            if m is not None:
                masks[name] = m
        if not intermediates:
            for name in node.inputs:
                if last_use.get(name) == i and name not in keep:
                    env.pop(name, None)
                    masks.pop(name, None)
    if output_masks is not None:
        output_masks.extend(masks.get(n) for n in graph.outputs)
    if intermediates:
        return env
    return map_structure(lambda n: env[n], graph.output_structure)


def _flatten_keep_none(structure: Any) -> list[Any]:
    """Flatten like :func:`flatten_structure` but keep ``None`` leaves (unmasked inputs)."""
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in _flatten_keep_none(item)]
    if isinstance(structure, dict):
        return [leaf for item in structure.values() for leaf in _flatten_keep_none(item)]
    return [structure]
