"""Rule ``backend``: ``keras.backend`` functions to ``keras.ops``/``keras.random``/``keras.config``.

Keras 3 kept only configuration helpers in ``keras.backend``. Functions with a same-
semantics op are rewritten (argument names and positions mapped, and defaults that
differ made explicit, e.g. ``K.argmax`` reduced the last axis, ``ops.argmax`` flattens).
Functions whose contract changed get exact replacements: ``in_top_k`` swaps its first
two arguments, ``switch`` is ``ops.where``/``ops.cond``, ``repeat`` is RepeatVector
semantics, ``relu`` with ``alpha``/``max_value`` goes to ``keras.activations.relu``,
``hard_sigmoid`` keeps its 0.2 slope, ``set_value`` is ``assign``. Functions that have no
equivalent (``function``, ``placeholder``, ``learning_phase``, ``gradients``, sessions)
get a follow-up saying what to do instead.

No rewrite may change behaviour silently; where a mapping holds only in some cases, the
call is rewritten only when the case is certain, else kept with a follow-up giving the
replacement: ``K.shape(x)[i]`` (an index) only, since ``ops.shape`` returns a tuple;
``constant``/``variable`` get Keras 2's ``floatx()`` dtype written out; ``zeros``/``ones``/
``eye`` returned variables, so they become tensors only where the value is passed straight
to a keras.backend function that only reads it (``K.sum(K.ones(s))``), else are flagged; ``batch_dot`` becomes an ``einsum`` whose subscripts
pin both ranks at 3 (equal there, an error elsewhere); ``relu`` only with number literals;
``slice`` only with literal non-negative sizes (``-1`` meant "to the end").
"""

from __future__ import annotations

import re
from typing import ClassVar

import libcst as cst

from keras_migrate.codemods.callargs import (
    OpSpec,
    get_kwarg,
    has_star_args,
    literal_string,
    positional,
    spec,
)
from keras_migrate.codemods.facts import Facts
from keras_migrate.codemods.rule import Rule, RuleContext
from keras_migrate.codemods.triggers import Trigger, symbol_triggers

__all__ = ["BACKEND_SPECS", "Backend"]

#: Names Keras 3 still exports from keras.backend: left alone.
KEEP = frozenset(
    {
        "backend",
        "clear_session",
        "epsilon",
        "floatx",
        "get_uid",
        "image_data_format",
        "is_float_dtype",
        "is_int_dtype",
        "is_keras_tensor",
        "result_type",
        "set_epsilon",
        "set_floatx",
        "set_image_data_format",
        "standardize_dtype",
    }
)

_UNARY = (
    "abs",
    "cos",
    "sin",
    "exp",
    "log",
    "sqrt",
    "square",
    "sign",
    "tanh",
    "sigmoid",
    "softplus",
    "softsign",
    "round",
    "ndim",
    "transpose",
    "dtype",
    "is_tensor",
)
_BINARY = (
    "equal",
    "not_equal",
    "greater",
    "greater_equal",
    "less",
    "less_equal",
    "maximum",
    "minimum",
    "dot",
)
_REDUCE = ("max", "min", "mean", "sum", "prod", "std", "var", "all", "any", "logsumexp")

