"""Keras 3 op nodes: ``keras.ops`` calls recorded in a functional model's ``config.json``.

Keras 3 records every ``keras.ops.*`` call on symbolic tensors as a graph node beside the
layers: an entry ``{"module": "keras.src.ops.numpy", "class_name": "Sum", "config":
{"name": "sum", "axis": 1, "keepdims": false}, "inbound_nodes": [...]}`` whose config
holds the op's constructor arguments and whose node arguments hold tensors and constants
as written (Python numbers, lists, ``__slice__``/``__ellipsis__`` markers for ``x[...]``,
``__numpy__`` arrays). ``Masking`` makes Keras insert ``NotEqual`` + ``Any`` nodes whose
output reaches the next layer as an explicit ``mask=`` argument.

Such a node becomes an IR layer of type ``keras.ops>ClassName`` (the prefix keeps op
``Add`` apart from layer ``Add``), with the op's arguments as its config and the node's
arguments kept as written, so the ``.keras`` writer can write it back natively and the
``.kmir`` form round-trips through JSON. Only the ops in :data:`OPS` are accepted: a
file names classes, and nothing is ever looked up by a name taken from a file.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from keras_migrate.errors import UnsupportedError
from keras_migrate.ir.graph import Layer, LayerOrigin

__all__ = [
    "OPS",
    "OPS_PREFIX",
    "REQUIRED",
    "OpSpec",
    "bind_call",
    "check_ops",
    "decode_constant",
    "dtype_of",
    "is_op_entry",
    "is_op_type",
    "op_layer",
    "op_object",
    "op_spec",
    "op_type",
    "result_type",
]

#: IR layer types of Keras 3 op nodes start with this prefix.
OPS_PREFIX = "keras.ops>"

#: Marks a constructor argument without a default.
REQUIRED = "<required>"

_NUMPY = "keras.src.ops.numpy"
_NN = "keras.src.ops.nn"
_CORE = "keras.src.ops.core"
_ACTIVATIONS = "keras.src.activations.activations"
#: Modules whose classes are operations, never layers.
_OP_MODULE_PREFIXES = ("keras.src.ops.", "keras.ops.")
_OP_MODULES = frozenset({_ACTIVATIONS})


@dataclass(frozen=True, slots=True)
class OpSpec:
    """One accepted Keras 3 operation class.

    ``inputs`` are the parameters of the op's ``call`` in order (``*operands`` for a
    variadic one); ``params`` its constructor arguments (the config keys besides ``name``)
    with their defaults; ``function`` the public call that records it, whose parameters
    take the tensors positionally, in ``inputs`` order, and the config by keyword
    (``config_first``: the config's only argument comes first, positionally, as in
    ``keras.ops.einsum(subscripts, *operands)``).
    """

    class_name: str
    module: str
    function: str
    inputs: tuple[str, ...]
    params: tuple[tuple[str, Any], ...] = ()
    config_first: bool = False

    @property
    def type(self) -> str:
        return OPS_PREFIX + self.class_name

    @property
    def defaults(self) -> dict[str, Any]:
        return dict(self.params)

    @property
    def variadic(self) -> bool:
        return bool(self.inputs) and self.inputs[-1].startswith("*")


def _spec(module: str, class_name: str, function: str, inputs: str, **params: Any) -> OpSpec:
    return OpSpec(class_name, module, function, tuple(inputs.split()), tuple(params.items()))


_REDUCE = {"axis": None, "keepdims": False}

_SPECS: tuple[OpSpec, ...] = (
    # elementwise arithmetic (Python numbers are weakly typed, as in Keras)
    *(_spec(_NUMPY, c, f"keras.ops.{f}", "x1 x2") for c, f in (
        ("Add", "add"), ("Subtract", "subtract"), ("Multiply", "multiply"), ("Divide", "divide"),
        ("TrueDivide", "true_divide"), ("Power", "power"), ("Maximum", "maximum"), ("Minimum", "minimum"),
    )),
    *(_spec(_NUMPY, c, f"keras.ops.{f}", "x") for c, f in (
        ("Negative", "negative"), ("Absolute", "absolute"), ("Abs", "abs"), ("Sqrt", "sqrt"), ("Square", "square"),
        ("Exp", "exp"), ("Log", "log"), ("Tanh", "tanh"),
    )),
    _spec(_NUMPY, "Clip", "keras.ops.clip", "x", x_min=REQUIRED, x_max=REQUIRED),
    _spec(_NUMPY, "Where", "keras.ops.where", "condition x1 x2"),
    # comparisons and logic
    *(_spec(_NUMPY, c, f"keras.ops.{f}", "x1 x2") for c, f in (
        ("Equal", "equal"), ("NotEqual", "not_equal"), ("Greater", "greater"), ("GreaterEqual", "greater_equal"),
        ("Less", "less"), ("LessEqual", "less_equal"), ("LogicalAnd", "logical_and"), ("LogicalOr", "logical_or"),
    )),
    _spec(_NUMPY, "LogicalNot", "keras.ops.logical_not", "x"),
    # reductions
    *(_spec(_NUMPY, c, f"keras.ops.{f}", "x", **_REDUCE) for c, f in (
        ("Sum", "sum"), ("Mean", "mean"), ("Any", "any"), ("All", "all"), ("Argmax", "argmax"), ("Argmin", "argmin"),
    )),
    _spec(_NUMPY, "Max", "keras.ops.max", "x", **_REDUCE, initial=None),
    _spec(_NUMPY, "Min", "keras.ops.min", "x", **_REDUCE, initial=None),
    _spec(_NUMPY, "Prod", "keras.ops.prod", "x", **_REDUCE, dtype=None),
    # shapes
    _spec(_NUMPY, "Reshape", "keras.ops.reshape", "x", newshape=REQUIRED),
    _spec(_NUMPY, "Transpose", "keras.ops.transpose", "x", axes=None),
    _spec(_NUMPY, "ExpandDims", "keras.ops.expand_dims", "x", axis=REQUIRED),
    _spec(_NUMPY, "Squeeze", "keras.ops.squeeze", "x", axis=None),
    _spec(_NUMPY, "Concatenate", "keras.ops.concatenate", "xs", axis=0),
    _spec(_NUMPY, "Stack", "keras.ops.stack", "x", axis=0),
    _spec(_NUMPY, "Tile", "keras.ops.tile", "x", repeats=REQUIRED),
    _spec(_NUMPY, "Take", "keras.ops.take", "x indices", axis=None),
    _spec(_NUMPY, "GetItem", "keras.ops.get_item", "x key"),
    # products
    _spec(_NUMPY, "Matmul", "keras.ops.matmul", "x1 x2"),
    OpSpec("Einsum", _NUMPY, "keras.ops.einsum", ("*operands",), (("subscripts", REQUIRED),), config_first=True),
    _spec(_CORE, "Cast", "keras.ops.cast", "x", dtype=REQUIRED),
    # activations
    *(_spec(_NN, c, f"keras.ops.{f}", "x") for c, f in (("Relu", "relu"), ("Sigmoid", "sigmoid"), ("Silu", "silu"))),
    _spec(_NN, "Softmax", "keras.ops.softmax", "x", axis=-1),
    _spec(_NN, "LogSoftmax", "keras.ops.log_softmax", "x", axis=-1),
    _spec(_NN, "Gelu", "keras.ops.gelu", "x", approximate=True),
    _spec(_ACTIVATIONS, "ReLU", "keras.activations.relu", "x", negative_slope=0.0, max_value=None, threshold=0.0),
)  # fmt: skip

#: Every accepted op, by Keras class name.
OPS: Mapping[str, OpSpec] = {s.class_name: s for s in _SPECS}

#: Dtypes a ``Cast`` (or ``Prod``'s ``dtype``) may name: those numpy computes exactly.
CAST_DTYPES = frozenset(
    {"bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float16", "float32", "float64"}
)
_MARKERS = frozenset({"__slice__", "__ellipsis__", "__numpy__", "__tensor__"})


# --------------------------------------------------------------------------- look-ups


def op_type(class_name: str) -> str:
    return OPS_PREFIX + class_name


def is_op_type(layer_type: str) -> bool:
    return layer_type.startswith(OPS_PREFIX)


def op_spec(layer_type: str) -> OpSpec:
    """The spec of an IR op type; ``KeyError`` naming it if it is not accepted."""
    spec = OPS.get(layer_type[len(OPS_PREFIX) :]) if is_op_type(layer_type) else None
    if spec is None:
        raise KeyError(f"{layer_type!r} is not an accepted Keras 3 op")
    return spec


def is_op_entry(entry: Any) -> bool:
    """True for a Keras 3 config entry that records an operation rather than a layer.

    ``.keras`` files name the op's module. Keras 3's legacy ``.h5`` configs drop every
    ``module``; there an accepted op class is told from a layer of the same name (``Add``,
    ``Reshape``...) by its config, which lacks the ``trainable`` every layer config has,
    and by its Keras 3 ``{args, kwargs}`` nodes, which no older Keras wrote.
    """
    if not isinstance(entry, Mapping):
        return False
    module = entry.get("module")
    if isinstance(module, str):
        return module.startswith(_OP_MODULE_PREFIXES) or module in _OP_MODULES
    cfg, nodes = entry.get("config"), entry.get("inbound_nodes")
    return (
        module is None
        and entry.get("class_name") in OPS
        and isinstance(cfg, Mapping)
        and "trainable" not in cfg
        and isinstance(nodes, list)
        and bool(nodes)
        and all(isinstance(n, Mapping) and "args" in n for n in nodes)
    )


def _entries(model_config: Mapping[str, Any], where: str) -> Iterator[tuple[Mapping[str, Any], str]]:
    """Every layer entry of a (possibly nested) model config, with the model it is in."""
    cfg = model_config.get("config")
    layers = cfg.get("layers") if isinstance(cfg, Mapping) else cfg
    if not isinstance(layers, list):
        return
    name = str((cfg.get("name") if isinstance(cfg, Mapping) else None) or model_config.get("name") or where)
    for entry in layers:
        if not isinstance(entry, Mapping):
            continue
        yield entry, name
        if isinstance(entry.get("config"), (Mapping, list)) and entry.get("class_name") in ("Functional", "Model", "Sequential"):
            yield from _entries(entry, name)


def check_ops(model_config: Mapping[str, Any], path: str) -> None:
    """Refuse, in one error, every op class outside :data:`OPS`, naming where each is used."""
    unknown: dict[str, list[str]] = {}
    for entry, model in _entries(model_config, "model"):
        if not is_op_entry(entry):
            continue
        cls = str(entry.get("class_name"))
        spec = OPS.get(cls)
        if spec is not None and spec.module == entry.get("module", spec.module):
            continue
        cfg = entry.get("config")
        name = str(entry.get("name") or (cfg.get("name") if isinstance(cfg, Mapping) else "") or "?")
        unknown.setdefault(f"{entry.get('module')}.{cls}", []).append(f"{name!r} in model {model!r}")
    if unknown:
        listing = "; ".join(f"{c} (at {', '.join(w)})" for c, w in sorted(unknown.items()))
        raise UnsupportedError(
            f"unsupported Keras 3 ops: {listing}",
            path=path,
            hint="these keras.ops calls have no exact conversion yet; docs/formats.md lists the supported ones",
        )


# --------------------------------------------------------------------------- translation


def _fail(message: str, path: str, layer: str) -> UnsupportedError:
    return UnsupportedError(message, path=path or None, layer=layer)


def _check_value(value: Any, path: str, layer: str) -> None:
    """Node arguments may hold tensors, numbers, strings, lists and Keras' constant markers."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return
    if isinstance(value, list):
        for v in value:
            _check_value(v, path, layer)
        return
    if isinstance(value, Mapping):
        cls = value.get("class_name")
        if cls == "__keras_tensor__":
            return
        if cls in _MARKERS:
            inner = value.get("config")
            if not isinstance(inner, Mapping):
                raise _fail(f"argument marker {cls} has no config", path, layer)
            if cls in ("__numpy__", "__tensor__") and str(inner.get("dtype")) not in CAST_DTYPES:
                raise _fail(f"constant of dtype {inner.get('dtype')!r} is not supported", path, layer)
            for v in inner.values():
                _check_value(v, path, layer)
            return
    raise _fail(f"op argument {str(value)[:60]!r} is not a tensor or a constant", path, layer)


