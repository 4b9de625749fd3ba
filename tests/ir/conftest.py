"""Kernel tests compare against Keras 3 on the JAX backend (set before keras is imported)."""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "jax")
