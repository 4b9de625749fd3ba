"""Reader for HDF5 models (Keras 1, Keras 2, tf.keras, Keras 3 legacy) and HDF5 weights files.

Full models carry ``model_config`` as a root attribute and weights under ``model_weights``;
weights-only files carry the weights at the root and need the architecture from a JSON or
YAML file (``model.to_json()`` / ``to_yaml()``). Weights are never read here: each becomes
a lazy reference to its HDF5 dataset, materialized only when written or interpreted.
What the file holds goes through the reader pipeline (:mod:`keras_migrate.formats.pipeline`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from keras_migrate.errors import KerasMigrateError, UnsupportedError
from keras_migrate.formats.architecture import (
    check_model_config,
    parse_json,
    read_architecture_config,
)
from keras_migrate.formats.hdf5 import (
    LinkScan,
    attr_names,
    attr_text,
    dataset,
    group,
    guarded,
    has_attr,
    is_hdf5,
    member_names,
    open_h5,
    refuse_foreign_links,
    scan_links,
)
from keras_migrate.formats.pipeline import ModelSource, read_model
from keras_migrate.formats.training.h5 import read_h5_training
from keras_migrate.formats.vocabulary_files import VocabularyFiles
from keras_migrate.ir.graph import Graph, Model
from keras_migrate.ir.weights import H5Dataset, Weight, check_array_declaration

__all__ = ["H5Weights", "read_architecture_file", "read_h5_model", "read_weights_h5"]


class H5Weights:
    """The layer groups of a Keras weights file (root of a weights-only file, or
    model_weights): a :class:`~keras_migrate.formats.weight_source.WeightSource`."""

    def __init__(self, path: str) -> None:
        self.path = os.path.abspath(path)
        with open_h5(path) as f:
            # One walk over every link first: on a clean file (only hard links, nothing
            # pointing outside it: the common case) the weights walk below and the lazy
            # reads later skip their per-weight link checks. What the scan found is raised
            # after the walk, whose messages name the weight more precisely.
            scan = scan_links(f, path)
            self._read(f, path, scan)
            scan.refuse()  # anywhere else in the file, too

    def _read(self, f: Any, path: str, scan: LinkScan) -> None:
        """Every access goes through :mod:`keras_migrate.formats.hdf5`'s guarded helpers:
        a damaged or hostile file fails here with one line naming it, never later.
        On a clean file (``scan.clean``: :func:`~keras_migrate.formats.hdf5.dataset`) each
        weight's declaration comes from the scan, which already opened every dataset."""
        checked = scan.clean
        root_names = has_attr(f, "layer_names", path)
        g = f if root_names else (group(f, "model_weights", path, what="group 'model_weights'", links_checked=checked) or f)
        prefix = "" if g is f else "/model_weights"
        names = attr_names(g, "layer_names", path)
        if names is None:
            raise KerasMigrateError("HDF5 file holds no Keras weights (no layer_names)", path=path)
        self.keras_version = attr_text(g, "keras_version", path) or attr_text(f, "keras_version", path)
        self.backend = attr_text(g, "backend", path) or attr_text(f, "backend", path)
        self.layer_names = names
        self.layers: dict[str, list[Weight]] = {}
        for name in names:
            # Clean file: each layer's weight names in one low-level read, and each weight's
            # declaration from the scan; anything unusual takes the checked path below.
            wnames = member_names(g, name, "weight_names") if checked else None
            known = [scan.datasets.get(f"{prefix}/{name}/{wn}") for wn in wnames] if wnames is not None else []
            if wnames is not None and all(k is not None and k[0] is not None for k in known):
                self.layers[name] = [
                    Weight(wn, _declared(path, self.path, f"{prefix}/{name}/{wn}", k, f"weight {wn!r}", name), origin=wn)
                    for wn, k in zip(wnames, known, strict=True)
                    if k is not None
                ]
                continue
            lg = group(g, name, path, what=f"the weights group of layer {name!r}", layer=name, links_checked=checked)
            if lg is None:
                continue
            wnames = attr_names(lg, "weight_names", path) or []
            arrays = []
            for wn in wnames:
                declared = scan.datasets.get(f"{prefix}/{name}/{wn}") if checked else None
                if declared is not None and declared[0] is not None:
                    ref = _declared(path, self.path, f"{prefix}/{name}/{wn}", declared, f"weight {wn!r}", name)
                else:
                    ds = dataset(lg, wn, path, what=f"weight {wn!r}", layer=name, links_checked=checked)
                    if ds is None:
                        raise KerasMigrateError(f"weight {wn!r} listed but missing", path=path, layer=name)
                    with guarded(path, f"weight {wn!r}", layer=name):
                        ref = H5Dataset(self.path, ds.name, tuple(ds.shape), str(ds.dtype))
                arrays.append(Weight(wn, ref, origin=wn))
            self.layers[name] = arrays
        top = group(g, "top_level_model_weights", path, what="group 'top_level_model_weights'", links_checked=checked)
        if top is not None and (attr_names(top, "weight_names", path) or []):
            raise UnsupportedError(
                "the model owns weights outside its layers (top_level_model_weights)",
                path=path,
                hint="subclassed models are not supported",
            )

    def get(self, layer_name: str) -> list[Weight] | None:
        arrays = self.layers.get(layer_name)
        return arrays if arrays else None

    def weighted_names(self) -> list[str]:
        return [n for n in self.layer_names if self.layers.get(n)]


