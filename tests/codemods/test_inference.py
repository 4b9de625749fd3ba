"""Issue 14: a legacy-table case that holds only in some cases is applied only where the
engine PROVES the case (keras_migrate.codemods.inference), else the call is kept with the
table's follow-up. One proven and one unproven source per condition of the table that the
source alone cannot show (the former "assumed" conditions).
"""

from __future__ import annotations

import ast

import numpy as np
import pytest

from keras_migrate.codemods.facts import analyze
from keras_migrate.codemods.inference import Inference, Scope, enclosing_scope
from keras_migrate.codemods.rules import rule_ids
from keras_migrate.codemods.runner import Options, _engine
from keras_migrate.ir.ops.legacy import all_ops, lookup
from keras_migrate.ir.ops.legacy.records import CONDITION_KINDS
from keras_migrate.ir.ops.legacy.template import bind, select_case
from tests.codemods.conftest import upgrade_text

K = "from keras import backend as K\n"
TF = "import tensorflow as tf\nfrom tensorflow import keras\n"


def _layer(body: str, build: str = "") -> str:
    """A custom layer whose ``call(self, x)`` has ``body`` (one statement per line)."""
    built = "".join(f"        {line}\n" for line in build.splitlines()) if build else ""
    head = "    def build(self, input_shape):\n" + built if built else ""
    calls = "".join(f"        {line}\n" for line in body.splitlines())
    return f"class L(keras.layers.Layer):\n{head}    def call(self, x, c=None, y=None):\n{calls}"


W1 = "self.w = self.add_weight(shape=(4,), initializer='ones')"
W2 = "self.w = self.add_weight(shape=(4, 3), initializer='ones')"
W3 = "self.w = self.add_weight(shape=(4, 3, 2), initializer='ones')"
BN = "\n".join(f"self.{n} = self.add_weight(shape=(4,), initializer='ones')" for n in ("m", "v", "b", "g"))

