"""Facts about Keras 3's constructors, so configs can be checked and written without Keras.

One table, read once from Keras itself by :func:`generate_data` and stored in
``_keras3_args_data.py``, gives every ``keras.layers`` class (and every
``keras.initializers`` class, under ``initializers.<Name>``) its required parameters in
order, the literal defaults of its optional ones and the other arguments it accepts. Two
views are derived from it:

- :data:`LAYER_ARGS`: the keyword arguments each layer's constructor accepts (its own
  parameters plus, where it forwards ``**kwargs``, the base ``Layer`` arguments); readers
  check translated configs against it;
- :data:`SIGNATURES`: required parameters and defaults; the code emitter writes required
  parameters positionally and leaves out arguments equal to their default, the way a
  person would write the call.

Tests check both views against the installed Keras (:func:`generate`,
:func:`generate_signatures`), so the table cannot drift silently. :data:`KERAS_VERSION`
is the one Keras version pin of the package's outputs.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from keras_migrate.ir.specs import snake_case

__all__ = [
    "BASE_ARGS",
    "INFERENCE_IDENTITIES",
    "KERAS_VERSION",
    "LAYER_ARGS",
    "SIGNATURES",
    "Signature",
    "accepted_args",
    "generate",
    "generate_data",
    "generate_signatures",
    "initializer_alias",
    "render_data",
    "signature",
]

#: The Keras 3 release the table was read from, and the one outputs are written for.
KERAS_VERSION = "3.15.1"

#: Arguments the base ``keras.layers.Layer`` accepts through ``**kwargs``.
BASE_ARGS = frozenset({"activity_regularizer", "trainable", "dtype", "autocast", "name", "input_dim", "input_shape"})

#: Defaults of the base arguments a layer that forwards ``**kwargs`` takes.
_BASE_DEFAULTS: dict[str, Any] = {"activity_regularizer": None, "trainable": True, "dtype": None}

#: Keras 3 layer types that return their input unchanged at inference (regularizers and
#: training-time noise) and pass its mask on: every backend of ours (the numpy kernel, the
#: ONNX lowering) treats them alike.
INFERENCE_IDENTITIES = (
    "Identity", "Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianNoise",
    "GaussianDropout", "AlphaDropout", "ActivityRegularization",
)  # fmt: skip

#: Keras 3 initializers that are a ``VarianceScaling`` with fixed arguments:
#: ``(scale, mode, distribution) -> snake-case alias``.
_VARIANCE_SCALING_ALIASES: dict[tuple[float, str, str], str] = {
    (1.0, "fan_avg", "uniform"): "glorot_uniform",
    (1.0, "fan_avg", "truncated_normal"): "glorot_normal",
    (2.0, "fan_in", "uniform"): "he_uniform",
    (2.0, "fan_in", "truncated_normal"): "he_normal",
    (1.0, "fan_in", "uniform"): "lecun_uniform",
    (1.0, "fan_in", "truncated_normal"): "lecun_normal",
}

_INITIALIZER_PREFIX = "initializers."


@dataclass(frozen=True, slots=True)
class Signature:
    """Required parameters (in order) and literal defaults of one constructor."""

    required: tuple[str, ...]
    defaults: dict[str, Any] = field(default_factory=dict)


LAYER_ARGS: dict[str, frozenset[str]] = {}  # filled from _keras3_args_data below
SIGNATURES: dict[str, Signature] = {}  # filled from _keras3_args_data below


def accepted_args(layer_type: str) -> frozenset[str] | None:
    """Constructor arguments of a Keras 3 layer class, or None if the class is unknown here."""
    return LAYER_ARGS.get(layer_type)


def signature(name: str) -> Signature | None:
    """The constructor facts for a layer class (``Dense``) or ``initializers.<Name>``."""
    return SIGNATURES.get(name)


def initializer_alias(class_name: str, config: Mapping[str, Any]) -> str | None:
    """The Keras 3 string for an initializer config, if one names exactly it (else None).

    ``{"class_name": "Zeros", "config": {}}`` is ``"zeros"``;
    ``VarianceScaling(scale=1.0, mode="fan_avg", distribution="uniform")`` is
    ``"glorot_uniform"``. An unseeded initializer with default arguments only has an alias.
    """
    cfg = {k: v for k, v in config.items() if not (k == "seed" and v is None)}
    if class_name == "VarianceScaling":
        key = (float(cfg.pop("scale", 1.0)), str(cfg.pop("mode", "fan_in")), str(cfg.pop("distribution", "truncated_normal")))
        return _VARIANCE_SCALING_ALIASES.get(key) if not cfg else None
    sig = signature(f"{_INITIALIZER_PREFIX}{class_name}")
    if sig is None:
        return None
    if any(k not in sig.defaults or sig.defaults[k] != v for k, v in cfg.items()):
        return None
    return snake_case(class_name)


# --------------------------------------------------------------------------- reading Keras


def _literal(value: Any) -> tuple[bool, Any]:
    """``(True, value)`` if ``value`` is a plain literal the table can store."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return True, value
    if isinstance(value, (tuple, list)):
        items = [_literal(v) for v in value]
        if all(ok for ok, _ in items):
            return True, [v for _, v in items]
    return False, None


