"""keras-migrate: move legacy Keras models and code to Keras 3, with proof.

The library API is :func:`load`, :func:`convert` and :func:`verify` with the report
:class:`ConversionReport` (defined in :mod:`keras_migrate.api`; see docs/api.md): the
pipeline the ``keras-migrate`` command runs.

Importing this package is cheap: it never imports Keras, a framework or numpy (the API
imports the pipeline when called), nor the API module itself until one of its names is
first used (:func:`__getattr__`). It does arrange that, as soon as Keras is imported
(before or after this package), the compat layers that converted models may need are
registered with Keras' serialization, so ``keras.saving.load_model("converted.keras")``
works after ``import keras_migrate``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from keras_migrate.compat import install_hook

if TYPE_CHECKING:
    from keras_migrate import api as api
    from keras_migrate.api import ConversionReport as ConversionReport
    from keras_migrate.api import convert as convert
    from keras_migrate.api import load as load
    from keras_migrate.api import verify as verify

__all__ = ["ConversionReport", "__version__", "convert", "load", "verify"]

__version__ = "0.1.0"

#: Names taken from :mod:`keras_migrate.api` on first use (PEP 562): commands that never
#: call the API (``upgrade``, ``--help``) do not import it.
_API_NAMES = frozenset({"ConversionReport", "convert", "load", "verify"})


def __getattr__(name: str) -> Any:
    if name in _API_NAMES or name == "api":
        api = importlib.import_module("keras_migrate.api")  # not `from . import`: that asks this hook again
        value = api if name == "api" else getattr(api, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__, "api"})


install_hook()
