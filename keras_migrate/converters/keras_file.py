"""Emit a Keras 3 ``.keras`` archive (config, metadata, weights) or a bare ``.weights.h5``.

The archive is written without importing Keras: the config is serialized from the IR and
weights stream straight from the source file, so conversion costs roughly one read and one
write of the weights.
"""

from __future__ import annotations

import datetime
import json
import os
import tempfile
import zipfile
from collections.abc import Callable

from keras_migrate.converters._atomic import atomic_output
from keras_migrate.converters.keras3_config import model_config
from keras_migrate.converters.keras3_weights import write_weights_h5
from keras_migrate.ir.graph import Model

__all__ = ["KERAS_FORMAT_VERSION", "write_keras", "write_weights"]

#: The Keras version our archives claim compatibility with (the loader only logs it).
KERAS_FORMAT_VERSION = "3.15.1"


def write_weights(model: Model, out: str, *, on_weight: Callable[[int], None] | None = None) -> int:
    """Write ``model``'s weights as a Keras 3 ``.weights.h5`` file; returns bytes written."""
    with atomic_output(out, ".h5") as tmp:
        return write_weights_h5(model.graph, tmp, on_weight=on_weight)


def write_keras(model: Model, out: str, *, on_weight: Callable[[int], None] | None = None) -> int:
    """Write a complete ``.keras`` archive; returns the weight bytes written."""
    config = model_config(model.graph)
    metadata = {
        "keras_version": KERAS_FORMAT_VERSION,
        "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
        "converted_by": "keras-migrate",
        "source_format": model.provenance.source_format,
        "source_keras_version": model.provenance.keras_version,
    }
    parent = os.path.dirname(os.path.abspath(out)) or "."
    with atomic_output(out, ".keras") as tmp, tempfile.TemporaryDirectory(dir=parent, prefix=".keras-migrate-") as work:
        weights_path = os.path.join(work, "model.weights.h5")
        n = write_weights_h5(model.graph, weights_path, on_weight=on_weight)
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as zf:
            zf.writestr("metadata.json", json.dumps(metadata))
            zf.writestr("config.json", json.dumps(config))
            zf.write(weights_path, "model.weights.h5")
        return n
