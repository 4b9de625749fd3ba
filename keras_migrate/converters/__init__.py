"""Emitters: write the IR out as Keras 3 files, ONNX (and, later, Python code).

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
SUFFIXES = {".keras": "keras", ".weights.h5": "weights", ".kmir": "ir", ".py": "python", ".onnx": "onnx"}


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


def emit(
    model: Model, out: str, *, on_weight: Callable[[int], None] | None = None, opset: int | None = None
) -> ConversionReport:
    """Write ``model`` to ``out`` (kind chosen by suffix); atomic, never partial.

    ``opset`` is the ONNX opset for ``.onnx`` outputs (default: the emitter's default).
    """
    from keras_migrate.ir.validate import validate

    kind = output_kind(out)
    validate(model)
    if kind == "keras":
        from keras_migrate.converters.keras_file import write_keras

        n = write_keras(model, out, on_weight=on_weight)
    elif kind == "weights":
        from keras_migrate.converters.keras_file import write_weights

        n = write_weights(model, out, on_weight=on_weight)
    elif kind == "python":
        from keras_migrate.converters.python_code import write_python

        n = write_python(model, out, on_weight=on_weight)
    elif kind == "onnx":
        from keras_migrate.converters.onnx import write_onnx

        n = write_onnx(model, out, opset=opset)
    else:
        from keras_migrate.converters._atomic import atomic_output
        from keras_migrate.ir import serialize

        with atomic_output(out, ".kmir") as tmp:
            serialize.save(model, tmp)
        n = sum(w.nbytes for _, w in model.iter_weights())
    notes = list(model.provenance.notes)
    if kind == "python":
        # The module defines the compat objects it needs itself: it needs only Keras.
        from keras_migrate.converters.python_code import python_notes

        notes += python_notes(model, out)
    return ConversionReport(
        output=out,
        kind=kind,
        weight_bytes=n,
        compat=[] if kind in ("onnx", "python") else compat_layers_used(model),  # ONNX needs no compat objects
        notes=notes,
        renamed=dict(model.renamed),
    )
