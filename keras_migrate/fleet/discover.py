"""Find every legacy model under some paths: what a batch converts.

A model is one of: a full-model HDF5 file (``model.save``: root attribute ``model_config``),
a ``.keras`` archive (Keras 3 or tf_keras), a SavedModel directory (``saved_model.pb``),
or an architecture file (``.json``/``.yaml`` holding a Keras config) paired by naming
convention with its weights: ``X_weights.h5``, ``X.weights.h5``, ``X_weights.hdf5``, a
weights-only ``X.h5``, a TF checkpoint directory ``X_ckpt/`` or prefix ``X.ckpt``. An
architecture file with several weights files is one model per pairing; one with none is
converted on its own (the reader decides whether it can). A weights-only file no
architecture claims is listed as skipped, with the reason, so nothing is silently ignored.

Each model gets an ``id`` (its path relative to the common root of the given paths; a
pairing is ``X.json+X_weights.h5``) and ``out_stem``, the relative output path without
suffix, so the output tree mirrors the input tree and no two models share an output.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

from keras_migrate.formats import is_savedmodel_dir

__all__ = ["Found", "ModelSource", "discover"]

_H5 = (".h5", ".hdf5")
_ARCH = (".json", ".yaml", ".yml")
_WEIGHT_SUFFIXES = ("_weights.h5", ".weights.h5", "_weights.hdf5")


@dataclass(frozen=True, slots=True)
class ModelSource:
    """One model to convert: its files (``path``, optional ``weights``) and names."""

    id: str
    path: str
    weights: str | None
    form: str  # h5, keras, savedmodel, json+h5, json+ckpt, json
    out_stem: str

    @property
    def files(self) -> tuple[str, ...]:
        """Every file or directory the model is read from (what the resume hash covers)."""
        return (self.path,) if self.weights is None else (self.path, self.weights)


@dataclass(frozen=True, slots=True)
class Found:
    """What discovery found: models to convert, and files passed over with the reason."""

    models: tuple[ModelSource, ...]
    skipped: tuple[tuple[str, str], ...]
    root: str


def _root_attrs(path: str) -> set[str] | None:
    """The HDF5 root attribute names, or None when the file is not HDF5 (or unreadable)."""
    try:
        import h5py

        with h5py.File(path, "r") as f:
            return set(f.attrs.keys())
    except Exception:  # any unreadable file is for the reader to report, not discovery
        return None


def _is_architecture(path: str) -> bool:
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read(1 << 22)
    except (OSError, UnicodeDecodeError):
        return False
    if path.endswith(".json"):
        try:
            data = json.loads(text)
        except ValueError:
            return False
        return isinstance(data, dict) and "class_name" in data and "config" in data
    return "class_name:" in text and "config:" in text


def _checkpoint_prefix(folder: str) -> str | None:
    """The checkpoint prefix inside ``folder`` (``checkpoint`` file, else the one ``.index``)."""
    state = os.path.join(folder, "checkpoint")
    if os.path.exists(state):
        with open(state, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.startswith("model_checkpoint_path:"):
                    name = line.split(":", 1)[1].strip().strip('"')
                    return os.path.join(folder, name)
    indexes = sorted(n for n in os.listdir(folder) if n.endswith(".index"))
    return os.path.join(folder, indexes[0][: -len(".index")]) if len(indexes) == 1 else None


def _rel(path: str, root: str) -> str:
    return os.path.relpath(path, root).replace(os.sep, "/")


def _scan_dir(folder: str, root: str, models: list[ModelSource], skipped: list[tuple[str, str]]) -> None:
    names = sorted(os.listdir(folder))
    dirs = [n for n in names if os.path.isdir(os.path.join(folder, n))]
    files = [n for n in names if n not in dirs]
    weights_only: dict[str, str] = {}  # file name -> path, HDF5 files without model_config
    checkpoints: dict[str, str] = {}  # dir or prefix name -> checkpoint prefix
    for d in dirs:
        full = os.path.join(folder, d)
        if is_savedmodel_dir(full):
            models.append(ModelSource(_rel(full, root), full, None, "savedmodel", _rel(full, root)))
        elif os.path.exists(os.path.join(full, "checkpoint")) or any(n.endswith(".index") for n in os.listdir(full)):
            prefix = _checkpoint_prefix(full)
            if prefix is None:
                skipped.append((_rel(full, root), "checkpoint directory with several checkpoints; pass one with --weights"))
            else:
                checkpoints[d] = prefix
        elif not d.startswith("."):
            _scan_dir(full, root, models, skipped)
    for n in files:
        if n.endswith(".index") and os.path.exists(os.path.join(folder, n[: -len(".index")] + ".data-00000-of-00001")):
            checkpoints[n[: -len(".index")]] = os.path.join(folder, n[: -len(".index")])
    archs: list[str] = []
    for n in files:
        full = os.path.join(folder, n)
        if n.endswith(_H5):
            attrs = _root_attrs(full)
            if attrs is not None and "model_config" not in attrs:
                weights_only[n] = full
            else:  # a full model, or a damaged file the reader will name
                models.append(ModelSource(_rel(full, root), full, None, "h5", _rel(full, root)))
        elif n.endswith(".keras"):
            models.append(ModelSource(_rel(full, root), full, None, "keras", _rel(full, root)))
        elif n.endswith(_ARCH) and _is_architecture(full):
            archs.append(n)
    claimed: set[str] = set()
    for n in archs:
        full = os.path.join(folder, n)
        stem = n.rsplit(".", 1)[0]
        pairs: list[tuple[str, str, str, str]] = []  # weights path, form, id suffix, out name
        for suffix in _WEIGHT_SUFFIXES:
            if stem + suffix in weights_only:
                pairs.append((weights_only[stem + suffix], "json+h5", stem + suffix, n))
                claimed.add(stem + suffix)
        for ext in _H5:
            if stem + ext in weights_only:
                pairs.append((weights_only[stem + ext], "json+h5", stem + ext, n))
                claimed.add(stem + ext)
        for cname in (stem + "_ckpt", stem + ".ckpt", stem + "_checkpoint"):
            if cname in checkpoints:
                pairs.append((checkpoints[cname], "json+ckpt", cname, cname))
                claimed.add(cname)
        rel_dir = _rel(folder, root)
        prefix = "" if rel_dir == "." else rel_dir + "/"
        if not pairs:
            models.append(ModelSource(prefix + n, full, None, "json", prefix + n))
        seen_out: set[str] = set()
        for weights, form, wname, out_name in pairs:
            out = prefix + (out_name if out_name not in seen_out else f"{n}+{wname}")
            seen_out.add(out_name)
            models.append(ModelSource(f"{prefix}{n}+{wname}", full, weights, form, out))
    for n, full in weights_only.items():
        if n not in claimed:
            skipped.append((_rel(full, root), "weights-only HDF5 file with no architecture file beside it (X.json for X_weights.h5)"))
    for cname, prefix_path in checkpoints.items():
        if cname not in claimed:
            skipped.append((_rel(prefix_path, root), "TF checkpoint with no architecture file beside it (X.json for X_ckpt/)"))


def discover(paths: list[str]) -> Found:
    """Every model under ``paths`` (files or directories), sorted by id.

    Paths are made relative to their common root, so ``fixtures/`` gives ids like
    ``keras-2.2.4/mlp.h5``. A path that does not exist is an error for the caller.
    """
    from keras_migrate.errors import KerasMigrateError

    absolute = [os.path.abspath(p) for p in paths]
    for given, p in zip(paths, absolute):
        if not os.path.exists(p) and not os.path.exists(p + ".index"):
            raise KerasMigrateError("no such file or directory", path=given)
    bases = [p if os.path.isdir(p) and not is_savedmodel_dir(p) else os.path.dirname(p) for p in absolute]
    root = os.path.commonpath(bases) if bases else os.getcwd()
    models: list[ModelSource] = []
    skipped: list[tuple[str, str]] = []
    for p in absolute:
        if os.path.isdir(p) and not is_savedmodel_dir(p):
            _scan_dir(p, root, models, skipped)
        elif os.path.isdir(p):
            models.append(ModelSource(_rel(p, root), p, None, "savedmodel", _rel(p, root)))
        else:
            form = "keras" if p.endswith(".keras") else ("json" if p.endswith(_ARCH) else "h5")
            models.append(ModelSource(_rel(p, root), p, None, form, _rel(p, root)))
    unique = {m.id: m for m in models}
    return Found(tuple(sorted(unique.values(), key=lambda m: m.id)), tuple(sorted(set(skipped))), root)
