"""Rule ``layers``: Keras 2 / tf.keras layer APIs that changed or vanished in Keras 3.

* ``InputLayer(input_shape=, batch_input_shape=)`` -> ``shape=`` / ``batch_shape=``.
* ``batch_input_shape=`` on the first layer and ``Embedding(input_length=)`` become a
  leading ``keras.Input(...)`` in ``Sequential([...])`` and ``model.add(...)`` code (only
  where the receiver is a Sequential: assigned ``Sequential(...)``, or named like a model
  and assigned nothing else; other containers keep the layer, flagged if Keras 3 rejects it);
  leftover ``input_length`` is dropped (Keras 3 rejects it).
* ``add_weight`` positional arguments are turned into keywords using the *source*
  version's order (Keras 1: shape, initializer, name; Keras 2/tf.keras: name, shape, ...).
* ``LeakyReLU(alpha=)`` -> ``negative_slope=`` (Keras 3 rejects ``alpha``).
* ``CuDNNLSTM``/``CuDNNGRU`` -> ``LSTM``/``GRU`` (Keras 3 picks cuDNN itself),
  ``ThresholdedReLU(theta)`` -> ``ReLU(threshold=theta)``, ``SyncBatchNormalization`` ->
  ``BatchNormalization(synchronized=True)``.
* Standalone Keras 1/2 recurrent layers defaulted to ``hard_sigmoid`` (slope 0.2) and GRU
  to ``reset_after=False``; Keras 3 defaults differ, so GRUs get ``reset_after=False`` and
  a follow-up explains the activation change.
"""

from __future__ import annotations

import ast
import re
from typing import ClassVar

import libcst as cst

from keras_migrate.codemods.callargs import (
    add_kwarg,
    drop_kwargs,
    get_kwarg,
    has_star_args,
    literal_string,
    positional,
    rename_kwargs,
    replace_args,
)
from keras_migrate.codemods.facts import Facts, dotted_of
from keras_migrate.codemods.names import RenameTable
from keras_migrate.codemods.rule import Rule, RuleContext, dotted, kwarg_token
from keras_migrate.codemods.triggers import Trigger

__all__ = ["Layers", "text_keywords", "text_statement"]

_RENAMES = RenameTable(
    members={
        "keras.layers.CuDNNLSTM": "keras.layers.LSTM",
        "keras.layers.CuDNNGRU": "keras.layers.GRU",
        "keras.layers.ThresholdedReLU": "keras.layers.ReLU",
        "keras.layers.SyncBatchNormalization": "keras.layers.BatchNormalization",
    },
    owner="layers",
)
_RENAMED = {
    "CuDNNLSTM": ".LSTM",
    "CuDNNGRU": ".GRU",
    "ThresholdedReLU": ".ReLU",
    "SyncBatchNormalization": ".BatchNormalization",
}
_ADD_WEIGHT_K1: tuple[str, ...] = (
    "shape",
    "initializer",
    "name",
    "trainable",
    "regularizer",
    "constraint",
)
_ADD_WEIGHT_K2: tuple[str, ...] = (
    "name",
    "shape",
    "dtype",
    "initializer",
    "regularizer",
    "trainable",
    "constraint",
)
_REMOVED = {
    "LocallyConnected1D": "LocallyConnected1D was removed in Keras 3: copy its implementation "
    "or use a Conv1D",
    "LocallyConnected2D": "LocallyConnected2D was removed in Keras 3: copy its implementation "
    "or use a Conv2D",
    "RandomFourierFeatures": "RandomFourierFeatures was removed in Keras 3: copy its "
    "implementation into your project",
    "DenseFeatures": "DenseFeatures (feature columns) was removed: use keras.utils.FeatureSpace",
}
_INPUT_KW = ("batch_input_shape", "input_length")


