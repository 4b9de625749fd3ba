"""Versioned serialization of the IR: a JSON document plus weights in one HDF5 file.

``save(model, "model.kmir")`` writes an HDF5 file whose ``ir_json`` attribute holds the
graph (layers, nodes, values, structures, provenance) and whose datasets hold every weight,
keyed ``<layer path>/<weight name>``. ``load`` reads it back with lazy weights. The JSON
alone (:func:`to_dict`) is what ``inspect --json`` prints; its schema is versioned by
:data:`SCHEMA_VERSION` and readers refuse versions they do not know.
"""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np

from keras_migrate.errors import KerasMigrateError
from keras_migrate.ir.graph import (
    Graph,
    Layer,
    LayerOrigin,
    Model,
    Node,
    Provenance,
    TensorType,
    Value,
    ValueRef,
)
from keras_migrate.ir.weights import H5Dataset, Weight

__all__ = ["SCHEMA", "SCHEMA_VERSION", "from_dict", "load", "load_document", "save", "to_dict"]

SCHEMA = "keras-migrate-ir"
#: Bumped on any incompatible change of the JSON layout.
SCHEMA_VERSION = 1


def _enc(x: Any) -> Any:
    if isinstance(x, ValueRef):
        return {"$ref": x.name}
    if isinstance(x, (list, tuple)):
        return [_enc(v) for v in x]
    if isinstance(x, dict):
        return {k: _enc(v) for k, v in x.items()}
    if isinstance(x, np.generic):
        return x.item()
    return x


