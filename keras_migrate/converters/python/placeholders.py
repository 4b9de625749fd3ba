"""Stub classes for layers no rule converts (``convert -o model.py --placeholders``).

A model with a custom class is never a dead end: the generated module defines one stub
class per unknown class, with the class' stored config as constructor arguments (kept by
``get_config``), its stored weights created in ``build`` with the file's shapes and dtypes,
in the file's order (so ``load_weights`` fills them from the ``.weights.h5`` beside the
module, as Keras 3 saves any layer's variables), and a ``call`` that raises
``NotImplementedError`` with a TODO. Once the user writes ``call``, the module runs; the
finished class can also be handed to ``convert --custom-objects`` for other outputs.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from keras_migrate.converters.python.format import Atom, Item, format_statement, py_str
from keras_migrate.converters.python.literals import call, literal
from keras_migrate.converters.python.names import Namer
from keras_migrate.errors import UnsupportedError
from keras_migrate.ir.graph import Graph
from keras_migrate.ir.unknown import (
    UnknownWeight,
    is_unknown,
    stub_identifier,
    unknown_class,
    unknown_config,
    unknown_weights,
)

__all__ = ["TODO_MARK", "Placeholder", "placeholder_call", "placeholders"]

#: The text every stub's ``call`` raises (tests and users search for it).
TODO_MARK = "TODO: fill in"

#: Legacy config keys the Keras 3 base ``Layer`` takes itself, or that only described how
#: the legacy layer was built (never constructor arguments of the stub).
_BASE_KEYS = frozenset(
    {"name", "trainable", "dtype", "batch_input_shape", "batch_size", "input_dtype", "input_shape", "autocast"}
)
#: Attribute names a Keras 3 layer already uses: config keys with these names stay in the
#: config but are not set as attributes.
_LAYER_ATTRIBUTES = frozenset(
    {
        "weights", "variables", "built", "input", "output", "losses", "input_spec", "dtype_policy",
        "supports_masking", "stateful", "trainable_weights", "non_trainable_weights", "path", "call", "build",
        "get_config", "from_config", "compute_dtype", "variable_dtype", "metrics", "config",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Placeholder:
    """One stub class: the legacy class name, its identifier here and what it holds."""

    legacy_class: str
    identifier: str
    #: Constructor arguments (the stored config without the base layer's keys), as stored.
    args: tuple[tuple[str, Any], ...]
    weights: tuple[UnknownWeight, ...]
    #: Stored config keys that cannot be Python arguments (not identifiers): left out.
    skipped: tuple[str, ...]

    def constructor_args(self, config: Mapping[str, Any]) -> list[Item]:
        """The keyword arguments of one instance (its own stored config)."""
        stored = unknown_config(config)
        return [Item(literal(stored[k]), f"{k}=") for k, _ in self.args if k in stored]

    def source(self) -> str:
        """The class definition."""
        name, arg_names = self.identifier, [k for k, _ in self.args]
        attrs = [k for k in arg_names if k not in _LAYER_ATTRIBUTES]
        weight_attrs = _weight_attributes(self.weights, set(arg_names))
        lines = [
            f"class {name}(keras.layers.Layer):",
            f'    """Placeholder for the custom class {self.legacy_class} of the source model: no rule converts it.',
            "",
            "    TODO: write call() as the original class computed it; this module then runs as is. To",
            "    convert the model again, put the finished class in a file and pass it to",
            "    `keras-migrate convert --custom-objects FILE.py`.",
            '    """',
            "",
        ]
        params = ", ".join([*(f"{k}={_text(v)}" for k, v in self.args), "**kwargs"])
        lines += [f"    def __init__(self, {params}):", "        super().__init__(**kwargs)"]
        lines += [f"        self.{k} = {k}" for k in attrs]
        lines += [f"        self._stored_config = {{{', '.join(f'{py_str(k)}: {k}' for k in arg_names)}}}"]
        if self.skipped:
            lines.append(f"        # Not constructor arguments (not Python names): {', '.join(self.skipped)}")
        lines += ["", "    def get_config(self):", "        return {**super().get_config(), **self._stored_config}"]
        lines += ["", "    def build(self, input_shape):"]
        if self.weights:
            lines.append("        # The weights the source file stores for this layer, in its order (load_weights fills them).")
            for attr, w in zip(weight_attrs, self.weights, strict=True):
                trainable = "" if w.trainable else ", trainable=False"
                lines.append(
                    f"        self.{attr} = self.add_weight(name={py_str(w.name)}, shape={_text(tuple(w.shape))}, "
                    f'dtype={py_str(w.dtype)}, initializer="zeros"{trainable})'
                )
        else:
            lines.append("        pass  # the source file stores no weights for this layer")
        uses = ", ".join([*(f"self.{k}" for k in attrs), *(f"self.{a}" for a in weight_attrs)]) or "no stored state"
        lines += [
            "",
            "    def call(self, inputs):",
            f"        # TODO: {self.legacy_class}'s computation ({uses}).",
            f"        raise NotImplementedError({py_str(f'{TODO_MARK} {name}.call (a placeholder written by keras-migrate)')})",
        ]
        return "\n".join(lines)


def _text(value: Any) -> str:
    return "\n".join(format_statement("", literal(value, as_tuple=isinstance(value, tuple)), indent="")).strip()


def _identifier(name: str) -> bool:
    return bool(re.fullmatch(r"[A-Za-z_]\w*", name)) and not keyword.iskeyword(name)


def _weight_attributes(weights: tuple[UnknownWeight, ...], taken: set[str]) -> list[str]:
    namer = Namer(taken | _LAYER_ATTRIBUTES)
    return [namer.take(w.name) for w in weights]


def placeholders(graph: Graph, namer: Namer) -> dict[str, Placeholder]:
    """One stub per unknown legacy class of ``graph`` (nested models included), keyed by
    the legacy class name, named by :func:`~keras_migrate.ir.unknown.stub_identifier`
    (reserved in ``namer``, the module's names)."""
    out: dict[str, Placeholder] = {}
    for _, layer in graph.walk_layers():
        if not is_unknown(layer.type):
            continue
        cls = unknown_class(layer.config)
        if cls in out:
            if out[cls].weights != tuple(unknown_weights(layer.config)):
                raise UnsupportedError(
                    f"layers of custom class {cls} store weights of different shapes; one stub cannot create both",
                    layer=layer.name,
                    hint="write the class with --custom-objects instead of --placeholders",
                )
            continue
        stored = unknown_config(layer.config)
        keys = [k for k in stored if k not in _BASE_KEYS]
        args = tuple((k, stored[k]) for k in keys if _identifier(k))
        skipped = tuple(k for k in keys if not _identifier(k))
        identifier = stub_identifier(cls)
        if identifier in namer.used:
            raise UnsupportedError(f"custom classes {cls} and another both make the Python name {identifier}", layer=layer.name)
        namer.used.add(identifier)
        out[cls] = Placeholder(cls, identifier, args, tuple(unknown_weights(layer.config)), skipped)
    return out


def placeholder_call(stub: Placeholder, config: Mapping[str, Any], name: str, trainable: bool) -> Any:
    """The constructor call of one unknown layer."""
    args = stub.constructor_args(config)
    args.append(Item(Atom(py_str(name)), "name="))
    if not trainable:
        args.append(Item(Atom("False"), "trainable="))
    return call(stub.identifier, args)
