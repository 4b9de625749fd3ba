"""``Embedding``: a table look-up that may start a mask (``mask_zero``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from keras_migrate.ir.graph import Layer
from keras_migrate.ir.interpreter.kernels._common import unsupported
from keras_migrate.ir.interpreter.registry import Context, KernelResult, kernel

__all__ = ["embedding"]


@kernel("Embedding")
def embedding(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> KernelResult:
    """Float ids are truncated to int32 as Keras does; the mask is ``ids != 0`` on the raw ids."""
    if layer.config.get("quantization_config") or layer.has_weight("embeddings_scale"):
        raise unsupported(layer, "quantized embeddings are not supported by the numpy interpreter")
    ids = np.asarray(args[0])
    table = layer.weight("embeddings").numpy()
    index = ids if ids.dtype in (np.int32, np.int64) else ids.astype(np.int32)
    out = np.take(table, index, axis=0)
    mask = ids != 0 if layer.config.get("mask_zero", False) else None
    return KernelResult(out, mask)
