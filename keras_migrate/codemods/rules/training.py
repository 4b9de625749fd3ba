"""Rule ``training``: the training API that Keras 2 and 3 renamed or removed.

* ``nb_epoch`` -> ``epochs``; ``fit_generator``/``evaluate_generator``/
  ``predict_generator`` -> ``fit``/``evaluate``/``predict`` with positional arguments
  turned into keywords in the source signature's order.
* ``samples_per_epoch``/``nb_val_samples``/``val_samples`` counted *samples*; Keras 2+
  counts *batches*. They become ``steps_per_epoch``/``validation_steps``/``steps``
  divided by the batch size when the generator call shows it, else a follow-up says so.
* ``workers``/``use_multiprocessing``/``max_queue_size`` (and Keras 1 ``nb_worker``,
  ``pickle_safe``, ``max_q_size``) are gone from ``fit`` in Keras 3.
* ``predict_classes``/``predict_proba`` were removed; history keys ``acc``/``val_acc``
  are ``accuracy``/``val_accuracy`` when ``compile`` asked for ``'accuracy'``.
"""

from __future__ import annotations

import ast
from typing import ClassVar

import libcst as cst

from keras_migrate.codemods.callargs import (
    get_kwarg,
    has_star_args,
    literal_number,
    literal_string,
    positional,
    replace_args,
)
from keras_migrate.codemods.facts import Facts, dotted_of
from keras_migrate.codemods.rule import Rule, RuleContext, dotted, kwarg_token
from keras_migrate.codemods.triggers import Trigger

__all__ = ["Training", "text_keywords"]

_GENERATOR_METHODS = {
    "fit_generator": "fit",
    "evaluate_generator": "evaluate",
    "predict_generator": "predict",
}
#: Positional parameter order of the legacy methods (after the generator itself).
_ORDER_K1 = {
    "fit_generator": (
        "samples_per_epoch",
        "nb_epoch",
        "verbose",
        "callbacks",
        "validation_data",
        "nb_val_samples",
        "class_weight",
        "max_q_size",
        "nb_worker",
        "pickle_safe",
        "initial_epoch",
    ),
    "evaluate_generator": ("val_samples", "max_q_size", "nb_worker", "pickle_safe"),
    "predict_generator": ("val_samples", "max_q_size", "nb_worker", "pickle_safe"),
}
_ORDER_K2 = {
    "fit_generator": (
        "steps_per_epoch",
        "epochs",
        "verbose",
        "callbacks",
        "validation_data",
        "validation_steps",
        "class_weight",
        "max_queue_size",
        "workers",
        "use_multiprocessing",
        "shuffle",
        "initial_epoch",
    ),
    "evaluate_generator": ("steps", "max_queue_size", "workers", "use_multiprocessing", "verbose"),
    "predict_generator": ("steps", "max_queue_size", "workers", "use_multiprocessing", "verbose"),
}
_RENAMES = {
    "nb_epoch": "epochs",
    "nb_worker": "workers",
    "pickle_safe": "use_multiprocessing",
    "max_q_size": "max_queue_size",
    "generator": "x",
}
_SAMPLE_COUNTS = {
    "samples_per_epoch": "steps_per_epoch",
    "nb_val_samples": "validation_steps",
    "val_samples": "steps",
}
_WORKER_ARGS = frozenset({"workers", "use_multiprocessing", "max_queue_size"})
_FIT_METHODS = frozenset({"fit", "evaluate", "predict"})
_MONITOR_CALLS = ("ModelCheckpoint", "EarlyStopping", "ReduceLROnPlateau")
_ACC = {"acc": "accuracy", "val_acc": "val_accuracy"}


def _kw(name: str, value: cst.BaseExpression, comma: cst.Comma | cst.MaybeSentinel) -> cst.Arg:
    return cst.Arg(
        value=value,
        keyword=cst.Name(name),
        equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")),
        comma=comma,
    )


def _batch_size(node: cst.BaseExpression | None) -> cst.BaseExpression | None:
    """The ``batch_size=`` of a generator-building call such as ``datagen.flow(...)``."""
    if isinstance(node, cst.Call):
        arg = get_kwarg(node, "batch_size")
        if arg is not None:
            return arg.value
    return None