def _check_nodes(spec: OpSpec, nodes: Any, path: str, layer: str) -> None:
    for node in nodes or []:
        if not isinstance(node, Mapping) or "args" not in node:
            raise _fail("op node is not in Keras 3's {args, kwargs} form", path, layer)
        args, kwargs = node.get("args") or [], node.get("kwargs") or {}
        if not isinstance(args, list) or not isinstance(kwargs, Mapping):
            raise _fail("op node arguments are malformed", path, layer)
        if not spec.variadic and len(args) > len(spec.inputs):
            raise _fail(f"{spec.function} takes {len(spec.inputs)} arguments, the node has {len(args)}", path, layer)
        names = set(spec.inputs[len(args) :]) if not spec.variadic else set()
        extra = sorted(set(kwargs) - names)
        if extra:
            raise _fail(f"{spec.function} does not take the arguments {extra}", path, layer)
        _check_value(list(args), path, layer)
        _check_value(list(kwargs.values()), path, layer)
        if spec.class_name == "Where":
            bound = bind_call(spec, tuple(args), dict(kwargs))
            if bound.get("x1") is None or bound.get("x2") is None:
                raise _fail("keras.ops.where with one argument (nonzero indices) is not supported", path, layer)


def op_layer(entry: Mapping[str, Any], name: str, path: str = "") -> Layer:
    """The IR layer for an op entry of a Keras 3 config (``name`` is its IR name).

    The config keeps exactly the keys the file wrote (besides ``name``), so the op is
    written back as it came; unknown keys are refused, since they would change what the
    op computes in a way this package does not know.
    """
    cls = str(entry.get("class_name"))
    raw = entry.get("config")
    orig = str(entry.get("name") or (raw.get("name") if isinstance(raw, Mapping) else "") or name)
    spec = OPS.get(cls)
    module = entry.get("module", spec.module if spec is not None else None)  # legacy .h5: no module
    if spec is None or spec.module != module:  # check_ops ran first; this guards direct use
        raise _fail(f"unsupported Keras 3 op {entry.get('module')}.{cls}", path, orig)
    if not isinstance(raw, Mapping):
        raise _fail("op entry has no config", path, orig)
    defaults = spec.defaults
    extra = sorted(k for k in raw if k != "name" and k not in defaults)
    if extra:
        raise _fail(f"{spec.function} config has arguments this version does not know: {extra}", path, orig)
    missing = sorted(k for k, v in defaults.items() if v == REQUIRED and k not in raw)
    if missing:
        raise _fail(f"{spec.function} config lacks {missing}", path, orig)
    config = {k: v for k, v in raw.items() if k != "name"}
    for key in ("dtype",):
        if config.get(key) is not None and str(config[key]) not in CAST_DTYPES:
            raise _fail(f"{spec.function} to dtype {config[key]!r} is not supported", path, orig)
    if cls == "Einsum" and not isinstance(config.get("subscripts"), str):
        raise _fail("keras.ops.einsum needs a subscripts string", path, orig)
    _check_nodes(spec, entry.get("inbound_nodes"), path, orig)
    origin = LayerOrigin(class_name=cls, name=orig, config=dict(raw))
    return Layer(name, spec.type, config, (), True, "float32", None, origin)


