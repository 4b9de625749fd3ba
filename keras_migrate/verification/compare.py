"""Compare arrays the way a conversion is judged: allclose with rtol/atol, NaN-aware.

:data:`RTOL` and :data:`ATOL` are the project's one statement of "the same outputs": the
verifier, the conversion tests and the kernel tests all import them from here. A model that
computes in float16/bfloat16 (a mixed precision policy) is judged at a tolerance derived
from that dtype instead (:mod:`.tolerance`); float32 models never get a looser one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["ATOL", "RTOL", "Diff", "diff"]

#: Relative tolerance of every output comparison.
RTOL = 1e-4
#: Absolute tolerance of every output comparison.
ATOL = 1e-5


@dataclass(frozen=True, slots=True)
class Diff:
    """How far one array is from its reference."""

    max_abs: float
    max_rel: float
    ok: bool
    note: str = ""


def diff(reference: np.ndarray, actual: np.ndarray, *, rtol: float = RTOL, atol: float = ATOL) -> Diff:
    """Max abs/rel difference and the allclose verdict (NaN/Inf must match exactly)."""
    ref = np.asarray(reference)
    act = np.asarray(actual)
    if ref.shape != act.shape:
        return Diff(float("inf"), float("inf"), False, f"shape {act.shape} != {ref.shape}")
    if ref.size == 0:
        return Diff(0.0, 0.0, True)
    if ref.dtype.kind in "USO" or act.dtype.kind in "USO":  # strings (inverted lookups): equal or not
        same = bool(np.array_equal(ref.astype(str), act.astype(str)))
        return Diff(0.0 if same else float("inf"), 0.0, same, "" if same else "strings differ")
    if ref.dtype.kind in "biu" and act.dtype.kind in "biu":
        same = bool(np.array_equal(ref, act))
        return Diff(0.0 if same else float(np.max(np.abs(ref.astype(np.int64) - act.astype(np.int64)))), 0.0, same)
    r = ref.astype(np.float64)
    a = act.astype(np.float64)
    finite = np.isfinite(r) & np.isfinite(a)
    special_ok = bool(np.array_equal(np.isnan(r), np.isnan(a)) and np.array_equal(r[np.isinf(r)], a[np.isinf(r)]))
    if not finite.any():
        return Diff(0.0, 0.0, special_ok)
    abs_err = np.abs(r - a)[finite]
    rel_err = abs_err / np.maximum(np.abs(r[finite]), 1e-12)
    ok = special_ok and bool(np.all(abs_err <= atol + rtol * np.abs(r[finite])))
    return Diff(float(abs_err.max()), float(rel_err.max()), ok, "" if special_ok else "NaN/Inf pattern differs")