def _looks_like_model(node: cst.BaseExpression) -> bool:
    name = (dotted(node) or "").rsplit(".", 1)[-1].lower()
    return "model" in name or name in ("net", "network")


def _needs_parens(node: cst.BaseExpression) -> bool:
    return isinstance(node, (cst.BinaryOperation, cst.BooleanOperation, cst.IfExp, cst.Lambda))


class Training(Rule):
    """Training API changes (see module docstring)."""

    id = "training"
    description = (
        "nb_epoch, *_generator methods and sample counts, workers/use_multiprocessing, "
        "predict_classes/predict_proba, history keys acc/val_acc"
    )
    tokens: ClassVar[tuple[str, ...]] = (
        r"\b(?:fit_generator|evaluate_generator|predict_generator|predict_classes|predict_proba"
        r"|reset_states)\b",
        kwarg_token(
            "nb_epoch",
            "samples_per_epoch",
            "nb_val_samples",
            "val_samples",
            "nb_worker",
            "pickle_safe",
            "max_q_size",
            "workers",
            "use_multiprocessing",
            "max_queue_size",
        ),
    )

    def triggers(self, facts: Facts) -> list[Trigger]:
        fragments = super().triggers(facts)
        if facts.accuracy_metric:
            fragments.append(r"""['"](?:val_)?acc['"]""")
        return fragments

    def leave_Call(
        self, ctx: RuleContext, original: cst.Call, updated: cst.Call
    ) -> cst.BaseExpression:
        func = updated.func
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            if method in _GENERATOR_METHODS:
                return self._generator_method(ctx, method, updated)
            if method in _FIT_METHODS:
                return self._fit(ctx, method, updated)
            if method == "predict_proba":
                ctx.change("predict_proba -> predict")
                return updated.with_changes(func=func.with_changes(attr=cst.Name("predict")))
            if method == "predict_classes":
                return self._predict_classes(ctx, updated, func)
            if method == "reset_states" and not updated.args and _looks_like_model(func.value):
                ctx.change("model.reset_states() -> reset_states() on each stateful layer")
                owner = cst.Module([]).code_for_node(func.value)
                return cst.parse_expression(
                    f'[layer.reset_states() for layer in {owner}.layers if hasattr(layer, "reset_states")]'
                )
        if ctx.facts.accuracy_metric:
            name = dotted(original.func) or ""
            if name.rsplit(".", 1)[-1] in _MONITOR_CALLS:
                monitor = get_kwarg(updated, "monitor")
                value = literal_string(monitor.value) if monitor else None
                if monitor is not None and value in _ACC:
                    ctx.change(f"monitor={value!r} -> {_ACC[value]!r}")
                    return updated.with_changes(
                        args=[
                            a.with_changes(value=cst.SimpleString(repr(_ACC[value])))
                            if a is monitor
                            else a
                            for a in updated.args
                        ]
                    )
        return updated

    def _fit(self, ctx: RuleContext, method: str, call: cst.Call) -> cst.Call:
        if not any(
            a.keyword is not None and a.keyword.value in (*_RENAMES, *_WORKER_ARGS)
            for a in call.args
        ):
            return call
        return self._keywords(ctx, method, call)

    def _generator_method(self, ctx: RuleContext, method: str, call: cst.Call) -> cst.Call:
        if has_star_args(call):
            ctx.follow_up(
                f"{method} was removed: call {_GENERATOR_METHODS[method]}() with the "
                "same generator and check the *args/**kwargs it receives"
            )
            return call
        args = positional(call)
        uses_keras1 = ctx.facts.keras1 or any(
            a.keyword is not None and a.keyword.value in (*_SAMPLE_COUNTS, "nb_epoch")
            for a in call.args
        )
        order = (_ORDER_K1 if uses_keras1 else _ORDER_K2)[method]
        if len(args) - 1 > len(order):
            return call
        position = {id(a): i for i, a in enumerate(args)}
        new_args: list[cst.Arg] = []
        for arg in call.args:
            if position.get(id(arg), 0) > 0:
                keyword = order[position[id(arg)] - 1]
                new_args.append(_kw(keyword, arg.value, arg.comma))
            else:
                new_args.append(arg)
        call = call.with_changes(args=new_args)
        target = _GENERATOR_METHODS[method]
        ctx.change(f"{method} -> {target}")
        call = call.with_changes(func=call.func.with_changes(attr=cst.Name(target)))
        return self._keywords(ctx, target, call)

    def _keywords(self, ctx: RuleContext, method: str, call: cst.Call) -> cst.Call:
        generator = positional(call)[0].value if positional(call) else None
        kw_gen = get_kwarg(call, "generator") or get_kwarg(call, "x")
        if generator is None and kw_gen is not None:
            generator = kw_gen.value
        validation = get_kwarg(call, "validation_data")
        new_args: list[cst.Arg] = []
        for arg in call.args:
            keyword = arg.keyword.value if arg.keyword is not None else None
            if keyword in _RENAMES:
                ctx.change(f"{keyword} -> {_RENAMES[keyword]}")
                arg = arg.with_changes(keyword=cst.Name(_RENAMES[keyword]))
                keyword = _RENAMES[keyword]
            if keyword in _SAMPLE_COUNTS:
                source = (
                    validation.value if keyword == "nb_val_samples" and validation else generator
                )
                arg = self._steps(ctx, keyword, arg, _batch_size(source))
                keyword = _SAMPLE_COUNTS[keyword]
            if keyword in _WORKER_ARGS:
                self._worker_note(ctx, keyword, arg)
                continue
            new_args.append(arg)
        return (
            replace_args(call, new_args)
            if len(new_args) != len(call.args)
            else call.with_changes(args=new_args)
        )

    def _steps(
        self, ctx: RuleContext, keyword: str, arg: cst.Arg, batch: cst.BaseExpression | None
    ) -> cst.Arg:
        new_keyword = _SAMPLE_COUNTS[keyword]
        if batch is None:
            ctx.follow_up(
                f"{keyword} counted samples but {new_keyword} counts batches: divide "
                "this value by the batch size"
            )
            ctx.change(f"{keyword} -> {new_keyword}")
            return arg.with_changes(keyword=cst.Name(new_keyword))
        value = arg.value
        if _needs_parens(value):
            value = value.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
        if _needs_parens(batch) or isinstance(batch, cst.BinaryOperation):
            batch = batch.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
        steps = cst.BinaryOperation(
            left=value,
            operator=cst.FloorDivide(cst.SimpleWhitespace(" "), cst.SimpleWhitespace(" ")),
            right=batch,
        )
        ctx.change(f"{keyword} -> {new_keyword} (samples // batch size)")
        return arg.with_changes(keyword=cst.Name(new_keyword), value=steps)

    def _worker_note(self, ctx: RuleContext, keyword: str, arg: cst.Arg) -> None:
        ctx.change(f"dropped {keyword} (not a fit/evaluate/predict argument in Keras 3)")
        number = literal_number(arg.value)
        harmless = (
            (keyword == "workers" and number is not None and number <= 1)
            or (
                keyword == "use_multiprocessing"
                and isinstance(arg.value, cst.Name)
                and arg.value.value == "False"
            )
            or keyword == "max_queue_size"
        )
        if not harmless:
            ctx.follow_up(
                f"{keyword} moved to the data pipeline: pass it to your "
                "keras.utils.PyDataset subclass's super().__init__(**kwargs)"
            )

    def _predict_classes(
        self, ctx: RuleContext, call: cst.Call, func: cst.Attribute
    ) -> cst.BaseExpression:
        np = ctx.numpy()
        predict = call.with_changes(func=func.with_changes(attr=cst.Name("predict")))
        predict_code = cst.Module([]).code_for_node(predict)
        facts = ctx.facts
        if facts.sigmoid and not facts.softmax:
            ctx.change("predict_classes -> (predict(x) > 0.5).astype('int32') (sigmoid output)")
            return cst.parse_expression(f'({predict_code} > 0.5).astype("int32")')
        if facts.sigmoid and facts.softmax:
            ctx.follow_up(
                "predict_classes was removed; rewritten assuming a softmax output - "
                "for a sigmoid output use (model.predict(x) > 0.5).astype('int32')"
            )
        ctx.change("predict_classes -> argmax(predict(x), axis=-1)")
        return cst.parse_expression(f"{np}.argmax({predict_code}, axis=-1)")

    # -- history keys ------------------------------------------------------------------
    def leave_Subscript(
        self, ctx: RuleContext, original: cst.Subscript, updated: cst.Subscript
    ) -> cst.BaseExpression:
        if not ctx.facts.accuracy_metric or len(updated.slice) != 1:
            return updated
        element = updated.slice[0].slice
        if not isinstance(element, cst.Index):
            return updated
        key = literal_string(element.value)
        if key not in _ACC:
            return updated
        owner = dotted(updated.value) or ""
        if not (owner.endswith("history") or owner.split(".")[-1] in ("hist", "h", "logs")):
            return updated
        ctx.change(f"history key {key!r} -> {_ACC[key]!r}")
        quote = element.value.quote if isinstance(element.value, cst.SimpleString) else '"'
        new = cst.SimpleString(f"{quote}{_ACC[key]}{quote}")
        return updated.with_changes(
            slice=[updated.slice[0].with_changes(slice=element.with_changes(value=new))]
        )


