"""Format readers: each turns one kind of legacy saved model into the IR.

:func:`load` sniffs the file and dispatches to the right reader; every reader hands what
it found to the one pipeline in :mod:`keras_migrate.formats.pipeline`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

from keras_migrate.errors import KerasMigrateError

if TYPE_CHECKING:
    from keras_migrate.formats.vocabulary_files import VocabularyFiles
    from keras_migrate.ir.graph import Model

__all__ = ["detect_format", "is_savedmodel_dir", "load"]


def is_savedmodel_dir(path: str) -> bool:
    """A directory that is one SavedModel, complete or not: it holds ``saved_model.pb``,
    ``keras_metadata.pb`` or ``variables/`` (converting a partial copy must say what is
    missing, and batch discovery must not take it for a folder of models)."""
    return os.path.isdir(path) and (
        os.path.exists(os.path.join(path, "saved_model.pb"))
        or os.path.exists(os.path.join(path, "keras_metadata.pb"))
        or os.path.isdir(os.path.join(path, "variables"))
    )


def detect_format(path: str) -> str:
    """Name the format of ``path``: ``keras-h5``, ``architecture``, ``keras-zip``,
    ``savedmodel`` or ``tf-checkpoint``."""
    from keras_migrate.formats.hdf5 import is_hdf5

    if os.path.isdir(path):
        if os.path.exists(os.path.join(path, "saved_model.pb")):
            return "savedmodel"
        if os.path.exists(os.path.join(path, "checkpoint")):
            return "tf-checkpoint"
        if is_savedmodel_dir(path):
            raise KerasMigrateError("SavedModel directory has no saved_model.pb (partial copy?)", path=path)
        raise KerasMigrateError("directory is not a SavedModel (no saved_model.pb)", path=path)
    if not os.path.exists(path):
        if os.path.exists(path + ".index"):
            return "tf-checkpoint"
        raise KerasMigrateError("file not found", path=path)
    if path.endswith(".index") and os.path.exists(path[: -len(".index")] + ".data-00000-of-00001"):
        return "tf-checkpoint"
    with open(path, "rb") as f:
        head = f.read(4)
    # A zip first: a .keras archive whose first member is an HDF5 file written with a
    # userblock (as this package writes them) also has the HDF5 signature at offset 512.
    if head == b"PK\x03\x04" and not path.endswith((".h5", ".hdf5")):
        return "keras-zip"
    if is_hdf5(path):
        return "keras-h5"
    if path.endswith((".h5", ".hdf5")):
        raise KerasMigrateError("not an HDF5 file (truncated, or another format with an .h5 name)", path=path)
    if head.startswith(b"PK"):
        return "keras-zip"
    if path.endswith((".json", ".yaml", ".yml")):
        return "architecture"
    text_like = head and all(32 <= b < 127 or b in (9, 10, 13) for b in head)
    if text_like:
        return "architecture"
    raise KerasMigrateError(
        "unrecognized file format (not HDF5, a .keras zip, a JSON/YAML architecture or a SavedModel)",
        path=path,
    )


def load(
    path: str,
    *,
    weights: str | None = None,
    vocabularies: Mapping[str, str | os.PathLike[str]] | None = None,
) -> Model:
    """Read any supported legacy model into the IR.

    ``vocabularies``: ``{legacy layer name: vocabulary file}`` for lookup layers whose
    vocabulary the file does not hold (recorded as a path, or adapted); see
    :mod:`keras_migrate.formats.vocabulary_files`. Every name must match such a layer.
    """
    files = None
    if vocabularies:
        from keras_migrate.formats.vocabulary_files import VocabularyFiles

        files = VocabularyFiles(vocabularies)
    model = _load(os.fspath(path), weights, files)
    if files is not None:
        files.check_used(model, path=os.fspath(path))
    return model


def _load(path: str, weights: str | None, files: VocabularyFiles | None) -> Model:
    fmt = detect_format(path)
    if fmt == "keras-h5":
        from keras_migrate.formats.hdf5 import has_attr, open_h5

        with open_h5(path) as f:
            is_ir = has_attr(f, "ir_json", path)
        if is_ir:
            from keras_migrate.formats.kmir import read_kmir

            return read_kmir(path)
        from keras_migrate.formats.keras2.h5 import read_h5_model

        return read_h5_model(path, weights=weights, vocabulary_files=files)
    if fmt == "architecture":
        if weights is not None and _is_tf_checkpoint(weights):
            from keras_migrate.formats.tensorflow.checkpoint import (
                read_architecture_with_checkpoint,
            )

            return read_architecture_with_checkpoint(path, weights, vocabulary_files=files)
        from keras_migrate.formats.keras2.h5 import read_architecture_file

        return read_architecture_file(path, weights=weights, vocabulary_files=files)
    if fmt == "savedmodel":
        if weights is not None:
            raise KerasMigrateError("a SavedModel carries its own variables; --weights is not used with it", path=path)
        from keras_migrate.formats.tensorflow.savedmodel import read_savedmodel

        return read_savedmodel(path, vocabulary_files=files)
    if fmt == "keras-zip":
        from keras_migrate.formats.keras3.archive import read_keras_zip

        return read_keras_zip(path, weights=weights, vocabulary_files=files)
    if fmt == "tf-checkpoint":
        raise KerasMigrateError(
            "a TF checkpoint (save_weights without .h5) holds weights only, no architecture",
            path=path,
            hint="pass the architecture (model.to_json()) as MODEL and this checkpoint prefix as --weights",
        )
    raise KerasMigrateError(f"reading {fmt} is not supported yet", path=path)


def _is_tf_checkpoint(weights: str) -> bool:
    """``--weights`` names a TF checkpoint (a prefix, ``prefix.index``, or its directory)."""
    from keras_migrate.formats.hdf5 import is_hdf5

    if os.path.isfile(weights) and is_hdf5(weights):
        return False
    from keras_migrate.formats.tensorflow.checkpoint import is_checkpoint

    return is_checkpoint(weights)
