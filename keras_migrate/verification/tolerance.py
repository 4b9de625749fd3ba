"""The tolerance a comparison uses, derived from the lowest-precision compute dtype.

A float32 model is judged at :data:`~keras_migrate.verification.compare.RTOL` /
:data:`~keras_migrate.verification.compare.ATOL`, always. A model built under a mixed
precision policy (``mixed_float16``, ``mixed_bfloat16``, or a layer dtype ``float16`` /
``bfloat16``) computes in a 16-bit float: the legacy software's own outputs carry that
rounding, and Keras 3 rounds at other places, so outputs can only agree to a few units in
the last place of the compute dtype. Such a model is judged at ``rtol = atol = 4 * eps``
of its lowest-precision compute dtype (float16: eps = 2**-10, so 3.9e-3; bfloat16:
eps = 2**-7, so 3.1e-2). Measured on the fixtures (Conv2D, BatchNormalization, LSTM,
Dense, float32 softmax): the largest difference from tf_keras' stored outputs is 0.25 eps
(float16) and 0.35 eps (bfloat16) on jax, torch, tensorflow and the numpy interpreter.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from keras_migrate.ir.graph import Model
from keras_migrate.verification.compare import ATOL, RTOL

__all__ = ["EPSILON", "ULPS", "Tolerance", "compute_dtype", "model_tolerance", "tolerance_for"]

#: Machine epsilon of each reduced-precision float compute dtype.
EPSILON = {"float16": 2.0**-10, "bfloat16": 2.0**-7}
#: How many epsilons of the compute dtype outputs may differ by (relative and absolute).
ULPS = 4.0


@dataclass(frozen=True, slots=True)
class Tolerance:
    """``allclose`` tolerances and the compute dtype they were derived from."""

    rtol: float
    atol: float
    compute_dtype: str = "float32"


def compute_dtype(policy: str) -> str:
    """The compute dtype of a dtype policy name: ``mixed_float16`` -> ``float16``."""
    return policy.removeprefix("mixed_")


def tolerance_for(dtypes: Iterable[str]) -> Tolerance:
    """The tolerance for a model whose layers have the dtype policies ``dtypes``: set by the
    least precise 16-bit compute dtype among them, else the float32 default."""
    found = {compute_dtype(d) for d in dtypes} & set(EPSILON)
    if not found:
        return Tolerance(RTOL, ATOL)
    worst = max(found, key=EPSILON.__getitem__)
    eps = ULPS * EPSILON[worst]
    return Tolerance(max(RTOL, eps), max(ATOL, eps), worst)


def model_tolerance(model: Model) -> Tolerance:
    """:func:`tolerance_for` the dtypes of every layer of ``model`` (nested ones included)."""
    return tolerance_for(layer.dtype for _, layer in model.graph.walk_layers())
