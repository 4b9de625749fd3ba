"""Training state of a tf.keras SavedModel: ``training_config`` metadata and the optimizer's
variables in ``variables/``.

The root object's Keras metadata JSON carries ``training_config`` (as the ``.h5``
attribute: ``optimizer_config``, loss, compiled metrics). The optimizer is checkpointed
with the model: tf_keras's new optimizers as ``optimizer/_iterations`` and
``optimizer/_variables/<i>`` (``i`` from 1, in ``optimizer.variables`` order: slots
interleaved per variable); ``OptimizerV2`` (``tf.keras.optimizers.legacy``) as
``optimizer/iter`` (plus ``optimizer/momentum_cache`` for Nadam) and one
``<variable>/.OPTIMIZER_SLOT/optimizer/<slot>`` entry per model variable and slot. Both are
arranged here in the positional layout the ``.h5`` form uses, so one parser serves all.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from keras_migrate.errors import KerasMigrateError, UnsupportedError
from keras_migrate.formats.tensorflow.bundle import BundleTensor, TensorBundle
from keras_migrate.formats.training.assemble import assemble_training
from keras_migrate.formats.training.keras_zip import trainable_variables
from keras_migrate.formats.training.optimizers import family_of, plan_optimizer
from keras_migrate.formats.training.state import LegacyVariable
from keras_migrate.ir.graph import Model
from keras_migrate.ir.weights import ArraySource

__all__ = ["read_savedmodel_training"]

_VALUE = "/.ATTRIBUTES/VARIABLE_VALUE"
#: Keras 3 slot name -> OptimizerV2 slot name, per optimizer.
_V2_SLOTS: Mapping[str, Mapping[str, str]] = {
    "sgd": {"momentum": "momentum"},
    "rmsprop": {"velocity": "rms", "momentum": "momentum", "average_gradient": "mg"},
    "adagrad": {"accumulator": "accumulator"},
    "adadelta": {"accumulated_grad": "accum_grad", "accumulated_delta_var": "accum_var"},
    "adam": {"momentum": "m", "velocity": "v", "velocity_hat": "vhat"},
    "adamax": {"momentum": "m", "norm": "v"},
    "nadam": {"momentum": "m", "velocity": "v"},
}


class _Keys:
    """A bundle's tensors by key, with the key set computed once."""

    def __init__(self, bundle: TensorBundle) -> None:
        self.bundle = bundle
        self.keys = frozenset(bundle.keys())


def _tensor(keys: _Keys, key: str) -> BundleTensor | None:
    return keys.bundle.tensor(key + _VALUE) if key + _VALUE in keys.keys else None


def _new_optimizer_arrays(bundle: _Keys) -> list[ArraySource] | None:
    it = _tensor(bundle, "optimizer/_iterations")
    if it is None:
        return None
    arrays: list[ArraySource] = [it]
    i = 1
    while (t := _tensor(bundle, f"optimizer/_variables/{i}")) is not None:
        arrays.append(t)
        i += 1
    return arrays


def _v2_arrays(bundle: _Keys, class_name: str, tokens: tuple[str, ...],
               variables: list[LegacyVariable]) -> list[ArraySource] | None:
    """The OptimizerV2 state in its ``.h5`` positional layout ``tokens``."""
    slot_names = _V2_SLOTS.get(class_name.lower())
    if slot_names is None:
        return None
    arrays: list[ArraySource] = []
    for token in tokens:
        if token in ("iter", "sched"):
            t = _tensor(bundle, "optimizer/iter" if token == "iter" else "optimizer/momentum_cache")
            if t is None:
                return None
            arrays.append(t)
            continue
        name = token.split(":", 1)[1]
        for v in variables:
            key = v.source.split("::", 1)[1]
            if not key.endswith(_VALUE) or name not in slot_names:
                return None
            t = _tensor(bundle, f"{key[: -len(_VALUE)]}/.OPTIMIZER_SLOT/optimizer/{slot_names[name]}")
            if t is None:
                return None
            arrays.append(t)
    return arrays


def read_savedmodel_training(model: Model, meta: Mapping[str, Any], prefix: str, *, path: str) -> Model:
    """``model`` with the training state of its SavedModel (unchanged when not compiled)."""
    cfg = meta.get("training_config")
    if not isinstance(cfg, Mapping):
        return model
    optimizer = cfg.get("optimizer_config")
    arrays: list[ArraySource] | None = None
    variables = trainable_variables(model)
    if isinstance(optimizer, Mapping) and isinstance(optimizer.get("class_name"), str) and variables is not None:
        class_name = str(optimizer["class_name"])
        config = optimizer.get("config") if isinstance(optimizer.get("config"), Mapping) else {}
        assert isinstance(config, Mapping)
        try:
            bundle = _Keys(TensorBundle(prefix))
            family = family_of(model.provenance.generation or "tf.keras", class_name, config)
            if family == "tf_new":
                arrays = _new_optimizer_arrays(bundle)
            else:
                plan = plan_optimizer(class_name, config, family)
                arrays = _v2_arrays(bundle, class_name.split(">")[-1], plan.layouts[0], variables)
        except (KerasMigrateError, UnsupportedError):
            arrays = None  # assemble_training says why the state is not carried
    return assemble_training(
        model,
        optimizer=optimizer if isinstance(optimizer, Mapping) else None,
        compile_args=cfg,
        arrays=arrays,
        variables=variables if arrays else None,
        path=path,
        source="SavedModel variables",
    )
