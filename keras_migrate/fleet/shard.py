"""``--shard K/N``: a deterministic split of a batch, so any scheduler can spread it.

A model belongs to shard ``1 + (sha256(id) mod N)``: it depends only on the model's id
(its path relative to the batch root), never on the machine, the order of discovery or the
other models, so N machines given the same tree and ``--shard 1/N`` ... ``N/N`` cover every
model exactly once (a CI matrix, Slurm array jobs, Kubernetes indexed jobs).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import TypeVar

__all__ = ["in_shard", "parse_shard", "select"]

T = TypeVar("T")


def parse_shard(text: str) -> tuple[int, int]:
    """``"K/N"`` as ``(K, N)`` with ``1 <= K <= N``; ValueError otherwise."""
    try:
        k, n = (int(p) for p in text.split("/"))
    except ValueError:
        raise ValueError(f"--shard takes K/N (e.g. 2/4), not {text!r}") from None
    if not 1 <= k <= n:
        raise ValueError(f"--shard K/N needs 1 <= K <= N, not {text!r}")
    return k, n


def in_shard(model_id: str, k: int, n: int) -> bool:
    return int.from_bytes(hashlib.sha256(model_id.encode()).digest()[:8], "big") % n == k - 1


def select(items: Iterable[T], ids: Iterable[str], k: int, n: int) -> list[T]:
    """The items whose id falls in shard ``k`` of ``n``."""
    return [item for item, i in zip(items, ids) if in_shard(i, k, n)]
