"""Evaluate a Lambda's instructions symbolically: tensors are IR values, calls become op steps.

The evaluator is a stack machine over the instruction stream of :mod:`.bytecode`, for the
instruction sets of CPython 2.7 and 3.4-3.12. Its values are Python constants (from
``co_consts``, the Lambda's ``arguments``, defaults and closure cells), :class:`Sym`
(a tensor: a Lambda input or a step's output), lists/tuples of them, slices, and
:class:`Global` (an attribute chain on a well-known module alias: ``K``, ``backend``,
``keras``, ``tf``, ``np``). Nothing is looked up in a real module and nothing is called:

- operators on tensors (``+ - * / // % ** @``, unary ``-``, comparisons) and subscripts are
  the TF functions tf.keras recorded for them (``math.truediv``, ``__operators__.getitem``),
  translated exactly as a ``TFOpLambda`` by
  :func:`keras_migrate.formats.tfkeras.layers.translate_tf_call`;
- ``K.*`` / ``keras.backend.*`` / ``tf.*`` calls go through the one table of legacy-op
  semantics (:func:`keras_migrate.ir.ops.legacy.lookup`): the case that holds is evaluated
  with a symbolic ``ops`` namespace, whose functions become Keras 3 op nodes
  (``keras.ops>Sum``) or, where Keras 3 has no op node, the TF function computing the same;
  a ``tf.*`` function outside the table but in the TF-op table is that TF function.

Anything else (an unknown global, a builtin such as ``print`` or ``open``, a jump, a nested
function, an attribute of a tensor) raises :class:`Refusal` naming the instruction or call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from keras_migrate.formats.lambdas.bytecode import Instruction, ReadCode, instructions
from keras_migrate.formats.rules import TranslateContext
from keras_migrate.formats.tfkeras.layers import TENSOR, translate_tf_call
from keras_migrate.ir.ops.keras3 import OPS, REQUIRED, OpSpec
from keras_migrate.ir.ops.legacy import lookup
from keras_migrate.ir.ops.legacy.template import bind, evaluate, select_case
from keras_migrate.ir.ops.tf import TF_OPS, TFOP_TYPE

__all__ = ["ALIASES", "Global", "Program", "Refusal", "Step", "Sym", "evaluate_code", "evaluate_function"]

#: Global names a Lambda may use, and the module each stands for.
ALIASES: Mapping[str, tuple[str, ...]] = {
    "K": ("keras", "backend"),
    "backend": ("keras", "backend"),
    "keras": ("keras",),
    "tf": ("tensorflow",),
    "tensorflow": ("tensorflow",),
    "np": ("numpy",),
    "numpy": ("numpy",),
}
_NUMPY_CONSTANTS = {"pi": 3.141592653589793, "e": 2.718281828459045}
_BUILTIN_CONSTANTS = {"True": True, "False": False, "None": None}


class Refusal(Exception):
    """The Lambda uses something outside the allowlist; the message names it.
    ``decode``: the bytes are not valid instructions of the version tried (another
    reading of the same bytes may be the right one)."""

    def __init__(self, message: str, *, decode: bool = False) -> None:
        super().__init__(message)
        self.decode = decode


@dataclass(frozen=True, slots=True)
class Sym:
    """A tensor: Lambda input ``index`` (``step`` False) or step ``index``'s output
    (its output ``out`` when the step returns a list, as ``tf.split`` does)."""

    index: int
    step: bool
    text: str
    prec: int = 9
    out: int = 0


@dataclass(frozen=True, slots=True)
class Global:
    """An attribute chain on a module alias, e.g. ``("keras", "backend", "sum")``."""

    path: tuple[str, ...]
    text: str


@dataclass(frozen=True, slots=True)
class Step:
    """One IR op node to emit: layer ``type`` and ``config``, and the call's ``args``
    (a structure of :class:`Sym` and constants); ``text`` is its source expression."""

    type: str
    config: Mapping[str, Any]
    args: tuple[Any, ...]
    text: str
    #: How many tensors the op returns (``tf.split`` / ``tf.unstack``: a list).
    outputs: int = 1


@dataclass(frozen=True, slots=True)
class Program:
    """A recovered Lambda: its steps in order, the output, the source text, the Python
    version(s) the bytecode reads as, and what was assumed (conditions the table marks
    as assumed, e.g. a floating dtype)."""

    steps: tuple[Step, ...]
    #: The result: one tensor, or the tensors of a Lambda returning a list or tuple, in order.
    output: Sym | tuple[Sym, ...]
    source: str
    python: str
    assumptions: tuple[str, ...] = ()


_NULL = object()

#: Python operator -> (TF function, precedence).
_BINARY: Mapping[str, tuple[str, int]] = {
    "+": ("math.add", 4), "-": ("math.subtract", 4), "*": ("math.multiply", 5), "/": ("math.truediv", 5),
    "//": ("math.floordiv", 5), "%": ("math.floormod", 5), "**": ("math.pow", 7), "@": ("linalg.matmul", 5),
    "<": ("math.less", 2), "<=": ("math.less_equal", 2), ">": ("math.greater", 2), ">=": ("math.greater_equal", 2),
    "==": ("math.equal", 2), "!=": ("math.not_equal", 2),
}  # fmt: skip
_BINARY_OPNAMES: Mapping[str, str] = {
    "ADD": "+", "SUBTRACT": "-", "MULTIPLY": "*", "TRUE_DIVIDE": "/", "FLOOR_DIVIDE": "//", "MODULO": "%",
    "POWER": "**", "MATRIX_MULTIPLY": "@", "DIVIDE": "/",
}  # fmt: skip
#: keras.ops functions without a Keras 3 op node here, and the TF function computing the same.
_OPS_AS_TF: Mapping[str, tuple[str, Mapping[str, str]]] = {
    "normalize": ("math.l2_normalize", {"x": "x", "axis": "axis", "epsilon": "epsilon"}),
    **{f: (f"math.{f}", {"x": "x"}) for f in ("sin", "cos", "tan", "floor", "ceil", "sign", "log1p", "expm1", "softplus")},
}
_OPS_BY_NAME: Mapping[str, OpSpec] = {s.function.rsplit(".", 1)[1]: s for s in OPS.values() if s.function.startswith("keras.ops.")}


def text_of(value: Any) -> str:
    """Source text of an evaluator value."""
    if isinstance(value, (Sym, Global)):
        return value.text
    if isinstance(value, list):
        return "[" + ", ".join(text_of(v) for v in value) + "]"
    if isinstance(value, tuple):
        return "(" + ", ".join(text_of(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, slice):
        parts = ["" if p is None else text_of(p) for p in (value.start, value.stop)]
        return ":".join(parts) + ("" if value.step is None else f":{text_of(value.step)}")
    if value is Ellipsis:
        return "..."
    return repr(value)


def _key_text(key: Any) -> str:
    if isinstance(key, tuple):
        return ", ".join(text_of(k) for k in key) if key else "()"
    return text_of(key)


def _has_sym(value: Any) -> bool:
    if isinstance(value, Sym):
        return True
    if isinstance(value, (list, tuple)):
        return any(_has_sym(v) for v in value)
    return False


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class Builder:
    """Collects the steps of one Lambda; ``ctx`` reports translation failures."""

    def __init__(self, ctx: TranslateContext, float_inputs: bool = True) -> None:
        self.ctx = ctx
        self.steps: list[Step] = []
        self.assumptions: list[str] = []
        self.float_inputs = float_inputs

    # -- emitting steps -------------------------------------------------------------------
    def _add(self, type_: str, config: Mapping[str, Any], args: tuple[Any, ...], text: str, prec: int) -> Sym:
        self.steps.append(Step(type_, dict(config), args, text))
        return Sym(len(self.steps) - 1, True, text, prec)

    def _add_list(self, type_: str, config: Mapping[str, Any], args: tuple[Any, ...], text: str, count: int) -> list[Sym]:
        """A step returning ``count`` tensors (``tf.split``): a list of them, as in TF."""
        self.steps.append(Step(type_, dict(config), args, text, count))
        index = len(self.steps) - 1
        return [Sym(index, True, f"{text}[{k}]", 8, k) for k in range(count)]

    def tf(self, function: str, arguments: Mapping[str, Any], text: str, prec: int = 9) -> Sym | list[Sym]:
        """A TF function call (``arguments`` by TF parameter name, tensors as :class:`Sym`)."""
        spec = TF_OPS.get(function)
        if spec is None:
            raise Refusal(f"the call {text} (tf.{function} has no conversion)")
        marked: dict[str, Any] = {}
        for key, value in arguments.items():
            if key in spec.operands and isinstance(value, Sym):
                marked[key] = TENSOR
            elif spec.sequence and key == spec.params[0] and isinstance(value, (list, tuple)):
                if not all(isinstance(v, Sym) for v in value):
                    raise Refusal(f"the call {text} (a list mixing tensors and constants)")
                marked[key] = [TENSOR] * len(value)
            elif _has_sym(value):
                raise Refusal(f"the call {text} (a tensor as argument {key!r}, which must be a constant)")
            else:
                marked[key] = list(value) if isinstance(value, tuple) else value
        try:
            layer_type, config = translate_tf_call(function, marked, self.ctx)
        except Exception as exc:
            message = getattr(exc, "message", str(exc))
            raise Refusal(f"the call {text} ({message})") from None
        count = None
        if layer_type == TFOP_TYPE and "outputs" in config:
            count = config["outputs"]
            if count is None:  # tf.unstack without num: the count needs the input's shape
                raise Refusal(f"the call {text} (it returns a list of tensors whose length the call does not give)")
        if spec.sequence:
            tensors = [v for v in arguments[spec.params[0]]]
            args: tuple[Any, ...] = (tensors,)
            if layer_type != TFOP_TYPE and layer_type not in ("Concatenate", "Add"):
                args = (tensors[0],)
        else:
            names = config["tensor_arguments"] if layer_type == TFOP_TYPE else [k for k in spec.params if isinstance(arguments.get(k), Sym)]
            tensors = [arguments[n] for n in names]
            if layer_type in ("Add", "Subtract", "Multiply", "Maximum", "Minimum", "Concatenate"):
                args = (tensors,)
            else:
                args = ((tensors[0] if len(tensors) == 1 else tensors),)
        if count is not None:
            return self._add_list(layer_type, config, args, text, int(count))
        return self._add(layer_type, config, args, text, prec)

    def keras_op(self, name: str, args: Sequence[Any], kwargs: Mapping[str, Any], text: str) -> Any:
        """``keras.ops.<name>(*args, **kwargs)``: a Keras 3 op node, or the equivalent TF call."""
        spec = _OPS_BY_NAME.get(name)
        if spec is not None and not spec.variadic and not spec.config_first:
            params = [p for p, _ in spec.params]
            order = [*spec.inputs, *params]
            if len(args) > len(order):
                raise Refusal(f"the call {text} (too many arguments)")
            bound = dict(zip(order, args, strict=False))
            for key, value in kwargs.items():
                if key not in order or key in bound:
                    raise Refusal(f"the call {text} (argument {key!r})")
                bound[key] = value
            inputs = [bound.get(i) for i in spec.inputs]
            tensors_ok = all(
                isinstance(v, Sym) or (isinstance(v, (list, tuple)) and v and all(isinstance(t, Sym) for t in v))
                for v in inputs
            )
            if tensors_ok:
                config: dict[str, Any] = {}
                for p, default in spec.params:
                    if p in bound:
                        if _has_sym(bound[p]):
                            raise Refusal(f"the call {text} (a tensor as {p!r})")
                        value = bound[p]
                        config[p] = list(value) if isinstance(value, tuple) else value
                    elif default == REQUIRED:
                        raise Refusal(f"the call {text} (missing {p!r})")
                call_args = tuple(list(v) if isinstance(v, tuple) else v for v in inputs)
                return self._add(spec.type, config, call_args, text, 9)
            if len(spec.inputs) == 2 and not params:
                tf_name = {"add": "+", "subtract": "-", "multiply": "*", "divide": "/", "true_divide": "/", "power": "**"}.get(name)
                if tf_name is not None:
                    return self.binary(tf_name, inputs[0], inputs[1])
        mapped = _OPS_AS_TF.get(name)
        if mapped is not None:
            function, rename = mapped
            names = list(rename)
            bound = dict(zip(names, args, strict=False))
            for key, value in kwargs.items():
                if key not in rename:
                    raise Refusal(f"the call {text} (argument {key!r})")
                bound[key] = value
            return self.tf(function, {rename[k]: v for k, v in bound.items()}, text)
        raise Refusal(f"the call {text} (keras.ops.{name} has no IR op node here)")

    # -- operators -------------------------------------------------------------------------
    def binary(self, op: str, a: Any, b: Any) -> Any:
        function, prec = _BINARY[op]
        if not isinstance(a, Sym) and not isinstance(b, Sym):
            return _fold(op, a, b)
        left = text_of(a) if not isinstance(a, Sym) or a.prec >= prec else f"({a.text})"
        right_paren = isinstance(b, Sym) and (b.prec < prec or (b.prec == prec and op != "**"))
        right = f"({text_of(b)})" if right_paren else text_of(b)
        if (isinstance(a, (list, tuple)) and _has_sym(a)) or (isinstance(b, (list, tuple)) and _has_sym(b)):
            raise Refusal(f"the expression {left} {op} {right} (an operator on a list of tensors)")
        return self.tf(function, {"x": a, "y": b}, f"{left} {op} {right}", prec)

    def unary(self, op: str, a: Any) -> Any:
        if not isinstance(a, Sym):
            if _is_number(a):
                return -a if op == "-" else a
            raise Refusal(f"the expression {op}{text_of(a)}")
        if op == "+":
            return a
        inner = a.text if a.prec >= 6 else f"({a.text})"
        return self.tf("math.negative", {"x": a}, f"-{inner}", 6)

    def subscript(self, value: Any, key: Any) -> Any:
        if isinstance(value, (list, tuple)) and not isinstance(key, Sym):
            if isinstance(key, int) and not isinstance(key, bool):
                try:
                    return value[key]
                except IndexError:
                    raise Refusal(f"the subscript {text_of(value)}[{key}] (out of range)") from None
            if isinstance(key, slice) and all(v is None or isinstance(v, int) for v in (key.start, key.stop, key.step)):
                return value[key]
        if not isinstance(value, Sym):
            raise Refusal(f"the subscript {text_of(value)}[{_key_text(key)}]")
        items = list(key) if isinstance(key, tuple) else [key]
        spec: list[Any] = []
        for item in items:
            if item is None or (isinstance(item, int) and not isinstance(item, bool)):
                spec.append(item)
            elif item is Ellipsis:
                spec.append({"class_name": "__ellipsis__"})
            elif isinstance(item, slice) and all(
                v is None or (isinstance(v, int) and not isinstance(v, bool)) for v in (item.start, item.stop, item.step)
            ):
                spec.append({"start": item.start, "stop": item.stop, "step": item.step})
            else:
                raise Refusal(f"the subscript {value.text}[{_key_text(key)}] (only constant indices and slices)")
        inner = value.text if value.prec >= 8 else f"({value.text})"
        text = f"{inner}[{_key_text(key)}]"
        return self.tf("__operators__.getitem", {"tensor": value, "slice_spec": spec if isinstance(key, tuple) else spec[0]}, text, 8)

    # -- calls -----------------------------------------------------------------------------
    def call(self, func: Any, args: list[Any], kwargs: dict[str, Any]) -> Any:
        shown = ", ".join([text_of(a) for a in args] + [f"{k}={text_of(v)}" for k, v in kwargs.items()])
        if not isinstance(func, Global):
            raise Refusal(f"the call {text_of(func)}({shown})")
        text = f"{func.text}({shown})"
        path = func.path
        if path[:3] == ("tensorflow", "keras", "backend"):
            path = ("keras", "backend", *path[3:])
        qualified = ".".join(path)
        if path[0] == "numpy" or len(path) < 2:
            raise Refusal(f"the call {text} (numpy functions and bare modules are not recovered)")
        op = lookup(qualified)
        if op is not None and op.cases and not op.random:
            try:
                bound = bind(op, tuple(args), kwargs)
            except TypeError as exc:
                raise Refusal(f"the call {text} ({exc})") from None
            case = select_case(op, bound)
            if case is not None:
                for cond in case.conditions:
                    if cond.proof in ("assumed", "inferred") or cond.kind == "int_width":
                        # What the codemods infer from the code around a call, a Lambda's
                        # bytecode cannot show: a floating dtype is assumed (and said), the
                        # rest (rank, order, concreteness, index width) refuses the call.
                        self._assume(cond.text, text)
                    elif cond.proof == "static":
                        case = None
                        break
            if case is not None:
                namespace = {"ops": _SymOps(self, text), "config": _SymConfig()}
                mark = (len(self.steps), len(self.assumptions))
                try:
                    return _retext(self, evaluate(op, case, namespace, bound), text)
                except Refusal:
                    # a TF function whose Keras 3 form has no op node here (tf.split:
                    # keras.ops.split) is still a TFOp layer: take that way instead
                    if path[0] != "tensorflow" or ".".join(path[1:]) not in TF_OPS:
                        raise
                    del self.steps[mark[0] :], self.assumptions[mark[1] :]
                except (TypeError, ValueError, AttributeError, NameError, KeyError) as exc:
                    raise Refusal(f"the call {text} ({exc})") from None
        if path[0] == "tensorflow":
            symbol = ".".join(path[1:])
            spec = TF_OPS.get(symbol)
            if spec is not None:
                if len(args) > len(spec.params):
                    raise Refusal(f"the call {text} (too many arguments)")
                arguments = dict(zip(spec.params, args, strict=False))
                for key, value in kwargs.items():
                    if key == "name":
                        continue
                    if key not in spec.params or key in arguments:
                        raise Refusal(f"the call {text} (argument {key!r})")
                    arguments[key] = value
                return self.tf(symbol, arguments, text)
        reason = op.follow_up if op is not None and op.follow_up else "not in the table of legacy ops with an exact Keras 3 form"
        raise Refusal(f"the call {text} ({reason})")

    def _assume(self, condition: str, text: str) -> None:
        if "float" in condition and self.float_inputs:
            self.assumptions.append(f"{text}: {condition}")
            return
        raise Refusal(f"the call {text} (holds only if {condition}, which the file cannot prove)")


def _retext(builder: Builder, result: Any, text: str) -> Any:
    """Give a template's last step the legacy call's text (what the user wrote)."""
    if isinstance(result, Sym) and result.step and builder.steps and result.index == len(builder.steps) - 1:
        last = builder.steps[-1]
        builder.steps[-1] = Step(last.type, last.config, last.args, text)
        return Sym(result.index, True, text, 9)
    return result


def _fold(op: str, a: Any, b: Any) -> Any:
    """Fold an operator on two plain numbers (never on anything else)."""
    if not (_is_number(a) or isinstance(a, bool)) or not (_is_number(b) or isinstance(b, bool)):
        raise Refusal(f"the expression {text_of(a)} {op} {text_of(b)} (an operator on constants that are not numbers)")
    if op == "**" and (abs(b) > 64 or abs(a) > 1e6):
        raise Refusal(f"the expression {a!r} ** {b!r} (too large to fold)")
    fns: Mapping[str, Callable[[Any, Any], Any]] = {
        "+": lambda x, y: x + y, "-": lambda x, y: x - y, "*": lambda x, y: x * y, "/": lambda x, y: x / y,
        "//": lambda x, y: x // y, "%": lambda x, y: x % y, "**": lambda x, y: x**y,
        "<": lambda x, y: x < y, "<=": lambda x, y: x <= y, ">": lambda x, y: x > y, ">=": lambda x, y: x >= y,
        "==": lambda x, y: x == y, "!=": lambda x, y: x != y,
    }  # fmt: skip
    if op not in fns:
        raise Refusal(f"the expression {a!r} {op} {b!r}")
    try:
        return fns[op](a, b)
    except ArithmeticError as exc:
        raise Refusal(f"the expression {a!r} {op} {b!r} ({exc})") from None


class _SymOps:
    """The ``ops`` root of a template: each function builds a step."""

    def __init__(self, builder: Builder, text: str) -> None:
        self._builder = builder
        self._text = text

    def __getattr__(self, name: str) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            shown = ", ".join([text_of(a) for a in args] + [f"{k}={text_of(v)}" for k, v in kwargs.items()])
            return self._builder.keras_op(name, args, kwargs, f"ops.{name}({shown})")

        return call


class _SymConfig:
    """The ``config`` root of a template: Keras' defaults (legacy ``K.epsilon()`` etc.)."""

    @staticmethod
    def epsilon() -> float:
        return 1e-7

    @staticmethod
    def floatx() -> str:
        return "float32"


