"""Rule ``tf-ops``: TensorFlow calls inside Keras code to ``keras.ops``/``keras.random``.

Only code that runs on Keras tensors is touched: ``call``/``build``/``train_step`` of
custom layers and models, methods of Keras subclasses, functions used as losses or
metrics (or taking ``y_true, y_pred``), and ``Lambda`` layer functions. There, a TF op
with a same-semantics Keras op is rewritten (arguments mapped by name, TF defaults that
differ made explicit, ``tf.float32`` -> ``"float32"``) so the code runs on every backend.
Other ``tf.`` uses there get one follow-up per statement; the report lists every ``tf.``
use left anywhere in the file.
"""

from __future__ import annotations

import re

import libcst as cst

from keras_migrate.codemods.callargs import OpSpec, positional, spec
from keras_migrate.codemods.facts import Facts
from keras_migrate.codemods.rule import Rule, RuleContext
from keras_migrate.codemods.triggers import Trigger
from keras_migrate.ir.ops.tf import TF_OPS

__all__ = ["TF_SPECS", "TfOps"]


def _tf(
    function: str,
    target: str,
    keras_names: str,
    *,
    positional: int = 1,
    defaults: str = "",
    aliases: str = "",
    drop: str = "name",
) -> OpSpec:
    """The spec of a TF function the converter runs too: its parameters, in TF's order,
    come from :data:`keras_migrate.ir.ops.tf.TF_OPS` (one signature table for both);
    ``keras_names`` names the Keras 3 parameter each leading TF parameter becomes (``-``:
    dropped)."""
    params = TF_OPS[function].params
    names = keras_names.split()
    if len(names) > len(params):
        raise ValueError(f"tf.{function} has {len(params)} parameters, not {len(names)}")
    items, dropped = [], drop.split()
    for old, new in zip(params, names, strict=False):
        if new == "-":
            dropped.append(old)
        items.append(old if new in (old, "-") else f"{old}:{new}")
    return spec(
        target,
        " ".join(items),
        positional=positional,
        defaults=defaults,
        aliases=aliases,
        drop=" ".join(dropped),
    )


#: TF reductions -> keras.ops (``tf.reduce_x`` is ``tf.math.reduce_x``).
_REDUCE = {
    "reduce_sum": "sum",
    "reduce_mean": "mean",
    "reduce_max": "max",
    "reduce_min": "min",
    "reduce_prod": "prod",
    "reduce_any": "any",
    "reduce_all": "all",
    "reduce_logsumexp": "logsumexp",
    "reduce_std": "std",
    "reduce_variance": "var",
}
#: One-tensor ``tf.math`` functions -> keras.ops.
_UNARY = {
    "abs": "abs",
    "exp": "exp",
    "log": "log",
    "sqrt": "sqrt",
    "square": "square",
    "sign": "sign",
    "tanh": "tanh",
    "sigmoid": "sigmoid",
    "floor": "floor",
    "ceil": "ceil",
    "round": "round",
    "sin": "sin",
    "cos": "cos",
    "negative": "negative",
    "log1p": "log1p",
    "expm1": "expm1",
    "rsqrt": "rsqrt",
    "reciprocal": "reciprocal",
    "erf": "erf",
    "logical_not": "logical_not",
    "softplus": "softplus",
}
#: One-tensor ``tf.math`` functions the converter does not run (signature ``(x)``).
_UNARY_CHECKS = {"is_nan": "isnan", "is_inf": "isinf", "is_finite": "isfinite"}
_BINARY = {
    "maximum": "maximum",
    "minimum": "minimum",
    "add": "add",
    "subtract": "subtract",
    "multiply": "multiply",
    "divide": "divide",
    "pow": "power",
    "equal": "equal",
    "not_equal": "not_equal",
    "greater": "greater",
    "greater_equal": "greater_equal",
    "less": "less",
    "less_equal": "less_equal",
    "logical_and": "logical_and",
    "logical_or": "logical_or",
    "floordiv": "floor_divide",
    "truediv": "true_divide",
    "divide_no_nan": "divide_no_nan",
}
_NN = {
    "relu": "relu",
    "relu6": "relu6",
    "elu": "elu",
    "selu": "selu",
    "softsign": "softsign",
    "sigmoid": "sigmoid",
    "tanh": "tanh",
    "silu": "silu",
    "swish": "silu",
}

