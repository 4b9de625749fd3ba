"""``.keras`` zip archives written by Keras 3 or by tf_keras (2.13+), read as data.

Members: ``metadata.json`` (``keras_version``), ``config.json``
(``serialize_keras_object(model)``: ``{module, class_name, config, registered_name, ...}``)
and ``model.weights.h5``. Both writers store each layer's variables in a ``<object
path>/vars`` group as datasets ``0``, ``1``..., where the object path follows the saver's
walk, not layer names: a model's layers are ``layers/<snake_case(class name)>`` with
``_1``, ``_2``... suffixes in ``model.layers`` order (functional models include their
InputLayers, Sequential models do not), and sub-objects nest under their attribute name
(``cell/vars`` for an RNN's cell, ``forward_layer/cell/vars``...).

The two dialects differ in the config (tf_keras writes Keras 2 layer configs and legacy
node lists under ``module: "keras.layers"``; Keras 3 its own configs with
``__keras_tensor__`` node arguments) and in how class names are snake-cased; the config
parser handles both. Weights are mapped back to layers by walking the config in the
saver's order and placing each IR weight where :func:`keras_migrate.ir.specs.save_groups`
says Keras saves it — the inverse of this package's own ``.keras`` writer.
"""

from __future__ import annotations

import atexit
import contextlib
import lzma
import os
import re
import shutil
import tempfile
import threading
import zipfile
import zlib
from collections.abc import Mapping
from typing import Any

from keras_migrate.errors import KerasMigrateError, UnsupportedError
from keras_migrate.formats.architecture import check_model_config, parse_json
from keras_migrate.formats.hdf5 import refuse_foreign_links
from keras_migrate.formats.keras3.ops import is_op_entry
from keras_migrate.formats.layer_entries import ObjectWeights, entry_name, model_layer_entries
from keras_migrate.formats.limits import MAX_CONFIG_BYTES
from keras_migrate.formats.pipeline import ModelSource, read_model
from keras_migrate.formats.training.keras_zip import read_zip_training
from keras_migrate.formats.vocabulary_files import VocabularyFiles
from keras_migrate.ir.graph import Graph, Layer, Model
from keras_migrate.ir.specs import LOOKUP_TYPES, WeightSpec, save_groups, snake_case
from keras_migrate.ir.weights import H5Dataset, Weight

__all__ = ["object_paths", "read_keras_zip"]

_EXTRACTED: dict[tuple[str, float, int], str] = {}
_LOCK = threading.Lock()
_TMPDIR: list[str] = []


def _cleanup() -> None:
    from keras_migrate.ir.weights import close_open_files

    with contextlib.suppress(Exception):
        close_open_files()
    for d in _TMPDIR:
        shutil.rmtree(d, ignore_errors=True)


