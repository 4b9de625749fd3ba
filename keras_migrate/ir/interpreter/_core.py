"""The pure-numpy reference interpreter: the oracle every conversion is checked against.

It walks a graph node by node, calls one numpy *kernel* per layer type (registered with
:func:`kernel`), propagates Keras masks, and frees each value as soon as its last reader
has run, so memory stays at the activations alive rather than all of them. With
``intermediates=True`` it keeps and returns every value instead, for per-layer diffing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from keras_migrate.errors import UnsupportedError
from keras_migrate.ir.graph import Graph, Layer, Model, ValueRef, flatten_structure, map_structure

__all__ = [
    "Context",
    "KernelFn",
    "KernelResult",
    "MaskFn",
    "interpret",
    "kernel",
    "registered_types",
    "run_graph",
]


@dataclass
class KernelResult:
    """Outputs of a kernel plus the Keras masks it produces (``None`` for no mask)."""

    outputs: Any
    masks: Any = None


@dataclass
class Context:
    """What a kernel may use besides its layer and inputs."""

    #: Masks of the node's positional args, with the same structure as the args.
    masks: Any = None
    training: bool = False
    #: Per-run scratch shared by kernels (e.g. nothing persists between runs).
    state: dict[str, Any] = field(default_factory=dict)


KernelFn = Callable[[Layer, tuple[Any, ...], dict[str, Any], Context], Any]
MaskFn = Callable[[Layer, tuple[Any, ...], dict[str, Any], Context, Any], Any]

_KERNELS: dict[str, KernelFn] = {}
#: Layer types whose output mask is their (first) input's mask, unchanged.
_PASS_MASK: set[str] = set()


def kernel(*types: str, passes_mask: bool = False) -> Callable[[KernelFn], KernelFn]:
    """Register a numpy kernel for one or more layer types.

    A kernel returns the output (array, or a list/tuple of arrays for multi-output layers)
    or a :class:`KernelResult` when it computes its own output mask. ``passes_mask=True``
    means the input mask flows through unchanged (Keras' ``supports_masking`` layers).
    """

    def register(fn: KernelFn) -> KernelFn:
        for t in types:
            _KERNELS[t] = fn
            if passes_mask:
                _PASS_MASK.add(t)
        return fn

    return register


def registered_types() -> frozenset[str]:
    """Every layer type the interpreter can run."""
    _load_kernels()
    return frozenset(_KERNELS)


_LOADED = False


def _load_kernels() -> None:
    global _LOADED
    if not _LOADED:
        from keras_migrate.ir.interpreter import kernels  # noqa: F401  (registers on import)

        _LOADED = True


def _resolve(structure: Any, env: Mapping[str, Any]) -> Any:
    return map_structure(lambda x: env[x.name] if isinstance(x, ValueRef) else x, structure)


def run_graph(
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
    _load_kernels()
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
    layers = {layer.name: layer for layer in graph.layers}

    for i, node in enumerate(graph.nodes):
        layer = layers[node.layer]
        args = _resolve(node.args, env)
        kwargs = _resolve(dict(node.kwargs), env)
        arg_masks = map_structure(lambda x: masks.get(x.name) if isinstance(x, ValueRef) else None, node.args)
        ctx = Context(masks=arg_masks, training=training)
        try:
            result = _call(layer, args, kwargs, ctx)
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


def _call(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> KernelResult:
    fn = _KERNELS.get(layer.type)
    if fn is None:
        raise UnsupportedError(
            f"the numpy interpreter has no kernel for layer type {layer.type!r}",
            layer=layer.name,
            hint="see the support matrix in the README",
        )
    out = fn(layer, args, kwargs, ctx)
    if isinstance(out, KernelResult):
        return out
    mask = None
    if layer.type in _PASS_MASK and ctx.masks is not None:
        first = ctx.masks[0] if isinstance(ctx.masks, tuple) and ctx.masks else ctx.masks
        mask = first if not isinstance(first, (list, tuple, dict)) else None
    return KernelResult(out, mask)


def interpret(model: Model | Graph, inputs: Any, *, intermediates: bool = False) -> Any:
    """Run a model (or graph) in inference mode with numpy; see :func:`run_graph`."""
    graph = model.graph if isinstance(model, Model) else model
    return run_graph(graph, inputs, intermediates=intermediates)