# --------------------------------------------------------------------------- instructions


class _Frame:
    def __init__(self, builder: Builder, read: ReadCode, local: dict[str, Any], cells: dict[str, Any]) -> None:
        self.builder = builder
        self.read = read
        self.version = tuple(int(p) for p in read.version.split("."))
        self.local = local
        self.cells = cells
        self.stack: list[Any] = []
        self.kw_names: tuple[str, ...] = ()
        self.names = tuple(read.code.co_names)

    def pop(self, n: int = 1) -> list[Any]:
        if n > len(self.stack):
            raise Refusal("a stack underflow (unexpected instruction sequence)")
        if n == 0:
            return []
        out = self.stack[-n:]
        del self.stack[-n:]
        return out

    def _global(self, name: str) -> Any:
        if name in ALIASES:
            return Global(ALIASES[name], name)
        if name in _BUILTIN_CONSTANTS:
            return _BUILTIN_CONSTANTS[name]
        raise Refusal(f"the global name {name!r} (only {', '.join(sorted(ALIASES))} are known)")

    def _attr(self, obj: Any, name: str) -> Any:
        if isinstance(obj, Global):
            if obj.path == ("numpy",) and name in _NUMPY_CONSTANTS:
                return _NUMPY_CONSTANTS[name]
            return Global((*obj.path, name), f"{obj.text}.{name}")
        raise Refusal(f"the attribute {text_of(obj)}.{name}")

    def _call(self, n_args: int, kw_names: tuple[str, ...]) -> None:
        values = self.pop(n_args)
        positional = values[: n_args - len(kw_names)]
        kwargs = dict(zip(kw_names, values[n_args - len(kw_names) :], strict=True))
        (func,) = self.pop()
        if func is _NULL:  # 3.11+: [callable, NULL|self] order differs by version; normalise
            (func,) = self.pop()
        elif self.stack and self.stack[-1] is _NULL:
            self.pop()
        self.stack.append(self.builder.call(func, positional, kwargs))

    def run(self, code: list[Instruction]) -> Any:
        for ins in code:
            result = self.step(ins)
            if result is not _CONTINUE:
                return result
        raise Refusal("no RETURN_VALUE (the code does not end in a return)")

    def _name(self, ins: Instruction) -> str:
        """The name an instruction refers to, checked against ``co_names``/``co_varnames``
        (a wrong version's reading resolves indices to other entries or none)."""
        name = ins.argval
        known = set(self.names) | {str(n) for n in self.read.code.co_varnames} | set(self.cells)
        if not isinstance(name, str) or name not in known:
            raise Refusal(f"{ins.opname} with an argument that is no name of the code ({name!r})", decode=True)
        return name

    def step(self, ins: Instruction) -> Any:
        op = ins.opname
        if op in ("LOAD_FAST", "LOAD_FAST_CHECK", "STORE_FAST", "LOAD_DEREF", "LOAD_GLOBAL", "LOAD_NAME", "LOAD_ATTR", "LOAD_METHOD"):
            self._name(ins)
        if op in ("NOP", "RESUME", "PRECALL", "COPY_FREE_VARS", "MAKE_CELL", "SETUP_ANNOTATIONS"):
            return _CONTINUE
        if op == "PUSH_NULL":
            self.stack.append(_NULL)
        elif op == "LOAD_CONST":
            if hasattr(ins.argval, "co_code"):
                raise Refusal("LOAD_CONST of a code object (a nested function, lambda or comprehension)")
            self.stack.append(ins.argval)
        elif op == "RETURN_CONST":
            return ins.argval
        elif op in ("LOAD_FAST", "LOAD_FAST_CHECK"):
            name = str(ins.argval)
            if name not in self.local:
                raise Refusal(f"LOAD_FAST of the unbound local {name!r}")
            self.stack.append(self.local[name])
        elif op == "STORE_FAST":
            self.local[str(ins.argval)] = self.pop()[0]
        elif op in ("LOAD_DEREF", "LOAD_CLASSDEREF"):
            name = str(ins.argval)
            if name not in self.cells:
                raise Refusal(f"{op} of the cell {name!r}, which the file stores no value for")
            self.stack.append(self.cells[name])
        elif op in ("LOAD_GLOBAL", "LOAD_NAME"):
            name = str(ins.argval)
            if op == "LOAD_GLOBAL" and self.version >= (3, 11) and (ins.arg or 0) & 1:
                self.stack.append(_NULL)
            self.stack.append(self._global(name))
        elif op == "LOAD_ATTR":
            (obj,) = self.pop()
            name = str(ins.argval)
            if self.version >= (3, 12) and (ins.arg or 0) & 1:
                self.stack.append(_NULL)
            self.stack.append(self._attr(obj, name))
        elif op == "LOAD_METHOD":
            (obj,) = self.pop()
            self.stack.append(_NULL)
            self.stack.append(self._attr(obj, str(ins.argval)))
        elif op == "KW_NAMES":
            self.kw_names = tuple(ins.argval)
        elif op == "CALL":
            names, self.kw_names = self.kw_names, ()
            self._call(int(ins.arg or 0), names)
        elif op in ("CALL_METHOD",):
            self._call(int(ins.arg or 0), ())
        elif op == "CALL_FUNCTION":
            arg = int(ins.arg or 0)
            if self.version < (3, 6):
                n_pos, n_kw = arg & 0xFF, (arg >> 8) & 0xFF
                pairs = self.pop(2 * n_kw)
                kwargs = {str(pairs[2 * i]): pairs[2 * i + 1] for i in range(n_kw)}
                self.stack.extend(kwargs.values())
                self._call(n_pos + n_kw, tuple(kwargs))
            else:
                self._call(arg, ())
        elif op == "CALL_FUNCTION_KW" and self.version >= (3, 6):
            (names,) = self.pop()
            if not isinstance(names, tuple):
                raise Refusal("CALL_FUNCTION_KW without a tuple of keyword names")
            self._call(int(ins.arg or 0), tuple(str(n) for n in names))
        elif op.startswith(("BINARY_", "INPLACE_")) and op.split("_", 1)[1] in _BINARY_OPNAMES:
            a, b = self.pop(2)
            self.stack.append(self.builder.binary(_BINARY_OPNAMES[op.split("_", 1)[1]], a, b))
        elif op == "BINARY_OP":
            symbol = ins.argrepr.strip().rstrip("=") if ins.argrepr.strip() not in ("<=", ">=", "==", "!=") else ins.argrepr.strip()
            if symbol not in _BINARY:
                raise Refusal(f"BINARY_OP {ins.argrepr!r}")
            a, b = self.pop(2)
            self.stack.append(self.builder.binary(symbol, a, b))
        elif op == "COMPARE_OP":
            symbol = str(ins.argval) if isinstance(ins.argval, str) else ins.argrepr
            symbol = symbol.replace("bool(", "").rstrip(")").strip()
            if symbol not in _BINARY:
                raise Refusal(f"COMPARE_OP {symbol!r}")
            a, b = self.pop(2)
            self.stack.append(self.builder.binary(symbol, a, b))
        elif op == "UNARY_NEGATIVE":
            self.stack.append(self.builder.unary("-", self.pop()[0]))
        elif op == "UNARY_POSITIVE":
            self.stack.append(self.builder.unary("+", self.pop()[0]))
        elif op == "BINARY_SUBSCR":
            value, key = self.pop(2)
            self.stack.append(self.builder.subscript(value, key))
        elif op == "BINARY_SLICE":
            value, start, stop = self.pop(3)
            self.stack.append(self.builder.subscript(value, slice(start, stop)))
        elif op.startswith("SLICE+") or op.startswith("SLICE_"):
            kind = int(op[-1])
            stop = self.pop()[0] if kind in (2, 3) else None
            start = self.pop()[0] if kind in (1, 3) else None
            (value,) = self.pop()
            self.stack.append(self.builder.subscript(value, slice(start, stop)))
        elif op == "BUILD_SLICE":
            parts = self.pop(int(ins.arg or 0))
            self.stack.append(slice(*parts))
        elif op == "BUILD_TUPLE":
            self.stack.append(tuple(self.pop(int(ins.arg or 0))))
        elif op == "BUILD_LIST":
            self.stack.append(list(self.pop(int(ins.arg or 0))))
        elif op == "LIST_EXTEND":
            (items,) = self.pop()
            target = self.stack[-int(ins.arg or 1)]
            if not isinstance(target, list) or not isinstance(items, (tuple, list)):
                raise Refusal("LIST_EXTEND of something other than a constant list")
            target.extend(items)
        elif op == "POP_TOP":
            self.pop()
        elif op == "RETURN_VALUE":
            return self.pop()[0]
        else:
            raise Refusal(f"the instruction {op}" + (f" {ins.argrepr}" if ins.argrepr else ""), decode=op.startswith("<"))
        return _CONTINUE


