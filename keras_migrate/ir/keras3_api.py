"""Facts about Keras 3's layer constructors, so configs can be checked without importing Keras.

:data:`LAYER_ARGS` maps each Keras 3 layer class to the keyword arguments its constructor
accepts (its own parameters plus, where it forwards ``**kwargs``, the base ``Layer``
arguments). It is generated from Keras itself by :func:`generate` and checked against the
installed Keras by a test, so it cannot drift silently.
"""

from __future__ import annotations

import inspect
from typing import Any

__all__ = ["BASE_ARGS", "INFERENCE_IDENTITIES", "KERAS_VERSION", "LAYER_ARGS", "accepted_args", "generate"]

#: Arguments the base ``keras.layers.Layer`` accepts through ``**kwargs``.
BASE_ARGS = frozenset({"activity_regularizer", "trainable", "dtype", "autocast", "name", "input_dim", "input_shape"})

KERAS_VERSION = "3.15.1"

#: Keras 3 layer types that return their input unchanged at inference (regularizers and
#: training-time noise) and pass its mask on: every backend of ours (the numpy kernel, the
#: ONNX lowering) treats them alike.
INFERENCE_IDENTITIES = (
    "Identity", "Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianNoise",
    "GaussianDropout", "AlphaDropout", "ActivityRegularization",
)  # fmt: skip

LAYER_ARGS: dict[str, frozenset[str]] = {}  # filled from _keras3_args_data below


def accepted_args(layer_type: str) -> frozenset[str] | None:
    """Constructor arguments of a Keras 3 layer class, or None if the class is unknown here."""
    return LAYER_ARGS.get(layer_type)


def generate() -> dict[str, list[str]]:
    """Read every ``keras.layers`` class's accepted arguments from the installed Keras."""
    import keras

    out: dict[str, list[str]] = {}
    for name in dir(keras.layers):
        cls = getattr(keras.layers, name)
        if not (inspect.isclass(cls) and issubclass(cls, keras.layers.Layer)):
            continue
        params: set[str] = set()
        forwards = False
        for klass in cls.__mro__:
            init: Any = klass.__dict__.get("__init__")
            if init is None:
                continue
            sig = inspect.signature(init)
            params |= {p.name for p in sig.parameters.values() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
            forwards = any(p.kind == p.VAR_KEYWORD for p in sig.parameters.values())
            if not forwards:
                break
            if klass is keras.layers.Layer:
                break
        params.discard("self")
        if forwards:
            params |= BASE_ARGS
        out[name] = sorted(params)
    return out


def _load() -> None:
    from keras_migrate.ir._keras3_args_data import DATA

    LAYER_ARGS.update({k: frozenset(v) for k, v in DATA.items()})


_load()
