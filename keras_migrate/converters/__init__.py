"""Emitters: write the IR out as Keras 3 files (and, later, Python code or ONNX).

:func:`emit` picks the emitter from the output path's suffix and returns a
:class:`ConversionReport` saying what was written and what the output needs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from keras_migrate.errors import KerasMigrateError
from keras_migrate.ir.graph import Model

__all__ = ["SUFFIXES", "ConversionReport", "compat_layers_used", "emit", "output_kind"]

#: Output suffixes and the kind of output each selects.
SUFFIXES = {".keras": "keras", ".weights.h5": "weights", ".kmir": "ir"}


@dataclass
class ConversionReport:
    """What a conversion produced: the output, its kind, bytes, and what it relies on."""

    output: str
    kind: str
    weight_bytes: int = 0
    compat: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    renamed: dict[str, str] = field(default_factory=dict)


def output_kind(path: str) -> str:
    for suffix, kind in sorted(SUFFIXES.items(), key=lambda kv: -len(kv[0])):
        if path.endswith(suffix):
            return kind
    raise KerasMigrateError(
        "cannot tell the output kind from its suffix",
        path=path,
        hint=f"use one of {', '.join(SUFFIXES)}",
    )


def compat_layers_used(model: Model) -> list[str]:
    """Every compat layer or activation the converted model relies on, sorted."""
    found: set[str] = set()

    def scan(value: object) -> None:
        if isinstance(value, str) and value.startswith("keras_migrate>"):
            found.add(value)
        elif isinstance(value, dict):
            for v in value.values():
                scan(v)
        elif isinstance(value, (list, tuple)):
            for v in value:
                scan(v)

    for _, layer in model.graph.walk_layers():
        scan(layer.type)
        scan(dict(layer.config))
    return sorted(found)


def emit(model: Model, out: str, *, on_weight: Callable[[int], None] | None = None) -> ConversionReport:
    """Write ``model`` to ``out`` (kind chosen by suffix); atomic, never partial."""
    from keras_migrate.ir.validate import validate

    kind = output_kind(out)
    validate(model)
    if kind == "keras":
        from keras_migrate.converters.keras_file import write_keras

        n = write_keras(model, out, on_weight=on_weight)
    elif kind == "weights":
        from keras_migrate.converters.keras_file import write_weights

        n = write_weights(model, out, on_weight=on_weight)
    else:
        from keras_migrate.converters._atomic import atomic_output
        from keras_migrate.ir import serialize

        with atomic_output(out, ".kmir") as tmp:
            serialize.save(model, tmp)
        n = sum(w.nbytes for _, w in model.iter_weights())
    return ConversionReport(
        output=out,
        kind=kind,
        weight_bytes=n,
        compat=compat_layers_used(model),
        notes=list(model.provenance.notes),
        renamed=dict(model.renamed),
    )
