"""Reading a model whose classes have no rule, for looking at it (issue 11 point 4).

Inside :func:`keep_unknown_classes` the precheck lets unknown layer classes through and the
rule registry translates each into an :data:`~keras_migrate.ir.unknown.UNKNOWN_TYPE` layer
holding the legacy class name and config; :func:`declare_unknown_weights` then records the
weights the file stores for it, so they attach like any layer's. ``inspect`` and
``convert --placeholders`` read models this way; everything else still refuses them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import replace
from typing import Any

from keras_migrate.ir.graph import Graph
from keras_migrate.ir.unknown import UNKNOWN_TYPE
from keras_migrate.ir.weights import Weight

__all__ = ["declare_unknown_weights", "keep_unknown_classes", "keeping_unknown_classes", "unknown_layer"]

_KEEP: ContextVar[bool] = ContextVar("keras_migrate_keep_unknown", default=False)


@contextlib.contextmanager
def keep_unknown_classes() -> Iterator[None]:
    """Read unknown layer classes as :data:`UNKNOWN_TYPE` layers instead of refusing them."""
    token = _KEEP.set(True)
    try:
        yield
    finally:
        _KEEP.reset(token)


def keeping_unknown_classes() -> bool:
    return _KEEP.get()


def unknown_layer(class_name: str, config: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """The IR ``(type, config)`` of a layer of a class no rule translates."""
    return UNKNOWN_TYPE, {"class_name": class_name, "config": dict(config), "weights": []}


def _short(name: str, taken: set[str]) -> str:
    base = name.rsplit("/", 1)[-1].split(":", 1)[0] or "weight"
    out, k = base, 1
    while out in taken:
        out, k = f"{base}_{k}", k + 1
    taken.add(out)
    return out


def declare_unknown_weights(
    graph: Graph, get: Callable[[str], Sequence[Weight] | None], original: Callable[[str], str]
) -> Graph:
    """Record in each unknown layer's config the weights the file holds for it (by the
    layer's original name), so :func:`~keras_migrate.ir.specs.weight_specs` expects them."""
    layers = []
    for layer in graph.layers:
        if layer.type == UNKNOWN_TYPE and layer.subgraph is None:
            taken: set[str] = set()
            arrays = get(original(layer.name)) or ()
            declared = [[_short(w.name, taken), list(w.shape), w.dtype, w.trainable] for w in arrays]
            layer = replace(layer, config={**layer.config, "weights": declared})
        layers.append(layer)
    return replace(graph, layers=tuple(layers))
