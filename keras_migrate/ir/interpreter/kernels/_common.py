"""Helpers shared by the kernel families: config parsing, layouts, masks, inner layers.

Config values are read with :mod:`keras_migrate.ir.config_args` (re-exported here), which
accepts every spelling Keras and a JSON round trip produce. Wrappers (``Bidirectional``,
``TimeDistributed``) and generic ``RNN`` layers run an *inner* layer described only by a class name, a config and prefixed
weights; :func:`inner_layer` and :func:`call_layer` let them reuse the registered kernels.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from keras_migrate.errors import UnsupportedError
from keras_migrate.ir.config_args import int_tuple, pair_tuple
from keras_migrate.ir.graph import Layer, inner_layer
from keras_migrate.ir.interpreter.registry import Context, KernelResult, call_kernel

__all__ = [
    "call_layer",
    "channels_first",
    "first_arg_mask",
    "float_array",
    "inner_layer",
    "input_mask",
    "int_tuple",
    "pair_tuple",
    "to_channels_first",
    "to_channels_last",
    "unsupported",
    "weight_or_none",
]


def unsupported(layer: Layer, message: str) -> UnsupportedError:
    """An error naming the layer, for configurations the interpreter cannot run exactly."""
    return UnsupportedError(message, layer=layer.name)


def channels_first(config: Mapping[str, Any]) -> bool:
    return config.get("data_format") == "channels_first"


def to_channels_last(x: np.ndarray) -> np.ndarray:
    """Move axis 1 (channels) to the end, so every spatial kernel has one layout."""
    return np.moveaxis(x, 1, -1)


def to_channels_first(x: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.moveaxis(x, -1, 1))


def float_array(x: Any) -> np.ndarray:
    """Inputs stay float32 (the interpreter's compute dtype); ints are promoted once here."""
    arr = np.asarray(x)
    if arr.dtype == np.float32:
        return arr
    return arr.astype(np.float32)


def weight_or_none(layer: Layer, name: str) -> np.ndarray | None:
    return layer.weight(name).numpy() if layer.has_weight(name) else None


def _is_tensor_arg(value: Any) -> bool:
    if isinstance(value, np.ndarray):
        return True
    if isinstance(value, (list, tuple)) and value:
        return all(isinstance(v, np.ndarray) for v in value)
    return False


def first_arg_mask(ctx: Context) -> Any:
    """The mask attached to the first positional argument (what Keras passes on by default)."""
    masks = ctx.masks
    return masks[0] if isinstance(masks, tuple) and masks else None


def input_mask(args: Sequence[Any], kwargs: Mapping[str, Any], ctx: Context) -> Any:
    """The mask a Keras 3 layer's ``call(..., mask=...)`` receives.

    An explicit ``mask=`` wins. Otherwise Keras fills ``mask`` from the input's mask only
    when the call has exactly one tensor argument, so e.g. ``LSTM(x, initial_state=s)``
    does *not* see ``x``'s mask.
    """
    if kwargs.get("mask") is not None:
        return kwargs["mask"]
    tensor_args = [a for a in args if _is_tensor_arg(a)]
    tensor_args += [v for k, v in kwargs.items() if k not in ("mask", "training") and _is_tensor_arg(v)]
    if len(tensor_args) != 1:
        return None
    return first_arg_mask(ctx)




def call_layer(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> KernelResult:
    """Run ``layer`` through its registered kernel (wrappers reuse every family this way)."""
    return call_kernel(layer, args, kwargs, ctx)