BACKEND_SPECS: dict[str, OpSpec] = {
    **{n: spec(f"ops.{n}", "x") for n in _UNARY},
    **{n: spec(f"ops.{n}", "x y", positional=2) for n in _BINARY},
    **{n: spec(f"ops.{n}", "x axis keepdims") for n in _REDUCE},
    "argmax": spec("ops.argmax", "x axis", defaults="axis=-1"),
    "argmin": spec("ops.argmin", "x axis", defaults="axis=-1"),
    "arange": spec("ops.arange", "start stop step dtype", positional=3),
    "cast": spec("ops.cast", "x dtype", positional=2),
    "clip": spec("ops.clip", "x min_value:x_min max_value:x_max", positional=3),
    "concatenate": spec("ops.concatenate", "tensors:xs axis", defaults="axis=-1"),
    "cumsum": spec("ops.cumsum", "x axis", defaults="axis=0"),
    "cumprod": spec("ops.cumprod", "x axis", defaults="axis=0"),
    "elu": spec("ops.elu", "x alpha", positional=2),
    "expand_dims": spec("ops.expand_dims", "x axis", positional=2, defaults="axis=-1"),
    "one_hot": spec("ops.one_hot", "indices:x num_classes", positional=2),
    "zeros": spec("ops.zeros", "shape dtype", defaults="dtype=keras.config.floatx()"),
    "ones": spec("ops.ones", "shape dtype", defaults="dtype=keras.config.floatx()"),
    "eye": spec("ops.eye", "size:N dtype", defaults="dtype=keras.config.floatx()"),
    "ones_like": spec("ops.ones_like", "x dtype"),
    "zeros_like": spec("ops.zeros_like", "x dtype"),
    "reshape": spec("ops.reshape", "x shape:newshape", positional=2),
    "softmax": spec("ops.softmax", "x axis"),
    "squeeze": spec("ops.squeeze", "x axis", positional=2),
    "stack": spec("ops.stack", "x axis"),
    "tile": spec("ops.tile", "x n:repeats", positional=2),
    "stop_gradient": spec("ops.stop_gradient", "variables:variable"),
    "binary_crossentropy": spec(
        "ops.binary_crossentropy", "target output from_logits", positional=2
    ),
    "categorical_crossentropy": spec(
        "ops.categorical_crossentropy", "target output from_logits axis", positional=2
    ),
    "sparse_categorical_crossentropy": spec(
        "ops.sparse_categorical_crossentropy", "target output from_logits axis", positional=2
    ),
    "pow": spec("ops.power", "x a:x2", positional=2),
    "permute_dimensions": spec("ops.transpose", "x pattern:axes", positional=2),
    "gather": spec("ops.take", "reference:x indices", positional=2, defaults="axis=0"),
    "reverse": spec("ops.flip", "x axes:axis"),
    "map_fn": spec("ops.map", "fn:f elems:xs", positional=2, drop="name dtype"),
    "random_normal": spec("random.normal", "shape mean stddev dtype seed"),
    "random_uniform": spec("random.uniform", "shape minval maxval dtype seed"),
    "truncated_normal": spec("random.truncated_normal", "shape mean stddev dtype seed"),
    "dropout": spec("random.dropout", "x level:rate noise_shape seed", positional=2),
    # Keras 2 gave both floatx() when dtype was None; Keras 3 infers it from the value
    "constant": spec(
        "ops.convert_to_tensor", "value:x dtype shape", defaults="dtype=keras.config.floatx()"
    ),
    "variable": spec(
        "Variable", "value:initializer dtype name", drop="", defaults="dtype=keras.config.floatx()"
    ),
    "get_value": spec("ops.convert_to_numpy", "x"),
    "eval": spec("ops.convert_to_numpy", "x"),
    "identity": spec("ops.copy", "x"),
    "name_scope": spec("name_scope", "name", drop=""),
    "l2_normalize": spec("ops.normalize", "x axis"),
}

