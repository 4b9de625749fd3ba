"""Static proofs for the legacy table's ``inferred`` conditions: dtype, rank, numbers.

Some legacy functions equal their ``keras.ops`` form only in some cases: ``K.mean`` on a
floating tensor (on integers it truncated), ``K.dot`` with a 2-D right operand, ``K.clip``
with ``min_value <= max_value``, ``K.switch`` with a condition of the branches' rank...
(:mod:`keras_migrate.ir.ops.legacy.records`). A codemod may apply such a case only where it
can PROVE the case; this module is that proof, read from the original source with the fast
stdlib ``ast`` over the enclosing function (and, for ``self.x`` attributes, every method of
the enclosing class). Nothing is guessed: an expression whose dtype or rank is not shown
by the rules below is "unknown", and the caller keeps the call with the table's follow-up.

What proves a **floating** dtype:

- a producer whose result is floating whatever its input: a float literal; true division
  ``/`` (TF divided integers to float64, Python and NumPy to float); ``log``/``exp``/
  ``sqrt``/``sigmoid``/``softmax``/``tanh``...; ``K.epsilon()``; ``K.constant``,
  ``K.variable``, ``K.zeros``..., ``add_weight``, ``keras.Input``, ``np.random.*`` and
  ``K.random_*`` without an integer ``dtype``; ``cast(x, 'float32' | K.floatx() | tf.float32)``;
- ``y_pred`` of a function taking ``(y_true, y_pred)`` (a loss or metric: the model's
  output, floating since Keras trained it by gradients);
- the operands of one TensorFlow op share one dtype (TF never promoted: ``int_tensor * 0.5``
  and ``int_tensor + float_tensor`` raised), so inside Keras code (a custom layer's methods,
  a loss, a Lambda function: tensors) the operands of ``+ - * // % **``, of ``concat``/
  ``stack``, of ``where``/``switch`` branches and the arguments of dtype-preserving
  functions (``square``, ``abs``, ``sum``, ``reshape``...) are one dtype class with the
  result, and names with what they are assigned. A class holding both a floating and an
  integer producer (a name reused for both) proves nothing.

What proves a **rank**: number literals (0), nested list/tuple literals, ``add_weight(shape=
(...))`` (also Keras 1's positional shape), ``keras.Input(shape=...)`` (+1 for the batch
axis) or ``batch_shape=``, ``K.variable``/``K.constant``/``np.array`` of a literal, ``np.zeros``
of a literal shape, and names or ``self.x`` whose every assignment in the scope has that
rank. Two arguments of one call have the **same rank** when both are known and equal, or
both are the same name (one value within one call) reached through elementwise functions
and operators whose other operand is a scalar (``K.greater(x, 0)`` has the rank of ``x``).

**Numbers** (``ordered``): literals and their arithmetic, and ``K.epsilon()`` (1e-7) unless
the document calls ``set_epsilon``. **Concrete** values: list/tuple literals, ``np.*`` calls,
and names only ever assigned those.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field

from keras_migrate.codemods.facts import Facts, dotted_of

__all__ = ["Inference", "Scope", "enclosing_scope"]

#: functions whose result is floating whatever the input (TF raised on integer input)
_FLOAT_RESULT = frozenset(
    {
        "log", "exp", "sqrt", "rsqrt", "sigmoid", "hard_sigmoid", "tanh", "softmax",
        "log_softmax", "softplus", "softsign", "elu", "selu", "gelu", "erf", "log1p",
        "expm1", "sin", "cos", "tan", "l2_normalize", "epsilon", "random_normal",
        "random_uniform", "truncated_normal", "random_normal_variable",
        "random_uniform_variable", "rand", "randn", "random", "normal", "uniform",
        "glorot_uniform", "reduce_logsumexp", "logsumexp", "reciprocal", "divide_no_nan",
        "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy",
    }
)
#: functions whose result has their first tensor argument's dtype
_PRESERVE_FIRST = frozenset(
    {
        "abs", "square", "negative", "sign", "sum", "max", "min", "prod", "cumsum",
        "cumprod", "reduce_sum", "reduce_max", "reduce_min", "reduce_prod", "mean",
        "reduce_mean", "expand_dims", "squeeze", "reshape", "transpose", "permute_dimensions",
        "tile", "repeat", "repeat_elements", "identity", "flatten", "batch_flatten", "clip",
        "clip_by_value", "relu", "round", "floor", "ceil", "pow", "stop_gradient",
        "reverse", "gather", "slice", "spatial_2d_padding", "temporal_padding", "pad",
        "resize_images", "pool2d", "max_pool", "avg_pool", "split", "unstack",
    }
)
#: functions whose tensor arguments and result all share one dtype
_JOIN_ALL = frozenset(
    {
        "maximum", "minimum", "add", "subtract", "multiply", "dot", "matmul", "batch_dot",
        "bias_add", "conv1d", "conv2d", "conv3d", "squared_difference", "tensordot",
    }
)
#: functions taking a list of tensors that share the result's dtype
_JOIN_LIST = frozenset({"concatenate", "concat", "stack", "add_n"})
#: producers of a new tensor whose dtype is floatx unless ``dtype=`` says otherwise
_FLOATX_FACTORIES = frozenset(
    {"constant", "variable", "zeros", "ones", "eye", "placeholder", "add_weight", "Input",
     "ones_like", "zeros_like", "zeros_variable", "ones_variable"}
)
#: elementwise functions (the result has the broadcast rank of the arguments)
_ELEMENTWISE = frozenset(
    {
        "abs", "square", "sqrt", "exp", "log", "sigmoid", "tanh", "relu", "sign", "round",
        "negative", "cast", "greater", "greater_equal", "less", "less_equal", "equal",
        "not_equal", "maximum", "minimum", "clip", "logical_and", "logical_or",
        "logical_not", "add", "subtract", "multiply", "divide", "pow", "softplus",
        "identity", "stop_gradient",
    }
)
#: layers whose output is floating whatever their input (they compute in floatx)
_FLOAT_LAYERS = frozenset(
    {
        "Dense", "Conv1D", "Conv2D", "Conv3D", "Conv2DTranspose", "Conv3DTranspose",
        "SeparableConv1D", "SeparableConv2D", "DepthwiseConv2D", "Convolution1D",
        "Convolution2D", "Convolution3D", "Embedding", "LSTM", "GRU", "SimpleRNN",
        "BatchNormalization", "LayerNormalization", "Softmax",
    }
)
_INT_DTYPES = ("int", "uint", "bool")
_DEFAULT_EPSILON = 1e-7


@dataclass(frozen=True, slots=True)
class Scope:
    """Where a call is: its innermost function (``None`` at module level) and the class
    whose method that function is (``None`` outside a class)."""

    function: ast.FunctionDef | ast.AsyncFunctionDef | None = None
    cls: ast.ClassDef | None = None


def enclosing_scope(tree: ast.Module, line: int) -> Scope:
    """The :class:`Scope` of source line ``line`` in ``tree``."""
    function: ast.FunctionDef | ast.AsyncFunctionDef | None = None
    cls: ast.ClassDef | None = None
    owner: ast.ClassDef | None = None
    body: list[ast.stmt] = tree.body
    while True:
        for stmt in body:
            if stmt.lineno <= line <= (stmt.end_lineno or stmt.lineno):
                break
        else:
            return Scope(function, owner)
        if isinstance(stmt, ast.ClassDef):
            cls = stmt
            body = stmt.body
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            owner = cls if function is None or cls is not None else None
            function, cls = stmt, None
            body = stmt.body
        else:
            nested = [
                b for b in _child_bodies(stmt) if b and b[0].lineno <= line <= (b[-1].end_lineno or 0)
            ]
            if not nested:
                return Scope(function, owner)
            body = nested[0]


def _child_bodies(stmt: ast.stmt) -> Iterator[list[ast.stmt]]:
    for name in ("body", "orelse", "finalbody"):
        value = getattr(stmt, name, None)
        if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
            yield value
    for handler in getattr(stmt, "handlers", ()):
        yield handler.body
    for case in getattr(stmt, "cases", ()):
        yield case.body


def _number_literal(node: ast.expr) -> bool:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        node = node.operand
    return isinstance(node, ast.Constant) and type(node.value) in (int, float)


def _literal_depth(node: ast.expr) -> int | None:
    if _number_literal(node) or (isinstance(node, ast.Constant) and isinstance(node.value, bool)):
        return 0
    if isinstance(node, (ast.List, ast.Tuple)) and node.elts:
        depths = {_literal_depth(e) for e in node.elts}
        if len(depths) == 1 and None not in depths:
            (depth,) = depths
            return None if depth is None else depth + 1
    return None


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


@dataclass(slots=True)
class _Classes:
    """Union-find over dtype terms, with the floating/integer marks of each class."""

    parent: dict[object, object] = field(default_factory=dict)
    marks: dict[object, set[str]] = field(default_factory=dict)

    def find(self, term: object) -> object:
        root = term
        while self.parent.get(root, root) != root:
            root = self.parent[root]
        while term != root:
            term, self.parent[term] = self.parent.get(term, term), root
        return root

    def join(self, a: object, b: object) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[ra] = rb
            self.marks.setdefault(rb, set()).update(self.marks.pop(ra, set()))

    def mark(self, term: object, kind: str) -> None:
        self.marks.setdefault(self.find(term), set()).add(kind)

    def floating(self, term: object) -> bool:
        return self.marks.get(self.find(term), set()) == {"float"}


class Inference:
    """The proofs for one :class:`Scope` of a document (built once per scope, lazily)."""

    def __init__(self, facts: Facts, scope: Scope) -> None:
        self.facts = facts
        self.scope = scope
        self._classes: _Classes | None = None
        self._assigned: dict[str, list[ast.expr]] | None = None

    # -- names -----------------------------------------------------------------------------
    def _function_name(self, func: ast.expr) -> str | None:
        """The last component of a Keras/TF/NumPy function (``log`` for ``tf.math.log``,
        ``add_weight`` for ``self.add_weight``, ``Input`` for ``keras.Input``)."""
        name = dotted_of(func)
        if name is None:
            return None
        root, _, _ = name.partition(".")
        last = name.rsplit(".", 1)[-1]
        if root == "self" and name.count(".") == 1:
            return last if last == "add_weight" else None
        if self.facts.numpy_alias and root == self.facts.numpy_alias:
            return last
        if any(n.startswith(("keras.", "tensorflow.", "numpy.")) for n in self.facts.legacy_names(name)):
            return last
        return None

    def _is_numpy(self, func: ast.expr) -> bool:
        name = dotted_of(func)
        if name is None:
            return False
        root = name.partition(".")[0]
        return (self.facts.numpy_alias is not None and root == self.facts.numpy_alias) or any(
            n.startswith("numpy.") for n in self.facts.legacy_names(name)
        )

    def _scopes(self) -> list[ast.AST]:
        """The function, and every method of its class (for ``self.x``)."""
        out: list[ast.AST] = []
        if self.scope.cls is not None:
            out.extend(s for s in self.scope.cls.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)))
        if self.scope.function is not None and self.scope.function not in out:
            out.append(self.scope.function)
        return out

    def _key(self, node: ast.expr, owner: ast.AST) -> object | None:
        """The dtype term of a name (per function) or ``self.x`` (per class)."""
        if isinstance(node, ast.Name):
            return ("name", id(owner), node.id)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
            return ("self", node.attr)
        return None

    def assigned(self) -> dict[str, list[ast.expr]]:
        """Name or ``self.x`` -> the values assigned to it in the function (``self.x``: in
        the whole class); a name also bound by a loop, ``with``, an import or augmented
        assignment gets a ``None`` entry (its value is not known)."""
        if self._assigned is not None:
            return self._assigned
        out: dict[str, list[ast.expr]] = {}
        for owner in self._scopes():
            own = owner is self.scope.function
            for node in ast.walk(owner):
                targets: list[ast.expr] = []
                value: ast.expr | None = None
                if isinstance(node, ast.Assign):
                    targets, value = node.targets, node.value
                elif isinstance(node, ast.AnnAssign):
                    targets, value = [node.target], node.value
                elif isinstance(node, (ast.AugAssign, ast.For, ast.comprehension)):
                    targets = [node.target]
                elif isinstance(node, ast.withitem) and node.optional_vars is not None:
                    targets = [node.optional_vars]
                elif isinstance(node, ast.NamedExpr):
                    targets, value = [node.target], node.value
                for target in targets:
                    single = value if isinstance(target, (ast.Name, ast.Attribute)) else None
                    for t in ast.walk(target):
                        name = _target_name(t)
                        if name is None or (not own and not name.startswith("self.")):
                            continue
                        out.setdefault(name, []).append(single)  # type: ignore[arg-type]
            if own and isinstance(owner, (ast.FunctionDef, ast.AsyncFunctionDef)):
                args = owner.args
                for a in (*args.posonlyargs, *args.args, *args.kwonlyargs):
                    out.setdefault(a.arg, [])
        self._assigned = out
        return out

    # -- dtype -------------------------------------------------------------------------------
    def _build(self) -> _Classes:
        classes = _Classes()
        function = self.scope.function
        if function is not None:
            names = [a.arg for a in (*function.args.posonlyargs, *function.args.args)]
            if "y_true" in names[:3] and "y_pred" in names[:3]:
                # a loss/metric: y_pred is the model's output, which Keras trains only
                # as floating (gradients), and Keras 2 gave y_true the output's dtype
                classes.mark(("name", id(function), "y_pred"), "float")
        for owner in self._scopes():
            for node in ast.walk(owner):
                if isinstance(node, ast.expr):
                    self._dtype_facts(classes, node, owner)
                elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)) and node.value is not None:
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    for target in targets:
                        elements = target.elts if isinstance(target, (ast.Tuple, ast.List)) else [target]
                        for t in elements:
                            key = self._key(t, owner)
                            if key is not None:
                                classes.join(key, self._term(node.value, owner))
        return classes

    def _term(self, node: ast.expr, owner: ast.AST) -> object:
        key = self._key(node, owner)
        if key is not None:
            return key
        if isinstance(node, ast.Subscript):
            return self._term(node.value, owner)
        return id(node)

    def _dtype_facts(self, classes: _Classes, node: ast.expr, owner: ast.AST) -> None:
        term = self._term(node, owner)
        if isinstance(node, ast.Constant) and isinstance(node.value, float):
            classes.mark(term, "float")
        elif isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.Div):
                classes.mark(term, "float")
                return
            for side in (node.left, node.right):
                if _number_literal(side):
                    if (isinstance(side, ast.Constant) and isinstance(side.value, float)) or (
                        isinstance(side, ast.UnaryOp) and isinstance(side.operand, ast.Constant)
                        and isinstance(side.operand.value, float)
                    ):
                        classes.mark(term, "float")
                    continue
                classes.join(term, self._term(side, owner))
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            classes.join(term, self._term(node.operand, owner))
        elif isinstance(node, ast.IfExp):
            classes.join(term, self._term(node.body, owner))
            classes.join(term, self._term(node.orelse, owner))
        elif isinstance(node, ast.Call):
            self._call_facts(classes, node, term, owner)

    def _call_facts(self, classes: _Classes, node: ast.Call, term: object, owner: ast.AST) -> None:
        if isinstance(node.func, ast.Call) and (layer := dotted_of(node.func.func)) is not None:
            if any(
                n.startswith("keras.layers.") and n.rsplit(".", 1)[1] in _FLOAT_LAYERS
                for n in self.facts.legacy_names(layer)
            ):
                classes.mark(term, "float")  # Dense(3)(x): a floating layer's output
            return
        name = self._function_name(node.func)
        if name is None:
            return
        args = [a for a in node.args if not isinstance(a, ast.Starred)]
        if name == "cast" and len(args) + len(node.keywords) >= 2:
            dtype = args[1] if len(args) > 1 else _keyword(node, "dtype")
            kind = self._dtype_kind(dtype)
            if kind:
                classes.mark(term, kind)
            return
        if name in _FLOAT_RESULT:
            classes.mark(term, "float")
            return
        if name in ("argmax", "argmin", "shape", "size", "rank", "ndim", "int_shape", "one_hot_indices"):
            classes.mark(term, "int")
            return
        if name in _FLOATX_FACTORIES:
            dtype = _keyword(node, "dtype")
            if dtype is None and name in ("constant", "variable") and len(args) > 1:
                dtype = args[1]
            kind = "float" if dtype is None else self._dtype_kind(dtype)
            if name in ("ones_like", "zeros_like") and dtype is None:
                if args:
                    classes.join(term, self._term(args[0], owner))
                return
            if kind:
                classes.mark(term, kind)
            return
        if name in ("where", "switch") and len(args) == 3:
            classes.join(term, self._term(args[1], owner))
            classes.join(term, self._term(args[2], owner))
        elif name in _JOIN_LIST and args and isinstance(args[0], (ast.List, ast.Tuple)):
            for element in args[0].elts:
                classes.join(term, self._term(element, owner))
        elif name in _JOIN_ALL:
            for arg in args:
                if not _number_literal(arg):
                    classes.join(term, self._term(arg, owner))
        elif name in _PRESERVE_FIRST and args:
            classes.join(term, self._term(args[0], owner))

    def _dtype_kind(self, dtype: ast.expr | None) -> str | None:
        """``float``/``int`` for a dtype expression, ``None`` when not known."""
        if dtype is None:
            return None
        text: str | None = None
        if isinstance(dtype, ast.Constant) and isinstance(dtype.value, str):
            text = dtype.value
        elif isinstance(dtype, ast.Call) and self._function_name(dtype.func) == "floatx":
            return "float"
        elif isinstance(dtype, ast.Attribute) and self._function_name(dtype) is not None:
            text = dtype.attr
        if text is None:
            return None
        if "float" in text:
            return "float"
        return "int" if text.startswith(_INT_DTYPES) else None

    def floating(self, node: ast.expr) -> bool:
        """True when ``node`` (an expression of this scope) provably has a floating dtype."""
        if self.scope.function is None:
            # module level: only the expression itself (no dtype classes across statements)
            classes = _Classes()
            for sub in ast.walk(node):
                if isinstance(sub, ast.expr):
                    self._dtype_facts(classes, sub, node)
            return classes.floating(self._term(node, node))
        if self._classes is None:
            self._classes = self._build()
        owner = self.scope.function
        classes = self._classes
        if id(node) not in classes.parent and self._key(node, owner) is None:
            # an expression from outside the scope's tree: add its own facts
            for sub in ast.walk(node):
                if isinstance(sub, ast.expr):
                    self._dtype_facts(classes, sub, owner)
        return classes.floating(self._term(node, owner))

    # -- rank ------------------------------------------------------------------------------------
    def rank(self, node: ast.expr, depth: int = 0) -> int | None:
        """The rank of ``node`` when it is provably known."""
        if depth > 8:
            return None
        literal = _literal_depth(node)
        if literal is not None:
            return literal
        if isinstance(node, (ast.Name, ast.Attribute)) and (name := _target_name(node)) is not None:
            values = self.assigned().get(name)
            if not values or any(v is None for v in values):
                return None
            ranks = {self.rank(v, depth + 1) for v in values if v is not None}
            return ranks.pop() if len(ranks) == 1 and None not in ranks else None
        if not isinstance(node, ast.Call):
            return None
        name = self._function_name(node.func)
        args = node.args
        if name == "add_weight":
            shape = _keyword(node, "shape") or (args[0] if args and not isinstance(args[0], ast.Constant) else None)
            if shape is None and len(args) > 1 and isinstance(args[0], ast.Constant):
                shape = args[1]  # tf.keras add_weight(name, shape, ...)
            return _tuple_length(shape)
        if name == "Input":
            shape = _keyword(node, "shape") or (args[0] if args else None)
            batch = _keyword(node, "batch_shape")
            if batch is not None:
                return _tuple_length(batch)
            length = _tuple_length(shape)
            return None if length is None else length + 1
        if name in ("variable", "constant", "array", "asarray", "convert_to_tensor") and args:
            return self.rank(args[0], depth + 1)
        if name == "eye" and 1 <= len(args) <= 2 and all(k.arg in ("dtype", "name") for k in node.keywords):
            return 2  # K.eye(size), tf.eye(rows, cols), np.eye(n, m): no batch_shape
        if name in ("zeros", "ones", "empty", "random_normal", "random_uniform", "truncated_normal") and args:
            return _tuple_length(args[0])
        if name == "expand_dims" and args:  # K./tf./np.expand_dims(x, axis): one axis more
            inner = self.rank(args[0], depth + 1)
            return None if inner is None else inner + 1
        if name in ("transpose", "permute_dimensions", "l2_normalize", "abs", "exp", "tanh", "sigmoid") and args:
            return self.rank(args[0], depth + 1)  # same rank as the first argument
        return None

    def rank_key(self, node: ast.expr) -> object | None:
        """A rank when known, else a symbol standing for the rank of a never-reassigned name
        reached through elementwise operations with scalars; ``None`` when neither."""
        known = self.rank(node)
        if known is not None:
            return known
        if isinstance(node, ast.Name):
            # one name in the arguments of one call is one value, whatever it was
            # assigned before (the caller refuses arguments with ``:=``)
            return ("name", node.id)
        operands: list[ast.expr] = []
        if isinstance(node, ast.BinOp):
            operands = [node.left, node.right]
        elif isinstance(node, ast.Compare) and len(node.comparators) == 1:
            operands = [node.left, node.comparators[0]]
        elif isinstance(node, ast.UnaryOp):
            operands = [node.operand]
        elif isinstance(node, ast.Call) and self._function_name(node.func) in _ELEMENTWISE:
            operands = list(node.args)
            if self._function_name(node.func) == "cast":
                operands = operands[:1]
        keys = {self.rank_key(o) for o in operands if self.rank(o) != 0}
        if len(keys) == 1:
            return keys.pop()
        if not keys and operands:
            return 0
        return None

    # -- numbers, concrete values ------------------------------------------------------------------
    def number(self, node: ast.expr) -> float | None:
        """The value of a number expression (literals, arithmetic, ``K.epsilon()``)."""
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            return float(node.value)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            value = self.number(node.operand)
            return None if value is None else (-value if isinstance(node.op, ast.USub) else value)
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div)):
            left, right = self.number(node.left), self.number(node.right)
            if left is None or right is None:
                return None
            if isinstance(node.op, ast.Add):
                return left + right
            if isinstance(node.op, ast.Sub):
                return left - right
            if isinstance(node.op, ast.Mult):
                return left * right
            return None if right == 0 else left / right
        if (
            isinstance(node, ast.Call)
            and not node.args
            and not node.keywords
            and (name := dotted_of(node.func)) is not None
            and "keras.backend.epsilon" in self.facts.legacy_names(name)
            and "set_epsilon" not in self.facts.text
        ):
            return _DEFAULT_EPSILON
        return None

    def concrete(self, node: ast.expr, depth: int = 0) -> bool:
        """True when ``node`` is a Python or NumPy value (never a traced tensor)."""
        if depth > 8:
            return False
        if _literal_depth(node) is not None:
            return True
        if isinstance(node, ast.Call):
            return self._is_numpy(node.func)  # NumPy functions return NumPy values
        if isinstance(node, ast.Name):
            values = self.assigned().get(node.id)
            return bool(values) and all(v is not None and self.concrete(v, depth + 1) for v in values or ())
        return False


def _target_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
        return f"self.{node.attr}"
    return None


def _tuple_length(node: ast.expr | None) -> int | None:
    if isinstance(node, (ast.Tuple, ast.List)) and not any(isinstance(e, ast.Starred) for e in node.elts):
        return len(node.elts)
    return None
