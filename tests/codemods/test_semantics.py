"""Differential checks of the backend rewrites that had to be made exact (issue 14): the
upgraded expression, run with Keras 3, equals the legacy call run with tf_keras's backend.

Each case gives the legacy source of one expression over inputs ``a`` and ``b``; the test
upgrades it with the real engine, evaluates both versions on seeded random data and
compares values and dtypes. Runs on the backend Keras is configured with (set
KERAS_BACKEND to cover jax, torch and tensorflow).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tests.codemods.conftest import upgrade_text

pytestmark = pytest.mark.backends

RNG = np.random.default_rng(0)
X3 = RNG.normal(size=(2, 3, 4)).astype("float32")

#: (id, legacy expression, a, b)
CASES: list[tuple[str, str, Any, Any]] = [
    (
        "batch_dot-2-1",
        "K.batch_dot(a, b, axes=(2, 1))",
        X3,
        RNG.normal(size=(2, 4, 5)).astype("float32"),
    ),
    (
        "batch_dot-2-2",
        "K.batch_dot(a, b, axes=[2, 2])",
        X3,
        RNG.normal(size=(2, 6, 4)).astype("float32"),
    ),
    (
        "batch_dot-1-1",
        "K.batch_dot(a, b, axes=(1, 1))",
        X3,
        RNG.normal(size=(2, 3, 5)).astype("float32"),
    ),
    (
        "batch_dot-int-2",
        "K.batch_dot(a, b, axes=2)",
        X3,
        RNG.normal(size=(2, 6, 4)).astype("float32"),
    ),
    ("constant-floatx", "K.constant(a)", np.arange(6.0).reshape(2, 3), None),
    ("constant-int-floatx", "K.constant(a)", np.arange(6).reshape(2, 3), None),
    ("variable-floatx", "K.eval(K.variable(a))", np.arange(3.0), None),
    ("shape-indexed", "K.cast(K.shape(a)[1], 'float32') * K.ones_like(a)", X3, None),
    ("relu-literals", "K.relu(a, 0.1, 0.5)", X3, None),
    ("relu-threshold", "K.relu(a, alpha=0.2, max_value=None, threshold=0.3)", X3, None),
    ("slice-sizes", "K.slice(a, (0, 1, 0), (2, 2, 3))", X3, None),
    ("ones-read-only", "K.sum(K.ones((2, 3)), axis=0) + K.sum(a)", X3, None),
    ("eye-read-only", "K.dot(a, K.eye(4))", X3, None),
    ("int-shape", "K.constant(K.int_shape(a))", X3, None),
]


class _LegacyBackend:
    """tf_keras's backend, plus ``slice`` (standalone Keras 2's ``K.slice`` was ``tf.slice``)."""

    def __init__(self) -> None:
        tf_keras = pytest.importorskip("tf_keras")
        self._backend = tf_keras.backend
        import tensorflow as tf

        self.slice = tf.slice

    def __getattr__(self, name: str) -> Any:
        return getattr(self._backend, name)


def _legacy(expression: str, a: Any, b: Any) -> np.ndarray:
    K = _LegacyBackend()  # the legacy spelling under test
    raw = expression.startswith(("K.constant", "K.eval(K.variable"))
    inputs = {
        "a": a if raw else K.constant(a, dtype=str(np.asarray(a).dtype)),
        "b": None if b is None else K.constant(b),
    }
    return np.asarray(K.eval(eval(expression, {"K": K, **inputs})))


def _upgraded(expression: str, a: Any, b: Any) -> tuple[str, np.ndarray]:
    keras = pytest.importorskip("keras")
    source = f"from keras import backend as K\nresult = {expression}\n"
    code = upgrade_text(source)
    assert upgrade_text(code) == code
    assert "K." not in code.split("result =", 1)[1], code  # rewritten, not flagged
    scope: dict[str, Any] = {"a": a, "b": b}
    exec(code, scope)
    return code, np.asarray(keras.ops.convert_to_numpy(scope["result"]))


@pytest.mark.parametrize(
    ("expression", "a", "b"), [pytest.param(e, a, b, id=i) for i, e, a, b in CASES]
)
def test_rewrite_equals_legacy(expression: str, a: Any, b: Any) -> None:
    expected = _legacy(expression, a, b)
    code, got = _upgraded(expression, a, b)
    assert got.shape == expected.shape, code
    assert got.dtype == expected.dtype, code
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6, err_msg=code)