_NO_EQUIVALENT = {
    "function": "K.function was removed: call the model, or a sub-model "
    "keras.Model(inputs, layer.output), directly on NumPy data",
    "placeholder": "K.placeholder was removed: use keras.Input(shape=...) for symbolic inputs",
    "learning_phase": "the global learning phase was removed: pass training=True/False to "
    "layer and model calls",
    "set_learning_phase": "the global learning phase was removed: pass training=True/False "
    "to layer and model calls",
    "learning_phase_scope": "the global learning phase was removed: pass training= to calls",
    "in_train_phase": "in_train_phase was removed: take a training argument in call() and branch on it",
    "in_test_phase": "in_test_phase was removed: take a training argument in call() and branch on it",
    "gradients": "K.gradients was removed: compute gradients in a custom train_step with the "
    "backend's autodiff (tf.GradientTape, jax.grad, torch autograd)",
    "rnn": "K.rnn was removed: use keras.layers.RNN with a custom cell",
    "print_tensor": "K.print_tensor was removed: use print() in eager code or "
    "keras.ops.print-free debugging",
    "get_session": "TF1 sessions do not exist in Keras 3: remove this call",
    "set_session": "TF1 sessions do not exist in Keras 3: remove this call",
    "manual_variable_initialization": "variables initialise themselves in Keras 3: remove this call",
    "batch_set_value": "assign each variable instead: variable.assign(value)",
    "tf": "K.tf is gone: import tensorflow directly (this ties the code to the TF backend)",

}
#: K.zeros/ones/eye returned variables: rewritten only where the value is just read
_VARIABLE_FACTORIES = {
    "zeros": "K.zeros returned a variable (dtype floatx() unless dtype= was given): use "
    "keras.Variable(keras.ops.zeros(shape, dtype=...)) if it is assigned to, else "
    "keras.ops.zeros(shape, dtype=keras.config.floatx())",
    "ones": "K.ones returned a variable (dtype floatx() unless dtype= was given): use "
    "keras.Variable(keras.ops.ones(shape, dtype=...)) if it is assigned to, else "
    "keras.ops.ones(shape, dtype=keras.config.floatx())",
    "eye": "K.eye returned a variable (dtype floatx() unless dtype= was given): use "
    "keras.Variable(keras.ops.eye(n, dtype=...)) if it is assigned to, else "
    "keras.ops.eye(n, dtype=keras.config.floatx())",
}
#: K.shape returned a tensor; keras.ops.shape returns a tuple (``* 32`` repeats it)
_SHAPE_NOTE = (
    "K.shape returned a tensor but keras.ops.shape(x) returns a tuple (slicing and "
    "arithmetic on it act on the tuple): index it, keras.ops.shape(x)[i], or use "
    "keras.ops.convert_to_tensor(keras.ops.shape(x)) for tensor arithmetic"
)
_SPECIAL = frozenset(
    {
        "in_top_k",
        "switch",
        "repeat",
        "relu",
        "hard_sigmoid",
        "set_value",
        "update",
        "update_add",
        "update_sub",
        "batch_get_value",
        "flatten",
        "batch_flatten",
        "bias_add",
        "batch_dot",
        "cast_to_floatx",
        "image_dim_ordering",
        "set_image_dim_ordering",
        "shape",
        "slice",
        "int_shape",
        "get_variable_shape",
    }
)
_ORDERING = {"th": "channels_first", "tf": "channels_last"}


def _code(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node)


def _backend_function(ctx: RuleContext, func: cst.BaseExpression) -> str | None:
    for name in ctx.legacy_names(func):
        if name.startswith("keras.backend.") and name.count(".") == 2:
            return name.rsplit(".", 1)[1]
    return None


def _kwvalue(call: cst.Call, keyword: str) -> cst.BaseExpression | None:
    arg = get_kwarg(call, keyword)
    return None if arg is None else arg.value


def _arg_node(call: cst.Call, index: int, keyword: str) -> cst.BaseExpression | None:
    args = positional(call)
    return args[index].value if len(args) > index else _kwvalue(call, keyword)


def _is_constant(node: cst.BaseExpression | None) -> bool:
    """A number literal (or ``None``): safe for keras.activations.relu's Python checks."""
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        node = node.expression
    return isinstance(node, (cst.Integer, cst.Float)) or (
        isinstance(node, cst.Name) and node.value == "None"
    )


