"""Shared test configuration: paths to the repository's fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@pytest.fixture(autouse=True)
def _close_weight_files():
    """Lazy weights keep HDF5 files open; close them after each test."""
    yield
    from keras_migrate.ir.weights import close_open_files

    close_open_files()
