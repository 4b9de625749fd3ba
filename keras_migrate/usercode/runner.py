"""Run the user's layers and functions with Keras 3, for the numpy reference interpreter.

The interpreter is numpy; user code is Keras 3 code. Each user layer is rebuilt from its
config with the user's class (``from_config``), built on the input shape it is called
with, and its variables are compared with the stored weights **in creation order** (the
order Keras 2 saved them and Keras 3 saves them: trainable, then non-trainable): count and
every shape must agree, or the conversion stops naming the layer, the variable, and both
shapes. Then the stored values are assigned and the layer is called on the arrays. It runs
on whatever Keras 3 backend this process has (``numpy`` when user code was the first to
import Keras, see :mod:`keras_migrate.usercode.source`); :meth:`KerasRunner.describe` says which.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

import numpy as np

from keras_migrate.errors import UnsupportedError
from keras_migrate.ir.user_code import UserRunner

__all__ = ["KerasRunner", "check_variables"]


def check_variables(layer_name: str, class_name: str, variables: list[Any], weights: list[Any]) -> None:
    """Refuse stored weights that do not fit the variables the class created, in order."""
    hint = ("stored weights map onto the class's variables in creation order: make build() create them in "
            "the order and shapes the legacy class did")  # fmt: skip
    names = [getattr(v, "path", None) or v.name for v in variables]
    if len(variables) != len(weights):
        raise UnsupportedError(
            f"user class {class_name} creates {len(variables)} variables ({', '.join(names) or 'none'}), "
            f"the file stores {len(weights)} weight arrays",
            layer=layer_name, hint=hint,
        )  # fmt: skip
    for name, v, w in zip(names, variables, weights, strict=True):
        expected, found = tuple(int(d) for d in v.shape), tuple(np.shape(w))
        if expected != found:
            raise UnsupportedError(
                f"user class {class_name} variable {name!r} has shape {expected}, the stored weight has {found}",
                layer=layer_name, hint=hint,
            )  # fmt: skip


class KerasRunner(UserRunner):
    """The :class:`~keras_migrate.ir.user_code.UserRunner` backed by Keras 3 and the user's code."""

    def __init__(self, code: Any) -> None:
        self.code = code
        self._layers: dict[tuple[str, Any], Any] = {}

    def describe(self) -> str:
        import keras

        return f"Keras 3 {keras.backend.backend()} backend"

    def has_function(self, name: str) -> bool:
        return name in self.code.functions

    def run_function(self, name: str, x: Any) -> Any:
        import keras

        with np.errstate(all="ignore"):  # the type probe feeds zeros (e.g. 0/0 in a normalization)
            out = self.code.functions[name](keras.ops.convert_to_tensor(np.asarray(x)))
        return np.asarray(keras.ops.convert_to_numpy(out))

    def _layer(self, class_name: str, layer_name: str, config: Mapping[str, Any], weights: list[Any], shapes: Any) -> Any:
        key = (layer_name, repr(shapes))
        layer = self._layers.get(key)
        if layer is not None:
            return layer
        cls = self.code.layers.get(class_name)
        if cls is None:
            raise UnsupportedError(f"no user class {class_name!r} is loaded", layer=layer_name,
                                   hint="pass the file defining it with --custom-objects FILE.py")  # fmt: skip
        try:
            layer = cls.from_config({**config, "name": layer_name})
            if not layer.built:
                layer.build(shapes)
                layer.built = True
        except UnsupportedError:
            raise
        except Exception as exc:
            raise UnsupportedError(f"user class {class_name} could not be rebuilt from its config: "
                                   f"{type(exc).__name__}: {exc}", layer=layer_name,
                                   hint="check the class's __init__/get_config/build in the --custom-objects file") from exc  # fmt: skip
        own = list(layer._trainable_variables) + list(layer._non_trainable_variables)
        if len(own) != len(layer.weights):
            raise UnsupportedError(f"user class {class_name} holds sub-layers with weights, which are not supported",
                                   layer=layer_name, hint="flatten the layer's variables into the class itself")  # fmt: skip
        check_variables(layer_name, class_name, own, weights)
        for v, w in zip(own, weights, strict=True):
            v.assign(np.asarray(w, dtype=v.dtype))
        self._layers[key] = layer
        return layer

    def run_layer(
        self, class_name: str, layer_name: str, config: Mapping[str, Any], weights: list[Any], args: tuple[Any, ...],
        kwargs: dict[str, Any], mask: Any,
    ) -> tuple[Any, Any]:
        import keras

        def shape(x: Any) -> Any:
            return [(None, *np.shape(v)[1:]) for v in x] if isinstance(x, (list, tuple)) else (None, *np.shape(x)[1:])

        first = args[0]
        layer = self._layer(class_name, layer_name, config, weights, shape(first))
        call_kwargs = dict(kwargs)
        if mask is not None and "mask" in inspect.signature(layer.call).parameters:
            call_kwargs["mask"] = keras.ops.convert_to_tensor(np.asarray(mask))
        with np.errstate(all="ignore"):  # the type probe feeds zeros
            out = layer(*args, **call_kwargs)
        out_mask = None
        if mask is not None:
            try:
                m = layer.compute_mask(first, keras.ops.convert_to_tensor(np.asarray(mask)))
            except Exception:  # a class without mask support: no mask downstream
                m = None
            out_mask = None if m is None else np.asarray(keras.ops.convert_to_numpy(m))
        if isinstance(out, (list, tuple)):
            return [np.asarray(keras.ops.convert_to_numpy(o)) for o in out], out_mask
        return np.asarray(keras.ops.convert_to_numpy(out)), out_mask
