"""Backend-agnostic Keras 3 layers for legacy layers Keras 3 lacks, written with keras.ops.

Each class is registered as serializable under the ``keras_migrate`` package, so a
converted ``.keras`` file that uses one loads with ``safe_mode=True`` once
``keras_migrate`` is imported. Import of this package is cheap; the layer classes are
defined (and Keras imported) only by :func:`register`.
"""

from __future__ import annotations

import importlib
import sys

__all__ = ["MODULES", "compat_names", "install_hook", "register"]

#: Modules that define compat objects. Importing one defines and registers its objects;
#: generated Python code copies an object's source from the first module defining it.
MODULES = (
    "keras_migrate.compat._layers",
    "keras_migrate.compat._keras1",
    "keras_migrate.compat._tfkeras",
    "keras_migrate.compat._attention",
    "keras_migrate.compat._preprocessing",
    "keras_migrate.compat._augment",
    "keras_migrate.compat._optimizers",
    "keras_migrate.compat._user",
)

_REGISTERED = False


def register() -> None:
    """Define and register every compat layer and activation with Keras (idempotent)."""
    global _REGISTERED
    if _REGISTERED:
        return
    _REGISTERED = True
    for module in MODULES:
        importlib.import_module(module)  # registers on import


def install_hook() -> None:
    """Register the compat objects as soon as Keras is imported, without importing it.

    If Keras is already imported they are registered now; otherwise an import hook
    registers them the moment ``import keras`` finishes (idempotent either way).
    """
    if sys.modules.get("keras") is not None:
        register()
    else:
        from keras_migrate.compat._hook import install

        install(register)


def compat_names() -> frozenset[str]:
    """Registered names (``keras_migrate>Name``) of every compat object."""
    from keras_migrate.compat._names import NAMES

    return NAMES
