"""The graph IR: layers (definitions) kept apart from nodes (call sites).

A Keras model is a set of *layers*, each called at one or more *nodes*. A shared layer is
one :class:`Layer` with several :class:`Node` objects; its weights live once, on the layer.
Tensors flowing between nodes are :class:`Value` objects, named, with a shape, a dtype and
the node that produced them. A nested model is a layer whose ``subgraph`` is a whole
:class:`Graph`. Inputs and outputs keep their structure (a single tensor, a list or a dict),
so models with dict inputs round-trip.

Canonical semantics are Keras 3's: ``Layer.type`` is a Keras 3 class name (``Dense``,
``Conv2D``, ...) or a compat layer registered by this package (``keras_migrate>Name``), and
``Layer.config`` holds Keras 3 constructor arguments. Readers translate legacy configs into
this form; the original class name and raw config are kept in :class:`LayerOrigin`.

Every record is a frozen, slotted dataclass; edit with :func:`dataclasses.replace` (or the
``with_*`` helpers), build new graphs with :class:`GraphBuilder` and change a graph's shape
with :class:`keras_migrate.ir.rewrite.Rewriter`. Name look-ups on a graph go through a
:class:`GraphIndex` built on first use.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, TypeAlias

from keras_migrate.ir.kinds import Generation, GraphKind
from keras_migrate.ir.training import TrainingState
from keras_migrate.ir.user_code import UserObject
from keras_migrate.ir.weights import Weight

__all__ = [
    "COMPAT_PREFIX",
    "Graph",
    "GraphBuilder",
    "GraphIndex",
    "Layer",
    "LayerOrigin",
    "Model",
    "Node",
    "Provenance",
    "TensorType",
    "Value",
    "ValueRef",
    "ValueStructure",
    "flatten_structure",
    "inner_layer",
    "map_structure",
]

#: Layer types that name a compat layer of this package start with this prefix.
COMPAT_PREFIX = "keras_migrate>"

#: A graph's inputs or outputs: a value name, or sequences / string-keyed mappings of them,
#: nested as the model's Python structure was (lists stay lists, dicts dicts).
ValueStructure: TypeAlias = str | Sequence["ValueStructure"] | Mapping[str, "ValueStructure"]


@dataclass(frozen=True, slots=True)
class TensorType:
    """Shape (``None`` for an unknown dimension, first is the batch) and dtype of a value."""

    shape: tuple[int | None, ...]
    dtype: str = "float32"

    @property
    def rank(self) -> int:
        return len(self.shape)

    def __str__(self) -> str:
        dims = ",".join("?" if d is None else str(d) for d in self.shape)
        return f"{self.dtype}[{dims}]"


@dataclass(frozen=True, slots=True)
class ValueRef:
    """A reference to a value by name, as it appears inside a node's arguments."""

    name: str

    def __str__(self) -> str:
        return f"%{self.name}"


@dataclass(frozen=True, slots=True)
class Value:
    """A tensor: produced by output ``index`` of node ``producer`` (``None`` for inputs)."""

    name: str
    type: TensorType | None = None
    producer: str | None = None
    index: int = 0


@dataclass(frozen=True, slots=True)
class Node:
    """One call of a layer.

    ``args`` and ``kwargs`` mirror the Python call, with :class:`ValueRef` wherever a tensor
    is passed (possibly nested in lists or dicts, e.g. ``Add()([a, b])`` has
    ``args=([ValueRef('a'), ValueRef('b')],)``). ``outputs`` names the values it produces.
    """

    name: str
    layer: str
    args: tuple[Any, ...]
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    outputs: tuple[str, ...] = ()

    @property
    def inputs(self) -> tuple[str, ...]:
        """Names of every value this node reads, in argument order."""
        return tuple(r.name for r in flatten_structure((self.args, dict(self.kwargs))) if isinstance(r, ValueRef))