TF_SPECS: dict[str, OpSpec] = {}
for _fn, _op in _REDUCE.items():
    _s = _tf(
        f"math.{_fn}",
        f"ops.{_op}",
        "x axis keepdims",
        aliases="keep_dims:keepdims reduction_indices:axis",
    )
    TF_SPECS[_fn] = TF_SPECS[f"math.{_fn}"] = _s
for _fn, _op in _UNARY.items():
    TF_SPECS[_fn] = TF_SPECS[f"math.{_fn}"] = _tf(f"math.{_fn}", f"ops.{_op}", "x")
for _fn, _op in _UNARY_CHECKS.items():
    TF_SPECS[_fn] = TF_SPECS[f"math.{_fn}"] = spec(f"ops.{_op}", "x")
for _fn, _op in _BINARY.items():
    _s = _tf(f"math.{_fn}", f"ops.{_op}", "x y", positional=2)
    TF_SPECS[_fn] = TF_SPECS[f"math.{_fn}"] = _s
for _fn, _op in _NN.items():
    TF_SPECS[f"nn.{_fn}"] = _tf(f"nn.{_fn}", f"ops.{_op}", "x")
TF_SPECS["nn.softplus"] = _tf("math.softplus", "ops.softplus", "x")  # the same TF function
TF_SPECS.update(
    {
        "argmax": _tf(
            "math.argmax", "ops.argmax", "x axis -", aliases="dimension:axis", defaults="axis=0"
        ),
        "argmin": _tf(
            "math.argmin", "ops.argmin", "x axis -", aliases="dimension:axis", defaults="axis=0"
        ),
        "cumsum": spec("ops.cumsum", "x axis", defaults="axis=0"),
        "matmul": _tf("matmul", "ops.matmul", "x1 x2", positional=2),
        "linalg.matmul": _tf("linalg.matmul", "ops.matmul", "x1 x2", positional=2),
        "concat": _tf("concat", "ops.concatenate", "xs axis"),
        "stack": _tf("stack", "ops.stack", "x axis"),
        "unstack": _tf("unstack", "ops.unstack", "x num axis"),
        "reshape": _tf("reshape", "ops.reshape", "x newshape", positional=2),
        "transpose": _tf("transpose", "ops.transpose", "x axes"),
        "expand_dims": _tf(
            "expand_dims", "ops.expand_dims", "x axis", positional=2, aliases="dim:axis"
        ),
        "squeeze": _tf("squeeze", "ops.squeeze", "x axis", aliases="squeeze_dims:axis"),
        "tile": _tf("tile", "ops.tile", "x repeats", positional=2),
        "gather": _tf("gather", "ops.take", "x indices - axis", positional=2, defaults="axis=0"),
        "cast": _tf("cast", "ops.cast", "x dtype", positional=2),
        "shape": spec("ops.shape", "input:x", drop="name out_type"),
        "size": spec("ops.size", "input:x"),
        "zeros": spec("ops.zeros", "shape dtype"),
        "ones": spec("ops.ones", "shape dtype"),
        "zeros_like": spec("ops.zeros_like", "input:x dtype"),
        "ones_like": spec("ops.ones_like", "input:x dtype"),
        "range": spec("ops.arange", "start limit:stop delta:step dtype", positional=3),
        "one_hot": spec("ops.one_hot", "indices:x depth:num_classes axis dtype", positional=2),
        "clip_by_value": _tf("clip_by_value", "ops.clip", "x x_min x_max", positional=3),
        "stop_gradient": spec("ops.stop_gradient", "input:variable"),
        "convert_to_tensor": spec("ops.convert_to_tensor", "value:x dtype"),
        "identity": spec("ops.copy", "input:x"),
        "math.top_k": spec("ops.top_k", "input:x k sorted"),
        "nn.top_k": spec("ops.top_k", "input:x k sorted"),
        "math.in_top_k": spec("ops.in_top_k", "targets predictions k", positional=3),
        "math.segment_sum": spec("ops.segment_sum", "data segment_ids", positional=2),
        "nn.gelu": _tf("nn.gelu", "ops.gelu", "x approximate", defaults="approximate=False"),
        "nn.softmax": _tf("nn.softmax", "ops.softmax", "x axis", aliases="dim:axis"),
        "nn.log_softmax": _tf("nn.log_softmax", "ops.log_softmax", "x axis", aliases="dim:axis"),
        "nn.leaky_relu": _tf("nn.leaky_relu", "ops.leaky_relu", "x negative_slope"),
        "nn.dropout": spec("random.dropout", "x rate noise_shape seed", positional=2),
        "nn.moments": spec(
            "ops.moments", "x axes keepdims", positional=2, aliases="keep_dims:keepdims"
        ),
        "nn.l2_normalize": _tf(
            "nn.l2_normalize", "ops.normalize", "x axis epsilon", aliases="dim:axis"
        ),
        "math.l2_normalize": _tf(
            "math.l2_normalize", "ops.normalize", "x axis epsilon", aliases="dim:axis"
        ),
        "nn.sigmoid_cross_entropy_with_logits": spec(
            "ops.binary_crossentropy",
            "labels:target logits:output",
            positional=2,
            defaults="from_logits=True",
        ),
        "nn.softmax_cross_entropy_with_logits": spec(
            "ops.categorical_crossentropy",
            "labels:target logits:output axis",
            positional=2,
            defaults="from_logits=True",
            aliases="dim:axis",
        ),
        "nn.sparse_softmax_cross_entropy_with_logits": spec(
            "ops.sparse_categorical_crossentropy",
            "labels:target logits:output",
            positional=2,
            defaults="from_logits=True",
        ),
        "random.normal": spec("random.normal", "shape mean stddev dtype seed"),
        "random_normal": spec("random.normal", "shape mean stddev dtype seed"),
        "random.uniform": spec("random.uniform", "shape minval maxval dtype seed"),
        "random_uniform": spec("random.uniform", "shape minval maxval dtype seed"),
        "random.truncated_normal": spec("random.truncated_normal", "shape mean stddev dtype seed"),
        "truncated_normal": spec("random.truncated_normal", "shape mean stddev dtype seed"),
    }
)

