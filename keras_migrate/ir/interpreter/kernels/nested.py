"""Nested models (``Functional``/``Sequential`` layers): run their subgraph in place.

The inner graph is interpreted with the outer call's masks as input masks, and its
output masks become the layer's, as when Keras calls a model inside a model.
"""

from __future__ import annotations

from typing import Any

from keras_migrate.ir.graph import Layer, flatten_structure
from keras_migrate.ir.interpreter.engine import execute as run_graph
from keras_migrate.ir.interpreter.kernels._common import unsupported
from keras_migrate.ir.interpreter.registry import Context, KernelResult, kernel

__all__ = ["nested_model"]


@kernel("Functional", "Sequential", "Model")
def nested_model(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> KernelResult:
    graph = layer.subgraph
    if graph is None:
        raise unsupported(layer, f"{layer.type} layer without a subgraph")
    inputs = args[0] if len(args) == 1 else list(args)
    in_masks = ctx.masks[0] if isinstance(ctx.masks, tuple) and len(ctx.masks) == 1 else ctx.masks
    if kwargs.get("mask") is not None:
        in_masks = kwargs["mask"]
    flat_masks = flatten_structure(in_masks) if isinstance(in_masks, (list, tuple, dict)) else [in_masks]
    has_masks = any(m is not None for m in flat_masks)
    out_masks: list[Any] = []
    outputs = run_graph(
        graph,
        inputs,
        input_masks=_align_masks(in_masks, len(graph.inputs)) if has_masks else None,
        output_masks=out_masks,
    )
    if isinstance(graph.output_structure, str):
        return KernelResult(outputs, out_masks[0] if out_masks else None)
    return KernelResult(flatten_structure(outputs), out_masks)


def _align_masks(masks: Any, n: int) -> list[Any]:
    """One entry per graph input, keeping ``None`` holes (flattening would drop them)."""
    if isinstance(masks, dict):
        masks = list(masks.values())
    if not isinstance(masks, (list, tuple)):
        masks = [masks]
    items = list(masks)
    return items + [None] * (n - len(items))
