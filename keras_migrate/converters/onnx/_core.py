"""The ONNX emitter's machinery: a graph builder, the lowering registry and the IR walk.

A lowering turns one IR layer call into ONNX nodes. Lowerings are registered per IR layer
type with :func:`lowering`, each with the minimum opset it needs; for a target opset the
highest registered version not above it wins (so a newer, better lowering can sit beside
the portable one). Lowerings only build :class:`Builder` records (plain Python); protos
are made at the end by :func:`to_model`, the only place that imports ``onnx``.

Tensors keep Keras' layout (channels_last for Keras' default) between layers; lowerings of
ops ONNX only has in NCHW (Conv, Pool, Resize...) transpose around them, and
:func:`cancel_transposes` removes the transpose pairs that end up back to back.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from keras_migrate.errors import UnsupportedError
from keras_migrate.ir.graph import (
    Graph,
    Layer,
    TensorType,
    ValueRef,
    flatten_structure,
    map_structure,
)

__all__ = [
    "DEFAULT_OPSET",
    "MIN_OPSET",
    "Builder",
    "Call",
    "Tensor",
    "TensorAttr",
    "emit_graph",
    "lower_call",
    "lowered_types",
    "lowering",
]

#: Opset written when none is asked for.
DEFAULT_OPSET = 17
#: Oldest opset the lowerings are written for (Softmax/Split/Squeeze/ReduceSum semantics of 13).
MIN_OPSET = 13


# --------------------------------------------------------------------------- records


@dataclass
class OpNode:
    """One ONNX node before it becomes a proto (attribute values may be :class:`Builder`)."""

    op_type: str
    inputs: list[str]
    outputs: list[str]
    name: str
    attrs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TensorAttr:
    """A tensor-valued node attribute (e.g. ``ConstantOfShape``'s ``value``)."""

    array: np.ndarray


@dataclass
class Tensor:
    """An ONNX tensor standing for a Keras value: name, Keras-layout type, Keras mask."""

    name: str
    type: TensorType | None = None
    #: Name of a bool tensor holding the Keras mask, if the value carries one.
    mask: str | None = None

    @property
    def rank(self) -> int:
        if self.type is None:
            raise ValueError(f"tensor {self.name!r} has no known rank")
        return self.type.rank

    @property
    def shape(self) -> tuple[int | None, ...]:
        if self.type is None:
            raise ValueError(f"tensor {self.name!r} has no known shape")
        return self.type.shape


class _Names:
    """Names shared by a graph and its subgraphs (ONNX wants them unique across scopes)."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def fresh(self, base: str) -> str:
        name = base
        k = 1
        while name in self.used:
            name = f"{base}_{k}"
            k += 1
        self.used.add(name)
        return name


class Builder:
    """Collects the nodes of one ONNX graph; subgraph builders share names and initializers."""

    def __init__(self, opset: int, *, parent: Builder | None = None, scope: str = "") -> None:
        self.opset = opset
        self.parent = parent
        self.root: Builder = parent.root if parent is not None else self
        self.names: _Names = parent.names if parent is not None else _Names()
        self.scope = scope
        self.nodes: list[OpNode] = []
        #: (name, elem dtype, shape or None) of graph inputs/outputs.
        self.inputs: list[tuple[str, str, tuple[int | str | None, ...] | None]] = []
        self.outputs: list[tuple[str, str, tuple[int | str | None, ...] | None]] = []
        # root only
        self.initializers: dict[str, np.ndarray] = {}
        self._const_cache: dict[tuple[str, tuple[int, ...], bytes], str] = {}
        self._weight_cache: dict[tuple[str, str], str] = {}

    # -- naming ------------------------------------------------------------------------
    def fresh(self, base: str) -> str:
        return self.names.fresh(base)

    def child(self, scope: str) -> Builder:
        return Builder(self.opset, parent=self, scope=scope)

    def with_scope(self, scope: str) -> Builder:
        """The same graph, naming new nodes under ``scope`` (a view sharing every list)."""
        view = object.__new__(Builder)
        view.__dict__.update(self.__dict__)
        view.scope = scope
        return view

    # -- nodes -------------------------------------------------------------------------
    def op(self, op_type: str, inputs: Sequence[str], n_out: int = 1, *, hint: str = "", **attrs: Any) -> Any:
        """Add a node; returns its output name (or a list of names when ``n_out > 1``)."""
        base = f"{self.scope}/{hint or op_type}" if self.scope else (hint or op_type)
        name = self.fresh(base)
        outs = [self.fresh(f"{name}:{i}" if n_out > 1 else f"{name}:0") for i in range(n_out)]
        self.nodes.append(OpNode(op_type, list(inputs), outs, name, {k: v for k, v in attrs.items() if v is not None}))
        return outs if n_out > 1 else outs[0]

    def const(self, array: Any, hint: str = "const", dtype: Any = None) -> str:
        """A constant as an initializer of the root graph (small ones are shared)."""
        arr = np.asarray(array, dtype=dtype)
        if arr.dtype == np.float64:
            arr = arr.astype(np.float32)
        root = self.root
        key = (str(arr.dtype), tuple(arr.shape), arr.tobytes()) if arr.size <= 64 else None
        if key is not None and key in root._const_cache:
            return root._const_cache[key]
        name = self.fresh(hint if self.scope == "" or "/" in hint else f"{self.scope}/{hint}")
        root.initializers[name] = np.array(arr, order="C", copy=True) if arr.ndim == 0 else np.ascontiguousarray(arr)
        if key is not None:
            root._const_cache[key] = name
        return name

    def ints(self, values: Sequence[int]) -> str:
        return self.const(np.asarray(list(values), dtype=np.int64), "shape")

    def scalar(self, value: float, dtype: Any = np.float32) -> str:
        return self.const(np.asarray(value, dtype=dtype), "scalar")

    def weight(self, key: str, tag: str, make: Callable[[], np.ndarray]) -> str:
        """An initializer made once per ``(key, tag)`` (a layer weight in some layout)."""
        root = self.root
        cache_key = (key, tag)
        if cache_key not in root._weight_cache:
            arr = np.asarray(make())
            if arr.dtype == np.float64:
                arr = arr.astype(np.float32)
            name = self.fresh(key if not tag else f"{key}:{tag}")
            root.initializers[name] = np.array(arr, order="C", copy=True) if arr.ndim == 0 else np.ascontiguousarray(arr)
            root._weight_cache[cache_key] = name
        return root._weight_cache[cache_key]

    # -- opset-portable helpers ----------------------------------------------------------
    def reduce(self, op_type: str, x: str, axes: Sequence[int], keepdims: bool = True) -> str:
        """``Reduce*`` with axes as an attribute or an input, whichever the opset wants."""
        axes_as_input = self.opset >= 18 or op_type == "ReduceSum"
        if axes_as_input:
            return self.op(op_type, [x, self.ints(axes)], keepdims=int(keepdims))
        return self.op(op_type, [x], axes=list(axes), keepdims=int(keepdims))

    def unsqueeze(self, x: str, axes: Sequence[int]) -> str:
        return self.op("Unsqueeze", [x, self.ints(axes)])

    def squeeze(self, x: str, axes: Sequence[int]) -> str:
        return self.op("Squeeze", [x, self.ints(axes)])

    def split(self, x: str, sizes: Sequence[int], axis: int) -> list[str]:
        outs = self.op("Split", [x, self.ints(sizes)], len(sizes), axis=axis)
        return list(outs) if len(sizes) > 1 else [outs]

    def slice(self, x: str, starts: Sequence[int], ends: Sequence[int], axes: Sequence[int], steps: Sequence[int] | None = None) -> str:
        ins = [x, self.ints(starts), self.ints(ends), self.ints(axes)]
        if steps is not None:
            ins.append(self.ints(steps))
        return self.op("Slice", ins)

    def transpose(self, x: str, perm: Sequence[int]) -> str:
        if list(perm) == list(range(len(perm))):
            return x
        return self.op("Transpose", [x], perm=list(perm))

    def clip(self, x: str, lo: float | None, hi: float | None) -> str:
        ins = [x, self.scalar(lo) if lo is not None else "", self.scalar(hi) if hi is not None else ""]
        while ins and ins[-1] == "":
            ins.pop()
        return self.op("Clip", ins)

    def shape(self, x: str, start: int | None = None, end: int | None = None) -> str:
        """``Shape(x)[start:end]`` (the ``start``/``end`` attributes exist from opset 15)."""
        if start is None and end is None:
            return str(self.op("Shape", [x]))
        if self.opset >= 15:
            return str(self.op("Shape", [x], start=start, end=end))
        full = self.op("Shape", [x])
        return self.slice(full, [start or 0], [int_max() if end is None else end], [0])

    def concat(self, xs: Sequence[str], axis: int) -> str:
        return xs[0] if len(xs) == 1 else self.op("Concat", list(xs), axis=axis)

    def reshape_dynamic(self, x: str, parts: Sequence[str | Sequence[int]]) -> str:
        """Reshape to the concatenation of shape pieces (tensor names or static int lists)."""
        pieces = [p if isinstance(p, str) else self.ints(p) for p in parts]
        return self.op("Reshape", [x, self.concat(pieces, 0)])


# --------------------------------------------------------------------------- registry


@dataclass
class Call:
    """One layer call to lower: the layer, its arguments as :class:`Tensor` s, the builder."""

    b: Builder
    layer: Layer
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    #: Keras types of the node's outputs (from the IR), when known.
    out_types: list[TensorType | None]
    #: Path of the layer (nested layers: ``outer/inner``), for weight names.
    path: str

    @property
    def cfg(self) -> Mapping[str, Any]:
        return self.layer.config

    @property
    def x(self) -> Tensor:
        """The first positional tensor argument."""
        first = self.args[0]
        if not isinstance(first, Tensor):
            raise UnsupportedError(f"{self.layer.type} expects one tensor input", layer=self.layer.name)
        return first

    def tensors(self) -> list[Tensor]:
        """The first argument as a list of tensors (merge layers take a list)."""
        first = self.args[0]
        items = list(first) if isinstance(first, (list, tuple)) else [first]
        if not all(isinstance(t, Tensor) for t in items):
            raise UnsupportedError(f"{self.layer.type} expects tensor inputs", layer=self.layer.name)
        return items

    def weight(self, name: str, transform: Callable[[np.ndarray], np.ndarray] | None = None, tag: str = "") -> str:
        """An initializer for one of the layer's weights, optionally re-laid out (read once)."""
        w = self.layer.weight(name)

        def make() -> np.ndarray:
            arr = w.numpy()
            return transform(arr) if transform is not None else arr

        return self.b.weight(f"{self.path}/{name}", tag, make)

    def has_weight(self, name: str) -> bool:
        return self.layer.has_weight(name)

    def input_mask(self) -> str | None:
        """The mask Keras passes to ``call(mask=...)``: an explicit ``mask=``, else the
        first input's mask when the call has exactly one tensor argument."""
        explicit = self.kwargs.get("mask")
        if isinstance(explicit, Tensor):
            return explicit.name
        tensors = [a for a in self.args if _is_tensor_arg(a)]
        tensors += [v for k, v in self.kwargs.items() if k not in ("mask", "training") and _is_tensor_arg(v)]
        if len(tensors) != 1:
            return None
        first = self.args[0] if self.args else None
        return first.mask if isinstance(first, Tensor) else None

    def unsupported(self, message: str, hint: str | None = None) -> UnsupportedError:
        return UnsupportedError(message, layer=self.layer.name, hint=hint)


def _is_tensor_arg(value: Any) -> bool:
    if isinstance(value, Tensor):
        return True
    return isinstance(value, (list, tuple)) and bool(value) and all(isinstance(v, Tensor) for v in value)


#: What a lowering returns: a tensor or a list of tensors (masks set on them when computed).
LowerFn = Callable[[Call], Any]


@dataclass(frozen=True)
class Lowering:
    fn: LowerFn
    since: int
    #: The input mask flows to the output unchanged (Keras ``supports_masking`` layers).
    passes_mask: bool
    #: The lowering reads the input mask itself (and sets output masks itself).
    uses_mask: bool


_REGISTRY: dict[str, list[Lowering]] = {}


def lowering(*types: str, since: int = MIN_OPSET, passes_mask: bool = False, uses_mask: bool = False) -> Callable[[LowerFn], LowerFn]:
    """Register a lowering for IR layer ``types``, valid from opset ``since`` on."""

    def register(fn: LowerFn) -> LowerFn:
        for t in types:
            entries = _REGISTRY.setdefault(t, [])
            entries.append(Lowering(fn, since, passes_mask, uses_mask))
            entries.sort(key=lambda e: e.since)
        return fn

    return register


_LOADED = False


def _load() -> None:
    global _LOADED
    if not _LOADED:
        from keras_migrate.converters.onnx import (  # noqa: F401  (registers on import)
            activations,
            attention,
            compat,
            conv,
            core,
            keras3_ops,
            merge,
            nested,
            normalization,
            pooling,
            recurrent,
            reshaping,
            wrappers,
        )

        _LOADED = True


def lowered_types(opset: int = DEFAULT_OPSET) -> frozenset[str]:
    """Every IR layer type with an ONNX lowering at ``opset``."""
    _load()
    return frozenset(t for t, entries in _REGISTRY.items() if any(e.since <= opset for e in entries))


def find_lowering(layer_type: str, opset: int) -> Lowering | None:
    _load()
    best = None
    for entry in _REGISTRY.get(layer_type, []):
        if entry.since <= opset:
            best = entry
    return best


def lower_call(call: Call) -> list[Tensor]:
    """Lower one call through its registered lowering; returns the flat output tensors."""
    layer = call.layer
    entry = find_lowering(layer.type, call.b.opset)
    if entry is None:
        newer = [e.since for e in _REGISTRY.get(layer.type, [])]
        if newer:
            raise UnsupportedError(
                f"{layer.type} needs ONNX opset {min(newer)} or newer (asked for {call.b.opset})",
                layer=layer.name,
                hint=f"pass --opset {min(newer)}",
            )
        raise UnsupportedError(
            f"layer type {layer.type} has no ONNX lowering",
            layer=layer.name,
            hint="convert to .keras instead; see the support matrix in the README",
        )
    try:
        result = entry.fn(call)
    except UnsupportedError as exc:
        if exc.layer is not None:
            raise
        raise UnsupportedError(exc.message, layer=layer.name, hint=exc.hint) from exc
    outs = list(result) if isinstance(result, (list, tuple)) else [result]
    if entry.passes_mask and not entry.uses_mask:
        first = call.args[0] if call.args else None
        mask = first.mask if isinstance(first, Tensor) else None
        for t in outs:
            if t.mask is None:
                t.mask = mask
    for t, ty in zip(outs, call.out_types, strict=False):
        if t.type is None:
            t.type = ty
    return outs


# --------------------------------------------------------------------------- graph walk


def emit_graph(
    b: Builder,
    graph: Graph,
    inputs: Sequence[Tensor],
    *,
    prefix: str = "",
    path_prefix: str = "",
) -> list[Tensor]:
    """Emit every node of ``graph`` into ``b``; returns the graph's flat outputs.

    ``prefix`` names nodes and values of an inlined nested model (``outer_node/``);
    ``path_prefix`` names its weights (``outer_layer/``), shared by every call.
    """
    env: dict[str, Tensor] = dict(zip(graph.inputs, inputs, strict=True))
    layers = {layer.name: layer for layer in graph.layers}
    for node in graph.nodes:
        layer = layers[node.layer]
        args = _resolve(node.args, env)
        kwargs = _resolve(dict(node.kwargs), env)
        out_types = [graph.values[n].type if n in graph.values else None for n in node.outputs]
        call = Call(b.with_scope(prefix + node.name), layer, tuple(args), dict(kwargs), out_types, path_prefix + layer.name)
        outs = lower_call(call)
        if len(outs) != len(node.outputs):
            raise UnsupportedError(
                f"ONNX lowering of {layer.type} made {len(outs)} outputs, the node has {len(node.outputs)}",
                layer=layer.name,
            )
        for value_name, t in zip(node.outputs, outs, strict=True):
            out = Tensor(t.name, t.type, t.mask)
            _rename_output(b, t.name, prefix + value_name, out)
            env[value_name] = out
    return [env[n] for n in graph.outputs]


def _rename_output(b: Builder, current: str, wanted: str, tensor: Tensor) -> None:
    """Give a node's output the IR value's name when the tensor is fresh and the name free."""
    if wanted in b.names.used:
        return
    for node in reversed(b.nodes):
        if current in node.outputs:
            if any(current in n.inputs for n in b.nodes) or current in b.root.initializers:
                return
            node.outputs[node.outputs.index(current)] = wanted
            b.names.used.add(wanted)
            tensor.name = wanted
            return


def _resolve(structure: Any, env: Mapping[str, Tensor]) -> Any:
    return map_structure(lambda x: env[x.name] if isinstance(x, ValueRef) else x, structure)


def flat_tensors(structure: Any) -> list[Tensor]:
    return [t for t in flatten_structure(structure) if isinstance(t, Tensor)]


# --------------------------------------------------------------------------- peephole


def cancel_transposes(b: Builder, keep: set[str]) -> None:
    """Fold ``Transpose(Transpose(x))`` pairs (identity pairs vanish); drop dead nodes.

    ``keep`` holds tensor names that must survive (graph outputs).
    """
    changed = True
    while changed:
        changed = False
        producers = {out: n for n in b.nodes for out in n.outputs}
        for node in b.nodes:
            if node.op_type != "Transpose":
                continue
            src = producers.get(node.inputs[0])
            if src is None or src.op_type != "Transpose":
                continue
            p1, p2 = src.attrs["perm"], node.attrs["perm"]
            composed = [p1[i] for i in p2]
            if composed == list(range(len(composed))):
                if node.outputs[0] in keep:
                    node.op_type, node.attrs = "Identity", {}
                    node.inputs = [src.inputs[0]]
                else:
                    _replace_uses(b, node.outputs[0], src.inputs[0])
                    node.op_type = "_dead"
            else:
                node.inputs = [src.inputs[0]]
                node.attrs = {"perm": composed}
            changed = True
        b.nodes = [n for n in b.nodes if n.op_type != "_dead"]
        changed |= _merge_duplicate_transposes(b, keep)
        changed |= _drop_dead(b, keep)


def _merge_duplicate_transposes(b: Builder, keep: set[str]) -> bool:
    """One ``Transpose`` per (input, perm): parallel branches share the re-laid-out tensor."""
    seen: dict[tuple[str, tuple[int, ...]], str] = {}
    merged = False
    for node in b.nodes:
        if node.op_type != "Transpose" or node.outputs[0] in keep:
            continue
        key = (node.inputs[0], tuple(node.attrs["perm"]))
        if key in seen:
            _replace_uses(b, node.outputs[0], seen[key])
            node.op_type = "_dead"
            merged = True
        else:
            seen[key] = node.outputs[0]
    b.nodes = [n for n in b.nodes if n.op_type != "_dead"]
    return merged


def _all_uses(b: Builder) -> set[str]:
    used: set[str] = set()
    for n in b.nodes:
        used.update(n.inputs)
        for v in n.attrs.values():
            if isinstance(v, Builder):
                used |= _all_uses(v)
                used.update(o for o, _, _ in v.outputs)
    return used


def _drop_dead(b: Builder, keep: set[str]) -> bool:
    used = _all_uses(b) | keep
    alive = [n for n in b.nodes if any(o in used for o in n.outputs)]
    dropped = len(alive) != len(b.nodes)
    b.nodes = alive
    return dropped


def _replace_uses(b: Builder, old: str, new: str) -> None:
    for n in b.nodes:
        n.inputs = [new if i == old else i for i in n.inputs]
        for v in n.attrs.values():
            if isinstance(v, Builder):
                _replace_uses(v, old, new)
                v.outputs = [(new if o == old else o, d, s) for o, d, s in v.outputs]


# --------------------------------------------------------------------------- protos


def to_model(b: Builder, name: str, doc: str = "", metadata: Mapping[str, str] | None = None) -> Any:
    """Build the ``onnx.ModelProto`` (imports ``onnx``)."""
    from onnx import helper

    used = _all_uses(b) | {o for o, _, _ in b.outputs}
    for key in [k for k in b.initializers if k not in used]:
        del b.initializers[key]
    graph = _graph_proto(b, name)
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", b.opset)],
        producer_name="keras-migrate",
        doc_string=doc,
    )
    from keras_migrate import __version__

    model.producer_version = __version__
    model.ir_version = _ir_version(b.opset)
    for k, v in (metadata or {}).items():
        entry = model.metadata_props.add()
        entry.key, entry.value = k, v
    return model