_DTYPES = frozenset(
    {
        "float16",
        "float32",
        "float64",
        "bfloat16",
        "int8",
        "int16",
        "int32",
        "int64",
        "uint8",
        "uint16",
        "uint32",
        "uint64",
        "bool",
        "complex64",
        "complex128",
    }
)


#: Concrete replacements for calls left on TF, appended to the follow-up.
_HINTS = {
    "split": "; keras.ops.split takes split indices, not sizes: pass the running sums of "
    "the sizes without the last (sizes [2, 3, 1] -> keras.ops.split(x, [2, 5], axis))",
}


def _split_call(call: cst.Call) -> cst.Call | None:
    """``tf.split(x, N[, axis])`` with an integer literal ``N`` is N equal parts, exactly
    ``keras.ops.split(x, N, axis)`` (both default to axis 0). A literal list of sizes
    (no ``-1``) is given as split indices in keras.ops: its running sums without the last
    (``[1, 3]`` -> ``[1]``). Anything else (computed sizes, ``num=``) returns ``None``."""
    names = ("value", "num_or_size_splits", "axis")
    bound: dict[str, cst.Arg] = {}
    for index, arg in enumerate(call.args):
        if arg.star:
            return None
        key = arg.keyword.value if arg.keyword else (names[index] if index < 3 else "")
        if key not in names:
            return None  # num= or name=: left as it was
        bound[key] = arg
    parts = bound.get("num_or_size_splits")
    if "value" not in bound or parts is None:
        return None
    if isinstance(parts.value, cst.Integer):
        return _split_keywords(call)
    if not isinstance(parts.value, (cst.List, cst.Tuple)):
        return None
    sizes = [e.value for e in parts.value.elements]
    if not sizes or not all(isinstance(v, cst.Integer) for v in sizes):
        return None
    running, indices = 0, []
    for size in sizes[:-1]:
        running += int(size.value)  # type: ignore[attr-defined]
        indices.append(f"{running}")
    new_parts = parts.with_changes(value=cst.parse_expression(f"[{', '.join(indices)}]"))
    call = call.with_changes(args=[new_parts if a is parts else a for a in call.args])
    return _split_keywords(call)


