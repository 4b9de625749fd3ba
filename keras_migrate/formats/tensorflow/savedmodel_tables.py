"""Vocabularies of tf.keras lookup layers in a SavedModel, read as data (no TensorFlow).

A tf.keras SavedModel's Keras metadata leaves lookup vocabularies out of the layer
configs (given or adapted alike). The vocabulary survives as the initializer of the
layer's lookup table: in ``saved_model.pb``'s object graph, the layer's node has a child
``lookup_table`` (``_lookup_layer/lookup_table`` for TextVectorization), a resource whose
``_initialize`` function is bound to its inputs (``SavedConcreteFunction.bound_inputs``):
the table itself, then either two constants (keys, values: tokens and their indices, or
the reverse for ``invert=True``) stored as ``Const`` nodes of the meta graph, or an asset
(a vocabulary file, copied into ``assets/``). Field numbers (TF's ``saved_model.proto``,
``saved_object_graph.proto``, ``graph.proto``, ``tensor.proto``) are noted where used.
"""

from __future__ import annotations

import json
import os
import struct
from collections.abc import Mapping
from typing import Any

from keras_migrate.errors import KerasMigrateError
from keras_migrate.formats.tensorflow.protobuf import Message, ProtobufError, decode, signed64
from keras_migrate.formats.tfkeras.preprocessing import lookup_view, parse_vocabulary_lines
from keras_migrate.ir.graph import Layer
from keras_migrate.ir.specs import LOOKUP_TYPES

__all__ = ["SavedModelVocabularies"]

_DT_INT32, _DT_STRING, _DT_INT64 = 3, 7, 9
#: Path from a lookup layer's object to its table, by layer type.
_TABLE_PATH = {"StringLookup": ("lookup_table",), "IntegerLookup": ("lookup_table",),
               "TextVectorization": ("_lookup_layer", "lookup_table")}


def _tensor_values(tensor: Message) -> list[Any]:
    """A ``TensorProto``'s elements (1-D): strings, or integers (field numbers in tensor.proto)."""
    dtype = tensor.uint(1)
    shape = tensor.sub(2)
    dims = [d.sint64(1) for d in shape.subs(2)] if shape is not None else []
    count = 1
    for d in dims:
        count *= d
    values: list[Any]
    if dtype == _DT_STRING:
        values = tensor.texts(8)
    elif dtype in (_DT_INT64, _DT_INT32):
        content = tensor.raw(4)
        if content:
            fmt = "<q" if dtype == _DT_INT64 else "<i"
            width = struct.calcsize(fmt)
            values = [struct.unpack_from(fmt, content, i)[0] for i in range(0, len(content), width)]
        else:
            values = [signed64(v) for v in tensor.ints(10 if dtype == _DT_INT64 else 7)]
    else:
        raise ProtobufError(f"lookup table constant of dtype {dtype} (expected string or integer)")
    if len(values) == 1 and count > 1:  # TF stores a constant of equal elements once
        values = values * count
    return values