def op_object(layer_type: str, config: Mapping[str, Any], name: str | None) -> dict[str, Any]:
    """The serialized op, as Keras 3 writes it (``module``, ``class_name``, ``config``)."""
    spec = op_spec(layer_type)
    cfg: dict[str, Any] = {} if name is None else {"name": name}
    cfg.update((k, v) for k, v in config.items() if k != "name")
    return {"module": spec.module, "class_name": spec.class_name, "config": cfg, "registered_name": spec.class_name}


# --------------------------------------------------------------------------- arguments


def decode_constant(value: Any) -> Any:
    """A node argument as Python: markers become ``slice``, ``Ellipsis`` and numpy arrays."""
    if isinstance(value, list):
        return [decode_constant(v) for v in value]
    if isinstance(value, tuple):
        return tuple(decode_constant(v) for v in value)
    if isinstance(value, Mapping):
        cls = value.get("class_name")
        inner = value.get("config") or {}
        if cls == "__slice__":
            return slice(decode_constant(inner.get("start")), decode_constant(inner.get("stop")), decode_constant(inner.get("step")))
        if cls == "__ellipsis__":
            return Ellipsis
        if cls in ("__numpy__", "__tensor__"):
            return np.asarray(inner.get("value"), dtype=str(inner.get("dtype")))
        return {k: decode_constant(v) for k, v in value.items()}
    return value


