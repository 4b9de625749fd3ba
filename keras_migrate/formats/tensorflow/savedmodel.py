"""tf.keras SavedModel directories read as data (no TensorFlow).

A SavedModel written by tf.keras (``model.save(dir)`` / ``save_format="tf"``) holds:

* ``keras_metadata.pb`` (TF >= 2.5): a ``SavedMetadata`` message, ``nodes=1`` of
  ``{node_id=2, node_path=3, identifier=4, metadata=5}``; the ``root`` node's metadata JSON
  carries ``model_config`` (``{class_name, config}``, what ``to_json`` writes),
  ``keras_version`` and ``backend``.
* ``saved_model.pb``: a ``SavedModel`` (``meta_graphs=2`` -> ``object_graph_def=7`` ->
  ``nodes=1`` -> ``user_object=4`` -> ``{identifier=1, metadata=3}``). SavedModels written
  before ``keras_metadata.pb`` existed keep the same JSON there, node 0 being the model.
* ``variables/variables.{index,data-*}``: a TF checkpoint of the model object, read by
  :mod:`keras_migrate.formats.tensorflow.checkpoint`.

The traced TF functions in ``saved_model.pb`` are never used: the architecture is rebuilt
from the Keras config, as for ``.h5`` files, so the result is an editable Keras 3 model.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from keras_migrate.errors import KerasMigrateError, UnsupportedError
from keras_migrate.formats.architecture import check_model_config, parse_json
from keras_migrate.formats.pipeline import read_model
from keras_migrate.formats.tensorflow.checkpoint import checkpoint_source
from keras_migrate.formats.tensorflow.protobuf import ProtobufError, decode
from keras_migrate.formats.tensorflow.savedmodel_tables import SavedModelVocabularies
from keras_migrate.formats.training.savedmodel import read_savedmodel_training
from keras_migrate.formats.vocabulary_files import VocabularyFiles
from keras_migrate.ir.graph import Model

__all__ = ["decode_metadata_json", "read_keras_metadata", "read_savedmodel"]

_MODEL_IDENTIFIERS = ("_tf_keras_network", "_tf_keras_model", "_tf_keras_sequential")


def decode_metadata_json(text: str, path: str) -> Any:
    """Parse tf.keras' metadata JSON, undoing its encoder's tuple and shared-object markers."""

    def hook(obj: dict[str, Any]) -> Any:
        if obj.get("class_name") in ("__tuple__", "TensorShape") and "items" in obj and len(obj) == 2:
            return list(obj["items"])
        obj.pop("shared_object_id", None)
        return obj

    return parse_json(text, path, "SavedModel Keras metadata", object_hook=hook)


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as exc:
        raise KerasMigrateError(f"cannot read {os.path.basename(path)} ({exc.strerror})", path=path) from exc


def read_keras_metadata(directory: str) -> tuple[str, str, str]:
    """``(identifier, metadata JSON, where)`` of the SavedModel's root Keras object."""
    meta_path = os.path.join(directory, "keras_metadata.pb")
    if os.path.exists(meta_path):
        try:
            nodes = decode(_read(meta_path)).subs(1)
            for n in nodes:
                if n.text(3) == "root" or (n.uint(2) == 0 and not n.text(3)):
                    return n.text(4), n.text(5), meta_path
        except ProtobufError as exc:
            raise KerasMigrateError(f"keras_metadata.pb is corrupt ({exc})", path=meta_path) from exc
        raise KerasMigrateError("keras_metadata.pb has no entry for the root object", path=meta_path)
    pb_path = os.path.join(directory, "saved_model.pb")
    if not os.path.exists(pb_path):
        raise KerasMigrateError("not a SavedModel (no saved_model.pb)", path=directory)
    try:
        saved_model = decode(_read(pb_path))
        graphs = saved_model.subs(2)
        if not graphs:
            raise ProtobufError("no meta graph")
        objects = graphs[0].sub(7)
        nodes = objects.subs(1) if objects is not None else []
        user = nodes[0].sub(4) if nodes else None
        identifier, metadata = (user.text(1), user.text(3)) if user is not None else ("", "")
    except ProtobufError as exc:
        raise KerasMigrateError(f"saved_model.pb is corrupt or truncated ({exc})", path=pb_path) from exc
    if not metadata:
        raise UnsupportedError(
            "this SavedModel holds no Keras model metadata (no keras_metadata.pb, none in saved_model.pb): "
            "it was written by tf.saved_model.save or Keras 3's model.export(), and its architecture exists "
            "only as TensorFlow graphs",
            path=directory,
            hint="convert the Keras model it was exported from, or wrap it with keras.layers.TFSMLayer (TensorFlow only)",
        )
    return identifier, metadata, pb_path


def read_savedmodel(directory: str, *, vocabulary_files: VocabularyFiles | None = None) -> Model:
    """Read a tf.keras SavedModel directory into the IR (``vocabulary_files``: the user's,
    consulted before the SavedModel's own tables and assets)."""
    directory = os.path.normpath(directory)
    identifier, text, where = read_keras_metadata(directory)
    meta = decode_metadata_json(text, where)
    if not isinstance(meta, Mapping):
        raise KerasMigrateError("SavedModel Keras metadata is not a JSON object", path=where)
    config = meta.get("model_config")
    if not isinstance(config, Mapping) and meta.get("class_name") in ("Sequential", "Functional", "Model"):
        config = {"class_name": meta["class_name"], "config": meta.get("config")}
    if identifier not in _MODEL_IDENTIFIERS or not isinstance(config, Mapping) or not config.get("config"):
        what = meta.get("class_name") or identifier or "object"
        raise UnsupportedError(
            f"the SavedModel's root is a {what} ({identifier}) without a layer graph: a subclassed model's "
            "architecture is its Python code, which a SavedModel does not store",
            path=where,
            hint="rebuild the model in code and convert its weights (keras-migrate reads Sequential and functional models)",
        )
    if not meta.get("is_graph_network", True):
        raise UnsupportedError(
            f"the SavedModel holds a subclassed model ({meta.get('class_name')}); its architecture is Python code",
            path=where,
            hint="rebuild the model in code and convert its weights",
        )
    prefix = os.path.join(directory, "variables", "variables")
    if not os.path.exists(prefix + ".index"):
        raise KerasMigrateError(
            "SavedModel has no variables/variables.index (partial copy?)",
            path=directory,
            hint="copy the whole SavedModel directory, including variables/",
        )
    config = check_model_config(config, where)
    keras_version = str(meta.get("keras_version") or "") or None
    fmt = "savedmodel" if where.endswith("keras_metadata.pb") else "savedmodel-pre-tf2.5"
    model = read_model(
        checkpoint_source(
            config,
            prefix,
            path=directory,
            keras_version=keras_version,
            backend=meta.get("backend"),
            source_format=fmt,
            what="SavedModel variables",
            vocabularies=SavedModelVocabularies(directory),
            vocabulary_files=vocabulary_files,
        )
    )
    return read_savedmodel_training(model, meta, prefix, path=directory)
