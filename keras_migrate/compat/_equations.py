"""Einsum equations of dot-product attention, shared by every implementation of it.

Framework-free, so the numpy kernel, the ONNX lowering and the Keras 3 compat layer (and
the model.py files that copy it) lay scores out the same way; only the numerics differ
per backend, and those are checked against each other.
"""

from __future__ import annotations

import string
from collections.abc import Sequence

__all__ = ["attention_equations"]


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
