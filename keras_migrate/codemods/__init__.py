"""Codemods that move Keras 1, standalone Keras 2 and tf.keras code to Keras 3.

The package is split so that importing it is cheap: nothing here imports libcst, keras or a
backend at module level; :mod:`keras_migrate.codemods.cli` registers the ``upgrade`` command
and pulls in the engine only when the command runs.
"""

from __future__ import annotations

__all__: list[str] = []
