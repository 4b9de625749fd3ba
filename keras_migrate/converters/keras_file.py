"""Emit a Keras 3 ``.keras`` archive (config, metadata, weights) or a bare ``.weights.h5``.

The archive is written without importing Keras: the config is serialized from the IR and
weights stream straight from the source file into the archive's ``model.weights.h5`` member
(stored, written in place through :mod:`~keras_migrate.converters.stored_zip`, never staged
in a temporary ``.h5`` and copied), so conversion costs one read and one write of the
weights, plus a read-back of the member for its CRC-32.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable

from keras_migrate.converters.keras3_config import model_config
from keras_migrate.converters.keras3_training import plan_training
from keras_migrate.converters.keras3_weights import write_weights_h5
from keras_migrate.converters.output import atomic_output
from keras_migrate.converters.stored_zip import StoredZipWriter
from keras_migrate.converters.user_objects import with_user_objects
from keras_migrate.ir.graph import Model
from keras_migrate.ir.keras3_api import KERAS_VERSION

__all__ = ["KERAS_FORMAT_VERSION", "write_keras", "write_weights"]

#: The Keras version our archives claim compatibility with (the loader only logs it).
KERAS_FORMAT_VERSION = KERAS_VERSION


def write_weights(model: Model, out: str, *, on_weight: Callable[[int], None] | None = None) -> int:
    """Write ``model``'s weights as a Keras 3 ``.weights.h5`` file; returns bytes written."""
    with atomic_output(out, ".h5") as tmp:
        return write_weights_h5(model.graph, tmp, on_weight=on_weight)


def write_keras(model: Model, out: str, *, on_weight: Callable[[int], None] | None = None) -> int:
    """Write a complete ``.keras`` archive; returns the weight bytes written."""
    config = with_user_objects(model_config(model.graph), model.user_code)
    training = plan_training(model)
    if training.compile_config is not None:
        config["compile_config"] = dict(training.compile_config)
    metadata = {
        "keras_version": KERAS_FORMAT_VERSION,
        "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
        "converted_by": "keras-migrate",
        "source_format": model.provenance.source_format,
        "source_keras_version": model.provenance.keras_version,
    }
    with atomic_output(out, ".keras") as tmp, open(tmp, "w+b") as raw:
        zf = StoredZipWriter(raw)
        zf.writestr("metadata.json", json.dumps(metadata).encode())
        zf.writestr("config.json", json.dumps(config).encode())
        with zf.open_member("model.weights.h5") as member:
            n = write_weights_h5(model.graph, member, on_weight=on_weight,
                                 optimizer_variables=training.variables)
        zf.close()
        return n
