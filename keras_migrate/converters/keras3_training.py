"""The training state in Keras 3's ``.keras`` terms: ``compile_config`` and ``optimizer/vars``.

``keras.saving.load_model`` compiles a model whose ``config.json`` has a top-level
``compile_config`` (``compile_from_config``), builds the optimizer on the model's trainable
variables, then loads ``model.weights.h5`` group ``optimizer/vars`` positionally (a count
mismatch is skipped with a warning, leaving a fresh optimizer). This module computes both
from the IR without Keras:

* the optimizer variables in Keras 3's order: ``iteration``, ``learning_rate`` (only when it
  is a number, not a schedule), then each slot group (names interleaved per variable, the
  variables in ``model.trainable_variables`` order), then trailing scalars;
* every slot is checked against its variable (same key, same shape; a re-layout the
  layout pass added to the weight after reading is applied to the slot too), so a state
  that does not fit is dropped with a reason, never written wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from keras_migrate.converters.keras3_weights import weight_slots
from keras_migrate.ir.graph import COMPAT_PREFIX, Graph, Model
from keras_migrate.ir.training import OptimizerSpec, TrainingState, variable_key
from keras_migrate.ir.weights import Weight

__all__ = ["COMPAT_OPTIMIZER_MODULE", "TrainingPlan", "optimizer_object", "plan_training", "trainable_keys"]

#: Module defining the compat optimizers (recorded in configs, for readers' benefit).
COMPAT_OPTIMIZER_MODULE = "keras_migrate.compat._optimizers"


@dataclass(frozen=True, slots=True)
class TrainingPlan:
    """What a writer emits for a model's training state."""

    #: Keras 3 ``compile_config`` (``None``: write none, the model loads uncompiled).
    compile_config: Mapping[str, Any] | None
    #: ``optimizer/vars`` datasets in order (``None``: none, the optimizer starts fresh).
    variables: tuple[Weight, ...] | None
    #: One line each: what was carried and what was not.
    notes: tuple[str, ...]


def optimizer_object(spec: OptimizerSpec) -> dict[str, Any]:
    """The serialized Keras 3 optimizer (``{module, class_name, config, registered_name}``)."""
    config = dict(spec.config)
    if spec.type.startswith(COMPAT_PREFIX):
        name = spec.type[len(COMPAT_PREFIX):]
        return {"module": COMPAT_OPTIMIZER_MODULE, "class_name": name, "config": config,
                "registered_name": spec.type}
    return {"module": "keras.optimizers", "class_name": spec.type, "config": config, "registered_name": None}


def _compile_config(training: TrainingState) -> dict[str, Any]:
    c = training.compile
    return {
        "optimizer": optimizer_object(training.optimizer),
        "loss": c.loss,
        "loss_weights": c.loss_weights,
        "metrics": c.metrics,
        "weighted_metrics": c.weighted_metrics,
        "run_eagerly": False,
        "steps_per_execution": 1,
        "jit_compile": False,
    }


def trainable_keys(graph: Graph) -> list[tuple[str, Weight]]:
    """``(variable key, weight)`` of every trainable weight, in Keras 3's
    ``model.trainable_variables`` order (the saving walk, non-trainable ones left out)."""
    owner: dict[int, tuple[str, bool]] = {}
    for path, layer in graph.walk_layers():
        for w in layer.weights:
            owner[id(w)] = (variable_key(path, w.name), layer.trainable and w.trainable)
    out: list[tuple[str, Weight]] = []
    for slot in weight_slots(graph):
        for w in slot.weights:
            key, trainable = owner.get(id(w), ("", False))
            if trainable and key:
                out.append((key, w))
    return out


def _follow(slot: Weight, weight: Weight) -> Weight | None:
    """``slot`` re-laid out as ``weight`` now is (transforms added after reading), or None."""
    have = slot.transforms
    if weight.transforms[: len(have)] != have:
        return None
    out = slot.then(*weight.transforms[len(have):])
    return out if out.shape == weight.shape else None


def _scalar(name: str, value: Any, dtype: str) -> Weight:
    return Weight.of(name, np.asarray(value, dtype=dtype))


def plan_training(model: Model) -> TrainingPlan:
    """The compile config and optimizer variables to write for ``model`` (see module doc)."""
    training = model.training
    if training is None:
        return TrainingPlan(None, None, ())
    notes = [f"training: compiled with {training.optimizer.type} ({training.optimizer.origin_class} in the source)"]
    notes += [f"training: {n}" for n in training.optimizer.notes]
    notes += [f"training not carried: {d}" for d in training.dropped]
    state = training.state
    if state is None:
        return TrainingPlan(_compile_config(training), None, tuple(notes))
    variables: list[Weight] = [_scalar("iteration", state.iterations, "int64")]
    if training.optimizer.has_learning_rate_variable:
        variables.append(_scalar("learning_rate", training.optimizer.config.get("learning_rate", 0.001), "float32"))
    order = trainable_keys(model.graph)
    problem = None
    for group in state.groups:
        for key, weight in order:
            for name in group.names:
                slot = group.slots.get(name, {}).get(key)
                followed = None if slot is None else _follow(slot, weight)
                if followed is None:
                    problem = f"no {name!r} slot fits variable {key!r}"
                    break
                variables.append(followed)
            if problem:
                break
        if problem:
            break
    known = {key for key, _ in order}
    stray = sorted({k for _, k, _ in state.slot_weights()} - known)
    if problem is None and stray:
        problem = f"slots for variables the converted model does not train: {', '.join(stray[:3])}"
    if problem is not None:
        notes.append(f"training not carried: optimizer state ({problem}); the optimizer starts fresh")
        return TrainingPlan(_compile_config(training), None, tuple(notes))
    variables.extend(state.trailing)
    slots = sum(1 for _ in state.slot_weights())
    notes.append(f"training: optimizer state carried (step {state.iterations}, {slots} slot arrays from "
                 f"{state.source or 'the source'})")
    return TrainingPlan(_compile_config(training), tuple(variables), tuple(notes))
