"""Training state: the compile configuration and the optimizer's state, in Keras 3 terms.

A legacy file saved from a compiled model holds more than inference: how it was compiled
(optimizer, losses, metrics, loss weights) and the optimizer's state (step count and
per-variable slots such as Adam's moments). Readers translate both into these records so
a converted ``.keras`` file loads *compiled* and resumes training where it stopped.

Semantics are Keras 3's, like the rest of the IR: :class:`OptimizerSpec` holds the Keras 3
optimizer class (a built-in, or a compat optimizer ``keras_migrate>Name`` where Keras 3's
update rule differs) and its constructor arguments; :class:`OptimizerState` holds the
slots keyed by the model variable they belong to (``layer name/weight name``), so a writer
orders them as Keras 3 will (by its ``trainable_variables``), never by the legacy file's
order. Slot arrays are lazy :class:`~keras_migrate.ir.weights.Weight` references, so they
stream from the source file like the model's weights.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from keras_migrate.ir.weights import Weight

__all__ = [
    "CompileSpec",
    "OptimizerSpec",
    "OptimizerState",
    "SlotGroup",
    "TrainingState",
    "format_training",
    "training_summary",
    "variable_key",
]


def variable_key(layer: str, weight: str) -> str:
    """The key a slot is filed under: the owning layer's IR name and the weight's name."""
    return f"{layer}/{weight}"


@dataclass(frozen=True, slots=True)
class OptimizerSpec:
    """The Keras 3 optimizer that reproduces the legacy one's update rule.

    ``type`` is a Keras 3 optimizer class name (``Adam``) or a compat optimizer
    (``keras_migrate>Keras2Nadam``); ``config`` its constructor arguments, where
    ``learning_rate`` is a number or a serialized Keras 3 schedule (legacy ``decay``
    becomes ``InverseTimeDecay``). ``origin_*`` keep what the file said, for reports.
    """

    type: str
    config: Mapping[str, Any]
    origin_class: str = ""
    origin_config: Mapping[str, Any] = field(default_factory=dict)
    #: How the Keras 3 rule relates to the original's (empty: the same algebra).
    notes: tuple[str, ...] = ()

    @property
    def has_learning_rate_variable(self) -> bool:
        """Keras 3 keeps a ``learning_rate`` variable only for a plain number (a schedule
        adds none), and saves it second, after ``iteration``."""
        return not isinstance(self.config.get("learning_rate", 0.001), Mapping)


@dataclass(frozen=True, slots=True)
class CompileSpec:
    """``compile()`` arguments in Keras 3 spelling (strings resolved, per-output kept)."""

    loss: Any = None
    metrics: Any = None
    weighted_metrics: Any = None
    loss_weights: Any = None


@dataclass(frozen=True, slots=True)
class SlotGroup:
    """Slots Keras 3 creates in ONE ``add_optimizer_variables`` call: for each model
    variable in order, one variable per name in ``names`` (interleaved per variable).

    ``slots[name][key]`` is the array for model variable ``key`` (see :func:`variable_key`).
    A key missing from a name's mapping is a slot the source did not hold (the writer
    then refuses rather than invent state).
    """

    names: tuple[str, ...]
    slots: Mapping[str, Mapping[str, Weight]]


@dataclass(frozen=True, slots=True)
class OptimizerState:
    """Where the optimizer stopped: the step count, per-variable slot groups in Keras 3's
    creation order, and trailing scalars (e.g. Nadam's ``u_product``)."""

    iterations: int
    groups: tuple[SlotGroup, ...] = ()
    trailing: tuple[Weight, ...] = ()
    #: Where the state came from (``optimizer_weights``, ``optimizer/vars``...), for reports.
    source: str = ""
    #: ``False`` when the file did not store the step count (Keras 1 and 2.0-2.2 RMSprop,
    #: Adagrad, Adadelta): ``iterations`` is then 0 unless the user gave it.
    iterations_stored: bool = True

    def slot_weights(self) -> Iterator[tuple[str, str, Weight]]:
        """Every stored slot as ``(slot name, variable key, weight)``."""
        for group in self.groups:
            for name in group.names:
                for key, w in group.slots.get(name, {}).items():
                    yield name, key, w


@dataclass(frozen=True, slots=True)
class TrainingState:
    """How the model was compiled and where its optimizer stopped.

    ``state`` is ``None`` when the file held a compile configuration but no optimizer
    state; ``dropped`` says, one line each, what the file held that could not be carried.
    """

    compile: CompileSpec
    optimizer: OptimizerSpec
    state: OptimizerState | None = None
    dropped: tuple[str, ...] = ()


def training_summary(training: TrainingState) -> dict[str, Any]:
    """A JSON-ready description (``inspect --json``): compile arguments, the optimizer, and
    the state's step count and slot shapes (never the arrays themselves)."""
    out: dict[str, Any] = {
        "optimizer": {"type": training.optimizer.type, "config": dict(training.optimizer.config),
                      "source_class": training.optimizer.origin_class,
                      "source_config": dict(training.optimizer.origin_config),
                      "notes": list(training.optimizer.notes)},
        "loss": training.compile.loss,
        "metrics": training.compile.metrics,
        "weighted_metrics": training.compile.weighted_metrics,
        "loss_weights": training.compile.loss_weights,
        "state": None,
        "not_carried": list(training.dropped),
    }
    state = training.state
    if state is not None:
        out["state"] = {
            "iterations": state.iterations,
            "iterations_stored": state.iterations_stored,
            "source": state.source,
            "slots": [{"slot": name, "variable": key, "shape": list(w.shape)} for name, key, w in state.slot_weights()],
            "trailing": [{"name": w.name, "shape": list(w.shape)} for w in state.trailing],
        }
    return out


def format_training(training: TrainingState, indent: str = "  ") -> list[str]:
    """Lines for the text printer: compile arguments, optimizer, state shapes."""
    c, o = training.compile, training.optimizer
    lines = [f"{indent}training: optimizer {o.type} {dict(o.config)} (source: {o.origin_class})"]
    lines.append(f"{indent}  loss={c.loss!r} metrics={c.metrics!r} loss_weights={c.loss_weights!r}"
                 + (f" weighted_metrics={c.weighted_metrics!r}" if c.weighted_metrics else ""))
    lines += [f"{indent}  note: {n}" for n in o.notes]
    state = training.state
    if state is not None:
        stored = "" if state.iterations_stored else " (not stored; 0 unless given)"
        lines.append(f"{indent}  state: step {state.iterations}{stored}, from {state.source}")
        for name, key, w in state.slot_weights():
            lines.append(f"{indent}    {name:<22} {key:<40} {w.shape}")
        for w in state.trailing:
            lines.append(f"{indent}    {w.name:<22} {'(scalar)':<40} {w.shape}")
    lines += [f"{indent}  not carried: {d}" for d in training.dropped]
    return lines