def _literal_ints(node: cst.BaseExpression | None) -> list[int] | None:
    """The integers of a tuple/list literal of integer literals (``-1`` included)."""
    if not isinstance(node, (cst.Tuple, cst.List)):
        return None
    out = []
    for element in node.elements:
        value = element.value
        sign = 1
        if isinstance(value, cst.UnaryOperation) and isinstance(value.operator, cst.Minus):
            sign, value = -1, value.expression
        if not isinstance(value, cst.Integer):
            return None
        out.append(sign * int(value.value, 0))
    return out


class Backend(Rule):
    """keras.backend to keras.ops (see module docstring)."""

    id = "backend"
    description = (
        "keras.backend functions to keras.ops/keras.random/keras.config, minding changed "
        "contracts (in_top_k, switch, repeat, relu, batch_dot, int_shape, eval/set_value)"
    )
    symbols: ClassVar[frozenset[str]] = frozenset(
        f"keras.backend.{n}" for n in (*BACKEND_SPECS, *_NO_EQUIVALENT, *_SPECIAL)
    )

    def triggers(self, facts: Facts) -> list[Trigger]:
        fragments = symbol_triggers(facts, self.symbols)
        keep = "|".join(sorted(KEEP))
        for alias, targets in facts.bindings.items():
            if any(facts.renames.rename_modules(t) == "keras.backend" for t in targets):
                fragments.append(rf"\b{re.escape(alias)}\s*\.\s*(?!(?:{keep})\b)[A-Za-z_]")
        return fragments

    def leave_Call(
        self, ctx: RuleContext, original: cst.Call, updated: cst.Call
    ) -> cst.BaseExpression:
        name = _backend_function(ctx, original.func)
        if name is None or name in KEEP:
            return updated
        if name in _NO_EQUIVALENT:
            ctx.follow_up(_NO_EQUIVALENT[name])
            return updated
        if name in _SPECIAL:
            return self._special(ctx, name, updated, indexed=id(original) in ctx.indexed)
        if name in _VARIABLE_FACTORIES and id(original) not in ctx.call_arguments:
            ctx.follow_up(_VARIABLE_FACTORIES[name])
            return updated
        op = BACKEND_SPECS.get(name)
        if op is None:
            ctx.follow_up(f"K.{name} does not exist in Keras 3: find the keras.ops equivalent")
            return updated
        if (
            name == "l2_normalize"
            and len(positional(updated)) < 2
            and get_kwarg(updated, "axis") is None
        ):
            ctx.follow_up(
                "K.l2_normalize without axis normalised over all axes: pass axis "
                "explicitly to keras.ops.normalize"
            )
            return updated
        new = op.apply(updated, ctx.keras(op.target))
        if new is None:
            ctx.follow_up(
                f"K.{name}: arguments could not be mapped to keras.{op.target} "
                "automatically - rewrite by hand"
            )
            return updated
        ctx.change(f"K.{name} -> keras.{op.target}")
        return new

    def _special(
        self, ctx: RuleContext, name: str, call: cst.Call, *, indexed: bool = False
    ) -> cst.BaseExpression:
        args = positional(call)
        if has_star_args(call):
            ctx.follow_up(f"K.{name}: rewrite by hand (called with *args/**kwargs)")
            return call
        codes = [_code(a.value) for a in args]
        kw = {a.keyword.value: _code(a.value) for a in call.args if a.keyword is not None}
        keras = "keras"  # scheduled for import only when a rewrite is made

        def arg(index: int, keyword: str) -> str | None:
            return codes[index] if len(codes) > index else kw.get(keyword)

        new: str | None = None
        message = f"K.{name} changed contract in Keras 3: rewrite this call by hand"
        if name == "shape":
            x = arg(0, "x")
            if x and not indexed:
                ctx.follow_up(_SHAPE_NOTE)
                return call
            if x:
                new = f"{keras}.ops.shape({x})"
        elif name in ("int_shape", "get_variable_shape"):
            # the static shape, ints and None: what ``x.shape`` holds on every backend
            # (keras.ops.shape gives tensors for unknown dims in TF graphs instead of None)
            node = args[0].value if args else _kwvalue(call, "x")
            if node is not None:
                x = _code(node)
                simple = isinstance(node, (cst.Name, cst.Attribute, cst.Call, cst.Subscript))
                new = f"tuple({x if simple else f'({x})'}.shape)"
        elif name == "slice":
            x, start, size = arg(0, "x"), arg(1, "start"), arg(2, "size")
            sizes = _literal_ints(args[2].value if len(args) > 2 else _kwvalue(call, "size"))
            if x and start and size and sizes is not None and all(v >= 0 for v in sizes):
                new = f"{keras}.ops.slice({x}, {start}, {size})"
            else:
                message = (
                    "K.slice: a size of -1 meant 'to the end of that axis', which "
                    "keras.ops.slice does not accept: use Python slicing (x[:, 1:]) or "
                    "keras.ops.slice(x, start, sizes) with explicit non-negative sizes"
                )
        elif name == "in_top_k":
            predictions, targets, k = arg(0, "predictions"), arg(1, "targets"), arg(2, "k")
            if predictions and targets and k:
                new = f"{keras}.ops.in_top_k({targets}, {predictions}, {k})"
        elif name == "switch":
            condition, then, other = (
                arg(0, "condition"),
                arg(1, "then_expression"),
                arg(2, "else_expression"),
            )
            if condition and then and other:
                lambdas = all(isinstance(a.value, cst.Lambda) for a in args[1:3]) and len(args) >= 3
                op = "cond" if lambdas else "where"
                new = f"{keras}.ops.{op}({condition}, {then}, {other})"
        elif name == "repeat":
            x, n = arg(0, "x"), arg(1, "n")
            if x and n:
                new = f"{keras}.ops.repeat({keras}.ops.expand_dims({x}, 1), {n}, axis=1)"
        elif name == "relu":
            x = arg(0, "x")
            alpha, max_value, threshold = arg(1, "alpha"), arg(2, "max_value"), arg(3, "threshold")
            constant = all(
                v is None or _is_constant(c)
                for v, c in (
                    (alpha, _arg_node(call, 1, "alpha")),
                    (max_value, _arg_node(call, 2, "max_value")),
                    (threshold, _arg_node(call, 3, "threshold")),
                )
            )
            if x and not (alpha or max_value or threshold):
                new = f"{keras}.ops.relu({x})"
            elif x and not constant:
                message = (
                    "K.relu with tensor alpha/max_value/threshold: keras.activations.relu "
                    "needs Python numbers; write it with ops: keras.ops.minimum("
                    "keras.ops.where(x >= threshold, x, alpha * (x - threshold)), max_value)"
                )
            elif x:
                extra = "".join(
                    f", {k}={v}"
                    for k, v in (
                        ("negative_slope", alpha),
                        ("max_value", max_value),
                        ("threshold", threshold),
                    )
                    if v
                )
                new = f"{keras}.activations.relu({x}{extra})"
        elif name == "hard_sigmoid":
            x = arg(0, "x")
            if x:
                new = f"{keras}.ops.clip(0.2 * ({x}) + 0.5, 0.0, 1.0)"
        elif name in ("set_value", "update", "update_add", "update_sub"):
            target, value = arg(0, "x"), arg(1, "value" if name == "set_value" else "new_x")
            if name in ("update_add", "update_sub"):
                value = arg(1, "increment" if name == "update_add" else "decrement")
            method = {
                "set_value": "assign",
                "update": "assign",
                "update_add": "assign_add",
                "update_sub": "assign_sub",
            }[name]
            if target and value:
                new = f"{target}.{method}({value})"
        elif name == "batch_get_value":
            xs = arg(0, "ops")
            if xs:
                new = f"[{keras}.ops.convert_to_numpy(v) for v in {xs}]"
        elif name == "flatten":
            x = arg(0, "x")
            if x:
                new = f"{keras}.ops.reshape({x}, (-1,))"
        elif name == "batch_flatten":
            x = arg(0, "x")
            if x:
                new = f"{keras}.ops.reshape({x}, ({keras}.ops.shape({x})[0], -1))"
        elif name == "bias_add":
            x, bias, fmt = arg(0, "x"), arg(1, "bias"), arg(2, "data_format")
            if x and bias and (fmt is None or fmt.strip("'\"") == "channels_last"):
                new = f"{keras}.ops.add({x}, {bias})"
        elif name == "cast_to_floatx":
            x = arg(0, "x")
            if x:
                new = f"{keras}.ops.cast({x}, {keras}.config.floatx())"
        elif name == "batch_dot":
            new, message = self._batch_dot(arg(0, "x"), arg(1, "y"), arg(2, "axes"))
        elif name == "set_image_dim_ordering":
            value = literal_string(args[0].value) if args else None
            if value in _ORDERING:
                new = f'{keras}.config.set_image_data_format("{_ORDERING[value]}")'
        elif name == "image_dim_ordering":
            return call  # handled with its comparison, or flagged per statement
        if new is None:
            ctx.follow_up(message)
            return call
        if "keras." in new:
            ctx.needs.add("keras")
        ctx.change(f"K.{name} -> {new.split('(')[0]}")
        expr = cst.parse_expression(new)
        if call.lpar:
            expr = expr.with_changes(lpar=call.lpar, rpar=call.rpar)
        return expr

    def _batch_dot(
        self, x: str | None, y: str | None, axes: str | None
    ) -> tuple[str | None, str]:
        """``K.batch_dot`` as an ``einsum`` whose subscripts fix both ranks at 3, so the
        rewrite equals Keras 2 on 3-D inputs and raises (never silently differs) on any
        other rank; ``axes=1`` (2-D or 3-D meaning) and other axes get a follow-up."""
        compact = (axes or "").replace(" ", "").strip("[]()")
        subscripts = {
            "2,1": "bij,bjk->bik",
            "2,2": "bij,bkj->bik",
            "2": "bij,bkj->bik",
            "1,1": "bji,bjk->bik",
        }.get(compact)
        if x and y and subscripts:
            return f'keras.ops.einsum("{subscripts}", {x}, {y})', ""
        return None, (
            "K.batch_dot has no keras.ops twin (its result depends on the ranks): for "
            'two 3-D inputs use keras.ops.einsum("bij,bjk->bik", x, y) (adjust the '
            "subscripts to the axes); for two 2-D inputs with axes=1 use "
            "keras.ops.sum(x * y, axis=1, keepdims=True)"
        )

    def leave_Comparison(
        self, ctx: RuleContext, original: cst.Comparison, updated: cst.Comparison
    ) -> cst.BaseExpression:
        left = original.left
        if not (
            isinstance(left, cst.Call) and _backend_function(ctx, left.func) == "image_dim_ordering"
        ):
            return updated
        if len(updated.comparisons) != 1:
            return updated
        target = updated.comparisons[0]
        value = literal_string(target.comparator)
        if value not in _ORDERING:
            return updated
        ctx.change("K.image_dim_ordering() == 'th'/'tf' -> keras.config.image_data_format()")
        new_left = cst.Call(ctx.keras("config.image_data_format"))
        return updated.with_changes(
            left=new_left,
            comparisons=[target.with_changes(comparator=cst.SimpleString(f'"{_ORDERING[value]}"'))],
        )

    def leave_SimpleStatementLine(
        self, ctx: RuleContext, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine
    ) -> cst.BaseStatement:
        if ctx.mentions("image_dim_ordering") and "image_dim_ordering" in _code(updated):
            ctx.follow_up(
                "K.image_dim_ordering() returned 'th'/'tf'; use "
                "keras.config.image_data_format() ('channels_first'/'channels_last')"
            )
        return updated
