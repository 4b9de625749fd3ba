"""Read a model with the user's code: names for the readers, objects recorded on the model.

After the read, every user layer is built once by the interpreter's type probe
(:func:`~keras_migrate.ir.passes.infer_types.infer_graph_types`), which checks its stored
weights against the class's variables before anything is written and gives every value
after it a shape.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from keras_migrate.ir.graph import Model
from keras_migrate.ir.user_code import USER_FUNCTION_LAYER, is_user_type
from keras_migrate.usercode import UserCode, install, load_user_code

__all__ = ["load_with_user_code", "names_in_configs"]


def names_in_configs(model: Model) -> tuple[set[str], set[str]]:
    """``(layer types, string values in configs)`` of every layer, nested ones included."""
    types: set[str] = set()
    strings: set[str] = set()

    def visit(value: Any) -> None:
        if isinstance(value, str):
            strings.add(value)
        elif isinstance(value, Mapping):
            for v in value.values():
                visit(v)
        elif isinstance(value, (list, tuple)):
            for v in value:
                visit(v)

    for _, layer in model.graph.walk_layers():
        types.add(layer.type)
        visit(layer.config)
    return types, strings


def load_with_user_code(path: Any, specs: Sequence[str], lambdas: Sequence[str], read: Callable[[], Model]) -> Model:
    """``read()`` with the user's code loaded, installed and recorded on the model."""
    code: UserCode = load_user_code(specs, lambdas)
    install(code)
    with code.reading():
        model = read()
    types, strings = names_in_configs(model)
    used = code.used_by(types, strings)
    provenance = model.provenance
    for note in code.notes:
        provenance = provenance.with_note(note)
    model = dataclasses.replace(model, user_code=used, provenance=provenance)
    if any(is_user_type(t) or t == USER_FUNCTION_LAYER for t in types) or any(o.kind == "function" for o in used):
        from keras_migrate.ir.passes.infer_types import infer_graph_types

        model = model.with_graph(infer_graph_types(model.graph))
    return model