def _constructor(cls: Any, stop: Any) -> dict[str, Any]:
    """One class's constructor facts, following ``**kwargs`` up the MRO until ``stop``.

    Returns ``{"required", "defaults", "args"}``: required parameters of the class's own
    ``__init__`` in order, literal defaults of optional ones, and every keyword argument
    accepted (the base arguments included where ``**kwargs`` reaches ``stop``).
    """
    required: list[str] = []
    defaults: dict[str, Any] = {}
    accepted: set[str] = set()
    forwards = False
    for klass in cls.__mro__:
        init: Any = klass.__dict__.get("__init__")
        if init is None:
            continue
        sig = inspect.signature(init)
        for p in list(sig.parameters.values())[1:]:
            if p.kind not in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY):
                continue
            accepted.add(p.name)
            if p.name in defaults or p.name in required:
                continue
            if p.default is p.empty:
                if klass is cls and p.kind == p.POSITIONAL_OR_KEYWORD:
                    required.append(p.name)
                continue
            ok, value = _literal(p.default)
            if ok:
                defaults[p.name] = value
        forwards = any(p.kind == p.VAR_KEYWORD for p in sig.parameters.values())
        if not forwards or klass is stop:
            break
    if forwards:
        accepted |= BASE_ARGS
        for k, v in _BASE_DEFAULTS.items():
            defaults.setdefault(k, v)
    return {"required": required, "defaults": dict(sorted(defaults.items())), "args": sorted(accepted)}


def _read_keras() -> dict[str, dict[str, Any]]:
    """Every ``keras.layers`` and ``keras.initializers`` class of the installed Keras."""
    import keras

    out: dict[str, dict[str, Any]] = {}
    for name in dir(keras.layers):
        cls = getattr(keras.layers, name)
        if inspect.isclass(cls) and issubclass(cls, keras.layers.Layer):
            out[name] = _constructor(cls, keras.layers.Layer)
    for name in dir(keras.initializers):
        cls = getattr(keras.initializers, name)
        if inspect.isclass(cls) and issubclass(cls, keras.initializers.Initializer):
            out[f"{_INITIALIZER_PREFIX}{name}"] = _constructor(cls, keras.initializers.Initializer)
    return dict(sorted(out.items()))


def generate_data() -> dict[str, dict[str, Any]]:
    """The stored table, read from the installed Keras.

    Per class: ``required`` and ``defaults``, and for layers ``other_args``, the accepted
    arguments that are neither (``LAYER_ARGS`` is their union).
    """
    out: dict[str, dict[str, Any]] = {}
    for name, facts in _read_keras().items():
        entry: dict[str, Any] = {"required": facts["required"], "defaults": facts["defaults"]}
        if not name.startswith(_INITIALIZER_PREFIX):
            known = {*facts["required"], *facts["defaults"]}
            entry["other_args"] = [a for a in facts["args"] if a not in known]
        out[name] = entry
    return out


def generate() -> dict[str, list[str]]:
    """Every ``keras.layers`` class's accepted arguments, from the installed Keras."""
    return {name: facts["args"] for name, facts in _read_keras().items() if not name.startswith(_INITIALIZER_PREFIX)}


def generate_signatures() -> dict[str, dict[str, Any]]:
    """Required parameters and defaults of every layer and initializer, from the installed Keras."""
    return {name: {"required": facts["required"], "defaults": facts["defaults"]} for name, facts in _read_keras().items()}


def render_data(data: dict[str, dict[str, Any]]) -> str:
    """The text of ``_keras3_args_data.py`` for ``data`` (from :func:`generate_data`)."""
    lines = [
        f'"""Generated by keras_migrate.ir.keras3_api.render_data(generate_data()) from Keras {KERAS_VERSION}; do not edit."""',
        "",
        "from typing import Any",
        "",
        "DATA: dict[str, dict[str, Any]] = {",
    ]
    lines += [f"    {name!r}: {entry!r}," for name, entry in data.items()]
    lines.append("}")
    return "\n".join(lines) + "\n"


def _load() -> None:
    from keras_migrate.ir._keras3_args_data import DATA

    for name, entry in DATA.items():
        SIGNATURES[name] = Signature(tuple(entry["required"]), dict(entry["defaults"]))
        if not name.startswith(_INITIALIZER_PREFIX):
            LAYER_ARGS[name] = frozenset([*entry["required"], *entry["defaults"], *entry["other_args"]])


_load()
