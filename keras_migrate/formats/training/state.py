"""Legacy optimizer weights (a positional list) -> Keras 3 slot groups keyed by model variable.

Legacy optimizers save their variables as one flat list (``optimizer.weights``): the step
count, maybe a schedule scalar, then per-variable slots in the order of the model's
trainable variables *as the legacy software collected them*. :func:`build_state` parses
that list with the optimizer's candidate layouts (:mod:`.optimizers`) and files each slot
under the IR weight it belongs to, found through the source array the IR weight was read
from. A slot gets the same re-layout as its weight (:func:`rebase`: a Keras 1 LSTM's
concatenated gates, a transposed kernel), so it matches the converted variable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from keras_migrate.errors import UnsupportedError
from keras_migrate.formats.tensorflow.bundle import BundleTensor
from keras_migrate.formats.training.optimizers import OptimizerPlan
from keras_migrate.ir.graph import Model
from keras_migrate.ir.training import OptimizerState, SlotGroup, variable_key
from keras_migrate.ir.weights import ArraySource, Concat, H5Dataset, Weight

__all__ = ["LegacyVariable", "build_state", "ir_variables_by_source", "rebase", "source_id"]

_HINT = "use --inference-only to convert without the optimizer state"


def source_id(source: ArraySource) -> str | None:
    """A stable id of a stored array (HDF5 file + dataset, tensor-bundle shard + key), or
    ``None`` for derived data."""
    if isinstance(source, H5Dataset):
        return f"{source.file}::{source.dataset}"
    if isinstance(source, BundleTensor):
        return f"{source.file}::{source.key}"
    return None


def _leaves(w: Weight) -> list[ArraySource]:
    if isinstance(w.source, Concat):
        return [leaf for part in w.source.parts for leaf in _leaves(part)]
    return [w.source]


def rebase(w: Weight, replace: Mapping[str, ArraySource]) -> Weight | None:
    """``w`` with every stored leaf array replaced by ``replace[source_id(leaf)]``, keeping
    every transform; ``None`` if a leaf has no replacement (or a shape differs)."""
    source = w.source
    if isinstance(source, Concat):
        parts = [rebase(p, replace) for p in source.parts]
        if any(p is None for p in parts):
            return None
        new: ArraySource = Concat(tuple(p for p in parts if p is not None), source.axis)
    else:
        sid = source_id(source)
        if sid is None or sid not in replace:
            return None
        new = replace[sid]
        if tuple(new.shape) != tuple(source.shape):
            return None
    return Weight(w.name, new, w.transforms, w.trainable, origin=w.origin)


@dataclass(frozen=True, slots=True)
class LegacyVariable:
    """One trainable variable of the legacy model, in the legacy optimizer's order."""

    #: Source id of the stored array (:func:`source_id`).
    source: str
    shape: tuple[int, ...]


def ir_variables_by_source(model: Model) -> dict[str, tuple[str, Weight, bool]]:
    """Stored-array id -> (variable key, IR weight, trainable) over the whole model."""
    out: dict[str, tuple[str, Weight, bool]] = {}
    for path, layer in model.graph.walk_layers():
        for w in layer.weights:
            for leaf in _leaves(w):
                sid = source_id(leaf)
                if sid is not None:
                    out[sid] = (variable_key(path, w.name), w, layer.trainable and w.trainable)
    return out


def _u_product(iterations: int, beta_1: float, schedule_decay: float) -> float:
    """Nadam's running product of momentum-schedule factors after ``iterations`` steps,
    accumulated in float32 as the optimizers do."""
    prod = np.float32(1.0)
    limit = np.float32(beta_1)
    for t in range(1, iterations + 1):
        factor = np.float32(beta_1 * (1.0 - 0.5 * 0.96 ** (t * schedule_decay)))
        if factor == limit or prod == 0:  # the schedule has converged: the rest is beta_1 ** n
            return float(np.float32(prod * limit ** np.float32(iterations - t + 1)))
        prod = np.float32(prod * factor)
    return float(prod)