def _split_keywords(call: cst.Call) -> cst.Call:
    """TF's keyword names -> keras.ops.split's (``value`` -> ``x``)."""
    names = {"value": "x", "num_or_size_splits": "indices_or_sections"}
    return call.with_changes(
        args=[
            a.with_changes(keyword=cst.Name(names[a.keyword.value]))
            if a.keyword is not None and a.keyword.value in names
            else a
            for a in call.args
        ]
    )


def _tf_name(ctx: RuleContext, node: cst.BaseExpression) -> str | None:
    for name in ctx.legacy_names(node):
        if name.startswith("tensorflow.") and not name.startswith("tensorflow.keras"):
            return name[len("tensorflow.") :]
    return None


class TfOps(Rule):
    """TensorFlow ops in Keras code to keras.ops (see module docstring)."""

    id = "tf-ops"
    description = (
        "tf.* calls inside custom layers/models, losses, metrics, Lambda functions and "
        "train_step to keras.ops/keras.random so the code runs on every backend"
    )

    def _aliases(self, facts: Facts) -> str | None:
        aliases = [
            a
            for a, ts in facts.bindings.items()
            if any(
                t == "tensorflow"
                or (
                    t.startswith("tensorflow.")
                    and not t.startswith(("tensorflow.keras", "tensorflow.python.keras"))
                )
                for t in ts
            )
        ]
        return "|".join(map(re.escape, aliases)) if aliases else None

    def triggers(self, facts: Facts) -> list[Trigger]:
        aliases = self._aliases(facts)
        # module-level code: only Lambda layers run TF ops on Keras tensors
        return [rf"(?s:\bLambda\s*\(.*\b(?:{aliases})\s*\.)"] if aliases else []

    def keras_code_triggers(self, facts: Facts) -> list[Trigger]:
        aliases = self._aliases(facts)
        return [rf"\b(?:{aliases})\s*\."] if aliases else []

    def leave_Call(
        self, ctx: RuleContext, original: cst.Call, updated: cst.Call
    ) -> cst.BaseExpression:
        if not ctx.in_keras_code:
            return updated
        name = _tf_name(ctx, original.func)
        if name is None:
            return updated
        if name in ("einsum", "linalg.einsum") and all(
            a.keyword is None or a.keyword.value == "name" for a in updated.args
        ):
            ctx.change("tf.einsum -> keras.ops.einsum")
            args = [a for a in updated.args if a.keyword is None]
            return updated.with_changes(func=ctx.keras("ops.einsum"), args=args)
        split = _split_call(updated) if name == "split" else None
        if split is not None:
            ctx.change("tf.split -> keras.ops.split")
            return split.with_changes(func=ctx.keras("ops.split"))
        if name == "where" and len(positional(updated)) == 3:
            ctx.change("tf.where -> keras.ops.where")
            return updated.with_changes(func=ctx.keras("ops.where"))
        op = TF_SPECS.get(name)
        if op is not None:
            new = op.apply(updated, ctx.keras(op.target))
            if new is not None:
                ctx.change(f"tf.{name} -> keras.{op.target}")
                return new
        ctx.follow_up(
            f"tf.{name} has no same-semantics keras.ops replacement here: this "
            "line only runs on the TensorFlow backend" + _HINTS.get(name, "")
        )
        return updated

    def leave_Attribute(
        self, ctx: RuleContext, original: cst.Attribute, updated: cst.Attribute
    ) -> cst.BaseExpression:
        if not ctx.in_keras_code:
            return updated
        name = _tf_name(ctx, original)
        if name is None:
            return updated
        if name in _DTYPES:
            ctx.change(f"tf.{name} -> {name!r}")
            return cst.SimpleString(f'"{name}"')
        if name == "newaxis":
            ctx.change("tf.newaxis -> None")
            return cst.Name("None")
        return updated