def bind_call(spec: OpSpec, args: Sequence[Any], kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """The op's ``call`` arguments by parameter name (variadic ones as a list)."""
    if spec.variadic:
        return {spec.inputs[-1][1:]: list(args)}
    bound = dict(zip(spec.inputs, args))
    bound.update((k, v) for k, v in kwargs.items() if k in spec.inputs)
    return bound


# --------------------------------------------------------------------------- dtypes
#
# Keras 3 promotes dtypes on a lattice (like JAX): Python ``int``/``float`` operands are
# *weak* and take the other operand's kind where they can, ``int + float`` goes to the
# float side, and 64-bit results narrow to 32 bits (on every backend but TensorFlow,
# whose values are the same). The table below is that lattice: each dtype's next ones up.

_UP: dict[str, tuple[str, ...]] = {
    "bool": ("int",),
    "int": ("uint8", "int8"),
    "uint8": ("int16", "uint16"),
    "uint16": ("int32", "uint32"),
    "uint32": ("int64", "uint64"),
    "uint64": ("float",),
    "int8": ("int16",),
    "int16": ("int32",),
    "int32": ("int64",),
    "int64": ("float",),
    "float": ("float16",),
    "float16": ("float32",),
    "float32": ("float64",),
    "float64": (),
}


def _upper(dtype: str) -> frozenset[str]:
    seen = {dtype}
    todo = [dtype]
    while todo:
        for nxt in _UP[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return frozenset(seen)


_UPPER = {d: _upper(d) for d in _UP}
_NARROW = {"int64": "int32", "uint64": "uint32", "float64": "float32"}


def dtype_of(value: Any) -> tuple[str, bool]:
    """``(dtype, weak)`` of an operand: arrays are strong, Python ``int``/``float`` weak."""
    if isinstance(value, bool):
        return "bool", False
    if isinstance(value, int):
        return "int32", True
    if isinstance(value, float):
        return "float32", True
    return str(np.asarray(value).dtype), False


def result_type(*operands: Any) -> str:
    """The dtype Keras 3 computes ``operands`` in (arrays, Python numbers, or
    ``(dtype, weak)`` pairs from :func:`dtype_of`)."""
    pairs = [op if isinstance(op, tuple) and len(op) == 2 and isinstance(op[1], bool) else dtype_of(op) for op in operands]
    dtypes = [d for d, _ in pairs]
    for d in dtypes:
        if d not in _UPPER:
            raise UnsupportedError(f"dtype {d!r} is not supported by the Keras 3 op kernels")
    if len(set(dtypes)) == 1 and not all(w for _, w in pairs):
        out, weak = dtypes[0], False
    else:
        nodes = {d if (not w or d == "bool") else ("float" if d.startswith("float") else "int") for d, w in pairs}
        if all(w for _, w in pairs):
            nodes = set(dtypes)
        common = frozenset.intersection(*(_UPPER[n] for n in nodes))
        lub = (common & nodes) or {c for c in common if common <= _UPPER[c]}
        if len(lub) != 1:
            raise UnsupportedError(f"Keras 3 has no implicit promotion for dtypes {sorted(set(dtypes))}")
        out = next(iter(lub))
        weak = out in ("int", "float") or all(w for _, w in pairs)
    if weak and out != "bool":
        out = {"i": "int32", "u": "uint32", "f": "float32"}[out[0]]
    return _NARROW.get(out, out)

