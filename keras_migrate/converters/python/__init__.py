"""Emit a model as readable Keras 3 Python source plus a ``.weights.h5`` file beside it.

``convert MODEL -o model.py`` writes ``model.py`` and ``model.weights.h5``. The module
defines ``build_model()`` (the architecture, freshly initialized) and ``load_model()``
(built, with the converted weights loaded from the file next to the module). Compat
objects the model needs are copied into the file and registered under the same names as
in keras-migrate's ``.keras`` files, so the file needs only Keras.

The text depends only on the model (no dates, no absolute paths, sorted where Keras does
not fix an order), is laid out as ``ruff format`` would and passes ``ruff check``. The
weights file is the one the ``.keras`` writer embeds: the code builds exactly the
structure the ``.keras`` config describes, so Keras 3 finds every weight at the path
:func:`keras_migrate.converters.keras3_weights.write_weights_h5` used.

Modules: :mod:`.emitter` builds the text, :mod:`.literals` writes config values,
:mod:`.ops` writes Keras 3 op nodes as ``keras.ops`` calls, :mod:`.names` makes
identifiers, :mod:`.imports` sorts import lines, :mod:`.format` lays statements out and
:mod:`.compat_source` copies compat objects' source. The Keras 3 constructor facts that
decide which arguments are defaults are :mod:`keras_migrate.ir.keras3_api`'s.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from keras_migrate.converters.keras3_training import plan_training
from keras_migrate.converters.keras3_weights import write_weights_h5
from keras_migrate.converters.output import atomic_output
from keras_migrate.converters.python.emitter import python_source
from keras_migrate.converters.report import compat_layers_used
from keras_migrate.errors import KerasMigrateError
from keras_migrate.ir.graph import COMPAT_PREFIX, Model
from keras_migrate.ir.ops.tf import TFOP_TYPE

__all__ = ["python_notes", "python_source", "weights_path_for", "write_python"]


def weights_path_for(out: str) -> str:
    """The weights file written beside ``out``: ``model.py`` -> ``model.weights.h5``."""
    root, _ = os.path.splitext(out)
    return root + ".weights.h5"


def _input_files(model: Model) -> set[str]:
    """Files the model was read from (its source and every file its weights stream from)."""
    files = {model.provenance.source_path} if model.provenance.source_path else set()

    def visit(source: Any) -> None:
        if isinstance(getattr(source, "file", None), str):
            files.add(source.file)
        for part in getattr(source, "parts", ()) or ():
            visit(part.source)

    for _, w in model.iter_weights():
        visit(w.source)
    return files


def python_notes(model: Model, out: str) -> list[str]:
    """What a conversion report should add for a ``.py`` output."""
    notes = [f"weights written to {weights_path_for(out)}"]
    # TF-op layers are written as keras.ops expressions, not as the TFOp compat class
    compat = [c[len(COMPAT_PREFIX) :] for c in compat_layers_used(model) if c != TFOP_TYPE]
    if any(layer.type == TFOP_TYPE for _, layer in model.graph.walk_layers()):
        notes.append(f"TF-op layers written into {out} as the keras.ops expressions they compute")
    if compat:
        notes.append(f"compat code copied into {out} (it needs only Keras): {', '.join(compat)}")
    return notes


def write_python(model: Model, out: str, *, on_weight: Callable[[int], None] | None = None) -> int:
    """Write ``out`` (``.py``) and its weights file beside it; atomic, never partial.

    The source text is built first (so an unsupported model writes nothing), then both
    files go to temporaries beside their targets and are renamed into place together.
    Returns the weight bytes written.
    """
    weights_out = weights_path_for(out)
    for src in _input_files(model):
        if os.path.abspath(src) == os.path.abspath(weights_out) or (
            os.path.exists(src) and os.path.exists(weights_out) and os.path.samefile(src, weights_out)
        ):
            raise KerasMigrateError(
                "refusing to overwrite an input file with the module's weights",
                path=weights_out,
                hint="choose another output name (the weights go to <name>.weights.h5)",
            )
    text = python_source(model, os.path.basename(weights_out))
    with atomic_output(weights_out, ".h5") as tmp_weights, atomic_output(out, ".py") as tmp_py:
        n = write_weights_h5(model.graph, tmp_weights, on_weight=on_weight,
                             optimizer_variables=plan_training(model).variables)
        with open(tmp_py, "w", encoding="utf-8") as fh:
            fh.write(text)
    return n