def _dec(x: Any) -> Any:
    if isinstance(x, dict):
        if set(x) == {"$ref"}:
            return ValueRef(x["$ref"])
        return {k: _dec(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_dec(v) for v in x]
    return x


def _graph_dict(graph: Graph, weight_refs: bool) -> dict[str, Any]:
    return {
        "name": graph.name,
        "kind": graph.kind,
        "inputs": graph.input_structure,
        "outputs": graph.output_structure,
        "values": [
            {
                "name": v.name,
                "shape": list(v.type.shape) if v.type else None,
                "dtype": v.type.dtype if v.type else None,
                "producer": v.producer,
                "index": v.index,
            }
            for v in graph.values.values()
        ],
        "layers": [_layer_dict(lay, weight_refs) for lay in graph.layers],
        "nodes": [
            {"name": n.name, "layer": n.layer, "args": _enc(list(n.args)), "kwargs": _enc(dict(n.kwargs)), "outputs": list(n.outputs)}
            for n in graph.nodes
        ],
    }


def _layer_dict(layer: Layer, weight_refs: bool) -> dict[str, Any]:
    d: dict[str, Any] = {
        "name": layer.name,
        "type": layer.type,
        "config": _enc(dict(layer.config)),
        "trainable": layer.trainable,
        "dtype": layer.dtype,
        "weights": [
            {
                "name": w.name,
                "shape": list(w.shape),
                "dtype": w.dtype,
                "trainable": w.trainable,
                **({"source": w.source.describe(), "transforms": len(w.transforms), "origin": w.origin} if weight_refs else {}),
            }
            for w in layer.weights
        ],
        "origin": {"class_name": layer.origin.class_name, "name": layer.origin.name, "config": layer.origin.config},
    }
    if layer.subgraph is not None:
        d["subgraph"] = _graph_dict(layer.subgraph, weight_refs)
    return d


def to_dict(model: Model, *, weight_refs: bool = True) -> dict[str, Any]:
    """The JSON document for ``model`` (weights described, not included)."""
    p = model.provenance
    return {
        "schema": SCHEMA,
        "version": SCHEMA_VERSION,
        "provenance": {
            "source_format": p.source_format,
            "source_path": p.source_path,
            "keras_version": p.keras_version,
            "backend": p.backend,
            "generation": p.generation,
            "notes": list(p.notes),
        },
        "renamed": dict(model.renamed),
        "graph": _graph_dict(model.graph, weight_refs),
    }


def _graph_from(d: dict[str, Any], file: str | None, prefix: str) -> Graph:
    values = {
        v["name"]: Value(
            v["name"],
            TensorType(tuple(v["shape"]), v["dtype"]) if v.get("shape") is not None else None,
            v.get("producer"),
            int(v.get("index", 0)),
        )
        for v in d["values"]
    }
    layers = []
    for ld in d["layers"]:
        path = f"{prefix}{ld['name']}"
        weights = tuple(
            Weight(
                wd["name"],
                H5Dataset(file, f"weights/{path}/{wd['name']}", tuple(wd["shape"]), wd["dtype"]) if file else _missing(wd),
                trainable=bool(wd.get("trainable", True)),
                origin=wd.get("origin", ""),
            )
            for wd in ld.get("weights", [])
        )
        sub = _graph_from(ld["subgraph"], file, path + "/") if ld.get("subgraph") else None
        o = ld.get("origin") or {}
        layers.append(
            Layer(
                ld["name"], ld["type"], _dec(ld.get("config", {})), weights, bool(ld.get("trainable", True)),
                ld.get("dtype", "float32"), sub, LayerOrigin(o.get("class_name", ""), o.get("name", ""), o.get("config", {})),
            )
        )
    nodes = tuple(
        Node(n["name"], n["layer"], tuple(_dec(n["args"])), _dec(n.get("kwargs", {})), tuple(n["outputs"])) for n in d["nodes"]
    )
    return Graph(d["name"], tuple(layers), nodes, values, d["inputs"], d["outputs"], d.get("kind", "functional"))


def _missing(wd: dict[str, Any]) -> Any:
    raise KerasMigrateError(f"weight {wd['name']!r} has no data (IR JSON loaded without its weights file)")


def from_dict(d: dict[str, Any], *, weights_file: str | None = None) -> Model:
    """Rebuild a model from :func:`to_dict` output (weights from ``weights_file``)."""
    if d.get("schema") != SCHEMA:
        raise KerasMigrateError(f"not a keras-migrate IR document (schema {d.get('schema')!r})")
    if d.get("version") != SCHEMA_VERSION:
        raise KerasMigrateError(
            f"IR schema version {d.get('version')} is not supported (this version reads {SCHEMA_VERSION})",
            hint="convert with the keras-migrate version that wrote it",
        )
    p = d.get("provenance", {})
    prov = Provenance(
        p.get("source_format", ""), p.get("source_path", ""), p.get("keras_version", ""), p.get("backend", ""),
        p.get("generation", ""), tuple(p.get("notes", [])),
    )
    return Model(_graph_from(d["graph"], weights_file, ""), prov, dict(d.get("renamed", {})))


def save(model: Model, path: str) -> None:
    """Write ``model`` (JSON + every weight materialized) as one HDF5 ``.kmir`` file."""
    import h5py

    doc = to_dict(model, weight_refs=False)
    with h5py.File(path, "w") as f:
        f.attrs["ir_json"] = json.dumps(doc)
        for key, w in model.iter_weights():
            f.create_dataset(f"weights/{key}", data=w.numpy())


def load(path: str) -> Model:
    """Read a ``.kmir`` file; weights stay lazy references into it (each checked for its
    dtype and declared size now, and read through the guarded :class:`H5Dataset` later).

    The file is HDF5 and may be damaged like any other: every h5py error, a ``ir_json`` that
    is not UTF-8 JSON text, or a document of the wrong shape is refused in one line. Files
    from elsewhere go through :func:`keras_migrate.formats.load` (``formats/kmir.py``), which
    also scans the whole file for links into other files and bounds the document first.
    """
    import h5py

    try:
        with h5py.File(path, "r") as f:
            raw = f.attrs["ir_json"]
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        if not isinstance(text, str):
            raise TypeError(f"ir_json holds {type(text).__name__}, not text")
        doc = json.loads(text)
    except KerasMigrateError:
        raise
    except (OSError, KeyError, RuntimeError, TypeError, ValueError, RecursionError) as exc:
        detail = " ".join(str(exc).split())[:160]
        raise KerasMigrateError(
            f"not a readable keras-migrate IR file ({detail})", path=path, hint="the file is damaged; save it again"
        ) from exc
    return load_document(doc, path)


def load_document(doc: Any, path: str) -> Model:
    """The model an ``ir_json`` document read from ``path`` describes, weights lazy in that
    file; a document of the wrong shape is refused in one line naming ``path``."""
    if not isinstance(doc, dict):
        raise KerasMigrateError("not a keras-migrate IR file (ir_json is not an object)", path=path)
    try:
        return from_dict(doc, weights_file=os.path.abspath(path))
    except KerasMigrateError as exc:
        if exc.path:
            raise
        raise KerasMigrateError(exc.message, path=path, layer=exc.layer, hint=exc.hint) from exc
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, RecursionError) as exc:
        detail = " ".join(str(exc).split())[:160]
        raise KerasMigrateError(
            f"the IR document is malformed ({type(exc).__name__}: {detail})", path=path, hint="the file is damaged"
        ) from exc