_CONTINUE = object()


def evaluate_code(
    read: ReadCode,
    inputs: Any,
    stored_defaults: Sequence[Any],
    closure: Sequence[Any],
    arguments: Mapping[str, Any],
    ctx: TranslateContext,
    *,
    float_inputs: bool = True,
) -> Program:
    """Evaluate one code reading over ``inputs`` (a :class:`Sym`, or a list of them for a
    Lambda called on a list); raises :class:`Refusal`."""
    code = read.code
    builder = Builder(ctx, float_inputs)
    flags = int(code.co_flags)
    if flags & 0x20 or flags & 0x80 or flags & 0x100 or flags & 0x200:
        raise Refusal("a generator or coroutine function")
    n_pos = int(code.co_argcount)
    n_kw = int(getattr(code, "co_kwonlyargcount", 0) or 0)
    names = [str(n) for n in code.co_varnames]
    params = names[:n_pos]
    kwonly = names[n_pos : n_pos + n_kw]
    if flags & 0x04 or flags & 0x08:
        raise Refusal("a function taking *args or **kwargs")
    if not params:
        raise Refusal("a function taking no input argument")
    local: dict[str, Any] = {params[0]: inputs}
    defaults = dict(zip(params[len(params) - len(stored_defaults) :], stored_defaults, strict=False))
    for name in [*params[1:], *kwonly]:
        if name in arguments:
            local[name] = arguments[name]
        elif name in defaults:
            local[name] = defaults[name]
        else:
            raise Refusal(f"the parameter {name!r}, which neither 'arguments' nor a default gives")
    extra = sorted(set(arguments) - set(params) - set(kwonly))
    if extra:
        raise Refusal(f"'arguments' {extra} the function does not take")
    for name, value in local.items():
        if name != params[0] and _has_sym(value):
            raise Refusal(f"the argument {name!r} holds a tensor")
    freevars = [str(n) for n in getattr(code, "co_freevars", ())]
    if len(freevars) != len(closure):
        raise Refusal(f"{len(freevars)} closure cells but {len(closure)} stored values")
    cells = dict(zip(freevars, closure, strict=True))
    try:
        stream = instructions(read)
    except ValueError as exc:
        raise Refusal(str(exc), decode=True) from None
    output, text = _result_tensors(builder, _Frame(builder, read, local, cells).run(stream))
    head = f"lambda {params[0]}" if str(code.co_name) == "<lambda>" else f"def {code.co_name}({params[0]})"
    sep = ": " if head.startswith("lambda") else ": return "
    return Program(tuple(builder.steps), output, f"{head}{sep}{text}", read.version, tuple(builder.assumptions))


