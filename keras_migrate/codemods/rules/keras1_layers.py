"""Rule ``keras1-layers``: Keras 1 layer and model signatures to Keras 2/3.

Follows the table Keras 2 itself used to accept Keras 1 calls (``legacy/interfaces.py``):
keyword renames per class, the value conversions that go with them (``dim_ordering``
'th'/'tf', ``consume_less``, ``forget_bias_init``, dict ``ZeroPadding2D`` padding), the
positional ``Convolution2D(nb_filter, nb_row, nb_col)`` form, ``Model(input=, output=)``
and the classes Keras 3 no longer exports (``Deconvolution2D``, ``AtrousConvolution2D``,
``TimeDistributedDense``, the Keras 1 regularizer helpers). The keyword renames are the
shared table :mod:`keras_migrate.ir.ops.keras1_args`, which the Keras 1 file reader uses too.
"""

from __future__ import annotations

import ast
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
from keras_migrate.codemods.rule import Rule, RuleContext, kwarg_token
from keras_migrate.codemods.triggers import Trigger, symbol_triggers
from keras_migrate.ir.ops.keras1_args import ARG_RENAMES, DIM_ORDERING

__all__ = ["Keras1Layers", "text_keywords"]

_KERAS1_CONV_NAMES = frozenset(
    {
        "Convolution2D",
        "Convolution3D",
        "AtrousConvolution2D",
        "AtrousConv2D",
        "Deconvolution2D",
        "Deconv2D",
        "SeparableConvolution2D",
        "Deconvolution3D",
    }
)
_CONV2D_LIKE = frozenset(
    {
        "Conv2D",
        "Convolution2D",
        "AtrousConvolution2D",
        "AtrousConv2D",
        "Deconvolution2D",
        "Deconv2D",
        "Conv2DTranspose",
        "SeparableConv2D",
        "SeparableConvolution2D",
        "LocallyConnected2D",
        "ConvLSTM2D",
    }
)
_CONV3D_LIKE = frozenset({"Conv3D", "Convolution3D", "Deconvolution3D", "Conv3DTranspose"})
_RECURRENT = frozenset({"SimpleRNN", "GRU", "LSTM", "Conv1D", "Convolution1D"})
_CONSUME_LESS = {"cpu": "0", "mem": "1", "gpu": "2"}
_PAD_KEYS = ("top_pad", "bottom_pad", "left_pad", "right_pad")

_RENAMES = RenameTable(
    members={
        "keras.layers.Deconvolution2D": "keras.layers.Conv2DTranspose",
        "keras.layers.Deconv2D": "keras.layers.Conv2DTranspose",
        "keras.layers.Deconvolution3D": "keras.layers.Conv3DTranspose",
        "keras.layers.Deconv3D": "keras.layers.Conv3DTranspose",
        "keras.layers.AtrousConvolution1D": "keras.layers.Conv1D",
        "keras.layers.AtrousConv1D": "keras.layers.Conv1D",
        "keras.layers.AtrousConvolution2D": "keras.layers.Conv2D",
        "keras.layers.AtrousConv2D": "keras.layers.Conv2D",
        "keras.layers.TimeDistributedDense": "keras.layers.TimeDistributed",
        "keras.regularizers.l1l2": "keras.regularizers.l1_l2",
        "keras.regularizers.activity_l1": "keras.regularizers.l1",
        "keras.regularizers.activity_l2": "keras.regularizers.l2",
        "keras.regularizers.activity_l1l2": "keras.regularizers.l1_l2",
        "keras.regularizers.WeightRegularizer": "keras.regularizers.L1L2",
        "keras.regularizers.ActivityRegularizer": "keras.regularizers.L1L2",
    },
    owner="keras1-layers",
)
_KWARG_TOKENS = sorted(
    {k for table in ARG_RENAMES.values() for k in table}
    | {
        "forget_bias_init",
        "nb_row",
        "nb_col",
        "kernel_dim1",
        "mode",
        "input",
        "output",
        "input_dim",
    }
)


def _is_sequence_literal(node: cst.BaseExpression) -> bool:
    return isinstance(node, (cst.Tuple, cst.List))


