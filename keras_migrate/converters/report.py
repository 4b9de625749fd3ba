"""What a conversion produced, and the compat objects a converted model relies on."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from keras_migrate.ir.graph import COMPAT_PREFIX, Model

__all__ = ["EmitReport", "compat_layers_used", "training_notes"]


@dataclass
class EmitReport:
    """What a conversion produced: the output, its kind, bytes, and what it relies on."""

    output: str
    kind: str
    weight_bytes: int = 0
    compat: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    renamed: dict[str, str] = field(default_factory=dict)


def compat_layers_used(model: Model) -> list[str]:
    """Every compat layer or activation (``keras_migrate>Name``) the model relies on, sorted.

    Compat names appear as layer types and anywhere inside configs (an activation argument,
    a wrapped layer's config), so every config value is searched.
    """
    found: set[str] = set()

    def scan(value: object) -> None:
        if isinstance(value, str) and value.startswith(COMPAT_PREFIX):
            found.add(value)
        elif isinstance(value, Mapping):
            for v in value.values():
                scan(v)
        elif isinstance(value, (list, tuple)):
            for v in value:
                scan(v)

    for _, layer in model.graph.walk_layers():
        scan(layer.type)
        scan(dict(layer.config))
    return sorted(found)


#: Output kinds that carry a compiled model's training state.
TRAINING_KINDS = frozenset({"keras", "python"})


def training_notes(model: Model, kind: str) -> list[str]:
    """What of the source's training state the output carries and what it does not, one
    line each (nothing for a model read without one)."""
    if model.training is None:
        return []
    if kind not in TRAINING_KINDS:
        return [f"training state (compile configuration, optimizer state) not written: a {kind} output has no "
                "place for it"]
    from keras_migrate.converters.keras3_training import plan_training

    return list(plan_training(model).notes)
