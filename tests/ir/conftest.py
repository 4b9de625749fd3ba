"""Kernel tests compare against Keras 3 on the JAX backend (set before keras is imported)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")


def _jax_keras() -> bool:
    try:
        import keras
    except ImportError:
        return False
    return bool(keras.backend.backend() == "jax")


@pytest.fixture
def cheap_keras_init(monkeypatch: pytest.MonkeyPatch) -> None:
    """Create Keras variables as zeros instead of running random initializers.

    JAX compiles each initializer for each new shape (~0.7 s apiece); every test
    randomizes the weights itself afterwards, so the initial values never matter.
    """
    if not _jax_keras():
        return
    from keras.src.backend.jax.core import Variable

    def zeros_init(self: Variable, initializer: object) -> None:
        self._initialize(self._convert_to_tensor(np.zeros(self._shape, dtype=self._dtype)))

    monkeypatch.setattr(Variable, "_initialize_with_initializer", zeros_init)


@pytest.fixture
def no_jit() -> Iterator[None]:
    """Run Keras op by op: recurrent layers otherwise compile a fresh ``lax.scan`` per test,
    while eager primitives are compiled once and reused across tests."""
    if not _jax_keras():
        yield
        return
    import jax

    with jax.disable_jit():
        yield
