"""Shared test configuration: paths to the repository's fixtures."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

#: tests.conversion._backend_runs.JAX_CACHE_ENV (not imported here: tests/fuzz forks, and
#: this file must not make it import numpy first).
JAX_CACHE_ENV = "KERAS_MIGRATE_TEST_JAX_CACHE"
#: Set by this process when it made the session's JAX compilation cache (and so removes it).
_OWN_JAX_CACHE: list[str] = []


def pytest_configure(config: pytest.Config) -> None:
    """One JAX compilation cache for the whole session (tests/conversion/_backend_runs.py):
    made by the controlling process before xdist starts its workers, which inherit it."""
    if not os.environ.get(JAX_CACHE_ENV):
        os.environ[JAX_CACHE_ENV] = tempfile.mkdtemp(prefix="keras-migrate-test-jax-cache-")
        _OWN_JAX_CACHE.append(os.environ[JAX_CACHE_ENV])


def pytest_unconfigure(config: pytest.Config) -> None:
    for path in _OWN_JAX_CACHE:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(autouse=True)
def _close_weight_files():
    """Lazy weights keep HDF5 files open; close them after each test."""
    yield
    from keras_migrate.ir.weights import close_open_files

    close_open_files()