def _list_text(builder: Builder, result: Any) -> str:
    """Source text of a list result: the call's own text when the list is all of one list
    op's outputs in order (``tf.split(x, 3)``, not its three elements)."""
    first = result[0]
    if first.step:
        step = builder.steps[first.index]
        if step.outputs == len(result) and all(v.step and v.index == first.index and v.out == k for k, v in enumerate(result)):
            return step.text
    return text_of(result)


def _result_tensors(builder: Builder, result: Any) -> tuple[Sym | tuple[Sym, ...], str]:
    """A Lambda's result as the tensors its layer outputs (one tensor, or each tensor of a
    list or tuple of them: a Keras layer returning a list has one output per element) and
    its source text. An input returned unchanged becomes an ``identity`` op: every output
    is a new tensor."""

    def new(value: Sym) -> Sym:
        if value.step:
            return value
        copied = builder.tf("identity", {"input": value}, value.text)
        assert isinstance(copied, Sym)  # identity returns one tensor
        return copied

    if isinstance(result, Sym):
        one = new(result)
        return one, one.text
    if isinstance(result, (list, tuple)) and result and all(isinstance(v, Sym) for v in result):
        return tuple(new(v) for v in result), _list_text(builder, result)
    raise Refusal(f"a result that is not one tensor or a list of tensors ({text_of(result)[:60]})")


def evaluate_function(qualified: Global, inputs: Any, arguments: Mapping[str, Any], ctx: TranslateContext) -> Program:
    """A Lambda of a module-level function stored by name: ``fn(inputs, **arguments)``."""
    builder = Builder(ctx)
    result = builder.call(qualified, [inputs], dict(arguments))
    listed = isinstance(result, (list, tuple)) and all(isinstance(v, Sym) and v.step for v in result)
    if not (isinstance(result, Sym) and result.step) and not listed:
        raise Refusal(f"the call {qualified.text}(...) (its result is not a new tensor or a list of them)")
    output, text = _result_tensors(builder, result)
    return Program(tuple(builder.steps), output, text, "", tuple(builder.assumptions))