def _input_for(ctx: RuleContext, layer: cst.Call) -> tuple[cst.Call, cst.Call] | None:
    """``(keras.Input(...), layer without the kwarg)`` when ``layer`` defines the input.

    Only called for the first layer of a Sequential model, where Keras 2 built the model
    from the layer's ``batch_input_shape``/``input_shape``/``input_dim``/``input_length``.
    """
    name = ctx.layer(layer.func) or _short(layer.func)
    if name in (None, "InputLayer", "Input") or has_star_args(layer):
        return None

    def make(keyword: str, value: cst.BaseExpression, drop: set[str]) -> tuple[cst.Call, cst.Call]:
        args = [cst.Arg(value, keyword=cst.Name(keyword), equal=_EQ)]
        batch = get_kwarg(layer, "batch_size")
        if batch is not None and keyword == "shape":
            args.append(cst.Arg(batch.value, keyword=cst.Name("batch_size"), equal=_EQ))
            drop = drop | {"batch_size"}
        new_input = cst.Call(
            ctx.keras("Input"), replace_args(cst.Call(cst.Name("f"), args), args).args
        )
        return new_input, drop_kwargs(layer, drop)

    batch_shape = get_kwarg(layer, "batch_input_shape")
    if batch_shape is not None:
        return make("batch_shape", batch_shape.value, {"batch_input_shape"})
    shape = get_kwarg(layer, "input_shape")
    if shape is not None:
        return make(
            "shape",
            shape.value,
            {"input_shape", "input_length"} if name == "Embedding" else {"input_shape"},
        )
    length = get_kwarg(layer, "input_length")
    if name == "Embedding" and length is not None:
        one = cst.Tuple([cst.Element(length.value, comma=cst.Comma())])
        return make("shape", one, {"input_length"})
    dim = get_kwarg(layer, "input_dim")
    if dim is not None and name != "Embedding":
        one = cst.Tuple([cst.Element(dim.value, comma=cst.Comma())])
        return make("shape", one, {"input_dim"})
    return None


_EQ = cst.AssignEqual(
    whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")
)


def _short(func: cst.BaseExpression) -> str | None:
    name = dotted(func)
    return name.rsplit(".", 1)[-1] if name else None


class _Residual(cst.CSTTransformer):
    """Drops ``input_length`` left on Embedding calls no container handled."""

    def __init__(self) -> None:
        super().__init__()
        self.dropped = 0
        self.batch_left = False

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        if _short(updated_node.func) == "Embedding" and get_kwarg(updated_node, "input_length"):
            self.dropped += 1
            return drop_kwargs(updated_node, {"input_length"})
        if get_kwarg(updated_node, "batch_input_shape") is not None and _short(
            updated_node.func
        ) not in ("InputLayer", "Input"):
            self.batch_left = True
        return updated_node


#: standalone Keras 2.2.4's BatchNormalization (TensorFlow backend) updated its moving
#: statistics through K.moving_average_update, which passed zero_debias=True (1.2.2 and 2.0.8
#: passed False; tf.keras never de-biased). Keras 3 has no such option, so the trained
#: moving statistics, and every inference output, differ until momentum**t is negligible.
ZERO_DEBIAS_NOTE = (
    "BatchNormalization: standalone Keras 2.2.4 (TensorFlow backend) updated moving_mean/"
    "moving_variance with zero_debias=True: after t training steps each was the de-biased "
    "average sum_i (1-m)*m**(t-i)*batch_stat_i / (1 - m**t) (m = momentum), ignoring its "
    "initial 0/1; Keras 3 computes m*moving + (1-m)*batch_stat from the initial 0/1, so "
    "inference outputs of a model trained for few steps differ (by about m**t: under 1% "
    "after ~460 steps at momentum=0.99); training outputs and losses are unchanged"
)

#: Standalone-Keras-2 idioms the upgrade always rewrites away: the zero-debias note is given
#: only where one is present, so a second run (or tf.keras code once its imports read
#: ``keras``) never adds it again.
_KERAS2_MARKERS = re.compile(
    r"\b(?:fit|evaluate|predict)_generator\s*\(|\bLeakyReLU\s*\(\s*alpha\s*="
    r"|\bkeras\.(?:engine|legacy|layers\.(?:normalization|advanced_activations|core|convolutional"
    r"|pooling|recurrent|embeddings|merge|noise|wrappers|local))\b"
)


def _standalone_keras2(facts: Facts) -> bool:
    return not facts.tf_keras and not facts.keras1 and bool(_KERAS2_MARKERS.search(facts.text))


