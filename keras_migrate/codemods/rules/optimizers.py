"""Rule ``optimizers``: Keras 2 optimizer arguments to Keras 3.

``lr`` is ``learning_rate`` (Keras 3 rejects ``lr``; tf.keras 2.11+ silently ignored it).
``decay=d`` applied ``lr / (1 + d * iterations)`` each step, which is exactly
``InverseTimeDecay(lr, decay_steps=1, decay_rate=d)``, so the schedule is written out.
The lowercase aliases (``rmsprop``, ``adam``...) become the classes.
Positional arguments after the learning rate are made keywords in the Keras 2 order
(Keras 3 orders them differently). ``keras.optimizers.legacy.*`` becomes the current class.
"""

from __future__ import annotations

import ast
from typing import ClassVar

import libcst as cst

from keras_migrate.codemods.callargs import (
    drop_kwargs,
    get_kwarg,
    has_star_args,
    literal_number,
    positional,
    replace_args,
)
from keras_migrate.codemods.facts import Facts, dotted_of
from keras_migrate.codemods.names import RenameTable
from keras_migrate.codemods.rule import Rule, RuleContext, kwarg_token

__all__ = ["Optimizers", "text_keywords"]

#: Keras 2 positional order and default learning rate of each optimizer.
_SIGNATURES: dict[str, tuple[tuple[str, ...], str]] = {
    "SGD": (("lr", "momentum", "decay", "nesterov"), "0.01"),
    "RMSprop": (("lr", "rho", "epsilon", "decay"), "0.001"),
    "Adagrad": (("lr", "epsilon", "decay"), "0.01"),
    "Adadelta": (("lr", "rho", "epsilon", "decay"), "1.0"),
    "Adam": (("lr", "beta_1", "beta_2", "epsilon", "decay", "amsgrad"), "0.001"),
    "Adamax": (("lr", "beta_1", "beta_2", "epsilon", "decay"), "0.002"),
    "Nadam": (("lr", "beta_1", "beta_2", "epsilon", "schedule_decay"), "0.002"),
}
#: Keras 2's lowercase aliases (``keras.optimizers.rmsprop(lr=...)``): gone in Keras 3.
_LOWERCASE = {name.lower(): name for name in _SIGNATURES}
_RENAMES = RenameTable(
    members={f"keras.optimizers.{low}": f"keras.optimizers.{name}" for low, name in _LOWERCASE.items()},
    modules={
        "keras.optimizers.legacy": "keras.optimizers",
        "keras.optimizers.experimental": "keras.optimizers",
        "keras.optimizers.optimizer_v2": "keras.optimizers",
    },
    owner="optimizers",
)