def _convert_value(ctx: RuleContext, call: cst.Call, keyword: str) -> cst.Call:
    """Apply Keras 1 value conversions keyed by the *old* keyword name."""
    arg = get_kwarg(call, keyword)
    if arg is None:
        return call
    value = literal_string(arg.value)
    if keyword == "dim_ordering":
        if value == "default":
            ctx.change("dropped dim_ordering='default'")
            return drop_kwargs(call, {"dim_ordering"})
        if value is not None and value in DIM_ORDERING and isinstance(arg.value, cst.SimpleString):
            quote = arg.value.quote
            return add_kwarg(call, "dim_ordering", f"{quote}{DIM_ORDERING[value]}{quote}")
        ctx.follow_up("dim_ordering is now data_format='channels_first'/'channels_last'")
    elif keyword == "consume_less" and value in _CONSUME_LESS:
        return add_kwarg(call, "consume_less", _CONSUME_LESS[value])
    elif keyword == "border_mode" and value == "full":
        ctx.follow_up(
            "border_mode='full' has no Keras 2+ equivalent: pad with ZeroPadding "
            "then use padding='valid'"
        )
    return call


class Keras1Layers(Rule):
    """Keras 1 layer signatures to Keras 2/3 (see module docstring)."""

    id = "keras1-layers"
    description = (
        "Keras 1 layer/model keywords and value conversions (output_dim, init, border_mode, "
        "dim_ordering, nb_row/nb_col, consume_less, p, sigma, ...) and removed classes"
    )
    renames: ClassVar[RenameTable] = _RENAMES
    symbols: ClassVar[frozenset[str]] = frozenset(
        {f"keras.layers.{n}" for n in _KERAS1_CONV_NAMES}
        | {f"keras.layers.{n}" for n in ("TimeDistributedDense", "MaxoutDense", "Highway")}
        | set(_RENAMES.members)
    )
    tokens: ClassVar[tuple[str, ...]] = (kwarg_token(*_KWARG_TOKENS), r"""['"]top_pad['"]""")

    def triggers(self, facts: Facts) -> list[Trigger]:
        fragments = super().triggers(facts)
        if facts.keras1:  # Embedding(dropout=) and Conv2D(f, r, c) only exist in Keras 1 code
            fragments += symbol_triggers(facts, {"keras.layers.Embedding", "keras.layers.Conv2D"})
        return fragments

    def leave_Call(
        self, ctx: RuleContext, original: cst.Call, updated: cst.Call
    ) -> cst.BaseExpression:
        if ctx.matches(original.func, "keras.Model", "keras.models.Model"):
            return self._model(ctx, updated)
        name = ctx.layer(original.func)
        if name is None:
            return updated
        if name in ("MaxoutDense", "Highway"):
            ctx.follow_up(f"{name} was removed in Keras 2: reimplement it as a custom layer")
            return updated
        if name == "TimeDistributedDense":
            return self._time_distributed(ctx, updated)
        table = ARG_RENAMES.get(name)
        if table is None:
            return updated
        call = updated
        if name in ("Deconvolution2D", "Deconv2D"):
            call = self._drop_output_shape(ctx, call)
        if name in _CONV2D_LIKE or name in _CONV3D_LIKE:
            call = self._kernel_size(ctx, name, call)
        if name in _RECURRENT or name == "ConvLSTM2D":
            call = self._recurrent(ctx, name, call)
        if name == "Embedding" and get_kwarg(call, "dropout") is not None:
            ctx.follow_up("Embedding(dropout=...) was removed: add SpatialDropout1D after it")
            call = drop_kwargs(call, {"dropout"})
        if name == "BatchNormalization":
            call = self._batchnorm(ctx, call)
        if name in ("ZeroPadding2D",):
            call = self._padding_dict(ctx, call)
        for keyword in ("dim_ordering", "consume_less", "border_mode"):
            if keyword in table:
                call = _convert_value(ctx, call, keyword)
        present = [k for k in table if get_kwarg(call, k) is not None]
        if present:
            call = rename_kwargs(call, table)
            ctx.change(f"{name}: renamed {', '.join(present)}")
        if name == "SeparableConv2D" or name == "SeparableConvolution2D":
            init = get_kwarg(call, "init")
            if init is not None:
                call = drop_kwargs(call, {"init"})
                call = add_kwarg(call, "depthwise_initializer", init.value)
                call = add_kwarg(call, "pointwise_initializer", init.value)
                ctx.change(f"{name}: init -> depthwise/pointwise_initializer")
        return call

    # -- pieces ------------------------------------------------------------------------
    def _model(self, ctx: RuleContext, call: cst.Call) -> cst.Call:
        present = [k for k in ("input", "output") if get_kwarg(call, k) is not None]
        if not present:
            return call
        ctx.change("Model(input=, output=) -> Model(inputs=, outputs=)")
        return rename_kwargs(call, {"input": "inputs", "output": "outputs"})

    def _time_distributed(self, ctx: RuleContext, call: cst.Call) -> cst.Call:
        dense = cst.Call(func=ctx.keras("layers.Dense"), args=call.args)
        dense = rename_kwargs(dense, ARG_RENAMES["Dense"])
        inner_kwargs = {"input_dim", "input_length", "input_shape", "batch_input_shape"}
        outer = [a for a in dense.args if a.keyword is not None and a.keyword.value in inner_kwargs]
        dense = drop_kwargs(dense, inner_kwargs)
        ctx.change("TimeDistributedDense(...) -> TimeDistributed(Dense(...))")
        new = call.with_changes(args=[cst.Arg(dense)])
        if outer:
            new = replace_args(new, [cst.Arg(dense), *outer])
        return new

    def _kernel_size(self, ctx: RuleContext, name: str, call: cst.Call) -> cst.Call:
        if has_star_args(call) or get_kwarg(call, "kernel_size") is not None:
            return call
        dims = 3 if name in _CONV3D_LIKE else 2
        keys = ("kernel_dim1", "kernel_dim2", "kernel_dim3") if dims == 3 else ("nb_row", "nb_col")
        kw = [get_kwarg(call, k) for k in keys]
        if all(a is not None for a in kw):
            values = [a.value for a in kw if a is not None]
            call = drop_kwargs(call, set(keys))
            ctx.change(f"{name}: {'/'.join(keys)} -> kernel_size")
            return add_kwarg(call, "kernel_size", _tuple(values))
        args = positional(call)
        keras1_form = name in _KERAS1_CONV_NAMES or ctx.facts.keras1
        if (
            len(args) >= 1 + dims
            and keras1_form
            and not any(_is_sequence_literal(a.value) for a in args[1 : 1 + dims])
        ):
            kernel = cst.Arg(_tuple([a.value for a in args[1 : 1 + dims]]), comma=args[dims].comma)
            rest = [a for a in call.args if a not in args[1 : 1 + dims]]
            new_args = [rest[0], kernel, *rest[1:]]
            ctx.change(f"{name}: positional kernel dimensions -> kernel_size tuple")
            return replace_args(call, new_args)
        return call

    def _drop_output_shape(self, ctx: RuleContext, call: cst.Call) -> cst.Call:
        """Keras 1 ``Deconvolution2D(nb_filter, nb_row, nb_col, output_shape)``: drop it."""
        if get_kwarg(call, "output_shape") is not None:
            ctx.change("Deconvolution: dropped output_shape")
            return drop_kwargs(call, {"output_shape"})
        args = positional(call)
        if len(args) >= 4 and not any(_is_sequence_literal(a.value) for a in args[1:3]):
            ctx.change("Deconvolution: dropped output_shape")
            return replace_args(call, [a for a in call.args if a is not args[3]])
        return call

    def _recurrent(self, ctx: RuleContext, name: str, call: cst.Call) -> cst.Call:
        forget = get_kwarg(call, "forget_bias_init")
        if forget is not None:
            call = drop_kwargs(call, {"forget_bias_init"})
            if literal_string(forget.value) == "one":
                call = add_kwarg(call, "unit_forget_bias", "True")
                ctx.change("forget_bias_init='one' -> unit_forget_bias=True")
            else:
                ctx.follow_up(
                    "forget_bias_init other than 'one' has no equivalent: set "
                    "unit_forget_bias or a bias_initializer"
                )
        dim = get_kwarg(call, "input_dim")
        length = get_kwarg(call, "input_length")
        if dim is not None and (length is not None or name in ("SimpleRNN", "GRU", "LSTM")):
            length_code = length.value if length is not None else cst.Name("None")
            call = drop_kwargs(call, {"input_dim", "input_length"})
            call = add_kwarg(call, "input_shape", _tuple([length_code, dim.value]))
            ctx.change(f"{name}: input_dim/input_length -> input_shape")
        return call

    def _batchnorm(self, ctx: RuleContext, call: cst.Call) -> cst.Call:
        mode = get_kwarg(call, "mode")
        if mode is None:
            return call
        if isinstance(mode.value, cst.Integer) and mode.value.value == "0":
            ctx.change("BatchNormalization: dropped mode=0")
            return drop_kwargs(call, {"mode"})
        ctx.follow_up(
            "BatchNormalization mode=1/2 no longer exists: use "
            "LayerNormalization (mode=1) or a custom layer (mode=2)"
        )
        return call

    def _padding_dict(self, ctx: RuleContext, call: cst.Call) -> cst.Call:
        arg = get_kwarg(call, "padding") or next(iter(positional(call)), None)
        if arg is None or not isinstance(arg.value, cst.Dict):
            return call
        values: dict[str, cst.BaseExpression] = {}
        for element in arg.value.elements:
            if isinstance(element, cst.DictElement):
                key = literal_string(element.key)
                if key in _PAD_KEYS:
                    values[key] = element.value
        if set(values) != set(_PAD_KEYS):
            ctx.follow_up("ZeroPadding2D dict padding: convert to ((top, bottom), (left, right))")
            return call
        top, bottom, left, right = (values[k] for k in _PAD_KEYS)
        new = _tuple([_tuple([top, bottom]), _tuple([left, right])])
        ctx.change("ZeroPadding2D dict padding -> ((top, bottom), (left, right))")
        return call.with_changes(
            args=[a.with_changes(value=new) if a is arg else a for a in call.args]
        )


