"""What a verification found: one :class:`BackendResult` per backend, one :class:`VerifyReport`.

Records only (frozen): the orchestration that fills them is in :mod:`keras_migrate.verification`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from keras_migrate.verification.compare import ATOL, RTOL, Diff

__all__ = ["BackendResult", "VerifyReport"]


@dataclass(frozen=True, slots=True)
class BackendResult:
    """One backend's run: its output diffs, per-layer diffs (IR value name, diff), and any error."""

    backend: str
    outputs: tuple[Diff, ...] = ()
    layers: tuple[tuple[str, Diff], ...] = ()
    error: str = ""
    layers_error: str = ""
    load_seconds: float = 0.0
    run_seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.error and bool(self.outputs) and all(d.ok for d in self.outputs)

    @property
    def first_divergence(self) -> str | None:
        """The first layer output (in graph order) that differs: where to start looking."""
        for name, d in self.layers:
            if not d.ok:
                return name
        return None


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """The verdict over all backends: ``ok`` iff every backend ran and matched every output."""

    converted: str
    backends: tuple[BackendResult, ...]
    rtol: float = RTOL
    atol: float = ATOL
    #: How the reference was computed where it is not plain numpy (user code run by Keras 3).
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return bool(self.backends) and all(b.ok for b in self.backends)

    def to_dict(self) -> dict[str, Any]:
        """The report as plain JSON data (what ``verify --json`` prints)."""
        return {
            "converted": self.converted,
            "ok": self.ok,
            "rtol": self.rtol,
            "atol": self.atol,
            "notes": list(self.notes),
            "backends": [
                {
                    "backend": b.backend,
                    "ok": b.ok,
                    "error": b.error or None,
                    "outputs": [{"max_abs": d.max_abs, "max_rel": d.max_rel, "ok": d.ok, "note": d.note} for d in b.outputs],
                    "first_divergence": b.first_divergence,
                    "layers": [{"value": n, "max_abs": d.max_abs, "ok": d.ok} for n, d in b.layers],
                    "load_seconds": round(b.load_seconds, 3),
                    "run_seconds": round(b.run_seconds, 3),
                }
                for b in self.backends
            ],
        }
