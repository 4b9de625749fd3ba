"""Layers of classes no rule translates, kept as they are (``inspect``, ``--placeholders``).

Converting needs a rule for every class; looking at a model does not. When a reader is
asked to keep unknown classes (:func:`keras_migrate.formats.unknown.keep_unknown_classes`),
each such layer becomes an IR layer of type :data:`UNKNOWN_TYPE` whose config holds the
legacy class name, the legacy config untouched and the weights the file stores for it
(short name, shape, dtype, in file order), so the weights attach like any other layer's and
``inspect`` and the placeholder writer can show and stub it. No converter can write such a
layer as a real one: it is a record of what the file holds, not a translation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["UNKNOWN_TYPE", "UnknownWeight", "describe_unknown", "format_unknown", "is_unknown", "stub_identifier", "unknown_class", "unknown_config", "unknown_weights"]

#: The IR type of a layer whose class has no rule.
UNKNOWN_TYPE = "unknown>CustomLayer"


@dataclass(frozen=True, slots=True)
class UnknownWeight:
    """One weight an unknown layer holds in the file: its short name, shape and dtype."""

    name: str
    shape: tuple[int, ...]
    dtype: str
    trainable: bool = True


def is_unknown(layer_type: str) -> bool:
    return layer_type == UNKNOWN_TYPE


def unknown_class(config: Mapping[str, Any]) -> str:
    """The legacy class name an unknown layer's IR config records."""
    return str(config.get("class_name", "?"))


def unknown_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """The legacy config, as the file holds it."""
    return dict(config.get("config") or {})


def unknown_weights(config: Mapping[str, Any]) -> list[UnknownWeight]:
    """The weights the file holds for the layer, in file order (none before they attach)."""
    return [
        UnknownWeight(str(w[0]), tuple(int(d) for d in w[1]), str(w[2]), bool(w[3]) if len(w) > 3 else True)
        for w in config.get("weights") or ()
    ]


def describe_unknown(graph: Any, prefix: str = "") -> list[dict[str, Any]]:
    """Every unknown layer of a :class:`~keras_migrate.ir.graph.Graph` (nested models
    included, named by path): its class, legacy config and stored weights, for ``inspect``."""
    out: list[dict[str, Any]] = []
    for layer in graph.layers:
        if layer.subgraph is not None:
            out += describe_unknown(layer.subgraph, f"{prefix}{layer.name}/")
        elif is_unknown(layer.type):
            out.append(
                {
                    "layer": prefix + layer.name,
                    "class_name": unknown_class(layer.config),
                    "config": unknown_config(layer.config),
                    "weights": [
                        {"name": w.name, "shape": list(w.shape), "dtype": w.dtype, "trainable": w.trainable}
                        for w in unknown_weights(layer.config)
                    ],
                }
            )
    return out


def format_unknown(entries: list[dict[str, Any]]) -> str:
    """The human form of :func:`describe_unknown`: what a rule, a plugin or user code must supply."""
    import json

    lines = [f"unknown layer classes ({len(entries)} layers; no rule converts them):"]
    for e in entries:
        lines.append(f"  {e['layer']}: class {e['class_name']}")
        lines.append(f"    config: {json.dumps(e['config'], sort_keys=True, default=str)}")
        if e["weights"]:
            for w in e["weights"]:
                shape = ",".join(str(d) for d in w["shape"])
                lines.append(f"    weight {w['name']}: {w['dtype']}[{shape}]{'' if w['trainable'] else ' (non-trainable)'}")
        else:
            lines.append("    weights: none stored")
    return "\n".join(lines)


#: Names a generated module defines itself, which a stub class must not take.
_RESERVED = frozenset({"keras", "layers", "os", "np", "build_model", "load_model", "WEIGHTS_FILE", "COMPILE_CONFIG"})


def stub_identifier(class_name: str) -> str:
    """The Python class name of the placeholder for a legacy class (``pkg>Name`` -> ``Name``).

    One pure function, because Keras 3 saves a layer's weights under its class name in
    snake case: the ``.weights.h5`` writer and the stub must agree on it.
    """
    import keyword
    import re

    name = re.sub(r"\W", "_", class_name.rpartition(">")[2]) or "CustomLayer"
    if name[0].isdigit():
        name = f"Layer{name}"
    if keyword.iskeyword(name) or name in _RESERVED:
        name += "Stub"
    return name