@dataclass(frozen=True, slots=True)
class LayerOrigin:
    """Where a layer came from: its legacy class name, name and raw config."""

    class_name: str = ""
    name: str = ""
    config: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Layer:
    """A layer definition: type, Keras 3 config, ordered weights, optional subgraph."""

    name: str
    type: str
    config: Mapping[str, Any] = field(default_factory=dict)
    weights: tuple[Weight, ...] = ()
    trainable: bool = True
    dtype: str = "float32"
    #: For nested models (``type`` ``Functional`` or ``Sequential``): the inner graph.
    subgraph: Graph | None = None
    origin: LayerOrigin = field(default_factory=LayerOrigin)

    @property
    def is_compat(self) -> bool:
        return self.type.startswith(COMPAT_PREFIX)

    def weight(self, name: str) -> Weight:
        for w in self.weights:
            if w.name == name:
                return w
        raise KeyError(f"layer {self.name!r} has no weight {name!r} (has {[w.name for w in self.weights]})")

    def has_weight(self, name: str) -> bool:
        return any(w.name == name for w in self.weights)

    def with_config(self, **changes: Any) -> Layer:
        return replace(self, config={**self.config, **changes})

    def with_weights(self, weights: tuple[Weight, ...]) -> Layer:
        return replace(self, weights=tuple(weights))


@dataclass(frozen=True, slots=True)
class Graph:
    """A computation: layers, nodes in topological order, values, and structured I/O.

    ``input_structure`` and ``output_structure`` are a value name, a list of them or a dict
    of them (nested as the model's Python structure was).
    """

    name: str
    layers: tuple[Layer, ...]
    nodes: tuple[Node, ...]
    values: Mapping[str, Value]
    #: A value name, a list of structures or a dict of them (:data:`ValueStructure`).
    input_structure: ValueStructure
    output_structure: ValueStructure
    #: ``"functional"`` or ``"sequential"``: how the source defined it (emitters may follow).
    kind: GraphKind = "functional"
    #: Name look-ups, built on first use (records are immutable, so it never goes stale);
    #: not compared, printed or saved, and :func:`dataclasses.replace` starts a new one.
    _index: GraphIndex | None = field(default=None, init=False, repr=False, compare=False)

    # -- look-ups ---------------------------------------------------------------------
    @property
    def inputs(self) -> tuple[str, ...]:
        return tuple(flatten_structure(self.input_structure))

    @property
    def outputs(self) -> tuple[str, ...]:
        return tuple(flatten_structure(self.output_structure))

    def layer(self, name: str) -> Layer:
        try:
            return self._lookup().layers[name]
        except KeyError:
            raise KeyError(f"graph {self.name!r} has no layer {name!r}") from None

    def has_layer(self, name: str) -> bool:
        return name in self._lookup().layers

    def node(self, name: str) -> Node:
        try:
            return self._lookup().nodes[name]
        except KeyError:
            raise KeyError(f"graph {self.name!r} has no node {name!r}") from None

    def nodes_of(self, layer: str) -> list[Node]:
        """Every call of ``layer``, in graph order."""
        return list(self._lookup().calls.get(layer, ()))

    def consumers(self, value: str) -> list[Node]:
        """Every node reading ``value`` (once each, in graph order)."""
        return list(self._lookup().consumers.get(value, ()))

    def _lookup(self) -> GraphIndex:
        index = self._index
        if index is None:
            index = GraphIndex.of(self)
            object.__setattr__(self, "_index", index)
        return index

    def producer(self, value: str) -> Node | None:
        v = self.values[value]
        return None if v.producer is None else self.node(v.producer)

    def walk_layers(self, prefix: str = "") -> Iterator[tuple[str, Layer]]:
        """Yield ``(path, layer)`` for every layer, descending into nested models."""
        for layer in self.layers:
            path = f"{prefix}{layer.name}"
            yield path, layer
            if layer.subgraph is not None:
                yield from layer.subgraph.walk_layers(path + "/")

    def with_layer(self, layer: Layer) -> Graph:
        """Replace the layer of the same name."""
        return replace(self, layers=tuple(layer if lay.name == layer.name else lay for lay in self.layers))


