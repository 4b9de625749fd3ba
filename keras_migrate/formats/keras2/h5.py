"""Reader for Keras 2 and tf.keras HDF5 models, and architecture JSON/YAML plus weights.

Full models carry ``model_config`` as a root attribute and weights under ``model_weights``;
weights-only files carry the weights at the root and need the architecture from a JSON or
YAML file (``model.to_json()`` / ``to_yaml()``). Weights are never read here: each becomes
a lazy reference to its HDF5 dataset, materialized only when written or interpreted.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from keras_migrate.errors import KerasMigrateError, UnsupportedError
from keras_migrate.formats.hdf5 import attr_names, attr_text, is_hdf5, open_h5
from keras_migrate.formats.keras2.layers import supported_classes
from keras_migrate.formats.keras2.topology import attach_weights, graph_from_config
from keras_migrate.formats.keras3.ops import check_ops, is_op_entry
from keras_migrate.formats.tfkeras.layers import check_tf_functions
from keras_migrate.ir.graph import Graph, Layer, Model, Provenance
from keras_migrate.ir.weights import Flip, H5Dataset, Weight

__all__ = ["generation_of", "load_architecture", "read_architecture_config", "read_architecture_file", "read_h5_model", "read_weights_h5"]


def generation_of(keras_version: str | None) -> str:
    """``keras1``, ``keras2`` (standalone <= 2.3), ``tf.keras`` or ``keras3``."""
    v = (keras_version or "").strip()
    if not v or v.startswith("1"):
        return "keras1"
    if v.startswith("3"):
        return "keras3"
    if v.endswith("-tf"):
        return "tf.keras"
    try:
        major, minor = (int(p) for p in v.split(".")[:2])
    except ValueError:
        return "keras2"
    return "keras2" if (major, minor) < (2, 4) else "tf.keras"


def _walk_classes(config: Any, out: dict[str, list[str]]) -> None:
    if is_op_entry(config):  # Keras 3 op nodes: checked by keras3_ops.check_ops
        return
    if isinstance(config, Mapping):
        cls = config.get("class_name")
        cfg = config.get("config")
        if isinstance(cls, str) and isinstance(cfg, Mapping):
            name = str(config.get("name") or cfg.get("name") or "?")
            out.setdefault(cls, []).append(name)
        for v in config.values():
            _walk_classes(v, out)
    elif isinstance(config, list):
        for v in config:
            _walk_classes(v, out)


_NON_LAYER = frozenset(
    {
        "Sequential", "Model", "Functional", "InputLayer", "StackedRNNCells", "Policy", "DTypePolicy",
        "__keras_tensor__", "function",
    }
)  # fmt: skip
_OBJECT_SUFFIXES = ("Initializer", "Regularizer", "Constraint")


def _precheck(model_config: Mapping[str, Any], path: str) -> None:
    """Fail once, naming every Lambda, every unknown class and every unsupported TF
    function, before any translation."""
    found: dict[str, list[str]] = {}
    _walk_classes(model_config, found)
    lambdas = found.get("Lambda", [])
    if lambdas:
        raise UnsupportedError(
            f"the model has Lambda layers {', '.join(repr(n) for n in lambdas)}; their stored Python "
            "bytecode is never executed",
            path=path,
            hint="rebuild those layers in code, or replace them with built-in layers before converting",
        )
    known = supported_classes() | _NON_LAYER
    unknown = {c: n for c, n in found.items() if c not in known and not _is_config_object(c)}
    if unknown:
        listing = "; ".join(f"{c} ({', '.join(n[:3])})" for c, n in sorted(unknown.items()))
        raise UnsupportedError(
            f"unknown layer classes: {listing}",
            path=path,
            hint="custom layers are not built-in Keras layers and cannot be converted yet",
        )
    check_tf_functions(model_config, path)
    check_ops(model_config, path)


_CONFIG_OBJECTS = frozenset(
    {
        "GlorotUniform", "GlorotNormal", "HeUniform", "HeNormal", "LecunUniform", "LecunNormal", "Zeros",
        "Ones", "Constant", "RandomNormal", "RandomUniform", "TruncatedNormal", "VarianceScaling",
        "Orthogonal", "Identity", "L1", "L2", "L1L2", "MaxNorm", "MinMaxNorm", "NonNeg", "UnitNorm",
        "RadialConstraint", "OrthogonalRegularizer",
    }
)  # fmt: skip


def _is_config_object(cls: str) -> bool:
    return cls in _CONFIG_OBJECTS or cls.endswith(_OBJECT_SUFFIXES)


def _parse_json(text: str, path: str, what: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise KerasMigrateError(f"{what} is not valid JSON ({exc.msg} at line {exc.lineno})", path=path) from exc


def _check_model_config(cfg: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(cfg, Mapping) or "class_name" not in cfg or "config" not in cfg:
        raise KerasMigrateError(
            "not a Keras model config (expected an object with 'class_name' and 'config')", path=path
        )
    return cfg


# --------------------------------------------------------------------------- weights


class _WeightsGroup:
    """The layer groups of a Keras weights file (root of a weights-only file, or model_weights)."""

    def __init__(self, path: str) -> None:
        self.path = os.path.abspath(path)
        try:
            f = open_h5(path)
        except OSError as exc:
            raise KerasMigrateError(f"cannot read HDF5 file, it is truncated or corrupt ({exc})", path=path) from exc
        with f:
            g = f["model_weights"] if "layer_names" not in f.attrs and "model_weights" in f else f
            names = attr_names(g, "layer_names")
            if names is None:
                raise KerasMigrateError("HDF5 file holds no Keras weights (no layer_names)", path=path)
            self.keras_version = attr_text(g, "keras_version") or attr_text(f, "keras_version")
            self.backend = attr_text(g, "backend") or attr_text(f, "backend")
            self.layer_names = names
            self.layers: dict[str, list[Weight]] = {}
            for name in names:
                if name not in g:
                    continue
                group = g[name]
                wnames = attr_names(group, "weight_names") or []
                arrays = []
                for wn in wnames:
                    if wn not in group:
                        raise KerasMigrateError(f"weight {wn!r} listed but missing", path=path, layer=name)
                    ds = group[wn]
                    arrays.append(Weight(wn, H5Dataset(self.path, ds.name, tuple(ds.shape), str(ds.dtype)), origin=wn))
                self.layers[name] = arrays
            top = g.get("top_level_model_weights")
            if top is not None and (attr_names(top, "weight_names") or []):
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


def read_weights_h5(path: str) -> _WeightsGroup:
    if not os.path.exists(path):
        raise KerasMigrateError("file not found", path=path)
    if not is_hdf5(path):
        raise KerasMigrateError("not an HDF5 file (truncated or another format)", path=path)
    return _WeightsGroup(path)


# --------------------------------------------------------------------------- kernels


_CONV_KERNEL_TYPES = frozenset({"Conv1D", "Conv2D", "Conv3D", "Conv2DTranspose", "Conv3DTranspose", "ConvLSTM2D"})


def _flip_theano_kernels(graph: Graph) -> Graph:
    """Theano computed true convolution; Keras 3 backends correlate: flip spatial axes."""

    def fix(layer: Layer) -> Layer:
        if layer.subgraph is not None:
            return replace(layer, subgraph=_flip_theano_kernels(layer.subgraph))
        if layer.type not in _CONV_KERNEL_TYPES:
            return layer
        new = []
        for w in layer.weights:
            if w.name in ("kernel", "recurrent_kernel"):
                rank = len(w.shape)
                w = w.then(Flip(tuple(range(rank - 2))))
            new.append(w)
        return layer.with_weights(tuple(new))

    return replace(graph, layers=tuple(fix(lay) for lay in graph.layers))


# --------------------------------------------------------------------------- public


def load_architecture(
    model_config: Mapping[str, Any],
    weights: _WeightsGroup | None,
    *,
    path: str,
    keras_version: str | None,
    backend: str | None,
    source_format: str,
    keras3_normalized: bool = False,
    vocabularies: Any = None,
) -> Model:
    """Build a Model from a parsed config plus (optionally) a weights group.

    ``keras3_normalized``: the caller already applied :func:`keras3_config_fixups`.
    ``vocabularies``: where the form keeps lookup layers' vocabularies that are not in the
    config (a :class:`~keras_migrate.formats.tfkeras.preprocessing.VocabularySource`).
    """
    generation = generation_of(keras_version)
    if generation == "keras1":
        from keras_migrate.formats.keras1 import reader as keras1

        return keras1.load(model_config, weights, path=path, keras_version=keras_version, source_format=source_format)
    if generation == "keras3" and not keras3_normalized:
        from keras_migrate.formats.keras3.archive import keras3_config_fixups

        model_config = keras3_config_fixups(model_config, path)
    _precheck(model_config, path)
    graph, reader = graph_from_config(model_config, path=path, generation=generation)
    provenance = Provenance(
        source_format=source_format,
        source_path=path,
        keras_version=keras_version or "",
        backend=backend or "",
        generation=generation,
        notes=tuple(reader.notes),
    )
    originals = reader.renamed
    if weights is not None:
        by_name = set(weights.weighted_names())
        needed = [originals.get(lay.name, lay.origin.name or lay.name) for lay in graph.layers if _has_weights(lay)]
        if all(n in by_name for n in needed):
            order = {n: n for n in needed}
        elif len(needed) == len(weights.weighted_names()):
            order = dict(zip(needed, weights.weighted_names()))
            provenance = provenance.with_note("weights matched to layers by order (layer names differ)")
        else:
            missing = [n for n in needed if n not in by_name]
            raise KerasMigrateError(
                f"the weights file has no weights for layers {missing[:5]}",
                path=weights.path,
                hint="the weights do not fit the architecture",
            )
        def get(name: str) -> list[Weight] | None:
            return weights.get(order[name]) if name in order else None

        graph = attach_weights(
            graph, get, path=weights.path, original_name=lambda n: originals.get(n, _orig(graph, n))
        )
        from keras_migrate.formats.keras2.weights import fix_graph_weights

        graph = fix_graph_weights(graph, weights.path)
        if (weights.backend or backend) == "theano":
            graph = _flip_theano_kernels(graph)
            provenance = provenance.with_note("Theano backend: convolution kernels flipped (true convolution)")
    from keras_migrate.formats.tfkeras.preprocessing import describe_form, resolve_vocabularies

    graph = resolve_vocabularies(graph, vocabularies, path=path, what=describe_form(source_format))
    return Model(graph=graph, provenance=provenance, renamed=dict(originals))


def _orig(graph: Graph, name: str) -> str:
    try:
        return graph.layer(name).origin.name or name
    except KeyError:
        return name


def _has_weights(layer: Layer) -> bool:
    from keras_migrate.formats.keras2.topology import _expected

    return bool(_expected(layer))


def read_h5_model(path: str, *, weights: str | None = None, vocabulary_files: Any = None) -> Model:
    """Read a full-model HDF5 file (``model.save('x.h5')``).

    ``vocabulary_files``: the user's lookup vocabularies
    (:class:`~keras_migrate.formats.vocabulary_files.VocabularyFiles`), as in every reader.
    """
    from keras_migrate.formats.vocabulary_files import overlay

    if not os.path.exists(path):
        raise KerasMigrateError("file not found", path=path)
    if not is_hdf5(path):
        raise KerasMigrateError("not an HDF5 file (truncated or another format)", path=path)
    try:
        with open_h5(path) as f:
            text = attr_text(f, "model_config")
            keras_version = attr_text(f, "keras_version")
            backend = attr_text(f, "backend")
            has_weights = "model_weights" in f or "layer_names" in f.attrs
    except OSError as exc:
        raise KerasMigrateError(f"cannot read HDF5 file, it is truncated or corrupt ({exc})", path=path) from exc
    if text is None:
        if has_weights:
            raise KerasMigrateError(
                "this HDF5 file holds weights only, no architecture",
                path=path,
                hint="pass the architecture file and this file as --weights",
            )
        raise KerasMigrateError("HDF5 file is not a Keras model (no model_config)", path=path)
    config = _check_model_config(_parse_json(text, path, "model_config"), path)
    wg = read_weights_h5(weights or path)
    return load_architecture(
        config,
        wg,
        path=path,
        keras_version=keras_version or wg.keras_version,
        backend=backend or wg.backend,
        source_format="keras-h5",
        vocabularies=overlay(vocabulary_files, None, "keras-h5"),
    )


def _yaml_load(text: str, path: str) -> Any:
    import yaml

    class _Loader(yaml.SafeLoader):
        """Safe loading plus the python/tuple tag Keras' to_yaml wrote; nothing executes."""

    _Loader.add_constructor("tag:yaml.org,2002:python/tuple", lambda loader, node: loader.construct_sequence(node))
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise KerasMigrateError(f"not valid YAML ({exc})", path=path) from exc