class Layers(Rule):
    """Keras 3 layer API changes (see module docstring)."""

    id = "layers"
    description = (
        "InputLayer/batch_input_shape/Embedding(input_length), add_weight positional order, "
        "CuDNN*, ThresholdedReLU, SyncBatchNormalization, old hard_sigmoid/GRU defaults"
    )
    renames: ClassVar[RenameTable] = _RENAMES
    tokens: ClassVar[tuple[str, ...]] = (
        kwarg_token("batch_input_shape", "input_length", "input_shape", "input_dim"),
        # add_weight only matters with a positional argument (a first argument that is not
        # ``name=`` or ``)``): keyword-only calls, most of them, skip libcst
        r"\badd_weight\s*\(\s*(?!\s|[A-Za-z_]\w*\s*=(?!=)|\))",
        r"\b(?:CuDNNLSTM|CuDNNGRU|ThresholdedReLU"
        r"|SyncBatchNormalization|LocallyConnected[12]D|RandomFourierFeatures|DenseFeatures"
        r"|hard_sigmoid|InputLayer|LeakyReLU)\b",
    )

    def triggers(self, facts: Facts) -> list[Trigger]:
        fragments = super().triggers(facts)
        if not facts.tf_keras and facts.keras1:
            fragments.append(r"\b(?:LSTM|GRU|ConvLSTM2D)\b")
        if _standalone_keras2(facts):
            fragments.append(r"\bBatchNormalization\b")
        return fragments

    # -- calls ------------------------------------------------------------------------
    def leave_Call(
        self, ctx: RuleContext, original: cst.Call, updated: cst.Call
    ) -> cst.BaseExpression:
        func = original.func
        if isinstance(func, cst.Attribute) and func.attr.value == "add_weight":
            return self._add_weight(ctx, updated)
        if ctx.matches(func, "keras.Sequential", "keras.models.Sequential"):
            return self._sequential(ctx, updated)
        name = ctx.layer(func)
        if name is None:
            return updated
        if name in _REMOVED:
            ctx.follow_up(_REMOVED[name])
            return updated
        if name in _RENAMED and not (ctx.renamed_to(func) or "").endswith(_RENAMED[name]):
            return updated  # the class keeps its old name (imports rule not selected)
        if name == "InputLayer":
            present = [k for k in ("input_shape", "batch_input_shape") if get_kwarg(updated, k)]
            if present:
                ctx.change("InputLayer: input_shape/batch_input_shape -> shape/batch_shape")
                return rename_kwargs(
                    updated, {"input_shape": "shape", "batch_input_shape": "batch_shape"}
                )
            return updated
        if name == "ThresholdedReLU":
            args = positional(updated)
            theta = get_kwarg(updated, "theta")
            value = theta.value if theta else (args[0].value if args else cst.Float("1.0"))
            rest = [a for a in updated.args if a is not theta and (not args or a is not args[0])]
            ctx.change("ThresholdedReLU(theta) -> ReLU(threshold=theta)")
            new = replace_args(updated, rest) if len(rest) != len(updated.args) else updated
            return add_kwarg(new, "threshold", value)
        if name == "LeakyReLU" and get_kwarg(updated, "alpha") is not None:
            ctx.change("LeakyReLU(alpha=) -> LeakyReLU(negative_slope=) (same default 0.3)")
            return rename_kwargs(updated, {"alpha": "negative_slope"})
        if name == "SyncBatchNormalization":
            ctx.change("SyncBatchNormalization -> BatchNormalization(synchronized=True)")
            return add_kwarg(updated, "synchronized", "True")
        if name in ("CuDNNLSTM", "CuDNNGRU"):
            ctx.change(f"{name} -> {name[5:]} (Keras 3 uses cuDNN when it can)")
            # pin the cuDNN semantics so later runs never mistake it for an old default
            call = updated
            if get_kwarg(call, "recurrent_activation") is None:
                call = add_kwarg(call, "recurrent_activation", '"sigmoid"')
            if name == "CuDNNGRU" and get_kwarg(call, "reset_after") is None:
                call = add_kwarg(call, "reset_after", "True")
            return call
        if name in ("LSTM", "GRU", "ConvLSTM2D"):
            return self._recurrent_defaults(ctx, name, updated)
        if (
            name == "BatchNormalization"
            and _standalone_keras2(ctx.facts)
            and not any(get_kwarg(updated, k) for k in ("mode", "beta_init", "gamma_init"))
        ):
            ctx.follow_up(ZERO_DEBIAS_NOTE)
        return updated

    def _recurrent_defaults(self, ctx: RuleContext, name: str, call: cst.Call) -> cst.Call:
        activation = get_kwarg(call, "recurrent_activation")
        value = literal_string(activation.value) if activation else None
        # Keras 1 code certainly relied on the old defaults; the tokens that prove it are
        # rewritten away, so a second run never pins twice.
        standalone = not ctx.facts.tf_keras and ctx.facts.keras1
        if value == "hard_sigmoid" or (activation is None and standalone):
            ctx.follow_up(
                f"{name}: Keras 1/2 used hard_sigmoid with slope 0.2 for recurrent_activation; "
                "Keras 3 defaults to sigmoid and its hard_sigmoid has slope 1/6 - fine for "
                "training from scratch, but pin a 0.2-slope activation to reuse old weights"
            )
        if name == "GRU" and standalone and get_kwarg(call, "reset_after") is None:
            ctx.change("GRU: pinned reset_after=False (the Keras 1/2 behaviour)")
            return add_kwarg(call, "reset_after", "False")
        return call

    def _add_weight(self, ctx: RuleContext, call: cst.Call) -> cst.Call:
        args = positional(call)
        if not args or has_star_args(call):
            return call
        first = args[0].value
        if isinstance(first, (cst.SimpleString, cst.FormattedString, cst.ConcatenatedString)):
            order = _ADD_WEIGHT_K2
        elif isinstance(first, (cst.Tuple, cst.List)):
            order = _ADD_WEIGHT_K1
        else:
            order = _ADD_WEIGHT_K1 if ctx.facts.keras1 else _ADD_WEIGHT_K2
        if len(args) > len(order):
            ctx.follow_up("add_weight has more positional arguments than expected: pass keywords")
            return call
        names = dict(zip((id(a) for a in args), order, strict=False))
        new_args = []
        for arg in call.args:
            keyword = names.get(id(arg))
            if keyword is None:
                new_args.append(arg)
            else:
                new_args.append(arg.with_changes(keyword=cst.Name(keyword), equal=_EQ))
        ctx.change(
            "add_weight positional arguments -> keywords (" + ", ".join(order[: len(args)]) + ")"
        )
        return call.with_changes(args=new_args)

    def _sequential(self, ctx: RuleContext, call: cst.Call) -> cst.Call:
        args = positional(call)
        layers = args[0].value if args else None
        if not isinstance(layers, cst.List) or not layers.elements:
            return call
        first = layers.elements[0].value
        if not isinstance(first, cst.Call):
            return call
        pair = _input_for(ctx, first)
        if pair is None:
            return call
        new_input, new_first = pair
        ctx.change("moved the first layer's input definition into a leading keras.Input")
        head = layers.elements[0]
        elements = [
            cst.Element(
                new_input,
                comma=head.comma
                if head.comma is not cst.MaybeSentinel.DEFAULT
                else cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")),
            ),
            head.with_changes(value=new_first),
            *layers.elements[1:],
        ]
        new_list = layers.with_changes(elements=elements)
        return call.with_changes(
            args=[a.with_changes(value=new_list) if a is args[0] else a for a in call.args]
        )

    # -- statements ---------------------------------------------------------------------
    def leave_SimpleStatementLine(
        self, ctx: RuleContext, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine
    ) -> cst.BaseStatement | cst.FlattenSentinel[cst.BaseStatement]:
        if not ctx.mentions("input_length", "input_shape", "input_dim"):
            return updated
        stmt = updated.body[0] if len(updated.body) == 1 else None
        if (
            isinstance(stmt, cst.Expr)
            and isinstance(stmt.value, cst.Call)
            and isinstance(stmt.value.func, cst.Attribute)
            and stmt.value.func.attr.value == "add"
            and len(stmt.value.args) == 1
            and isinstance(stmt.value.args[0].value, cst.Call)
            and ctx.facts.may_be_sequential(dotted(stmt.value.func.value) or "")
        ):
            add_call = stmt.value
            pair = _input_for(ctx, add_call.args[0].value)  # type: ignore[arg-type]
            if pair is not None:
                new_input, new_layer = pair
                ctx.change(
                    "moved the first layer's input definition into model.add(keras.Input(...))"
                )
                first = updated.with_changes(
                    body=[
                        stmt.with_changes(value=add_call.with_changes(args=[cst.Arg(new_input)]))
                    ],
                    trailing_whitespace=cst.TrailingWhitespace(),
                )
                second = updated.with_changes(
                    leading_lines=[],
                    body=[
                        stmt.with_changes(
                            value=add_call.with_changes(
                                args=[add_call.args[0].with_changes(value=new_layer)]
                            )
                        )
                    ],
                )
                return cst.FlattenSentinel([first, second])
        if not ctx.mentions("input_length", "batch_input_shape"):
            return updated
        residual = _Residual()
        new = updated.visit(residual)
        if residual.dropped:
            ctx.change("Embedding: dropped input_length (Keras 3 rejects it)")
        if residual.batch_left:
            ctx.follow_up(
                "batch_input_shape on a layer is rejected by Keras 3: start the model "
                "with keras.Input(batch_shape=...) instead"
            )
        return new  # type: ignore[return-value]


