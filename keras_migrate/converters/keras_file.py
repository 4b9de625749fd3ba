"""Emit a Keras 3 ``.keras`` archive (config, metadata, weights) or a bare ``.weights.h5``.

The archive is written without importing Keras: the config is serialized from the IR and
weights stream straight from the source file into the archive's ``model.weights.h5`` member,
never staged in a temporary ``.h5`` and copied. The archive is one file that HDF5 itself
writes first, with its native driver (no Python file object between HDF5 and the file), as
an HDF5 file whose first :data:`~keras_migrate.converters.stored_zip.HEAD_ROOM` bytes are a
*userblock*: the member's local zip header goes there afterwards, so the HDF5 file is the
stored member's bytes as they are (stripped of the userblock, an HDF5 file is still valid:
HDF5 finds its superblock at offset 0). ``metadata.json``, ``config.json`` and the central
directory are appended after HDF5 closes the file (member order does not matter to Keras 3
or ``zipfile``). The member's CRC-32 is taken from the arrays as they are written
(:class:`~keras_migrate.converters.stored_zip.RawCrc`), with only HDF5's
metadata read back, so conversion costs one read and one write of the weights.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable

from keras_migrate.converters.keras3_config import model_config
from keras_migrate.converters.keras3_training import plan_training
from keras_migrate.converters.keras3_weights import write_weights_h5
from keras_migrate.converters.output import atomic_output
from keras_migrate.converters.stored_zip import HEAD_ROOM, RawCrc, StoredZipWriter
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
    with atomic_output(out, ".keras") as tmp:
        raw_crc = RawCrc(HEAD_ROOM)
        n = write_weights_h5(model.graph, tmp, on_weight=on_weight, optimizer_variables=training.variables,
                             userblock_size=HEAD_ROOM, raw_crc=raw_crc)
        with open(tmp, "r+b") as raw:
            zf = StoredZipWriter(raw)
            zf.adopt_head_member("model.weights.h5", HEAD_ROOM, raw_crc.log)
            zf.writestr("metadata.json", json.dumps(metadata).encode())
            zf.writestr("config.json", json.dumps(config).encode())
            zf.close()
        return n