def read_architecture_config(path: str) -> tuple[Mapping[str, Any], str]:
    """Parse ``model.to_json()`` / ``to_yaml()`` output: ``(config, "keras-json"|"keras-yaml")``."""
    if not os.path.exists(path):
        raise KerasMigrateError("file not found", path=path)
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise KerasMigrateError(f"cannot read architecture file ({exc})", path=path) from exc
    if text.lstrip().startswith("{"):
        return _check_model_config(_parse_json(text, path, "architecture file"), path), "keras-json"
    return _check_model_config(_yaml_load(text, path), path), "keras-yaml"


def read_architecture_file(path: str, *, weights: str | None = None, vocabulary_files: Any = None) -> Model:
    """Read ``model.to_json()`` / ``to_yaml()`` output, with weights from an HDF5 file."""
    from keras_migrate.formats.vocabulary_files import overlay

    config, fmt = read_architecture_config(path)
    keras_version = config.get("keras_version")
    backend = config.get("backend")
    wg = None
    if weights is not None:
        wg = read_weights_h5(weights)
        keras_version = keras_version or wg.keras_version
        backend = backend or wg.backend
        fmt += "+h5"
    return load_architecture(config, wg, path=path, keras_version=keras_version, backend=backend, source_format=fmt,
                             vocabularies=overlay(vocabulary_files, None, fmt))