_MODEL_KEYWORDS = {"input": "inputs", "output": "outputs"}
#: classes whose calls leave_Call always rewrites beyond keyword names (or flags)
_NOT_TEXT = frozenset(
    {"MaxoutDense", "Highway", "TimeDistributedDense", "Deconvolution2D", "Deconv2D"}
)


def text_keywords(
    facts: Facts, call: ast.Call | ast.Subscript | ast.Attribute
) -> tuple[dict[str, str], list[str]] | None:
    """What :meth:`Keras1Layers.leave_Call` does to ``call`` (an ``ast`` node), when that
    is at most renaming keyword names: ``(old -> new keyword, change messages)``; ``None``
    when the call takes any other branch of the hook (value conversions, kernel_size
    tuples, dropped or added arguments, follow-ups), which only libcst can render.

    Mirrors ``leave_Call`` branch by branch, reading the same tables (the text path,
    :mod:`keras_migrate.codemods.text_rules`; tests/codemods/test_fast_path.py compares).
    """
    name = dotted_of(call.func) if isinstance(call, ast.Call) else None
    if name is None or not isinstance(call, ast.Call):
        return {}, []
    keywords = {k.arg: k.value for k in call.keywords if k.arg is not None}
    if any(
        n in ("keras.Model", "keras.models.Model")
        for n in (*facts.keras_names(name), *facts.legacy_names(name))
    ):
        if "input" not in keywords and "output" not in keywords:
            return {}, []
        renames = {k: v for k, v in _MODEL_KEYWORDS.items() if k in keywords}
        return renames, ["Model(input=, output=) -> Model(inputs=, outputs=)"]
    layer = facts.layer_class(name)
    if layer is None:
        return {}, []
    if layer in _NOT_TEXT:
        return None
    table = ARG_RENAMES.get(layer)
    if table is None:
        return {}, []
    star = any(isinstance(a, ast.Starred) for a in call.args) or any(
        k.arg is None for k in call.keywords
    )
    args = [a for a in call.args if not isinstance(a, ast.Starred)]
    if (layer in _CONV2D_LIKE or layer in _CONV3D_LIKE) and not (star or "kernel_size" in keywords):
        dims = 3 if layer in _CONV3D_LIKE else 2
        keys = ("kernel_dim1", "kernel_dim2", "kernel_dim3") if dims == 3 else ("nb_row", "nb_col")
        if all(k in keywords for k in keys):
            return None
        keras1_form = layer in _KERAS1_CONV_NAMES or facts.keras1
        if (
            len(args) >= 1 + dims
            and keras1_form
            and not any(isinstance(a, (ast.Tuple, ast.List)) for a in args[1 : 1 + dims])
        ):
            return None
    if layer in _RECURRENT or layer == "ConvLSTM2D":
        if "forget_bias_init" in keywords:
            return None
        if "input_dim" in keywords and (
            "input_length" in keywords or layer in ("SimpleRNN", "GRU", "LSTM")
        ):
            return None
    if (layer == "Embedding" and "dropout" in keywords) or (
        layer == "BatchNormalization" and "mode" in keywords
    ):
        return None
    if layer == "ZeroPadding2D":
        padding = keywords.get("padding", args[0] if args else None)
        if isinstance(padding, ast.Dict):
            return None
    if "dim_ordering" in keywords and "dim_ordering" in table:
        return None
    if "consume_less" in keywords and "consume_less" in table:
        return None
    border = keywords.get("border_mode")
    if "border_mode" in table and isinstance(border, ast.Constant) and border.value == "full":
        return None
    if layer in ("SeparableConv2D", "SeparableConvolution2D") and "init" in keywords:
        return None
    present: list[str] = [k for k in table if k in keywords]
    if not present:
        return {}, []
    return {k: table[k] for k in present}, [f"{layer}: renamed {', '.join(present)}"]


def _tuple(values: list[cst.BaseExpression]) -> cst.Tuple:
    elements = []
    for i, value in enumerate(values):
        comma = (
            cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
            if i < len(values) - 1
            else cst.MaybeSentinel.DEFAULT
        )
        elements.append(cst.Element(value=value, comma=comma))
    return cst.Tuple(elements=elements)