class Optimizers(Rule):
    """Optimizer argument changes (see module docstring)."""

    id = "optimizers"
    description = (
        "optimizer lr -> learning_rate, decay -> exact InverseTimeDecay schedule, "
        "positional arguments, keras.optimizers.legacy.*"
    )
    renames: ClassVar[RenameTable] = _RENAMES
    symbols: ClassVar[frozenset[str]] = frozenset(
        f"keras.optimizers.{n}" for n in (*_SIGNATURES, *_LOWERCASE)
    )
    tokens: ClassVar[tuple[str, ...]] = (
        kwarg_token("lr", "decay", "schedule_decay", "epsilon"),
        r"\.lr\b",
        r"\bget_updates\b",
    )

    def leave_Call(
        self, ctx: RuleContext, original: cst.Call, updated: cst.Call
    ) -> cst.BaseExpression:
        if isinstance(original.func, cst.Attribute) and original.func.attr.value == "get_updates":
            ctx.follow_up(
                "Optimizer.get_updates was removed: write a custom train_step or "
                "use optimizer.apply_gradients"
            )
            return updated
        name = None
        if _is_super_init(original.func):
            # super().__init__(lr=...) in a subclass of a Keras optimizer is that
            # optimizer's constructor; elsewhere it may be anything
            name = _optimizer_base(ctx)
            if name is None:
                if get_kwarg(updated, "lr") is not None:
                    ctx.follow_up(
                        "if this class extends a Keras optimizer, Keras 3's takes "
                        "learning_rate= instead of lr= (and no decay=): "
                        "super().__init__(learning_rate=lr, ...)"
                    )
                return updated
        for legacy in ctx.legacy_names(original.func):
            short = legacy.rsplit(".", 1)[-1]
            short = _LOWERCASE.get(short, short)
            if legacy.startswith("keras.optimizers.") and short in _SIGNATURES:
                name = short
        if name is not None and has_star_args(updated) and _is_super_init(original.func):
            return _rename_lr(ctx, name, updated)  # (**kwargs passed on: lr= alone is sure)
        if name is None or has_star_args(updated):
            return updated
        order, default_lr = _SIGNATURES[name]
        call = updated
        args = positional(call)
        if len(args) > len(order):
            return updated
        if len(args) > 1:
            position = {id(a): i for i, a in enumerate(args)}
            call = call.with_changes(
                args=[
                    a.with_changes(
                        keyword=cst.Name(order[position[id(a)]]),
                        equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")),
                    )
                    if position.get(id(a), 0) > 0
                    else a
                    for a in call.args
                ]
            )
            ctx.change(f"{name}: positional arguments -> keywords")
        lr = get_kwarg(call, "lr")
        call = _rename_lr(ctx, name, call)
        call = self._decay(ctx, name, call, default_lr)
        if lr is not None and name in _EPSILON_INSIDE:
            ctx.follow_up(_EPSILON_INSIDE[name])
        epsilon = get_kwarg(call, "epsilon")
        if (
            epsilon is not None
            and isinstance(epsilon.value, cst.Name)
            and epsilon.value.value == "None"
        ):
            ctx.change(f"{name}: dropped epsilon=None (Keras 3 needs a number; default 1e-7)")
            call = drop_kwargs(call, {"epsilon"})
        if get_kwarg(call, "schedule_decay") is not None:
            ctx.follow_up("Nadam(schedule_decay=...) has no Keras 3 equivalent: it was dropped")
            call = drop_kwargs(call, {"schedule_decay"})
        return call

    def _decay(self, ctx: RuleContext, name: str, call: cst.Call, default_lr: str) -> cst.Call:
        decay = get_kwarg(call, "decay")
        if decay is None:
            return call
        if literal_number(decay.value) == 0.0:
            ctx.change(f"{name}: dropped decay=0")
            return drop_kwargs(call, {"decay"})
        lr_arg = get_kwarg(call, "learning_rate") or next(iter(positional(call)), None)
        lr_code = cst.Module([]).code_for_node(lr_arg.value) if lr_arg is not None else default_lr
        decay_code = cst.Module([]).code_for_node(decay.value)
        schedule = ctx.keras("optimizers.schedules.InverseTimeDecay")
        schedule_code = cst.Module([]).code_for_node(schedule)
        expr = cst.parse_expression(
            f"{schedule_code}({lr_code}, decay_steps=1, decay_rate={decay_code})"
        )
        ctx.change(f"{name}: decay -> InverseTimeDecay schedule (same per-step formula)")
        kept = [a for a in call.args if a is not decay and a is not lr_arg]
        new_lr = cst.Arg(
            value=expr,
            keyword=cst.Name("learning_rate"),
            equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")),
        )
        return replace_args(call, [new_lr, *kept])

    def leave_Attribute(
        self, ctx: RuleContext, original: cst.Attribute, updated: cst.Attribute
    ) -> cst.BaseExpression:
        if updated.attr.value != "lr":
            return updated
        owner = updated.value
        tail = (
            owner.attr.value
            if isinstance(owner, cst.Attribute)
            else (owner.value if isinstance(owner, cst.Name) else "")
        )
        if "optimizer" in tail.lower() or tail in ("opt", "optim"):
            ctx.change("optimizer.lr -> optimizer.learning_rate")
            return updated.with_changes(attr=cst.Name("learning_rate"))
        return updated


