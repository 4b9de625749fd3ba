"""The interpreter's entry points: load the kernels, then run graphs, models or one layer.

The numpy kernels register themselves (:mod:`.registry`) when the ``kernels`` package is
imported. That import is deferred to the first run, so importing :mod:`keras_migrate.ir`
stays cheap; every entry point here calls :func:`load_kernels` first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from keras_migrate.ir.graph import Graph, Layer, Model
from keras_migrate.ir.interpreter.engine import execute
from keras_migrate.ir.interpreter.registry import Context, KernelResult, call_kernel, kernel_types

__all__ = ["interpret", "load_kernels", "registered_types", "run_graph", "run_layer"]

_LOADED = False


def load_kernels() -> None:
    """Import every kernel module once (they register on import)."""
    global _LOADED
    if not _LOADED:
        from keras_migrate.ir.interpreter import kernels  # noqa: F401  (registers on import)

        _LOADED = True


def registered_types() -> frozenset[str]:
    """Every layer type the interpreter can run."""
    load_kernels()
    return kernel_types()


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
    or, with ``intermediates=True``, a dict of every value by name. ``input_masks``: Keras
    masks of the inputs; ``output_masks``, if given, receives the outputs' masks.
    """
    load_kernels()
    return execute(
        graph,
        inputs,
        intermediates=intermediates,
        training=training,
        input_masks=input_masks,
        output_masks=output_masks,
    )


def run_layer(
    layer: Layer,
    args: tuple[Any, ...],
    kwargs: Mapping[str, Any] | None = None,
    *,
    masks: Any = None,
    training: bool = False,
) -> KernelResult:
    """Run one layer on arrays (``args``/``kwargs`` as the node's call, tensors resolved).

    For tools that walk a graph themselves, e.g. to create weights from the shapes the
    previous layers produce. ``masks`` mirrors ``args`` (``None`` for unmasked).
    """
    load_kernels()
    return call_kernel(layer, tuple(args), dict(kwargs or {}), Context(masks=masks, training=training))


def interpret(model: Model | Graph, inputs: Any, *, intermediates: bool = False) -> Any:
    """Run a model (or graph) in inference mode with numpy; see :func:`run_graph`."""
    graph = model.graph if isinstance(model, Model) else model
    return run_graph(graph, inputs, intermediates=intermediates)
