"""The harness forks its workers: that is only safe before a multithreaded framework is imported.

``make test`` runs this folder in a process of its own, first. A run that has already imported
JAX, TensorFlow or torch (e.g. a plain ``pytest`` over the whole tree) fails here with that
advice rather than with fork warnings from inside the frameworks.
"""

from __future__ import annotations

import sys

import pytest

_FRAMEWORKS = ("jax", "tensorflow", "torch")


@pytest.fixture(autouse=True)
def _fork_safe() -> None:
    loaded = [m for m in _FRAMEWORKS if m in sys.modules]
    if loaded:
        pytest.fail(
            f"tests/fuzz forks, but this process already imported {', '.join(loaded)}: "
            "run it on its own, as `make test` does (pytest -p no:xdist tests/fuzz)"
        )