def text_keywords(
    facts: Facts, node: ast.Call | ast.Subscript | ast.Attribute
) -> tuple[dict[str, str], list[str]] | None:
    """What :class:`Training`'s hooks do to ``node`` (an ``ast`` call or subscript), when
    that is at most renaming keyword names (``fit(nb_epoch=)``): ``(old -> new keyword,
    change messages)``; ``None`` for any other branch (generator methods, sample counts,
    dropped worker arguments, predict_classes, monitor keys), which only libcst renders.
    Also the two other plain renames: ``predict_proba`` -> ``predict`` (key
    ``".predict_proba"``) and a history key ``'acc'`` -> ``'accuracy'`` (a subscript's
    key). Mirrors ``leave_Call``/``leave_Subscript`` (the text path,
    :mod:`keras_migrate.codemods.text_rules`)."""
    if isinstance(node, ast.Subscript):
        key = node.slice
        if not (facts.accuracy_metric and isinstance(key, ast.Constant) and key.value in _ACC):
            return {}, []
        owner = dotted_of(node.value) or ""
        if not (owner.endswith("history") or owner.split(".")[-1] in ("hist", "h", "logs")):
            return {}, []
        # (a subscript's rename is of its string key, see text_rules)
        return {key.value: _ACC[key.value]}, [f"history key {key.value!r} -> {_ACC[key.value]!r}"]
    if not isinstance(node, ast.Call):
        return {}, []
    func = node.func
    if isinstance(func, ast.Attribute):
        method = func.attr
        if method in _GENERATOR_METHODS or method in ("predict_classes", "reset_states"):
            return None
        if method == "predict_proba":  # (a ".name" rename is of the method, see text_rules)
            return {".predict_proba": "predict"}, ["predict_proba -> predict"]
        if method in _FIT_METHODS:
            keywords = [k.arg for k in node.keywords if k.arg is not None]
            if not any(k in _RENAMES or k in _WORKER_ARGS for k in keywords):
                return {}, []
            renames: dict[str, str] = {}
            messages: list[str] = []
            for keyword in keywords:
                new = _RENAMES.get(keyword, keyword)
                if new in _SAMPLE_COUNTS or new in _WORKER_ARGS:
                    return None
                if keyword in _RENAMES:
                    renames[keyword] = new
                    messages.append(f"{keyword} -> {new}")
            return renames, messages
    if facts.accuracy_metric and (dotted_of(func) or "").rsplit(".", 1)[-1] in _MONITOR_CALLS:
        monitor = next((k.value for k in node.keywords if k.arg == "monitor"), None)
        if isinstance(monitor, ast.Constant) and monitor.value in _ACC:
            return None
    return {}, []
