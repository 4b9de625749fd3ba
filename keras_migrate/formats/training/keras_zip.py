"""Training state of a ``.keras`` archive (tf_keras 2.13+ or Keras 3).

``config.json`` has a top-level ``compile_config`` (the user's ``compile()`` arguments:
the optimizer serialized or as a string, losses, metrics, loss weights), and
``model.weights.h5`` a group ``optimizer/vars`` (datasets ``0``, ``1``... in
``optimizer.variables`` order: tf_keras's new optimizers write the step count and the
slots interleaved per variable; its legacy optimizers write nothing there). The slots
follow ``model.trainable_variables``: layer by layer in the config's order.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from keras_migrate.formats.training.assemble import assemble_training
from keras_migrate.formats.training.state import LegacyVariable, source_id
from keras_migrate.ir.graph import Model
from keras_migrate.ir.weights import ArraySource, Concat, H5Dataset, Weight

__all__ = ["read_zip_training", "trainable_variables"]

#: ``compile(optimizer="adam")`` spellings -> class names.
_OPTIMIZER_STRINGS = {"sgd": "SGD", "rmsprop": "RMSprop", "adagrad": "Adagrad", "adadelta": "Adadelta",
                      "adam": "Adam", "adamw": "AdamW", "adamax": "Adamax", "nadam": "Nadam", "ftrl": "Ftrl"}


def _leaves(w: Weight) -> list[ArraySource]:
    if isinstance(w.source, Concat):
        return [leaf for part in w.source.parts for leaf in _leaves(part)]
    return [w.source]


def trainable_variables(model: Model) -> list[LegacyVariable] | None:
    """The model's trainable variables in ``model.trainable_variables`` order (layers in
    config order, nested models depth first); ``None`` if one is not a stored array."""
    out: list[LegacyVariable] = []
    for _, layer in model.graph.walk_layers():
        if not layer.trainable:
            continue
        for w in layer.weights:
            if not w.trainable:
                continue
            for leaf in _leaves(w):
                sid = source_id(leaf)
                if sid is None:
                    return None
                out.append(LegacyVariable(sid, tuple(leaf.shape)))
    return out


def _optimizer(value: Any, generation: str) -> Mapping[str, Any] | None:
    if isinstance(value, str):
        name = _OPTIMIZER_STRINGS.get(value.lower())
        if name is None:
            return None
        # A string means the library's default optimizer of that name, with defaults.
        return {"class_name": name, "config": {"is_legacy_optimizer": False} if generation != "keras3" else {}}
    if isinstance(value, Mapping) and isinstance(value.get("class_name"), str):
        return value
    return None


def read_zip_training(model: Model, config: Mapping[str, Any], weights_h5: str | None, *, path: str) -> Model:
    """``model`` with the training state of its archive (unchanged when not compiled)."""
    compile_config = config.get("compile_config")
    if not isinstance(compile_config, Mapping) or not compile_config:
        return model
    arrays: list[ArraySource] = []
    if weights_h5 is not None:
        from keras_migrate.formats.hdf5 import guarded, open_h5

        with open_h5(weights_h5) as f, guarded(path, "the optimizer variables in model.weights.h5"):
            group = f.get("optimizer/vars")
            if group is not None and hasattr(group, "keys"):
                keys = sorted((k for k in group if k.isdigit()), key=int)
                for k in keys:
                    ds = group.get(k)
                    if ds is None or not hasattr(ds, "shape") or ds.is_virtual or ds.external:
                        arrays = []  # not a plain dataset of this file: the state is not carried
                        break
                    arrays.append(H5Dataset(weights_h5, ds.name, tuple(ds.shape), str(ds.dtype)))
    return assemble_training(
        model,
        optimizer=_optimizer(compile_config.get("optimizer"), model.provenance.generation),
        compile_args=compile_config,
        arrays=arrays or None,
        variables=trainable_variables(model) if arrays else None,
        path=path,
        source="optimizer/vars",
    )