#: (id, legacy entry, source, proven?): the call to the entry is the first one on the last line
CASES: list[tuple[str, str, str, bool]] = [
    # int_width: the int64 result is only compared, cast or used as an index
    ("argmax-compared", "keras.backend.argmax", K + "import keras\ndef acc(y_true, y_pred):\n    return K.cast(K.equal(K.argmax(y_true), K.argmax(y_pred)), 'float32')\n", True),
    ("argmax-cast", "keras.backend.argmax", K + "import keras\nlabels = K.cast(K.argmax(p), 'float32')\n", True),
    ("argmax-free", "keras.backend.argmax", K + "import keras\nlabels = K.argmax(p)\n", False),
    ("argmin-comparison", "keras.backend.argmin", K + "import keras\nhit = K.argmin(p) == 0\n", True),
    ("argmin-added", "keras.backend.argmin", K + "import keras\nnext_index = K.argmin(p) + 1\n", False),
    ("tf-argmax-cast", "tensorflow.math.argmax", TF + _layer("return tf.cast(tf.argmax(x, axis=-1), tf.float32)"), True),
    ("tf-argmax-free", "tensorflow.math.argmax", TF + _layer("return tf.argmax(x, axis=-1)"), False),
    ("tf-argmin-one-hot", "tensorflow.math.argmin", TF + _layer("return tf.one_hot(tf.argmin(x, axis=-1), 4)"), True),
    ("tf-argmin-free", "tensorflow.math.argmin", TF + _layer("return tf.argmin(x, axis=-1)"), False),
    # floating
    ("mean-loss", "keras.backend.mean", K + "import keras\ndef loss(y_true, y_pred):\n    return K.mean(K.square(y_pred - y_true), axis=-1)\n", True),
    ("mean-weight-operand", "keras.backend.mean", K + "import keras\n" + _layer("return x * self.g + K.mean(x, axis=-1)", "self.g = self.add_weight(shape=(4,), initializer='ones')"), True),
    ("mean-constant", "keras.backend.mean", K + "import keras\nm = K.mean(K.constant(values))\n", True),
    ("mean-unknown", "keras.backend.mean", K + "import keras\n" + _layer("return K.mean(x, axis=-1)"), False),
    ("mean-int-cast", "keras.backend.mean", K + "import keras\n" + _layer("x = K.cast(x, 'int32')\nreturn K.mean(x, axis=-1)"), False),
    ("tf-mean-where", "tensorflow.math.reduce_mean", TF + _layer("q = 0.5 * tf.square(x)\nreturn tf.reduce_mean(tf.where(x < 1.0, q, x))"), True),
    ("tf-mean-concat", "tensorflow.math.reduce_mean", TF + _layer("m = tf.reduce_mean(x, axis=-1, keepdims=True)\nreturn tf.concat([x, m, tf.math.log(m)], axis=-1)"), True),
    ("tf-mean-unknown", "tensorflow.math.reduce_mean", TF + _layer("return tf.reduce_mean(x, axis=-1)"), False),
    ("tf-divide-float", "tensorflow.math.divide", TF + _layer("return tf.divide(x, 2.0)"), True),
    ("tf-divide-unknown", "tensorflow.math.divide", TF + _layer("return tf.divide(x, y)"), False),
    ("tf-truediv-dense", "tensorflow.math.truediv", TF + _layer("h = keras.layers.Dense(3)(x)\nreturn tf.truediv(h, y)"), True),
    ("tf-truediv-unknown", "tensorflow.math.truediv", TF + _layer("return tf.truediv(x, y)"), False),
    # known_rank
    ("dot-weight-2d", "keras.backend.dot", K + "import keras\n" + _layer("return K.dot(x, self.w)", W2), True),
    ("dot-eye", "keras.backend.dot", K + "import keras\nz = K.dot(a, K.eye(4))\n", True),
    ("dot-expanded-weight", "keras.backend.dot",
     K + "import keras\n" + _layer("return K.dot(x, K.expand_dims(self.w, -1))", W1), True),
    ("dot-expanded-2d", "keras.backend.dot",
     K + "import keras\n" + _layer("return K.dot(x, K.expand_dims(self.w, -1))", W2), False),
    ("dot-weight-3d", "keras.backend.dot", K + "import keras\n" + _layer("return K.dot(x, self.w)", W3), False),
    ("dot-unknown", "keras.backend.dot", K + "import keras\n" + _layer("return K.dot(x, y)"), False),
    ("batchnorm-weights", "keras.backend.batch_normalization", K + "import keras\n" + _layer("return K.batch_normalization(x, self.m, self.v, self.b, self.g)", BN), True),
    ("batchnorm-moments", "keras.backend.batch_normalization", K + "import keras\n" + _layer("m, v = tf.nn.moments(x, [0], keepdims=True)\nreturn K.batch_normalization(x, m, v, self.b, self.g)", BN), False),
    # ordered
    ("clip-literals", "keras.backend.clip", K + "import keras\nz = K.clip(a, -1.0, 1.0)\n", True),
    ("clip-epsilon", "keras.backend.clip", K + "import keras\nz = K.clip(a, K.epsilon(), 1. - K.epsilon())\n", True),
    ("clip-reversed", "keras.backend.clip", K + "import keras\nz = K.clip(a, 1.0, 0.5)\n", False),
    ("clip-set-epsilon", "keras.backend.clip", K + "import keras\nK.set_epsilon(0.7)\nz = K.clip(a, K.epsilon(), 1. - K.epsilon())\n", False),
    ("clip-tensors", "keras.backend.clip", K + "import keras\nz = K.clip(a, lo, hi)\n", False),
    # same_rank
    ("switch-elementwise", "keras.backend.switch", K + "import keras\n" + _layer("return K.switch(K.greater(x, 0), x, 0.1 * x)"), True),
    ("switch-lambda", "keras.backend.switch", K + "import keras\nh = Lambda(lambda t: K.switch(K.greater(t, 0.0), t, 0.1 * t))(h)\n", True),
    ("switch-walrus", "keras.backend.switch", K + "import keras\nh = K.switch(K.greater(t, 0.0), (t := u), t)\n", False),
    ("switch-unknown", "keras.backend.switch", K + "import keras\n" + _layer("return K.switch(c, x, y)"), False),
    ("switch-reduced", "keras.backend.switch", K + "import keras\n" + _layer("s = K.sum(x, axis=-1)\nreturn K.switch(s > 0, x, -x)"), False),
    # concrete
    ("segment-sum-literal", "tensorflow.math.segment_sum", TF + _layer("return tf.math.segment_sum(x, [0, 0, 1])"), True),
    ("segment-sum-numpy", "tensorflow.math.segment_sum", "import numpy as np\n" + TF + _layer("ids = np.array([0, 1, 1])\nreturn tf.math.segment_sum(x, ids)"), True),
    ("segment-sum-traced", "tensorflow.math.segment_sum", TF + _layer("return tf.math.segment_sum(x, y)"), False),
]


