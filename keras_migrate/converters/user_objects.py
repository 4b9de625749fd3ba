"""The user's classes and functions in a Keras 3 config, under the names they registered.

:func:`~keras_migrate.converters.keras3_config.model_config` writes the IR as it is; a user
layer's type is ``user>Class`` and a user activation a bare name. Here they get Keras 3's
own envelope: ``module`` (the user's module), ``class_name`` and ``registered_name`` (what
``keras.saving.register_keras_serializable`` gave the class, else its name), and functions
the ``{"class_name": "function", "config": name}`` form, so that
``keras.saving.load_model(path, custom_objects={...})`` rebuilds them with ``safe_mode=True``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from keras_migrate.errors import UnsupportedError
from keras_migrate.ir.graph import Model
from keras_migrate.ir.user_code import (
    USER_FUNCTION_LAYER,
    UserObject,
    is_user_type,
    user_class_name,
)

__all__ = ["refuse_user_code", "with_user_objects"]

_FUNCTION_KEYS = ("activation", "recurrent_activation")
#: Keys naming an initializer, regularizer or constraint: a user's may be a function or a class.
_OBJECT_SUFFIXES = ("_initializer", "_regularizer", "_constraint")


def with_user_objects(config: Any, objects: Sequence[UserObject]) -> Any:
    """``config`` (a serialized model) with user layers and functions serialized as Keras 3 does."""
    if not objects:
        return config
    classes = {o.name: o for o in objects if o.kind == "layer"}
    functions = {o.name: o for o in objects if o.kind != "layer"}

    def visit(value: Any) -> Any:
        if isinstance(value, Mapping):
            out = {k: visit(v) for k, v in value.items()}
            cls = out.get("class_name")
            if isinstance(cls, str) and is_user_type(cls):
                name = user_class_name(cls)
                obj = classes.get(name)
                out["class_name"] = name
                out["module"] = obj.module if obj else None
                out["registered_name"] = obj.registered_name if obj else name
            elif isinstance(cls, str) and cls in functions and str(out.get("module", "")).startswith("keras."):
                # the user's initializer/regularizer/constraint class, written under a Keras module
                o = functions[cls]
                out["module"], out["registered_name"] = o.module, o.registered_name
            for key in [k for k in out if k in _FUNCTION_KEYS or (isinstance(k, str) and k.endswith(_OBJECT_SUFFIXES))]:
                fn = out.get(key)
                if isinstance(fn, str) and fn in functions:
                    o = functions[fn]
                    out[key] = {"module": o.module, "class_name": "function", "config": o.registered_name,
                                "registered_name": "function"}  # fmt: skip
            return out
        if isinstance(value, list):
            return [visit(v) for v in value]
        return value

    return visit(config)


def refuse_user_code(model: Model, what: str) -> None:
    """Outputs that cannot carry Python (ONNX) refuse user layers and functions, naming the first."""
    functions = {o.name for o in model.user_code if o.kind != "layer"}
    for _, layer in model.graph.walk_layers():
        used = None
        if is_user_type(layer.type):
            used = f"user class {user_class_name(layer.type)}"
        elif layer.type == USER_FUNCTION_LAYER:
            used = f"user function {layer.config.get('function')!r} (a Lambda replacement)"
        else:
            names = [v for k, v in layer.config.items() if k in _FUNCTION_KEYS and v in functions]
            used = f"user function {names[0]!r}" if names else None
        if used is not None:
            raise UnsupportedError(
                f"{used} (--custom-objects) cannot be exported to {what}: it is Python code",
                layer=layer.name,
                hint="convert to .keras or .py instead",
            )
