"""Dot-product attention: the attention layer types and the einsum layout of their scores.

Framework-free, so the reader, the numpy kernel, the ONNX lowering and the Keras 3 compat
layer (and the model.py files that copy it) name the layer types and lay scores out the
same way; only the numerics differ per backend, and those are checked against each other.
"""

from __future__ import annotations

import string
from collections.abc import Sequence

__all__ = ["LEGACY_MHA", "MHA_TYPES", "attention_equations"]

#: IR type of tf.keras' ``MultiHeadAttention`` (the compat layer computing as tf.keras did).
LEGACY_MHA = "keras_migrate>LegacyMultiHeadAttention"
#: Every IR type computing multi-head attention: Keras 3's layer and the tf.keras one.
MHA_TYPES = ("MultiHeadAttention", LEGACY_MHA)


def attention_equations(rank: int, axes: Sequence[int]) -> tuple[str, str]:
    """Einsum equations ``(scores = key . query, output = scores . value)`` for projected
    tensors of ``rank`` ``(batch, ..., heads, channels)`` attending over ``axes``.

    Every axis but the attended ones and the channels is a batch axis (the heads axis
    included); scores are laid out ``(batch axes, query axes, key axes)``.
    """
    letters = string.ascii_lowercase
    query = letters[:rank]
    extra = iter(letters[rank:])
    key = "".join(next(extra) if i in axes else query[i] for i in range(rank))
    batch = [i for i in range(rank - 1) if i not in axes]
    scores = "".join(query[i] for i in batch) + "".join(query[i] for i in axes) + "".join(key[i] for i in axes)
    return f"{key},{query}->{scores}", f"{scores},{key}->{query}"
