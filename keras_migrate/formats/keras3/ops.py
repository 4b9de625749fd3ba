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
``.kmir`` form round-trips through JSON. Only the ops in
:data:`keras_migrate.ir.ops.keras3.OPS` are accepted: a file names classes, and nothing
is ever looked up by a name taken from a file.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from keras_migrate.errors import UnsupportedError
from keras_migrate.ir.graph import Layer, LayerOrigin
from keras_migrate.ir.ops.keras3 import (
    CAST_DTYPES,
    OP_MODULE_PREFIXES,
    OP_MODULES,
    OPS,
    REQUIRED,
    OpSpec,
    bind_call,
)

__all__ = [
    "check_ops",
    "is_op_entry",
    "op_layer",
]

_MARKERS = frozenset({"__slice__", "__ellipsis__", "__numpy__", "__tensor__"})


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
        return module.startswith(OP_MODULE_PREFIXES) or module in OP_MODULES
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


def check_ops(layers: Iterable[tuple[Mapping[str, Any], str, str]], path: str) -> None:
    """Refuse, in one error, every op class outside :data:`OPS`, naming where each is used.

    ``layers``: every ``(layer entry, name, model name)`` of the model's layer lists (nested
    models' included), as the pipeline's precheck walks the config
    (:func:`keras_migrate.formats.precheck.config_entries`).
    """
    unknown: dict[str, list[str]] = {}
    for entry, name, model in layers:
        if not is_op_entry(entry):
            continue
        cls = str(entry.get("class_name"))
        spec = OPS.get(cls)
        if spec is not None and spec.module == entry.get("module", spec.module):
            continue
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
