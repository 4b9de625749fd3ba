"""Backend-agnostic Keras 3 layers for legacy layers Keras 3 lacks, written with keras.ops.

Each class is registered as serializable under the ``keras_migrate`` package, so a
converted ``.keras`` file that uses one loads with ``safe_mode=True`` once
``keras_migrate`` is imported. Import of this package is cheap; the layer classes are
defined (and Keras imported) only by :func:`register`.
"""

from __future__ import annotations

__all__ = ["compat_names", "register"]

_REGISTERED = False


def register() -> None:
    """Define and register every compat layer and activation with Keras (idempotent)."""
    global _REGISTERED
    if _REGISTERED:
        return
    _REGISTERED = True
    from keras_migrate.compat import (
        _attention,  # noqa: F401  (registers on import)
        _keras1,  # noqa: F401  (registers on import)
        _layers,  # noqa: F401  (registers on import)
        _preprocessing,  # noqa: F401  (registers on import)
        _tfkeras,  # noqa: F401  (registers on import)
    )


def compat_names() -> frozenset[str]:
    """Registered names (``keras_migrate>Name``) of every compat object."""
    from keras_migrate.compat._names import NAMES

    return NAMES