def _parse(tokens: Sequence[str], arrays: Sequence[ArraySource], variables: Sequence[LegacyVariable]
           ) -> dict[str, object] | None:
    """Assign the positional arrays to ``tokens``; ``None`` if count or shapes do not fit."""
    n = len(variables)
    per = {"iter": 1, "sched": 1}
    need = sum(per.get(t, n * (len(t.split(":", 1)[1].split(",")) if t.startswith("inter:") else 1))
               for t in tokens)
    if need != len(arrays):
        return None
    out: dict[str, object] = {}
    slots: dict[str, list[ArraySource]] = {}
    i = 0
    for t in tokens:
        if t in per:
            if tuple(arrays[i].shape) not in ((), (1,)):
                return None
            out[t] = arrays[i]
            i += 1
        elif t.startswith("inter:"):
            names = t.split(":", 1)[1].split(",")
            for v in variables:
                for name in names:
                    if tuple(arrays[i].shape) != v.shape:
                        return None
                    slots.setdefault(name, []).append(arrays[i])
                    i += 1
        else:
            for v in variables:
                shape = tuple(arrays[i].shape)
                if t == "skip1":
                    if shape != (1,):
                        return None
                elif shape != v.shape:
                    return None
                elif t.startswith("per:"):
                    slots.setdefault(t[4:], []).append(arrays[i])
                i += 1
    out["slots"] = slots
    return out


def build_state(plan: OptimizerPlan, arrays: Sequence[ArraySource], variables: Sequence[LegacyVariable],
                model: Model, *, path: str, source: str) -> tuple[OptimizerState, tuple[str, ...]]:
    """The Keras 3 optimizer state from the legacy positional ``arrays``; also notes on
    what was inferred. :class:`UnsupportedError` when no layout fits."""
    parsed = None
    for tokens in plan.layouts:
        parsed = _parse(tokens, arrays, variables)
        if parsed is not None:
            break
    if parsed is None:
        raise UnsupportedError(
            f"the optimizer state ({len(arrays)} arrays) does not fit {plan.spec.origin_class}'s layout for "
            f"{len(variables)} trainable variables", path=path, hint=_HINT)
    notes: list[str] = []
    it_src = parsed.get("iter")
    if isinstance(it_src, (H5Dataset, ArraySource)):
        value = float(np.asarray(it_src.read()).reshape(-1)[0])
        if not (0 <= value < 2**53) or value != int(value):
            raise UnsupportedError(f"the optimizer's step count {value!r} is not a count", path=path, hint=_HINT)
        iterations = int(value)
    else:
        iterations = 0
        notes.append(f"{plan.spec.origin_class}: the file holds no step count (not saved by this Keras "
                     "release); resumed at step 0 as the original software itself does on reload, unless "
                     "given with --optimizer-step")
    by_source = ir_variables_by_source(model)
    slot_map: dict[str, dict[str, Weight]] = {}
    raw_slots = parsed["slots"]
    assert isinstance(raw_slots, dict)
    for name, per_var in raw_slots.items():
        replace_map = {v.source: a for v, a in zip(variables, per_var, strict=True)}
        mapped: dict[str, Weight] = {}
        for v in variables:
            key, w, _ = by_source[v.source]
            if key in mapped:
                continue
            r = rebase(w, replace_map)
            if r is None:
                raise UnsupportedError(f"optimizer slot {name!r} of weight {key!r} cannot follow the weight's "
                                       "re-layout", path=path, hint=_HINT)
            mapped[key] = r.renamed(f"{name}/{key}")
        slot_map[name] = mapped
    groups = tuple(SlotGroup(g, {n: slot_map.get(n, {}) for n in g}) for g in plan.groups)
    trailing: list[Weight] = []
    if "u_product" in plan.trailing:
        sched = parsed.get("sched")
        if isinstance(sched, (H5Dataset, ArraySource)):
            value = float(np.asarray(sched.read()).reshape(-1)[0])
        else:
            assert plan.schedule is not None
            value = _u_product(iterations, plan.schedule["beta_1"], plan.schedule["schedule_decay"])
            notes.append("Nadam's momentum-schedule product (not saved by this Keras release) recomputed from "
                         "the step count")
        trailing.append(Weight.of("u_product", np.asarray(value, dtype=np.float32)))
    stored = isinstance(it_src, ArraySource)
    return OptimizerState(iterations, groups, tuple(trailing), source, stored), tuple(notes)