def _declared(path: str, file: str, where: str, known: tuple[Any, Any], what: str, layer: str) -> H5Dataset:
    """The lazy reference to a dataset a clean link scan declared (``known``: its shape and
    dtype), with the checks :func:`~keras_migrate.formats.hdf5.dataset` makes of a
    declaration, without opening the dataset again."""
    shape, dtype = known
    try:
        # H5Dataset checks its declaration itself; only a refusal is checked again here,
        # for the message naming the weight as the layer lists it.
        return H5Dataset(file, where, tuple(int(d) for d in shape), str(dtype))
    except KerasMigrateError:
        pass
    try:
        check_array_declaration(tuple(shape), dtype, path=path, what=what)
    except KerasMigrateError as exc:  # a dtype or size no Keras weight has
        raise KerasMigrateError(exc.message, path=path, layer=layer, hint=exc.hint) from None
    return H5Dataset(file, where, tuple(int(d) for d in shape), str(dtype))  # raises its own refusal


def read_weights_h5(path: str) -> H5Weights:
    """Open the weights group of an HDF5 file (refused if it holds no Keras weights)."""
    if not os.path.exists(path):
        raise KerasMigrateError("file not found", path=path)
    if not is_hdf5(path):
        raise KerasMigrateError("not an HDF5 file (truncated or another format)", path=path)
    return H5Weights(path)


def _opener(weights: H5Weights) -> Callable[[Graph, Mapping[str, str]], H5Weights]:
    """An HDF5 group is laid out by layer name: it needs nothing from the translated graph."""
    return lambda graph, renamed: weights


def read_h5_model(path: str, *, weights: str | None = None, vocabulary_files: VocabularyFiles | None = None) -> Model:
    """Read a full-model HDF5 file (``model.save('x.h5')``); ``weights``: another HDF5
    file to take the weights from. ``vocabulary_files``: the user's lookup vocabularies,
    as in every reader."""
    if not os.path.exists(path):
        raise KerasMigrateError("file not found", path=path)
    if not is_hdf5(path):
        raise KerasMigrateError("not an HDF5 file (truncated or another format)", path=path)
    with open_h5(path) as f:
        text = attr_text(f, "model_config", path)
        keras_version = attr_text(f, "keras_version", path)
        backend = attr_text(f, "backend", path)
        with guarded(path, "the root group"):
            has_weights = "model_weights" in f or has_attr(f, "layer_names", path)
    if text is None:
        if has_weights:
            raise KerasMigrateError(
                "this HDF5 file holds weights only, no architecture",
                path=path,
                hint="pass the architecture file and this file as --weights",
            )
        raise KerasMigrateError("HDF5 file is not a Keras model (no model_config)", path=path)
    config = check_model_config(parse_json(text, path, "model_config"), path, json_tree=True)
    wg = read_weights_h5(weights or path)
    if weights is not None:  # the model file's own links: its weights walk did not look
        with open_h5(path) as f:
            refuse_foreign_links(f, path)
    model = read_model(
        ModelSource(
            config,
            path,
            "keras-h5",
            keras_version=keras_version or wg.keras_version,
            backend=backend or wg.backend,
            weights=_opener(wg),
            vocabulary_files=vocabulary_files,
        )
    )
    return read_h5_training(path, model, wg)


def read_architecture_file(
    path: str, *, weights: str | None = None, vocabulary_files: VocabularyFiles | None = None
) -> Model:
    """Read ``model.to_json()`` / ``to_yaml()`` output, with weights from an HDF5 file."""
    config, fmt = read_architecture_config(path)
    keras_version = config.get("keras_version")
    backend = config.get("backend")
    wg = None
    if weights is not None:
        wg = read_weights_h5(weights)
        keras_version = keras_version or wg.keras_version
        backend = backend or wg.backend
        fmt += "+h5"
    return read_model(
        ModelSource(
            config,
            path,
            fmt,
            keras_version=keras_version,
            backend=backend,
            weights=None if wg is None else _opener(wg),
            vocabulary_files=vocabulary_files,
        )
    )
