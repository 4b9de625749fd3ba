"""Reading a ``.kmir`` file (the IR's own HDF5 form) as untrusted input, like every reader.

:func:`keras_migrate.ir.serialize.load` rebuilds a model from a file it trusts. A ``.kmir``
handed to the CLI may be damaged or hostile like any other HDF5 file, so this reader goes
through the same guards as the legacy readers: the open and every metadata access guarded
(:mod:`keras_migrate.formats.hdf5`), the ``ir_json`` document bounded in size
(:data:`~keras_migrate.formats.limits.MAX_CONFIG_BYTES`) and copied by the bounded
:func:`~keras_migrate.formats.schema.plain_tree` (depth, value count, integer size), every
weight's dataset checked to exist as a plain dataset of its declared shape and dtype, the
whole file scanned for external links and virtual datasets, and the weights checked
against their layers (config and inferred input) before anything is written.
"""

from __future__ import annotations

import json
from typing import Any

from keras_migrate.errors import KerasMigrateError
from keras_migrate.formats.hdf5 import attr_text, dataset, open_h5, refuse_foreign_links
from keras_migrate.formats.limits import MAX_CONFIG_BYTES
from keras_migrate.formats.schema import plain_tree
from keras_migrate.formats.weight_source import check_weight_shapes
from keras_migrate.ir.graph import Model
from keras_migrate.ir.serialize import load_document
from keras_migrate.ir.weights import H5Dataset

__all__ = ["read_kmir"]

_HINT = "the file is damaged; convert the original model again"


def read_kmir(path: str) -> Model:
    """The model a ``.kmir`` file holds, every bound and check of the readers applied."""
    with open_h5(path) as f:
        text = attr_text(f, "ir_json", path)
        if text is None:
            raise KerasMigrateError("not a keras-migrate IR file (no ir_json attribute)", path=path, hint=_HINT)
        if len(text) > MAX_CONFIG_BYTES:
            raise KerasMigrateError(
                f"the IR document is {len(text):,} characters, over the limit of {MAX_CONFIG_BYTES:,}", path=path, hint=_HINT
            )
        try:
            raw = json.loads(text)
        except (ValueError, RecursionError) as exc:
            detail = " ".join(str(exc).split())[:120] or type(exc).__name__
            raise KerasMigrateError(f"the IR document is not JSON ({detail})", path=path, hint=_HINT) from None
        model = load_document(plain_tree(raw, path), path)
        for layer, owner in model.graph.walk_layers():
            for weight in owner.weights:
                _check_dataset(f, weight.source, weight.name, layer, path)
        refuse_foreign_links(f, path, what="the IR file")
    check_weight_shapes(model.graph, path)
    return model


def _check_dataset(f: Any, source: object, name: str, layer: str, path: str) -> None:
    """The weight's dataset exists as a plain dataset of the shape and dtype the document declares."""
    if not isinstance(source, H5Dataset):
        return
    node = dataset(f, source.dataset, path, what=f"weight {name!r}", layer=layer)
    if node is None:
        raise KerasMigrateError(f"weight {name!r} has no dataset in the file", path=path, layer=layer, hint=_HINT)
    if tuple(node.shape) != tuple(source.shape) or str(node.dtype) != source.dtype:
        raise KerasMigrateError(
            f"weight {name!r} is stored as {node.dtype}{tuple(node.shape)}, the IR document declares "
            f"{source.dtype}{tuple(source.shape)}",
            path=path,
            layer=layer,
            hint=_HINT,
        )
