"""The pipeline's first check: refuse, all at once, what no rule can translate.

One walk over the config lists every entry (:func:`config_entries`); three checks read it:
unknown layer classes (here), TF functions outside the TF-op table
(:func:`keras_migrate.formats.tfkeras.layers.check_tf_functions`) and Keras 3 ops outside
the op table (:func:`keras_migrate.formats.keras3.ops.check_ops`). A model with several
problems is reported in one message, before any translation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from keras_migrate.errors import UnsupportedError
from keras_migrate.formats.keras3.ops import check_ops, is_op_entry
from keras_migrate.formats.plugin_api import load_plugins
from keras_migrate.formats.ruleset import supported_classes
from keras_migrate.formats.tfkeras.layers import check_tf_functions
from keras_migrate.formats.unknown import keeping_unknown_classes
from keras_migrate.formats.user_names import current_user_names

__all__ = ["ConfigEntry", "check_classes", "config_entries", "precheck", "unknown_classes"]

_MODEL_CLASSES = ("Functional", "Model", "Sequential")


@dataclass(frozen=True, slots=True)
class ConfigEntry:
    """One object found in a model config: a layer, a nested layer or cell, an
    initializer, a Keras 3 op node..."""

    entry: Mapping[str, Any]
    #: The entry's name (``"?"`` when it records none).
    name: str
    #: The name of the (possibly nested) model whose config holds it.
    model: str
    #: An item of a model's layer list (``model.layers``, nested models' included).
    layer: bool
    #: A Keras 3 op node (:func:`~keras_migrate.formats.keras3.ops.is_op_entry`).
    op: bool
    #: Found inside an op node (its arguments), not a layer of the model.
    in_op: bool

    @property
    def class_name(self) -> str:
        return str(self.entry.get("class_name"))


def config_entries(model_config: Mapping[str, Any]) -> list[ConfigEntry]:
    """Every object of a model config with a ``class_name`` and every item of a layer
    list, depth first in file order: layers, nested models' layers, wrapped layers and
    cells, initializers, op nodes and their arguments."""
    out: list[ConfigEntry] = []
    _walk(model_config, "model", out, in_op=False, layer=False, chain=True, top=True)
    return out


def _walk(
    obj: Any, model: str, out: list[ConfigEntry], *, in_op: bool, layer: bool, chain: bool, top: bool = False
) -> None:
    """Append ``obj``'s entries to ``out`` (a list filled by plain recursion: nested
    generators cost a frame switch per level for every entry of a large config).
    ``chain``: ``obj`` is the top config or a layer of a model reached through layer
    lists, so if it is a model its layer list holds layers of the model graph."""
    if isinstance(obj, list):
        for value in obj:
            if isinstance(value, (list, Mapping)):
                _walk(value, model, out, in_op=in_op, layer=False, chain=False)
        return
    if not isinstance(obj, Mapping):
        return
    cls = obj.get("class_name")
    cfg = obj.get("config")
    op = is_op_entry(obj)
    if isinstance(cls, str) or layer:
        name = str(obj.get("name") or (cfg.get("name") if isinstance(cfg, Mapping) else "") or "?")
        out.append(ConfigEntry(obj, name, model, layer, op, in_op))
    inner = in_op or op
    is_model = chain and isinstance(cfg, (Mapping, list)) and (top or cls in _MODEL_CLASSES)
    if not is_model:
        for value in obj.values():
            if isinstance(value, (list, Mapping)):
                _walk(value, model, out, in_op=inner, layer=False, chain=False)
        return
    sub = str((cfg.get("name") if isinstance(cfg, Mapping) else None) or obj.get("name") or model)
    layers = cfg.get("layers") if isinstance(cfg, Mapping) else cfg
    for key, value in obj.items():
        if key in _TRAINING_KEYS:
            continue  # the optimizer and losses of a compiled model are not layers
        if value is not cfg:
            _walk(value, sub, out, in_op=inner, layer=False, chain=False)
        elif isinstance(cfg, list):
            _layers(cfg, sub, inner, out)
        else:
            for k, v in cfg.items():
                if k == "layers" and v is layers and isinstance(v, list):
                    _layers(v, sub, inner, out)
                else:
                    _walk(v, sub, out, in_op=inner, layer=False, chain=False)


#: Top-level keys of a saved model config that hold training state, not layers
#: (``.keras`` archives of compiled models: the optimizer's ``class_name`` is no layer's).
_TRAINING_KEYS = frozenset({"compile_config"})


def _layers(items: list[Any], model: str, in_op: bool, out: list[ConfigEntry]) -> None:
    for item in items:
        _walk(item, model, out, in_op=in_op, layer=isinstance(item, Mapping), chain=True)


_NON_LAYER = frozenset(
    {
        "Sequential", "Model", "Functional", "InputLayer", "StackedRNNCells", "Policy", "DTypePolicy",
        "__keras_tensor__", "function", "__numpy__",
    }
)  # fmt: skip
_OBJECT_SUFFIXES = ("Initializer", "Regularizer", "Constraint")
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


def check_classes(entries: list[ConfigEntry], path: str) -> None:
    """Refuse classes no rule translates (Lambda layers have a rule: :mod:`.lambdas`)."""
    user = current_user_names()
    unknown = {c: n for c, n in unknown_classes(entries).items() if c not in user.layers and c not in user.functions}
    if unknown and not keeping_unknown_classes():
        listing = "; ".join(f"{c} ({', '.join(n[:3])})" for c, n in sorted(unknown.items()))
        broken = "".join(f"; {f.describe()}" for f in load_plugins())
        raise UnsupportedError(
            f"unknown layer classes: {listing}{broken}",
            path=path,
            hint="custom layers are not built-in Keras layers: pass the file defining them with --custom-objects "
            "FILE.py; `keras-migrate inspect` shows them, `convert -o model.py --placeholders` writes stubs to "
            "fill in, and a reader plugin (docs/plugins.md) can map a built-in in disguise",
        )


def unknown_classes(entries: list[ConfigEntry]) -> dict[str, list[str]]:
    """Layer classes no rule translates (Lambda aside), each with the names of its layers.

    Reader plugins (:func:`~keras_migrate.formats.plugin_api.load_plugins`) are loaded the
    first time a class is unknown, and may translate it.
    """
    found: dict[str, list[str]] = {}
    for e in entries:
        if not e.op and not e.in_op and isinstance(e.entry.get("class_name"), str) and isinstance(e.entry.get("config"), Mapping):
            found.setdefault(e.class_name, []).append(e.name)
    found.pop("Lambda", None)

    def pending() -> dict[str, list[str]]:
        known = supported_classes() | _NON_LAYER
        return {c: n for c, n in found.items() if c not in known and not _is_config_object(c)}

    if pending():
        load_plugins()
    return pending()


def precheck(model_config: Mapping[str, Any], path: str) -> None:
    """Fail once, naming every unknown class, every unsupported TF function
    and every unsupported Keras 3 op, before any translation."""
    entries = config_entries(model_config)
    check_classes(entries, path)
    check_tf_functions(((e.entry, e.name) for e in entries), path)
    check_ops(((e.entry, e.name, e.model) for e in entries if e.layer), path)