class SavedModelVocabularies:
    """The lookup-table initializers of one SavedModel, by Keras layer name."""

    what = "this SavedModel"

    def __init__(self, directory: str) -> None:
        self.directory = directory
        self._loaded = False

    def _load(self) -> None:
        """Parse ``saved_model.pb`` on first use (most SavedModels have no lookup layer)."""
        if self._loaded:
            return
        self._loaded = True
        pb = os.path.join(self.directory, "saved_model.pb")
        try:
            with open(pb, "rb") as fh:
                meta_graph = decode(fh.read()).subs(2)[0]  # SavedModel.meta_graphs
            graph = meta_graph.sub(2)  # MetaGraphDef.graph_def
            objects = meta_graph.sub(7)  # MetaGraphDef.object_graph_def
            if graph is None or objects is None:
                raise ProtobufError("meta graph without graph_def or object_graph_def")
            self._nodes = objects.subs(1)  # SavedObjectGraph.nodes
            self._bound: dict[str, list[int]] = {}
            for entry in objects.subs(2):  # SavedObjectGraph.concrete_functions map
                function = entry.sub(2)
                self._bound[entry.text(1)] = function.ints(2) if function is not None else []  # bound_inputs
            self._consts: dict[str, Message] = {}
            for node in graph.subs(1):  # GraphDef.node
                if node.text(2) == "Const":
                    for attr in node.subs(5):  # NodeDef.attr map
                        value = attr.sub(2)
                        if attr.text(1) == "value" and value is not None and value.sub(8) is not None:
                            self._consts[node.text(1)] = value.sub(8)  # type: ignore[assignment]
            self._assets = [a.text(2) for a in meta_graph.subs(6)]  # asset_file_def: filename
            self._layers = self._layer_nodes()
        except (ProtobufError, IndexError, OSError) as exc:
            raise KerasMigrateError(f"cannot read lookup tables from saved_model.pb ({exc})", path=pb) from exc

    # -- object graph ------------------------------------------------------------------
    def _layer_nodes(self) -> dict[str, list[int]]:
        """Keras layer name -> object graph node ids (from keras_metadata.pb, else the
        metadata TF <= 2.4 kept inside saved_model.pb)."""
        entries: list[tuple[int, str]] = []
        meta_path = os.path.join(self.directory, "keras_metadata.pb")
        if os.path.exists(meta_path):
            with open(meta_path, "rb") as fh:
                for n in decode(fh.read()).subs(1):  # SavedMetadata.nodes
                    entries.append((n.uint(2), n.text(5)))  # node_id, metadata
        else:
            for i, node in enumerate(self._nodes):
                user = node.sub(4)  # SavedObject.user_object
                if user is not None and user.text(3):
                    entries.append((i, user.text(3)))
        out: dict[str, list[int]] = {}
        for node_id, text in entries:
            try:
                meta = json.loads(text)
            except (ValueError, RecursionError):  # not JSON, too deep, digit limit: not a table's
                continue
            if isinstance(meta, Mapping) and meta.get("class_name") in _TABLE_PATH and isinstance(meta.get("name"), str):
                out.setdefault(meta["name"], []).append(node_id)
        return out

    def _child(self, node_id: int, name: str) -> int | None:
        for ref in self._nodes[node_id].subs(1):  # SavedObject.children
            if ref.text(2) == name:
                return ref.uint(1)
        return None

    def _initializer_inputs(self, layer: Layer) -> list[int] | None:
        """Node ids bound to the layer's table initializer, other than the table."""
        self._load()
        nodes = self._layers.get(layer.origin.name or layer.name, [])
        if len(nodes) != 1:
            return None
        node: int | None = nodes[0]
        for part in (*_TABLE_PATH[layer.type], "_initialize"):
            node = self._child(node, part) if node is not None else None
        if node is None:
            return None
        function = self._nodes[node].sub(6)  # SavedObject.function
        names = function.texts(1) if function is not None else []  # SavedFunction.concrete_functions
        if not names or names[0] not in self._bound:
            return None
        # The table itself is bound too (first for tensor initializers, last for files).
        return [b for b in self._bound[names[0]] if not self._nodes[b].has(10)]  # SavedObject.resource

    def _constant(self, node_id: int) -> list[Any] | None:
        const = self._nodes[node_id].sub(9)  # SavedObject.constant
        tensor = self._consts.get(const.text(1)) if const is not None else None  # SavedConstant.operation
        return None if tensor is None else _tensor_values(tensor)

    # -- VocabularySource --------------------------------------------------------------
    def adapted(self, layer: Layer) -> list[Any] | None:
        """Tokens of the table's initializer: its constants, or its vocabulary file (the
        SavedModel's Keras metadata keeps no vocabulary in any layer config)."""
        bound = self._initializer_inputs(layer)
        if bound is None:
            return None
        tensors = [self._constant(b) for b in bound]
        if len(tensors) != 2 or tensors[0] is None or tensors[1] is None or len(tensors[0]) != len(tensors[1]):
            return self.vocabulary_file(layer, "")
        cfg = lookup_view(layer)
        keys, values = tensors[0], tensors[1]
        pairs = zip(keys, values) if cfg.get("invert") else zip(values, keys)  # (index, token)
        ordered = sorted(pairs, key=lambda p: int(p[0]))
        oov_start = 1 if cfg.get("mask_token") is not None and cfg.get("output_mode", "int") == "int" else 0
        start = oov_start + int(cfg.get("num_oov_indices", 1))
        if [int(i) for i, _ in ordered] != list(range(start, start + len(ordered))):
            raise KerasMigrateError(
                "the lookup table's indices are not consecutive from the first token index",
                path=self.directory,
                layer=layer.origin.name or layer.name,
            )
        return [t for _, t in ordered]

    def vocabulary_file(self, layer: Layer, path: str) -> list[Any] | None:
        bound = self._initializer_inputs(layer)
        for b in bound or []:
            asset = self._nodes[b].sub(5)  # SavedObject.asset
            if asset is None:
                continue
            index = asset.uint(1)  # SavedAsset.asset_file_def_index
            if index >= len(self._assets):
                return None
            file = os.path.join(self.directory, "assets", self._assets[index])
            try:
                with open(file, encoding="utf-8") as fh:
                    text = fh.read()
            except (OSError, UnicodeDecodeError) as exc:
                raise KerasMigrateError(f"cannot read the vocabulary asset ({exc})", path=file) from exc
            return parse_vocabulary_lines(text, strings=LOOKUP_TYPES[layer.type], file=True)
        return None
