"""Reading layer config values that Keras spells several ways.

``Layer.config`` holds Keras 3 ``get_config()`` dicts, but after a JSON round trip tuples
turn into lists and some writers store a bare int where Keras keeps a 1-tuple. Every
consumer of a config (the numpy kernels, the ONNX lowerings) reads sizes, strides and
padding specs through these functions, so all of them accept the same spellings.
"""

from __future__ import annotations

from typing import Any

__all__ = ["int_tuple", "pair_tuple"]


def int_tuple(value: Any, n: int) -> tuple[int, ...]:
    """``3`` -> ``(3,)*n``; lists and tuples pass through (JSON turns tuples into lists)."""
    if isinstance(value, (list, tuple)):
        if len(value) == 1 and n > 1:
            return (int(value[0]),) * n
        return tuple(int(v) for v in value)
    return (int(value),) * n


def pair_tuple(value: Any, n: int) -> tuple[tuple[int, int], ...]:
    """Padding/cropping specs: ``1``, ``(1, 2)`` or ``((1, 2), (3, 4))`` -> n (lo, hi) pairs.

    Keras 3 accepts a flat pair for 1D layers and per-dimension ints or pairs for 2D/3D.
    """
    if isinstance(value, int):
        return ((value, value),) * n
    items = list(value)
    if n == 1 and len(items) == 2 and all(isinstance(v, int) for v in items):
        return ((int(items[0]), int(items[1])),)
    out = []
    for v in items:
        if isinstance(v, int):
            out.append((v, v))
        else:
            lo, hi = v
            out.append((int(lo), int(hi)))
    return tuple(out)
