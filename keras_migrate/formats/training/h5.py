"""Training state of an HDF5 model: the ``training_config`` attribute and ``optimizer_weights``.

Keras 1, Keras 2, tf.keras and tf_keras all write ``training_config`` (JSON:
``optimizer_config`` plus loss, metrics, loss weights) and the group ``optimizer_weights``
(attribute ``weight_names``, one dataset per name, in ``optimizer.weights`` order; loaded
positionally). The slots follow the model's trainable variables in the order the legacy
model collected them: layer by layer as ``layer_names`` lists them, each layer's weights
as its group lists them, non-trainable ones skipped. Nothing large is read here: the
slots stay lazy references into the file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Protocol

from keras_migrate.errors import KerasMigrateError
from keras_migrate.formats.architecture import parse_json
from keras_migrate.formats.hdf5 import attr_names, attr_text, dataset, group, guarded, open_h5
from keras_migrate.ir.weights import ArraySource, H5Dataset, Weight

# The training-state machinery (optimizer plans, slot mapping, the TF bundle reader:
# ~6 ms of imports) is imported only for a file that holds a training_config.
if TYPE_CHECKING:
    from keras_migrate.formats.training.state import LegacyVariable
    from keras_migrate.ir.graph import Model

__all__ = ["H5LayerWeights", "legacy_variables", "read_h5_training"]


class H5LayerWeights(Protocol):
    """What is needed of a weights group (:class:`keras_migrate.formats.keras2.h5.H5Weights`)."""

    @property
    def layer_names(self) -> Sequence[str]: ...

    @property
    def layers(self) -> Mapping[str, Sequence[Weight]]: ...


def legacy_variables(model: Model, weights: H5LayerWeights) -> list[LegacyVariable] | None:
    """The legacy model's trainable variables in its optimizer's order; ``None`` when a
    stored weight belongs to no converted weight (the mapping would be a guess)."""
    from keras_migrate.formats.training.state import (
        LegacyVariable,
        ir_variables_by_source,
        source_id,
    )

    by_source = ir_variables_by_source(model)
    out: list[LegacyVariable] = []
    for name in weights.layer_names:
        for w in weights.layers.get(name, []):
            sid = source_id(w.source)
            entry = by_source.get(sid) if sid is not None else None
            if entry is None:
                return None
            if entry[2]:
                out.append(LegacyVariable(sid or "", tuple(w.source.shape)))
    return out


def read_h5_training(path: str, model: Model, weights: H5LayerWeights) -> Model:
    """``model`` with the training state the HDF5 file at ``path`` holds (unchanged if
    the file holds no ``training_config``)."""
    with open_h5(path) as f:
        try:
            text = attr_text(f, "training_config", path)
        except KerasMigrateError as exc:  # the training state is optional: the model still converts
            from keras_migrate.formats.training.assemble import not_carried

            return not_carried(model, f"training_config is unreadable ({exc.message})")
        if text is None:
            return model
        from keras_migrate.formats.training.assemble import assemble_training, not_carried

        try:
            cfg = parse_json(text, path, "training_config")
        except KerasMigrateError as exc:
            return not_carried(model, f"training_config is not valid JSON ({exc.message})")
        og = group(f, "optimizer_weights", path, what="group 'optimizer_weights'")
        arrays: list[ArraySource] | None = None
        if og is not None:
            arrays = []
            for wn in attr_names(og, "weight_names", path) or []:
                ds = dataset(og, wn, path, what=f"optimizer weight {wn!r}")
                if ds is None:
                    arrays = None
                    break
                with guarded(path, f"optimizer weight {wn!r}"):
                    arrays.append(H5Dataset(os.path.abspath(path), ds.name, tuple(ds.shape), str(ds.dtype)))
    if not isinstance(cfg, Mapping):
        return model
    optimizer = cfg.get("optimizer_config")
    return assemble_training(
        model,
        optimizer=optimizer if isinstance(optimizer, Mapping) else None,
        compile_args=cfg,
        arrays=arrays,
        variables=legacy_variables(model, weights) if arrays else None,
        path=path,
        source="optimizer_weights",
    )
