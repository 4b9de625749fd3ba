"""keras-migrate: move legacy Keras models and code to Keras 3, with proof.

The library API is :func:`load`, :func:`convert` and :func:`verify` with the report
:class:`ConversionReport` (defined in :mod:`keras_migrate.api`; see docs/api.md): the
pipeline the ``keras-migrate`` command runs.

Importing this package is cheap: it never imports Keras, a framework or numpy (the API
imports the pipeline when called). It does arrange that, as soon as Keras is imported
(before or after this package), the compat layers that converted models may need are
registered with Keras' serialization, so ``keras.saving.load_model("converted.keras")``
works after ``import keras_migrate``.
"""

from __future__ import annotations

from keras_migrate.api import ConversionReport, convert, load, verify
from keras_migrate.compat import install_hook

__all__ = ["ConversionReport", "__version__", "convert", "load", "verify"]

__version__ = "0.1.0"

install_hook()
