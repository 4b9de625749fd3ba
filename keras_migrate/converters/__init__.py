"""Emitters: write the IR out as Keras 3 files, Python code, ONNX or ``.kmir``.

:func:`emit` picks the emitter from the output path's suffix and returns a
:class:`EmitReport` saying what was written and what the output needs. Each emitter
lives in its own module (``keras_file``, ``python/``, ``onnx/``) and is imported only when
its kind is written, so choosing an output never imports another emitter's dependencies.
"""

from __future__ import annotations

from collections.abc import Callable

from keras_migrate.converters.output import SUFFIXES, atomic_output, check_output_path, output_kind
from keras_migrate.converters.report import EmitReport, compat_layers_used, training_notes
from keras_migrate.ir.graph import Model

__all__ = ["SUFFIXES", "EmitReport", "check_output_path", "compat_layers_used", "emit", "output_kind"]


def _refuse_unknown_layers(model: Model, kind: str) -> None:
    """Layers of unknown classes (read for ``--placeholders``) become stubs in ``.py`` only."""
    from keras_migrate.errors import UnsupportedError
    from keras_migrate.ir.unknown import is_unknown, unknown_class

    for _, layer in model.graph.walk_layers():
        if is_unknown(layer.type) and kind != "python":
            raise UnsupportedError(
                f"custom class {unknown_class(layer.config)} has no rule; a {kind} output cannot hold it",
                layer=layer.name,
                hint="write a .py with --placeholders and fill in the stub, or give the class with --custom-objects",
            )


def emit(
    model: Model, out: str, *, on_weight: Callable[[int], None] | None = None, opset: int | None = None
) -> EmitReport:
    """Write ``model`` to ``out`` (kind chosen by suffix); atomic, never partial.

    ``opset`` is the ONNX opset for ``.onnx`` outputs (default: the emitter's default).
    """
    from keras_migrate.ir.validate import validate

    kind = output_kind(out)
    validate(model)
    _refuse_unknown_layers(model, kind)
    if kind == "keras":
        from keras_migrate.converters.keras_file import write_keras

        n = write_keras(model, out, on_weight=on_weight)
    elif kind == "weights":
        from keras_migrate.converters.keras_file import write_weights

        n = write_weights(model, out, on_weight=on_weight)
    elif kind == "python":
        from keras_migrate.converters.python import write_python

        n = write_python(model, out, on_weight=on_weight)
    elif kind == "onnx":
        from keras_migrate.converters.onnx import write_onnx
        from keras_migrate.converters.user_objects import refuse_user_code

        refuse_user_code(model, "ONNX")
        n = write_onnx(model, out, opset=opset)
    else:
        from keras_migrate.ir import serialize

        with atomic_output(out, ".kmir") as tmp:
            serialize.save(model, tmp)
        n = sum(w.nbytes for _, w in model.iter_weights())
    notes = list(model.provenance.notes) + training_notes(model, kind)
    if kind == "python":
        # The module defines the compat objects it needs itself: it needs only Keras.
        from keras_migrate.converters.python import python_notes

        notes += python_notes(model, out)
    return EmitReport(
        output=out,
        kind=kind,
        weight_bytes=n,
        compat=[] if kind in ("onnx", "python") else compat_layers_used(model),  # ONNX needs no compat objects
        notes=notes,
        renamed=dict(model.renamed),
    )