def _rules(entry: str) -> tuple[str, ...]:
    return ("backend",) if entry.startswith("keras.backend.") else ("tf-ops",)


@pytest.mark.parametrize(("entry", "source", "proven"), [pytest.param(e, s, p, id=i) for i, e, s, p in CASES])
def test_condition_is_applied_only_where_proven(entry: str, source: str, proven: bool) -> None:
    op = lookup(entry)
    assert op is not None and op.follow_up
    short = entry.rsplit(".", 1)[1]
    out = upgrade_text(source, _rules(entry))
    last = out.rstrip("\n").rsplit("\n", 1)[1]
    if proven:
        assert op.follow_up not in out, out
        assert f".{short}(" not in last.replace(f"keras.ops.{short}(", "") or "keras.ops" in last, out
        assert "keras.ops." in last, out
    else:
        assert f"# keras-migrate: {op.follow_up}" in out, out
        assert f".{short}(" in last, out  # the legacy call is kept
    assert upgrade_text(out, _rules(entry)) == out  # idempotent


def test_every_condition_of_the_table_is_provable_or_flagged() -> None:
    """No entry relies on an unproven ("assumed") condition any more, and every entry with
    an inferred condition has a follow-up for the calls the engine cannot prove."""
    kinds = {c.kind for op in all_ops() for case in op.cases for c in case.conditions}
    assert "assumed" not in kinds
    inferred = {k for k, proof in CONDITION_KINDS.items() if proof == "inferred"}
    tested = {e for _, e, _, _ in CASES}
    for op in all_ops():
        needs = {c.kind for case in op.cases for c in case.conditions} & (inferred | {"int_width"})
        if needs:
            assert op.follow_up, op.name
            name = op.name.replace("tf.", "tensorflow.").replace("K.", "keras.backend.")
            assert name in tested or lookup(name) is None, f"{op.name}: no proven/unproven test"


def _inference(source: str, line: int) -> tuple[Inference, ast.Module]:
    tree = ast.parse(source)
    engine = _engine(Options(tuple(rule_ids()), check_names=False))
    facts = analyze([tree], [source], engine.renames, engine.emit)
    return Inference(facts, enclosing_scope(tree, line)), tree


def _expr(code: str) -> ast.expr:
    return ast.parse(code, mode="eval").body


@pytest.mark.parametrize(
    ("code", "rank"),
    [
        ("3", 0),
        ("[[1, 2], [3, 4]]", 2),
        ("self.w", 2),
        ("inp", 3),
        ("np.zeros((2, 3, 4))", 3),
        ("K.variable(np.array([[1.0]]))", 2),
        ("K.variable([[1.0]])", 2),
        ("z", None),  # assigned twice with different ranks
        ("x", None),  # a parameter
    ],
)
def test_rank(code: str, rank: int | None) -> None:
    source = (
        "import numpy as np\nimport keras\nfrom keras import backend as K\n"
        "class L(keras.layers.Layer):\n"
        "    def build(self, s):\n"
        "        self.w = self.add_weight(shape=(s[-1], 3))\n"
        "    def call(self, x):\n"
        "        inp = keras.Input(shape=(5, 2))\n"
        "        z = np.zeros((2,))\n"
        "        z = np.zeros((2, 2))\n"
        "        return x\n"
    )
    inference, _ = _inference(source, 11)
    assert inference.rank(_expr(code)) == rank