@dataclass(frozen=True, slots=True)
class GraphIndex:
    """Dicts over one graph's records, so :meth:`Graph.layer`, :meth:`Graph.node`,
    :meth:`Graph.nodes_of` and :meth:`Graph.consumers` cost O(1) instead of a scan."""

    layers: Mapping[str, Layer]
    nodes: Mapping[str, Node]
    #: layer name -> its nodes, in graph order.
    calls: Mapping[str, tuple[Node, ...]]
    #: value name -> the nodes reading it, in graph order.
    consumers: Mapping[str, tuple[Node, ...]]

    @staticmethod
    def of(graph: Graph) -> GraphIndex:
        layers: dict[str, Layer] = {}
        for layer in graph.layers:
            layers.setdefault(layer.name, layer)  # the first wins, as a scan would find
        nodes: dict[str, Node] = {}
        calls: dict[str, list[Node]] = {}
        consumers: dict[str, list[Node]] = {}
        for node in graph.nodes:
            nodes.setdefault(node.name, node)
            calls.setdefault(node.layer, []).append(node)
            for value in dict.fromkeys(node.inputs):
                consumers.setdefault(value, []).append(node)
        return GraphIndex(
            layers,
            nodes,
            {k: tuple(v) for k, v in calls.items()},
            {k: tuple(v) for k, v in consumers.items()},
        )


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a model came from, carried into reports, printed IR and emitted code."""

    source_format: str = ""
    source_path: str = ""
    keras_version: str = ""
    backend: str = ""
    #: A :data:`~keras_migrate.ir.kinds.Generation` (``keras1``, ``keras2``, ``tf.keras``,
    #: ``keras3``), or ``""`` when not known.
    generation: Generation | Literal[""] = ""
    notes: tuple[str, ...] = ()

    def with_note(self, note: str) -> Provenance:
        return replace(self, notes=(*self.notes, note))


@dataclass(frozen=True, slots=True)
class Model:
    """A whole converted model: the top graph plus provenance and name mapping."""

    graph: Graph
    provenance: Provenance = field(default_factory=Provenance)
    #: New (valid) layer name -> original name, for names that had to change (e.g. ``/``).
    renamed: Mapping[str, str] = field(default_factory=dict)
    #: The compile configuration and optimizer state, when the file held them (``None``:
    #: inference only).
    training: TrainingState | None = None
    #: The user's own objects the model uses (``--custom-objects``), see :mod:`keras_migrate.ir.user_code`.
    user_code: tuple[UserObject, ...] = ()

    @property
    def name(self) -> str:
        return self.graph.name

    def with_graph(self, graph: Graph) -> Model:
        return replace(self, graph=graph)

    def with_training(self, training: TrainingState | None) -> Model:
        return replace(self, training=training)

    def iter_weights(self) -> Iterator[tuple[str, Weight]]:
        """Yield ``(layer_path/weight_name, weight)`` over the whole model."""
        for path, layer in self.graph.walk_layers():
            for w in layer.weights:
                yield f"{path}/{w.name}", w


# --------------------------------------------------------------------------- structures


def flatten_structure(structure: Any) -> list[Any]:
    """Flatten nested lists, tuples and dicts; dicts in sorted-key order, as Keras does."""
    out: list[Any] = []

    def visit(x: Any) -> None:
        if isinstance(x, (list, tuple)):
            for item in x:
                visit(item)
        elif isinstance(x, dict):
            for key in sorted(x):
                visit(x[key])
        elif x is not None:
            out.append(x)

    visit(structure)
    return out


def map_structure(fn: Any, structure: Any) -> Any:
    """Apply ``fn`` to every leaf, keeping the structure (lists stay lists, dicts dicts)."""
    if isinstance(structure, list):
        return [map_structure(fn, x) for x in structure]
    if isinstance(structure, tuple):
        return tuple(map_structure(fn, x) for x in structure)
    if isinstance(structure, dict):
        return {k: map_structure(fn, v) for k, v in structure.items()}
    if structure is None:
        return None
    return fn(structure)


# --------------------------------------------------------------------------- builder


class GraphBuilder:
    """Incrementally build a :class:`Graph`; names nodes and values consistently.

    A layer's first call is node ``<layer>``; later calls are ``<layer>@1``, ``<layer>@2``...
    A single-output node's value has the node's name; a multi-output node's values are
    ``<node>:0``, ``<node>:1``...
    """

    def __init__(self, name: str, kind: GraphKind = "functional") -> None:
        self.name = name
        self.kind = kind
        self._layers: dict[str, Layer] = {}
        self._nodes: list[Node] = []
        self._values: dict[str, Value] = {}
        self._calls: dict[str, int] = {}
        self.input_structure: Any = None
        self.output_structure: Any = None

    def add_input(self, name: str, type: TensorType | None) -> ValueRef:
        if name in self._values:
            raise ValueError(f"duplicate value name {name!r}")
        self._values[name] = Value(name, type)
        return ValueRef(name)

    def add_layer(self, layer: Layer) -> Layer:
        if layer.name in self._layers:
            raise ValueError(f"duplicate layer name {layer.name!r}")
        self._layers[layer.name] = layer
        return layer

    def has_layer(self, name: str) -> bool:
        return name in self._layers

    def layer(self, name: str) -> Layer:
        return self._layers[name]

    def replace_layer(self, layer: Layer) -> None:
        self._layers[layer.name] = layer

    def call(
        self,
        layer: str,
        args: tuple[Any, ...],
        kwargs: Mapping[str, Any] | None = None,
        *,
        num_outputs: int = 1,
        types: list[TensorType | None] | None = None,
    ) -> list[ValueRef]:
        """Record a call of ``layer``; returns refs to its outputs."""
        if layer not in self._layers:
            raise KeyError(f"unknown layer {layer!r}")
        for ref in flatten_structure((args, dict(kwargs or {}))):
            if isinstance(ref, ValueRef) and ref.name not in self._values:
                raise KeyError(f"layer {layer!r} reads unknown value {ref.name!r}")
        k = self._calls.get(layer, 0)
        self._calls[layer] = k + 1
        node_name = layer if k == 0 else f"{layer}@{k}"
        if num_outputs == 1:
            names = [node_name]
        else:
            names = [f"{node_name}:{i}" for i in range(num_outputs)]
        for i, n in enumerate(names):
            t = types[i] if types else None
            self._values[n] = Value(n, t, node_name, i)
        self._nodes.append(Node(node_name, layer, tuple(args), dict(kwargs or {}), tuple(names)))
        return [ValueRef(n) for n in names]

    def set_type(self, value: str, type: TensorType | None) -> None:
        self._values[value] = replace(self._values[value], type=type)

    def build(self) -> Graph:
        if self.input_structure is None:
            raise ValueError(f"graph {self.name!r} has no inputs")
        if self.output_structure is None:
            raise ValueError(f"graph {self.name!r} has no outputs")
        used = {n.layer for n in self._nodes}
        layers = tuple(lay for lay in self._layers.values() if lay.name in used)
        return Graph(
            name=self.name,
            layers=layers,
            nodes=tuple(self._nodes),
            values=dict(self._values),
            input_structure=self.input_structure,
            output_structure=self.output_structure,
            kind=self.kind,
        )


def inner_layer(parent: Layer, spec: Mapping[str, Any], prefix: str = "", name: str = "") -> Layer:
    """The IR layer a wrapper (``TimeDistributed``, ``Bidirectional``, ``RNN``) holds, built
    from its ``{"class_name", "config"}`` and the parent's weights whose names start with
    ``prefix`` (stripped). The numpy kernels and the ONNX lowerings both run wrapped layers
    through their own family's code this way."""
    from keras_migrate.errors import UnsupportedError

    class_name = spec.get("class_name")
    if not isinstance(class_name, str):
        raise UnsupportedError(f"inner layer spec without a class name: {spec!r}", layer=parent.name)
    config = dict(spec.get("config") or {})
    if prefix:
        weights = tuple(w.renamed(w.name[len(prefix) :]) for w in parent.weights if w.name.startswith(prefix))
    else:
        weights = parent.weights
    return Layer(name=f"{parent.name}/{name or class_name}", type=class_name, config=config, weights=weights)
