"""Dense-like layers, inference no-ops (dropout, noise, regularization) and ``Masking``.

Dropout and noise layers are identities at inference, but they must still pass the mask
on, because Keras 3 marks them ``supports_masking``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from keras_migrate.errors import UnsupportedError
from keras_migrate.ir.graph import Layer
from keras_migrate.ir.interpreter.kernels._common import float_array, weight_or_none
from keras_migrate.ir.interpreter.kernels.activations import get_activation
from keras_migrate.ir.interpreter.registry import Context, KernelResult, kernel
from keras_migrate.ir.keras3_api import INFERENCE_IDENTITIES

__all__ = ["dense", "einsum_dense", "identity", "lambda_layer", "masking"]


def _check_not_quantized(layer: Layer) -> None:
    if layer.config.get("quantization_config") or layer.has_weight("kernel_scale"):
        raise UnsupportedError("quantized layers are not supported by the numpy interpreter", layer=layer.name)


@kernel("Dense", passes_mask=True)
def dense(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> np.ndarray:
    _check_not_quantized(layer)
    x = float_array(args[0])
    y = np.matmul(x, layer.weight("kernel").numpy())
    bias = weight_or_none(layer, "bias") if layer.config.get("use_bias", True) else None
    if bias is not None:
        y = y + bias
    return get_activation(layer.config.get("activation"))(y.astype(np.float32, copy=False))


@kernel("EinsumDense")
def einsum_dense(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> np.ndarray:
    # Keras stores the bias already shaped to broadcast against the output (trailing 1s)
    _check_not_quantized(layer)
    x = float_array(args[0])
    y = np.einsum(str(layer.config["equation"]), x, layer.weight("kernel").numpy())
    bias = weight_or_none(layer, "bias")
    if bias is not None:
        y = y + bias
    return get_activation(layer.config.get("activation"))(y.astype(np.float32, copy=False))


@kernel(
    *INFERENCE_IDENTITIES,
    passes_mask=True,
)
def identity(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> Any:
    return args[0]


@kernel("Masking")
def masking(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> KernelResult:
    """A timestep is kept when any feature differs from ``mask_value``; kept ones pass, others are zeroed."""
    x = float_array(args[0])
    keep = np.any(x != np.float32(layer.config.get("mask_value", 0.0)), axis=-1, keepdims=True)
    return KernelResult(np.where(keep, x, np.float32(0.0)), keep[..., 0])


@kernel("Lambda")
def lambda_layer(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> Any:
    raise UnsupportedError(
        "Lambda layers run arbitrary Python code and cannot be interpreted",
        layer=layer.name,
        hint="replace the Lambda with a built-in or compat layer, or verify with a Keras backend",
    )
