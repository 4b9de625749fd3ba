"""Legacy optimizers -> the Keras 3 optimizer with the same update rule, and their slot layouts.

Keras 1/2, tf.keras's ``OptimizerV2`` (``tf.keras.optimizers.legacy.*``, the TF <= 2.10
default), tf_keras's new optimizers and Keras 3 spell the same algorithms differently and
differ in a few rules. Each family is translated by one table entry that says:

* the Keras 3 class (built-in, or a compat optimizer ``keras_migrate>Keras2...`` where
  Keras 3's rule differs: epsilon outside the square root for Keras 1/2 RMSprop and
  Adagrad, Nadam's configurable ``schedule_decay``) and its arguments: ``lr`` becomes
  ``learning_rate``, Keras 1/2 ``decay`` becomes the exact inverse-time schedule
  (``lr / (1 + decay * iterations)``, Keras 3 ``InverseTimeDecay(decay_steps=1)``),
  Keras 1/2 ``clipnorm`` (one global norm) becomes ``global_clipnorm``;
* the slot groups Keras 3 creates (names, interleaved per variable within a group);
* the positional layouts the legacy optimizer saves its weights in (several per family:
  the layouts changed between releases, and the array count tells them apart).

Layout tokens: ``iter`` (the step count), ``sched`` (Nadam's running momentum-schedule
product, a scalar), ``per:NAME`` (one array per trainable variable, variable-major order
within the token), ``skip1`` (one ``(1,)`` array per variable that Keras 3 does not keep:
Keras 2.1.3+ Adam ``vhats`` without amsgrad), ``skip`` (one array per variable not kept:
SGD moments when ``momentum == 0``), ``inter:A,B`` (per variable: A then B).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from keras_migrate.errors import UnsupportedError
from keras_migrate.ir.graph import COMPAT_PREFIX
from keras_migrate.ir.training import OptimizerSpec

__all__ = ["Family", "OptimizerPlan", "family_of", "plan_optimizer"]

#: Which optimizer implementation wrote the configuration.
Family = Literal["keras1", "keras2", "tf_legacy", "tf_new", "keras3"]

#: Keras 3 schedules a tf.keras ``learning_rate`` may name (same names, same arguments).
_SCHEDULES = frozenset(
    {"ExponentialDecay", "InverseTimeDecay", "PiecewiseConstantDecay", "PolynomialDecay", "CosineDecay",
     "CosineDecayRestarts"}
)


@dataclass(frozen=True, slots=True)
class OptimizerPlan:
    """A translated optimizer: the Keras 3 spec, its slot groups, and the legacy layouts."""

    spec: OptimizerSpec
    #: Keras 3 slot groups in creation order; names interleave per variable within a group.
    groups: tuple[tuple[str, ...], ...]
    #: Candidate positional layouts of the legacy weights (tokens, see the module doc).
    layouts: tuple[tuple[str, ...], ...]
    #: Keras 3 trailing scalar variables after the slots (Nadam: ``u_product``).
    trailing: tuple[str, ...] = ()
    #: Per-optimizer schedule facts a reader needs (Nadam: beta_1, schedule_decay).
    schedule: Mapping[str, float] | None = None


def family_of(generation: str, class_name: str, config: Mapping[str, Any]) -> Family:
    """Tell the optimizer implementation from the generation and what its config holds."""
    if generation == "keras1":
        return "keras1"
    if generation == "keras2":
        return "keras2"
    if generation == "keras3":
        return "keras3"
    if class_name.startswith("Custom>") or config.get("is_legacy_optimizer") is False:
        return "tf_new"
    if "lr" in config and "learning_rate" not in config:
        # tf.keras of TF 1.x before OptimizerV2 ("2.1.6-tf"...): Keras 2's own optimizers
        return "keras2"
    return "tf_legacy"


def _num(config: Mapping[str, Any], *keys: str, default: float | None = None) -> Any:
    for key in keys:
        if key in config and config[key] is not None:
            value = config[key]
            return value if isinstance(value, Mapping) else float(value)
    return default


def _learning_rate(config: Mapping[str, Any], decay: float, default: float, what: str) -> Any:
    lr = _num(config, "learning_rate", "lr", default=default)
    if isinstance(lr, Mapping):
        name = str(lr.get("class_name", ""))
        if name not in _SCHEDULES:
            raise UnsupportedError(f"optimizer learning-rate schedule {name!r} has no Keras 3 equivalent",
                                   hint="use --inference-only, or recompile after loading")
        if decay:
            raise UnsupportedError(f"{what}: a learning-rate schedule combined with decay={decay} has no "
                                   "Keras 3 equivalent", hint="use --inference-only, or recompile after loading")
        return {"module": "keras.optimizers.schedules", "class_name": name,
                "config": dict(lr.get("config") or {}), "registered_name": None}
    if decay:
        # Keras 1/2 and OptimizerV2: lr / (1 + decay * iterations), iterations = completed steps.
        return {"module": "keras.optimizers.schedules", "class_name": "InverseTimeDecay",
                "config": {"initial_learning_rate": lr, "decay_steps": 1, "decay_rate": decay,
                           "staircase": False, "name": "InverseTimeDecay"},
                "registered_name": None}
    return lr


def _clipping(config: Mapping[str, Any], family: Family, what: str) -> dict[str, float]:
    """Gradient clipping in Keras 3 terms (Keras 3 accepts only one kind)."""
    out: dict[str, float] = {}
    clipnorm = _num(config, "clipnorm")
    if clipnorm is not None:
        # Keras 1/2 scale all gradients by ONE global norm; OptimizerV2 and the new ones clip each.
        out["global_clipnorm" if family in ("keras1", "keras2") else "clipnorm"] = clipnorm
    if _num(config, "global_clipnorm") is not None:
        out["global_clipnorm"] = _num(config, "global_clipnorm")
    if _num(config, "clipvalue") is not None:
        out["clipvalue"] = _num(config, "clipvalue")
    if len(out) > 1:
        raise UnsupportedError(f"{what} clips gradients both ways ({', '.join(sorted(out))}); Keras 3 "
                               "optimizers take only one", hint="use --inference-only, or recompile after loading")
    return out


def _compat(name: str) -> str:
    return f"{COMPAT_PREFIX}{name}"


def plan_optimizer(class_name: str, config: Mapping[str, Any], family: Family) -> OptimizerPlan:
    """Translate one legacy optimizer; :class:`UnsupportedError` when no Keras 3 optimizer
    reproduces it (the caller then drops the training state and says why)."""
    raw = class_name.split(">")[-1]
    key = raw.lower()
    what = f"optimizer {raw}"
    if family == "keras3":
        return OptimizerPlan(OptimizerSpec(raw, dict(config), raw, dict(config)), (), ())
    legacy = family in ("keras1", "keras2")
    # Nadam's "decay" in OptimizerV2 is its schedule decay, not a learning-rate decay.
    decay = _num(config, "decay", default=0.0) if (legacy or family == "tf_legacy") and key != "nadam" else 0.0
    if family == "tf_new" and config.get("use_ema"):
        raise UnsupportedError(f"{what} uses an exponential moving average (use_ema)",
                               hint="use --inference-only, or recompile after loading")
    common = _clipping(config, family, what)
    if family == "tf_new" and _num(config, "weight_decay"):
        common["weight_decay"] = _num(config, "weight_decay")
    eps = _num(config, "epsilon", default=1e-7)
    notes: list[str] = []
    it = ("iter",)
    groups: tuple[tuple[str, ...], ...]
    trailing: tuple[str, ...] = ()
    schedule: dict[str, float] | None = None
    if key == "sgd":
        momentum = _num(config, "momentum", default=0.0)
        args = {"learning_rate": _learning_rate(config, decay, 0.01, what), "momentum": momentum,
                "nesterov": bool(config.get("nesterov", False))}
        kind = "SGD"
        groups = (("momentum",),) if momentum else ()
        if legacy:
            layouts: tuple[tuple[str, ...], ...] = ((*it, "per:momentum" if momentum else "skip"),)
        elif family == "tf_legacy":
            layouts = ((*it, "per:momentum"),) if momentum else (it,)
        else:  # tf_keras's new SGD keeps momentum slots even with momentum=0
            layouts = ((*it, "per:momentum"),) if momentum else ((*it, "skip"), it)
    elif key == "rmsprop":
        momentum = _num(config, "momentum", default=0.0)
        centered = bool(config.get("centered", False))
        args = {"learning_rate": _learning_rate(config, decay, 0.001, what), "rho": _num(config, "rho", default=0.9),
                "epsilon": eps}
        if family == "tf_new" or (family == "tf_legacy" and momentum):
            kind = "RMSprop"  # epsilon inside the square root, as Keras 3
            args.update(momentum=momentum, centered=centered)
        else:
            kind = _compat("Keras2RMSprop")  # epsilon outside the square root
            args["centered"] = centered
            notes.append("epsilon added outside the square root, as the original (compat optimizer)")
        groups = (("velocity",),)
        if momentum and kind == "RMSprop":
            groups += (("momentum",),)
        if centered:
            groups += (("average_gradient",),)
        slots = tuple(f"per:{g[0]}" for g in groups)
        layouts = (slots, (*it, *slots)) if legacy else ((*it, *slots),)
    elif key == "adagrad":
        initial = _num(config, "initial_accumulator_value", default=0.0 if legacy else 0.1)
        args = {"learning_rate": _learning_rate(config, decay, 0.01, what), "epsilon": eps,
                "initial_accumulator_value": initial}
        if family == "tf_new":
            kind = "Adagrad"
        else:
            kind = _compat("Keras2Adagrad")
            notes.append("epsilon added outside the square root, as the original (compat optimizer)")
        groups = (("accumulator",),)
        layouts = (("per:accumulator",), (*it, "per:accumulator")) if legacy else ((*it, "per:accumulator"),)
    elif key == "adadelta":
        args = {"learning_rate": _learning_rate(config, decay, 1.0 if legacy else 0.001, what),
                "rho": _num(config, "rho", default=0.95), "epsilon": eps}
        kind = "Adadelta"
        groups = (("accumulated_grad", "accumulated_delta_var"),)
        if family == "tf_new":
            layouts = ((*it, "inter:accumulated_grad,accumulated_delta_var"),)
        else:
            slots = ("per:accumulated_grad", "per:accumulated_delta_var")
            layouts = (slots, (*it, *slots)) if legacy else ((*it, *slots),)
    elif key in ("adam", "adamw"):
        amsgrad = bool(config.get("amsgrad", False))
        args = {"learning_rate": _learning_rate(config, decay, 0.001, what),
                "beta_1": _num(config, "beta_1", default=0.9), "beta_2": _num(config, "beta_2", default=0.999),
                "epsilon": eps, "amsgrad": amsgrad}
        kind = "AdamW" if key == "adamw" else "Adam"
        groups = (("momentum", "velocity"),) + ((("velocity_hat",),) if amsgrad else ())
        if family == "tf_new":
            layouts = ((*it, "inter:momentum,velocity", *(("per:velocity_hat",) if amsgrad else ())),)
        else:
            base = (*it, "per:momentum", "per:velocity")
            hats = ("per:velocity_hat",) if amsgrad else ()
            layouts = ((*base, *hats),) if not legacy else ((*base, *hats), (*base, "skip1"), base)
    elif key == "adamax":
        args = {"learning_rate": _learning_rate(config, decay, 0.002 if legacy else 0.001, what),
                "beta_1": _num(config, "beta_1", default=0.9), "beta_2": _num(config, "beta_2", default=0.999),
                "epsilon": eps}
        kind = "Adamax"
        groups = (("momentum", "norm"),)
        if family == "tf_new":
            layouts = ((*it, "inter:momentum,norm"),)
        else:
            layouts = ((*it, "per:momentum", "per:norm"),)
    elif key == "nadam":
        beta_1 = _num(config, "beta_1", default=0.9)
        args = {"learning_rate": _learning_rate(config, 0.0, 0.002 if legacy else 0.001, what),
                "beta_1": beta_1, "beta_2": _num(config, "beta_2", default=0.999), "epsilon": eps}
        groups = (("momentum", "velocity"),)
        trailing = ("u_product",)
        if family == "tf_new":
            kind = "Nadam"
            # tf_keras keeps its u_product out of `variables` (recomputed from the step count).
            layouts = ((*it, "inter:momentum,velocity"), (*it, "inter:momentum,velocity", "sched"))
            schedule = {"beta_1": beta_1, "schedule_decay": 1.0}
        else:
            sd = _num(config, "schedule_decay", default=0.004) if legacy else _num(config, "decay", default=0.004)
            kind = _compat("Keras2Nadam")
            args["schedule_decay"] = sd
            notes.append(f"momentum schedule 0.96^(t*{sd:g}) kept (compat optimizer; Keras 3 Nadam uses 0.96^t)")
            schedule = {"beta_1": beta_1, "schedule_decay": sd}
            mv = ("per:momentum", "per:velocity")
            layouts = ((*it, *mv), (*it, "sched", *mv)) if legacy else ((*it, "sched", *mv),)
    else:
        raise UnsupportedError(f"{what} has no Keras 3 translation here",
                               hint="use --inference-only, or recompile after loading")
    args.update(common)
    if decay:
        notes.append(f"decay={decay:g} kept as InverseTimeDecay(decay_steps=1): lr / (1 + decay * iterations)")
    if "global_clipnorm" in common and legacy:
        notes.append("clipnorm (one global norm in Keras 1/2) kept as global_clipnorm")
    spec = OptimizerSpec(kind, args, raw, dict(config), tuple(notes))
    return OptimizerPlan(spec, groups, layouts, trailing, schedule)
