"""Rewrite a graph by replaying it node by node into a new one.

IR records are immutable, so a pass that changes a graph's shape (splits a node, inserts
a ``Permute`` or a ``ZeroPadding``, swaps a layer's config) builds a new graph.
:class:`Rewriter` does the bookkeeping every such pass needs: a map from the old graph's
values to the new graph's (:meth:`Rewriter.ref`, :meth:`Rewriter.bind`), fresh names that
collide with no layer or value (:meth:`Rewriter.fresh_name`), inserted layers
(:meth:`Rewriter.insert`), and replaying a node with its arguments remapped
(:meth:`Rewriter.replay`). Nodes keep their names (``<layer>``, ``<layer>@1``...) as long as
each layer is called in the same order, so an unchanged node prints as before.

Simple passes give :meth:`Rewriter.rewrite` one callback per node; passes that also change
the interface (input types, output layout) drive the steps themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from keras_migrate.ir.graph import (
    Graph,
    GraphBuilder,
    Layer,
    LayerOrigin,
    Node,
    TensorType,
    ValueRef,
    map_structure,
)

__all__ = ["INSERTED", "NodeRewrite", "Rewriter"]

#: ``LayerOrigin.class_name`` of a layer a pass inserted (it has no legacy counterpart).
INSERTED = "(inserted)"

#: A per-node callback of :meth:`Rewriter.rewrite`: emit the node's replacement (binding
#: its outputs) and return ``True``, or return ``False`` to replay the node unchanged.
NodeRewrite = Callable[["Rewriter", Node], bool]

_SAME: Any = object()


class Rewriter:
    """Replay ``graph`` into a new graph of the same name and kind (see the module doc).

    Layers enter the new graph when first called, in that order, unless declared up front
    with :meth:`declare` (to keep the source's layer order). Layers never called are
    dropped by :meth:`build`.
    """

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.builder = GraphBuilder(graph.name, kind=graph.kind)
        #: Old value name -> the new graph's value standing for it.
        self.env: dict[str, ValueRef] = {}
        self._names: set[str] = {lay.name for lay in graph.layers} | set(graph.values)

    # -- names and values ---------------------------------------------------------------
    def fresh_name(self, base: str) -> str:
        """``base``, or ``base_1``, ``base_2``...: unused by any layer or value, old or new."""
        name, k = base, 1
        while name in self._names:
            name = f"{base}_{k}"
            k += 1
        self._names.add(name)
        return name

    def input(self, name: str, type: TensorType | None = _SAME) -> ValueRef:
        """Declare the new graph's input for the old input ``name`` (same type by default)."""
        ref = self.builder.add_input(name, self.graph.values[name].type if type is _SAME else type)
        self.env[name] = ref
        return ref

    def ref(self, value: str) -> ValueRef:
        """The new value standing for the old value ``value``."""
        return self.env[value]

    def bind(self, value: str, ref: ValueRef) -> None:
        """Make ``ref`` stand for the old value ``value`` from now on."""
        self.env[value] = ref

    def remap(self, structure: Any, fix: Callable[[str], ValueRef] | None = None) -> Any:
        """``structure`` with every :class:`ValueRef` replaced by ``fix(old_name)``
        (default: its current binding), lists, tuples and dicts kept."""
        get = fix or self.ref
        return map_structure(lambda x: get(x.name) if isinstance(x, ValueRef) else x, structure)

    # -- layers and calls ---------------------------------------------------------------
    def declare(self, layer: Layer) -> None:
        """Add ``layer`` to the new graph now, unless a layer of that name is already in it
        (the first one wins, so a shared layer's calls all use the same definition)."""
        if not self.builder.has_layer(layer.name):
            self.builder.add_layer(layer)

    def call(
        self,
        layer: Layer,
        args: tuple[Any, ...],
        kwargs: Mapping[str, Any] | None = None,
        *,
        num_outputs: int = 1,
    ) -> list[ValueRef]:
        """Call ``layer`` on new values, declaring it first (so a layer already
        in the new graph under that name is the one called)."""
        self.declare(layer)
        return self.builder.call(layer.name, tuple(args), dict(kwargs or {}), num_outputs=num_outputs)

    def insert(self, base: str, type: str, config: Mapping[str, Any], args: tuple[Any, ...]) -> ValueRef:
        """Add a new layer (named :meth:`fresh_name` of ``base``) and call it once on new
        values; returns its single output."""
        name = self.fresh_name(base)
        layer = Layer(name, type, dict(config), origin=LayerOrigin(INSERTED, name))
        return self.call(layer, args)[0]

    def replay(
        self,
        node: Node,
        *,
        layer: Layer | None = None,
        args: tuple[Any, ...] | None = None,
        kwargs: Mapping[str, Any] | None = None,
    ) -> list[ValueRef]:
        """Call ``node``'s layer (or ``layer``) with its arguments remapped (or ``args`` /
        ``kwargs``, already new values) and bind the node's outputs to the results."""
        new_layer = layer if layer is not None else self.graph.layer(node.layer)
        outs = self.call(
            new_layer,
            self.remap(node.args) if args is None else args,
            self.remap(dict(node.kwargs)) if kwargs is None else kwargs,
            num_outputs=len(node.outputs),
        )
        for old, new in zip(node.outputs, outs, strict=True):
            self.bind(old, new)
        return outs

    def build(self, output_structure: Any = _SAME) -> Graph:
        """The new graph: the old input structure, and the old output structure remapped
        (or ``output_structure``, of new value names)."""
        self.builder.input_structure = self.graph.input_structure
        if output_structure is _SAME:
            output_structure = map_structure(lambda n: self.ref(n).name, self.graph.output_structure)
        self.builder.output_structure = output_structure
        return self.builder.build()

    # -- the common driver --------------------------------------------------------------
    @classmethod
    def rewrite(cls, graph: Graph, on_node: NodeRewrite, *, declare: Callable[[Layer], Layer] | None = None) -> Graph:
        """Replay ``graph``, letting ``on_node`` replace any node; inputs and outputs kept.

        ``declare``, if given, maps every layer of ``graph`` to the layer the new graph
        holds under that name, declared up front in the source's order.
        """
        rw = cls(graph)
        for name in graph.inputs:
            rw.input(name)
        if declare is not None:
            for layer in graph.layers:
                rw.declare(declare(layer))
        for node in graph.nodes:
            if not on_node(rw, node):
                rw.replay(node)
        return rw.build()