#: Optimizers whose Keras 3 update differs from standalone Keras 1/2's (flagged when the
#: call is legacy-spelled, i.e. carries ``lr=``): the rewrite cannot make them equal.
_EPSILON_INSIDE = {
    "RMSprop": "Keras 3 RMSprop divides by sqrt(v + epsilon); standalone Keras 1/2 divided "
    "by sqrt(v) + epsilon, so small-gradient steps differ: for standalone-Keras code pass "
    "epsilon=1e-14 (the square of the old 1e-7) to stay close",
    "Adagrad": "Keras 3 Adagrad starts its accumulator at 0.1 and divides by "
    "sqrt(acc + epsilon); standalone Keras 1/2 started at 0 and divided by sqrt(acc) + "
    "epsilon: for standalone-Keras code pass initial_accumulator_value=0.0, epsilon=1e-14",
}


def _rename_lr(ctx: RuleContext, name: str, call: cst.Call) -> cst.Call:
    """``lr=`` -> ``learning_rate=`` (the same value under Keras 3's name)."""
    lr = get_kwarg(call, "lr")
    if lr is None:
        return call
    ctx.change(f"{name}: lr -> learning_rate")
    return call.with_changes(
        args=[a.with_changes(keyword=cst.Name("learning_rate")) if a is lr else a for a in call.args]
    )


def _optimizer_base(ctx: RuleContext) -> str | None:
    """The Keras optimizer the innermost enclosing class extends (``SGD``), if any."""
    for frame in reversed(ctx.frames):
        if frame.kind != "class":
            continue
        for base in frame.bases:
            short = base.rsplit(".", 1)[-1]
            short = _LOWERCASE.get(short, short)
            if base.startswith("keras.optimizers.") and short in _SIGNATURES:
                return short
        return None
    return None


def _is_super_init(func: cst.BaseExpression) -> bool:
    """``super().__init__`` or ``super(Cls, self).__init__``."""
    return (
        isinstance(func, cst.Attribute)
        and func.attr.value == "__init__"
        and isinstance(func.value, cst.Call)
        and isinstance(func.value.func, cst.Name)
        and func.value.func.value == "super"
    )


def text_keywords(
    facts: Facts, node: ast.Call | ast.Subscript | ast.Attribute
) -> tuple[dict[str, str], list[str]] | None:
    """What :class:`Optimizers`' hooks do to ``node`` (``ast``), when that is at most
    ``lr=`` -> ``learning_rate=``: ``(old -> new keyword, change messages)``; ``None`` for
    any other branch (positional arguments, decay schedules, dropped arguments,
    ``super().__init__``, ``get_updates``, ``optimizer.lr``, the flagged RMSprop/Adagrad
    epsilon), which only libcst renders. Mirrors ``leave_Call``/``leave_Attribute`` (the
    text path, :mod:`keras_migrate.codemods.text_rules`)."""
    if isinstance(node, ast.Attribute):
        return None if node.attr == "lr" else ({}, [])
    if not isinstance(node, ast.Call):
        return {}, []
    func = node.func
    if isinstance(func, ast.Attribute) and func.attr in ("get_updates", "__init__"):
        return None
    dotted = dotted_of(func)
    name = None
    for legacy in facts.legacy_names(dotted) if dotted is not None else ():
        short = legacy.rsplit(".", 1)[-1]
        short = _LOWERCASE.get(short, short)
        if legacy.startswith("keras.optimizers.") and short in _SIGNATURES:
            name = short
    if name is None:
        return {}, []
    if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
        return {}, []
    keywords = {k.arg: k.value for k in node.keywords if k.arg is not None}
    if len(node.args) > len(_SIGNATURES[name][0]):
        return {}, []
    if len(node.args) > 1 or "decay" in keywords or "schedule_decay" in keywords:
        return None
    epsilon = keywords.get("epsilon")
    if isinstance(epsilon, ast.Constant) and epsilon.value is None:
        return None
    if "lr" not in keywords:
        return {}, []
    if name in _EPSILON_INSIDE:
        return None
    return {"lr": "learning_rate"}, [f"{name}: lr -> learning_rate"]