def _ir_version(opset: int) -> int:
    from onnx import helper

    for row in helper.VERSION_TABLE:
        if row[2] >= opset:
            return int(row[1])
    return int(helper.VERSION_TABLE[-1][1])


_ELEM = {
    "float32": 1, "uint8": 2, "int8": 3, "uint16": 4, "int16": 5, "int32": 6, "int64": 7,
    "bool": 9, "float16": 10, "float64": 11, "uint32": 12, "uint64": 13, "bfloat16": 16,
}  # fmt: skip


def elem_type(dtype: str) -> int:
    try:
        return _ELEM[str(dtype)]
    except KeyError:
        raise UnsupportedError(f"dtype {dtype} has no ONNX element type") from None


def _graph_proto(b: Builder, name: str) -> Any:
    from onnx import helper, numpy_helper

    nodes = []
    for n in b.nodes:
        attrs = {k: _attr(v, n.name) for k, v in n.attrs.items()}
        nodes.append(helper.make_node(n.op_type, n.inputs, n.outputs, name=n.name, **attrs))
    inputs = [helper.make_tensor_value_info(nm, elem_type(dt), _shape(s)) for nm, dt, s in b.inputs]
    outputs = [helper.make_tensor_value_info(nm, elem_type(dt), _shape(s)) for nm, dt, s in b.outputs]
    inits = [numpy_helper.from_array(arr, nm) for nm, arr in b.initializers.items()] if b.parent is None else []
    return helper.make_graph(nodes, name, inputs, outputs, initializer=inits)


def _attr(value: Any, node: str) -> Any:
    from onnx import numpy_helper

    if isinstance(value, Builder):
        return _graph_proto(value, f"{node}/body")
    if isinstance(value, TensorAttr):
        return numpy_helper.from_array(value.array, "value")
    return value


def _shape(shape: tuple[int | str | None, ...] | None) -> Any:
    return None if shape is None else list(shape)


def int_max() -> int:
    return int(np.iinfo(np.int64).max)


def prod(values: Sequence[int]) -> int:
    return int(math.prod(values))