def text_keywords(
    facts: Facts, node: ast.Call | ast.Subscript | ast.Attribute
) -> tuple[dict[str, str], list[str]] | None:
    """What :class:`Layers`' hooks do to ``node`` (``ast``) for the text path
    (:mod:`keras_migrate.codemods.text_rules`), when that is at most naming ``add_weight``'s
    positional arguments (key ``"@i"``: the keyword put before positional argument ``i``)
    or ``LeakyReLU(alpha=)`` -> ``negative_slope=``; ``None`` for every other branch
    (input moves, removed or renamed classes, CuDNN, recurrent defaults, follow-ups) and
    for any statement mentioning ``input_length``/``input_shape``/``input_dim`` (the
    statement hook's)."""
    if not isinstance(node, ast.Call):
        return {}, []
    func = node.func
    if isinstance(func, ast.Attribute) and func.attr == "add_weight":
        args = [a for a in node.args if not isinstance(a, ast.Starred)]
        if not args or len(args) != len(node.args) or any(k.arg is None for k in node.keywords):
            return {}, []
        first = args[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, (str, bytes)):
            order = _ADD_WEIGHT_K2
        elif isinstance(first, (ast.Tuple, ast.List)):
            order = _ADD_WEIGHT_K1
        elif isinstance(first, ast.JoinedStr):
            return None
        else:
            order = _ADD_WEIGHT_K1 if facts.keras1 else _ADD_WEIGHT_K2
        if len(args) > len(order):
            return None
        message = "add_weight positional arguments -> keywords (" + ", ".join(order[: len(args)]) + ")"
        return {f"@{i}": order[i] for i in range(len(args))}, [message]
    name = dotted_of(func)
    if name is None:
        return {}, []
    if any(n in ("keras.Sequential", "keras.models.Sequential") for n in (*facts.keras_names(name), *facts.legacy_names(name))):
        return None
    layer = facts.layer_class(name)
    if layer is None:
        return {}, []
    keywords = {k.arg for k in node.keywords if k.arg is not None}
    if layer in _REMOVED or layer in _RENAMED or layer in ("ThresholdedReLU", "SyncBatchNormalization", "CuDNNLSTM", "CuDNNGRU"):
        return None
    if layer == "InputLayer":
        return None if keywords & {"input_shape", "batch_input_shape"} else ({}, [])
    if layer == "LeakyReLU":
        if "alpha" not in keywords:
            return {}, []
        return {"alpha": "negative_slope"}, ["LeakyReLU(alpha=) -> LeakyReLU(negative_slope=) (same default 0.3)"]
    if layer in ("LSTM", "GRU", "ConvLSTM2D") and (
        (not facts.tf_keras and facts.keras1) or "recurrent_activation" in keywords
    ):
        return None
    if layer == "BatchNormalization" and _standalone_keras2(facts):
        return None
    return {}, []


def text_statement(source: str) -> bool:
    """True when :meth:`Layers.leave_SimpleStatementLine` may act on a statement whose
    text is ``source`` (it reads the same words): the text path then refuses it."""
    return any(word in source for word in ("input_length", "input_shape", "input_dim"))
