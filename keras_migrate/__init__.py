"""keras-migrate: move legacy Keras models and code to Keras 3, with proof.

Importing this package is cheap: it never imports Keras or a framework. It does arrange
that, as soon as Keras is imported (before or after this package), the compat layers that
converted models may need are registered with Keras' serialization, so
``keras.saving.load_model("converted.keras")`` works after ``import keras_migrate``.
"""

from __future__ import annotations

import sys

__all__ = ["__version__"]

__version__ = "0.1.0"


def _install_compat_hook() -> None:
    if sys.modules.get("keras") is not None:
        from keras_migrate.compat import register

        register()
    else:
        from keras_migrate.compat._hook import install

        install()


_install_compat_hook()