def test_enclosing_scope_and_module_level() -> None:
    source = "class A:\n    def f(self):\n        if x:\n            y = 1\n\nz = 2\n"
    tree = ast.parse(source)
    scope = enclosing_scope(tree, 4)
    assert scope.function is not None and scope.function.name == "f"
    assert scope.cls is not None and scope.cls.name == "A"
    assert enclosing_scope(tree, 6) == Scope()


@pytest.mark.parametrize(
    ("body", "name", "floating"),
    [
        ("a = x * 0.5\n    return a", "x", True),  # TF never promoted: x is floating
        ("a = x * 2\n    return a", "x", False),  # an int literal adapts to any dtype
        ("a = x / 3\n    return a", "a", True),  # true division is floating
        ("a = x * 0.5\n    a = K.cast(x, 'int32')\n    return a", "a", False),  # both: nothing
        ("a = K.argmax(x)\n    return a", "a", False),
        ("a = K.cast(x, K.floatx())\n    return a", "a", True),
    ],
)
def test_floating(body: str, name: str, floating: bool) -> None:
    source = f"from keras import backend as K\ndef f(x):\n    {body}\n"
    inference, _ = _inference(source, 3)
    assert inference.floating(_expr(name)) is floating


class _Symbolic:
    """A value with no dtype and no shape (as Lambda recovery's symbolic tensors)."""


@pytest.mark.parametrize(
    ("entry", "args", "template"),
    [
        ("keras.backend.mean", (np.ones(3),), "ops.mean(x, axis=axis, keepdims=keepdims)"),
        ("keras.backend.mean", (np.arange(3),), None),
        ("keras.backend.mean", (_Symbolic(),), "ops.mean(x, axis=axis, keepdims=keepdims)"),
        ("keras.backend.dot", (np.ones((2, 3)), np.ones((3, 4))), "ops.dot(x, y)"),
        ("keras.backend.dot", (np.ones((2, 3)), np.ones((2, 3, 4))), None),
        ("keras.backend.clip", (np.ones(3), 0.0, 1.0), "ops.clip(x, min_value, max_value)"),
        ("keras.backend.clip", (np.ones(3), 1.0, 0.5), None),
        ("keras.backend.switch", (np.ones(3) > 0, np.ones(3), np.zeros(3)), "ops.where(condition, then_expression, else_expression)"),
        ("keras.backend.switch", (np.ones(3) > 0, np.ones((2, 3)), np.zeros((2, 3))), None),
        # TF divided integers to float64: a case only values of known integer dtype select
        ("tf.math.divide", (np.arange(3), np.arange(1, 4)), "ops.divide(ops.cast(x, 'float64'), ops.cast(y, 'float64'))"),
        ("tf.math.reduce_mean", (np.arange(3),), "ops.cast(ops.mean(input_tensor, axis=axis, keepdims=keepdims), input_tensor.dtype)"),
        ("tf.math.reduce_mean", (_Symbolic(),), "ops.mean(input_tensor, axis=axis, keepdims=keepdims)"),
        ("tf.math.divide", (np.ones(3), np.arange(1, 4)), "ops.divide(x, y)"),
    ],
)
def test_run_time_checks_of_inferred_conditions(entry: str, args: tuple[object, ...], template: str | None) -> None:
    """On values (the differential tests, the evaluator) an inferred condition is checked on
    the dtype/rank; a symbolic value without either passes (its caller states the
    assumption, ``Condition.proof == "inferred"``)."""
    op = lookup(entry.replace("tf.", "tensorflow."))
    assert op is not None
    case = select_case(op, bind(op, args))
    assert (case.template if case else None) == template
