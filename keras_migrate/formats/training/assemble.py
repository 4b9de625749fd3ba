"""Put a model's training state together from what any reader found.

A reader supplies the stored compile configuration (in whichever form its format keeps
it) and, when the file has one, the optimizer's positional arrays plus the legacy
trainable variables they follow. :func:`assemble_training` translates both; whatever cannot
be carried is not an error (the model itself converts): the state is dropped, and the
reason goes into :attr:`TrainingState.dropped` or the returned notes for the report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from keras_migrate.errors import UnsupportedError
from keras_migrate.formats.training.compile_args import translate_compile
from keras_migrate.formats.training.optimizers import family_of, plan_optimizer
from keras_migrate.formats.training.state import LegacyVariable, build_state
from keras_migrate.ir.graph import Model, flatten_structure
from keras_migrate.ir.training import TrainingState
from keras_migrate.ir.weights import ArraySource

__all__ = ["assemble_training", "not_carried", "output_layers"]


def output_layers(model: Model) -> tuple[list[str], dict[str, int | None]]:
    """The original names of the layers producing the model's outputs, in order, and
    each one's last dimension."""
    graph = model.graph
    names: list[str] = []
    units: dict[str, int | None] = {}
    for value_name in flatten_structure(graph.output_structure):
        value = graph.values[value_name]
        layer = graph.node(value.producer).layer if value.producer else value_name
        original = model.renamed.get(layer, layer)
        names.append(original)
        shape = value.type.shape if value.type is not None else ()
        units[original] = shape[-1] if shape else None
    return names, units


#: What malformed (fuzzed, hand-edited) training values raise while being translated.
_MALFORMED: tuple[type[Exception], ...] = (TypeError, ValueError, KeyError, AttributeError, OverflowError, IndexError)


def not_carried(model: Model, why: str) -> Model:
    """``model`` unchanged but for a provenance note saying why no training state."""
    return replace(model, provenance=model.provenance.with_note(f"training state not carried: {why}"))


def _reason(exc: UnsupportedError) -> str:
    """The note's text: what is not carried, and what to do when it names a way out."""
    return f"{exc.message} ({exc.hint})" if exc.hint else exc.message


def assemble_training(
    model: Model,
    *,
    optimizer: Mapping[str, Any] | None,
    compile_args: Mapping[str, Any],
    arrays: Sequence[ArraySource] | None,
    variables: Sequence[LegacyVariable] | None,
    path: str,
    source: str,
) -> Model:
    """``model`` with its training state (or a provenance note saying why none).

    ``optimizer``: ``{class_name, config}``; ``compile_args``: ``loss``, ``metrics``,
    ``weighted_metrics``, ``loss_weights`` as stored; ``arrays``/``variables``: the
    positional optimizer arrays and the legacy trainable variables (``None``: no state).
    """
    generation = model.provenance.generation or "keras2"
    if not isinstance(optimizer, Mapping) or not isinstance(optimizer.get("class_name"), str):
        return not_carried(model, "no optimizer configuration (a native TF optimizer?)")
    class_name = str(optimizer["class_name"])
    config = optimizer.get("config") if isinstance(optimizer.get("config"), Mapping) else {}
    assert isinstance(config, Mapping)
    outputs, units = output_layers(model)
    rename = {orig: new for new, orig in model.renamed.items()}
    try:
        plan = plan_optimizer(class_name, config, family_of(generation, class_name, config))
        compile_spec = translate_compile(compile_args, outputs, units, rename)
    except UnsupportedError as exc:
        return not_carried(model, _reason(exc))
    except _MALFORMED as exc:  # values of the wrong type: the state is optional, the model is not
        return not_carried(model, f"the training configuration is malformed ({type(exc).__name__}: {exc})"[:300])
    dropped: list[str] = []
    mode = compile_args.get("sample_weight_mode")
    if mode not in (None, "", {}, []):
        dropped.append(f"sample_weight_mode={mode!r}: Keras 3 takes sample weights of any rank without it")
    state = None
    notes: tuple[str, ...] = ()
    if arrays:
        if variables is None:
            dropped.append("optimizer state: the trainable variables it follows could not be identified")
        else:
            try:
                state, notes = build_state(plan, arrays, variables, model, path=path, source=source)
            except UnsupportedError as exc:
                dropped.append(f"optimizer state: {_reason(exc)}")
            except _MALFORMED as exc:
                dropped.append(f"optimizer state: malformed ({type(exc).__name__}: {exc})"[:300])
    else:
        dropped.append("optimizer state: the file holds none (the optimizer starts fresh)")
    spec = plan.spec
    if notes:
        spec = replace(spec, notes=spec.notes + notes)
    training = TrainingState(compile_spec, spec, state, tuple(dropped))
    return model.with_training(training)
