"""TensorFlow's image resizing as interpolation matrices (numpy only, no framework).

``tf.image.resize`` without antialiasing is separable and linear: every output row is a
fixed weighted sum of input rows, and likewise for columns. So a resize of an ``H x W``
image to ``h x w`` is ``Mh @ image @ Mw.T`` with ``Mh`` of shape ``(h, H)``; these
functions build ``Mh``/``Mw`` exactly as TF's kernels place their samples (half-pixel
centers, float32 coordinates; bicubic uses Keys' a = -0.5 from a 1024-entry coefficient
table and drops out-of-image taps, renormalizing the rest). This is the meaning of the
``TFResizing`` layer type: the numpy interpreter and the ``TFResizing`` compat layer
(Keras 3's own bicubic differs from TF's on jax and torch) share it, so both compute what
tf.keras computed.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["crop_box_for_aspect_ratio", "interpolation_matrix"]

_TABLE = 1024


def crop_box_for_aspect_ratio(height: int, width: int, target_h: int, target_w: int) -> tuple[int, int, int, int]:
    """``(top, left, crop_h, crop_w)``: the centered box of the target's aspect ratio
    (tf.keras ``smart_resize``; float32 divisions truncated toward zero, as TF casts)."""
    f32 = np.float32
    crop_h = min(height, int(f32(width * target_h) / f32(target_w)))
    crop_w = min(width, int(f32(height * target_w) / f32(target_h)))
    top = int(f32(height - crop_h) / f32(2))
    left = int(f32(width - crop_w) / f32(2))
    return top, left, crop_h, crop_w


def _keys_table() -> np.ndarray:
    a = -0.5
    table = np.zeros((_TABLE + 1, 2), dtype=np.float32)
    for i in range(_TABLE + 1):
        x = float(np.float32(i * 1.0 / _TABLE))
        table[i, 0] = ((a + 2) * x - (a + 3)) * x * x + 1
        x = float(np.float32(x + 1.0))
        table[i, 1] = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return table


def interpolation_matrix(method: str, in_size: int, out_size: int) -> np.ndarray:
    """The ``(out_size, in_size)`` float32 matrix of TF's ``method`` along one axis."""
    scale = np.float32(in_size) / np.float32(out_size)
    m = np.zeros((out_size, in_size), dtype=np.float32)
    half = np.float32(0.5)
    if method == "nearest":
        for o in range(out_size):
            i = math.floor(np.float32((np.float32(o) + half) * scale))
            m[o, max(0, min(i, in_size - 1))] = 1.0
        return m
    if method == "bilinear":
        for o in range(out_size):
            pos = np.float32(np.float32((np.float32(o) + half) * scale) - half)
            base = math.floor(pos)
            lerp = np.float32(pos - np.float32(base))
            lower, upper = max(base, 0), min(math.ceil(pos), in_size - 1)
            m[o, lower] += np.float32(1) - lerp
            m[o, upper] += lerp
        return m
    if method == "bicubic":
        table = _keys_table()
        for o in range(out_size):
            pos = np.float32(np.float32((np.float32(o) + half) * scale) - half)
            base = math.floor(pos)
            offset = int(np.rint(np.float32(pos - np.float32(base)) * np.float32(_TABLE)))
            weights = (table[offset, 1], table[offset, 0], table[_TABLE - offset, 0], table[_TABLE - offset, 1])
            taps = [(base - 1 + k, w) for k, w in enumerate(weights) if 0 <= base - 1 + k < in_size]
            total = np.float32(sum(np.float32(w) for _, w in taps))
            for i, w in taps:
                m[o, i] += np.float32(w) / total if abs(total) > 0 else np.float32(w)
        return m
    raise ValueError(f"no TF interpolation matrix for method {method!r}")
