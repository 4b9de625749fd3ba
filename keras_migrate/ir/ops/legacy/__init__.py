"""The one table of legacy-op semantics: what each legacy ``keras.backend`` / TensorFlow
function means as a ``keras.ops`` expression, when that is exact, and what to do when
there is no equivalent.

- :mod:`.records`: the records (:class:`LegacyOp`, :class:`Case`, :class:`Condition`).
- :mod:`.template`: binding a call, choosing a case, running a template over a namespace.
- :mod:`.backend`: every ``keras.backend`` function of Keras 1, Keras 2 and tf.keras.
- :mod:`.tf`: the ``tf.*``/``tf.math``/``tf.nn``/``tf.linalg``/``tf.random`` functions the
  codemods meet (signatures shared with :data:`keras_migrate.ir.ops.tf.TF_OPS`).

Consumers: the ``backend`` and ``tf-ops`` codemods render a case to source; Lambda
recovery turns a case into IR op nodes; tests and the numpy evaluator run it
(:func:`.template.evaluate`). Framework-free: nothing here imports numpy, Keras or TF.
"""

from __future__ import annotations

from collections import Counter

from keras_migrate.ir.ops.legacy.backend import BACKEND_OPS, KEPT
from keras_migrate.ir.ops.legacy.records import Case, Condition, LegacyOp, Param
from keras_migrate.ir.ops.legacy.tf import TF_LEGACY_OPS

__all__ = [
    "BACKEND_OPS",
    "KEPT",
    "TF_LEGACY_OPS",
    "Case",
    "Condition",
    "LegacyOp",
    "Param",
    "all_ops",
    "lookup",
    "status_counts",
]


def lookup(qualified: str) -> LegacyOp | None:
    """The entry for a module-normalised name: ``keras.backend.sum``, ``tensorflow.math.abs``."""
    if qualified.startswith("keras.backend.") and qualified.count(".") == 2:
        return BACKEND_OPS.get(qualified.rsplit(".", 1)[1])
    if qualified.startswith("tensorflow."):
        return TF_LEGACY_OPS.get(qualified[len("tensorflow.") :])
    return None


def all_ops() -> list[LegacyOp]:
    """Every distinct entry (aliases counted once)."""
    seen: dict[str, LegacyOp] = {}
    for op in (*BACKEND_OPS.values(), *TF_LEGACY_OPS.values()):
        seen.setdefault(op.name, op)
    return list(seen.values())


def status_counts() -> dict[str, int]:
    """How many entries are ``exact``, ``conditional`` and ``none`` (no equivalent)."""
    return dict(Counter(op.status for op in all_ops()))