def _extract_weights(zf: zipfile.ZipFile, path: str, member: str) -> str:
    """Copy the weights member to a private temporary file once per process (lazy reads need
    a seekable HDF5 file); removed at exit."""
    st = os.stat(path)
    key = (os.path.abspath(path), st.st_mtime, st.st_size)
    with _LOCK:
        done = _EXTRACTED.get(key)
        if done and os.path.exists(done):
            return done
        if not _TMPDIR:
            _TMPDIR.append(tempfile.mkdtemp(prefix="keras-migrate-"))
            atexit.register(_cleanup)
        out = os.path.join(_TMPDIR[0], f"{len(_EXTRACTED)}-{os.path.basename(path)}.weights.h5")
        try:
            with _open_member(zf, member, path) as src, open(out, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
        except _ZIP_ERRORS as exc:
            with contextlib.suppress(OSError):
                os.remove(out)
            raise _member_error(member, path, exc) from exc
        _EXTRACTED[key] = out
        return out


def _tfk_snake_case(name: str) -> str:
    """tf_keras' ``generic_utils.to_snake_case``."""
    intermediate = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    insecure = re.sub("([a-z])([A-Z])", r"\1_\2", intermediate).lower()
    return insecure if insecure[0] != "_" else "private" + insecure


def _entries(model_config: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    # Keras 3 op nodes are not in ``model.layers``: they own no saved state.
    return [e for e in model_layer_entries(model_config) if not is_op_entry(e)]


def object_paths(model_config: Mapping[str, Any], base: str, *, tf_keras: bool) -> dict[str, str]:
    """Original layer name -> its object path (``<base>layers/dense_1/``), numbered in the
    saver's order: the same walk places weights (``model.weights.h5``) and assets."""
    snake = _tfk_snake_case if tf_keras else snake_case
    used: dict[str, int] = {}
    out: dict[str, str] = {}
    for entry in _entries(model_config):
        cls = str(entry.get("class_name") or "")
        if cls in ("Model",):
            cls = "Functional"
        key = snake(cls)
        k = used.get(key, 0)
        used[key] = k + 1
        out[entry_name(entry)] = f"{base}layers/{key if k == 0 else f'{key}_{k}'}/"
    return out


#: What h5py raises reading a damaged file once it is open.
_H5_ERRORS: tuple[type[BaseException], ...] = (RuntimeError, KeyError, OSError, ValueError, TypeError, AttributeError)


class ZipWeights(ObjectWeights):
    """A :class:`~keras_migrate.formats.weight_source.WeightSource` over a ``.keras``
    archive's ``model.weights.h5``, each layer's weights located by its object path."""

    def __init__(self, h5_path: str, model_config: Mapping[str, Any], graph: Graph, renamed: Mapping[str, str],
                 *, path: str, keras_version: str, tf_keras: bool) -> None:
        import h5py

        self.path = path
        self.keras_version = keras_version
        self.backend: str | None = None
        self._tf_keras = tf_keras
        try:
            f = h5py.File(h5_path, "r")
        except OSError as exc:
            raise KerasMigrateError(f"model.weights.h5 in the archive is not readable HDF5 ({exc})", path=path) from exc
        with f:
            self._file = f
            self._h5 = h5_path
            self._prefixes = object_paths(model_config, "", tf_keras=tf_keras)
            try:
                self.locate_all(graph, renamed)
                refuse_foreign_links(f, path, what="model.weights.h5 in the archive")
            except KerasMigrateError:
                raise
            except _H5_ERRORS as exc:  # a damaged inner HDF5 file: corrupt headers, dangling links...
                text = " ".join(str(exc).split())[:200] or type(exc).__name__
                raise KerasMigrateError(f"model.weights.h5 in the archive is damaged ({text})", path=path) from exc

    def locate(self, original_name: str, layer: Layer, expected: list[tuple[str, WeightSpec]]) -> list[Weight]:
        return [self._weight(layer, self._prefixes, owner, spec.name) for owner, spec in expected]

    def locate_stored(self, original_name: str) -> list[Weight]:
        prefix = self._prefixes.get(original_name)
        group = self._file.get(f"{prefix}vars") if prefix is not None else None
        if group is None:
            return []
        keys = sorted((k for k in group if k.isdigit()), key=int)  # Keras saves variables as 0, 1, ... in order
        out = []
        for k in keys:
            ds = group[k]
            dataset = f"{prefix}vars/{k}"
            out.append(Weight(f"variable_{k}", H5Dataset(self._h5, dataset, tuple(ds.shape), str(ds.dtype)),
                              origin=f"{os.path.basename(self.path)}:{dataset}"))  # fmt: skip
        return out

    def _weight(self, layer: Layer, prefixes: dict[str, str], owner: str, name: str) -> Weight:
        parts = owner.split("/")
        current = layer
        prefix = prefixes.get(current.origin.name or current.name)
        for part in parts[1:]:
            assert current.subgraph is not None and prefix is not None
            sub = next(s for s in current.subgraph.layers if s.name == part)
            nested = object_paths({"class_name": current.origin.class_name, "config": current.origin.config}, prefix,
                                  tf_keras=self._tf_keras)
            prefix, current = nested.get(sub.origin.name or sub.name), sub
        where = current.origin.name or current.name
        if prefix is None:
            raise KerasMigrateError("the archive's config and weights disagree on this layer", path=self.path, layer=where)
        dataset = self._locate(current, prefix, name)
        if dataset is None:
            have: list[str] = []
            group = self._file.get(prefix.rstrip("/"))
            if group is not None:
                group.visit(have.append)
            raise KerasMigrateError(
                f"model.weights.h5 has no array for weight {name!r} under {prefix} "
                f"(it has: {', '.join(h for h in have if h[-1:].isdigit()) or 'nothing'})",
                path=self.path,
                layer=where,
                hint="the archive's weights do not fit its config",
            )
        ds = self._file[dataset]
        return Weight(name, H5Dataset(self._h5, dataset, tuple(ds.shape), str(ds.dtype)), origin=f"{os.path.basename(self.path)}:{dataset}")

    def _locate(self, layer: Layer, prefix: str, name: str) -> str | None:
        # Where Keras 3 saves it (this package's writer uses the same table) ...
        for group in save_groups(layer.type, layer.config):
            if name in group.weights:
                key = group.keys[group.weights.index(name)] if group.keys else group.weights.index(name)
                path = f"{prefix}{group.path}/{key}"
                if path in self._file:
                    return path
        # ... or, for a sub-object saved under another attribute path, the weight's
        # position among the sub-object's weights (IR names "<sub>/<weight>").
        from keras_migrate.ir.specs import weight_names

        names = weight_names(layer.type, layer.config)
        sub, _, _ = name.rpartition("/")
        siblings = [n for n in names if n.rpartition("/")[0] == sub]
        index = siblings.index(name)
        candidates: list[str] = []

        def visit(rel: str, obj: Any) -> None:
            if rel.endswith("vars") and hasattr(obj, "keys"):
                # tf_keras saves some sub-objects under private attribute names (_query_dense).
                segs = [s.removeprefix("_") for s in rel.split("/")[:-1] if s not in ("cell", "layer")]
                if "/".join(segs) == sub:
                    candidates.append(rel)

        group = self._file.get(prefix.rstrip("/"))
        if group is None:
            return None
        group.visititems(visit)
        for rel in candidates:
            if str(index) in group[rel] and len(group[rel]) == len(siblings):
                return f"{prefix}{rel}/{index}"
        return None


#: What zipfile and its decompressors raise on a damaged member: bad CRCs and headers
#: (BadZipFile), the encrypted flag (RuntimeError), unknown compression methods
#: (NotImplementedError), garbage under deflate/bzip2/lzma (zlib.error, OSError, LZMAError,
#: EOFError, ValueError).
_ZIP_ERRORS: tuple[type[BaseException], ...] = (
    zipfile.BadZipFile, zipfile.LargeZipFile, RuntimeError, NotImplementedError, OSError, EOFError, ValueError,
    zlib.error, lzma.LZMAError,
)


def _member_error(name: str, path: str, exc: BaseException) -> KerasMigrateError:
    text = " ".join(str(exc).split())[:200] or type(exc).__name__
    if isinstance(exc, RuntimeError) and "encrypted" in text:
        return UnsupportedError(f".keras archive member {name} is encrypted", path=path,
                                hint="re-save the model; Keras never encrypts its archives")
    if isinstance(exc, NotImplementedError):
        return UnsupportedError(f".keras archive member {name} uses a compression method that cannot be read ({text})",
                                path=path, hint="re-save the model; Keras writes stored or deflated members")
    return KerasMigrateError(f".keras archive member {name} is corrupt ({text})", path=path)


def _open_member(zf: zipfile.ZipFile, name: str, path: str) -> Any:
    """``zf.open(name)``, refusing the encrypted flag first. Member names are only ever
    looked up, never used as paths on disk (no zip-slip)."""
    try:
        info = zf.getinfo(name)
    except KeyError as exc:
        raise KerasMigrateError(f".keras archive has no {name}", path=path) from exc
    if info.flag_bits & 0x1:
        raise _member_error(name, path, RuntimeError("encrypted"))
    return zf.open(info)


def _read_member(zf: zipfile.ZipFile, name: str, path: str, limit: int = MAX_CONFIG_BYTES) -> bytes:
    """A member's bytes, at most ``limit`` of them: the declared size is checked first, then
    at most ``limit + 1`` bytes are inflated (a declared size can lie)."""
    try:
        with _open_member(zf, name, path) as src:
            if zf.getinfo(name).file_size > limit:
                raise _too_large(name, path, limit)
            data: bytes = src.read(limit + 1)
    except KerasMigrateError:
        raise
    except _ZIP_ERRORS as exc:
        raise _member_error(name, path, exc) from exc
    if len(data) > limit:
        raise _too_large(name, path, limit)
    return data


def _too_large(name: str, path: str, limit: int) -> KerasMigrateError:
    return KerasMigrateError(f".keras archive member {name} is larger than {limit >> 20} MiB, too large for a model config",
                             path=path, hint="the archive is damaged or not a Keras model")


def _open_archive(path: str) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except _ZIP_ERRORS as exc:
        raise KerasMigrateError(f"not a readable .keras archive ({' '.join(str(exc).split())[:200]})", path=path) from exc


def _json_member(zf: zipfile.ZipFile, name: str, path: str) -> Any:
    data = _read_member(zf, name, path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise KerasMigrateError(f".keras archive member {name} is not UTF-8 text", path=path) from exc
    return parse_json(text, path, f"{name} in the .keras archive")


def read_keras_zip(path: str, *, weights: str | None = None, vocabulary_files: VocabularyFiles | None = None) -> Model:
    """Read a ``.keras`` archive (Keras 3 or tf_keras) into the IR."""
    zf = _open_archive(path)
    with zf:
        names = set(zf.namelist())
        meta = _json_member(zf, "metadata.json", path) if "metadata.json" in names else {}
        config = check_model_config(_json_member(zf, "config.json", path), path)
        keras_version = str(meta.get("keras_version") or "") if isinstance(meta, Mapping) else ""
        if not keras_version:
            module = str(config.get("module") or "")
            keras_version = "2.13.0" if module.startswith("tf_keras") or module.startswith("keras.src.engine") else "3.0.0"
        if weights is not None:
            raise KerasMigrateError("a .keras archive carries its own weights; --weights is not used with it", path=path)
        assets = {n: _read_member(zf, n, path) for n in names if n.startswith("assets/") and n.endswith("/vocabulary.txt")}
    tf_keras = not keras_version.startswith("3")

    def open_weights(graph: Graph, renamed: Mapping[str, str]) -> ZipWeights:
        with _open_archive(path) as archive:
            h5 = _weights_member(archive, names, path)
        return ZipWeights(h5, config, graph, renamed, path=path, keras_version=keras_version, tf_keras=tf_keras)

    model = read_model(
        ModelSource(
            config,
            path,
            "keras-zip (tf_keras)" if tf_keras else "keras-zip",
            keras_version=keras_version,
            weights=open_weights,
            vocabularies=ZipVocabularies(assets, config, tf_keras=tf_keras),
            vocabulary_files=vocabulary_files,
        )
    )
    if not isinstance(config.get("compile_config"), Mapping) or not config["compile_config"]:
        return model
    with _open_archive(path) as archive:
        h5 = _weights_member(archive, names, path) if "model.weights.h5" in names else None
    return read_zip_training(model, config, h5, path=path)


def _weights_member(zf: zipfile.ZipFile, names: set[str], path: str) -> str:
    """The archive's ``model.weights.h5``, extracted (other weight layouts are refused)."""
    if "model.weights.h5" in names:
        return _extract_weights(zf, path, "model.weights.h5")
    if "model.weights.npz" in names:
        raise UnsupportedError("weights saved as model.weights.npz are not supported", path=path,
                               hint="re-save with the default weights format (HDF5)")
    if any(n.endswith(".weights.json") for n in names):
        raise UnsupportedError("sharded weights (max_shard_size) are not supported", path=path)
    raise KerasMigrateError(".keras archive has no model.weights.h5", path=path)


class ZipVocabularies:
    """Adapted lookup vocabularies in a ``.keras`` archive: ``assets/<object path>/vocabulary.txt``
    (``"\\n".join`` of the vocabulary with its special tokens, as both Keras writers save it)."""

    what = "this .keras archive"

    def __init__(self, assets: Mapping[str, bytes], model_config: Mapping[str, Any], *, tf_keras: bool) -> None:
        self._assets = assets
        self._prefixes: dict[str, list[str]] = {}
        self._collect(model_config, "assets/", tf_keras)

    def _collect(self, model_config: Mapping[str, Any], base: str, tf_keras: bool) -> None:
        """Every layer's object path, nested models' layers included (under their model's)."""
        paths = object_paths(model_config, base, tf_keras=tf_keras)
        for entry in _entries(model_config):
            name = entry_name(entry)
            self._prefixes.setdefault(name, []).append(paths[name])
            if _entries(entry):
                self._collect(entry, paths[name], tf_keras)

    def adapted(self, layer: Layer) -> list[Any] | None:
        from keras_migrate.formats.tfkeras.preprocessing import parse_vocabulary_lines

        # A name two layers share (a nested model's layer and an outer one) cannot say
        # which asset is this layer's: no answer, so the layer is refused, never mixed up.
        found = self._prefixes.get(layer.origin.name or layer.name, [])
        prefix = found[0] if len(found) == 1 else None
        data = None if prefix is None else self._assets.get(prefix + "vocabulary.txt")
        if data is None:
            return None
        return parse_vocabulary_lines(data.decode("utf-8"), strings=LOOKUP_TYPES[layer.type], file=False)

    def vocabulary_file(self, layer: Layer, path: str) -> list[Any] | None:
        return None  # the archive records the file's path only
