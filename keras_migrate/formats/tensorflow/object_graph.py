"""A checkpoint's object graph (``TrackableObjectGraph``), read as data.

The special key ``_CHECKPOINTABLE_OBJECT_GRAPH`` of a tensor bundle is a string tensor
holding a serialized ``TrackableObjectGraph`` (``nodes=1``; a node has ``children=1``
``{node_id=1, local_name=2}`` and ``attributes=2`` ``{name=1, full_name=2,
checkpoint_key=3}``). Keras models name their layers ``layer-<i>`` (every layer of
``model.layers``) and ``layer_with_weights-<k>``; a layer's variables are children named by
attribute (``kernel``, ``cell`` -> ``kernel``, ``forward_layer`` -> ``cell`` -> ``kernel``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from keras_migrate.formats.tensorflow.protobuf import ProtobufError, decode

__all__ = ["ObjectGraph", "ObjectNode"]


@dataclass(frozen=True, slots=True)
class ObjectNode:
    children: Mapping[str, int]
    #: attribute name (``VARIABLE_VALUE``) -> (variable name, checkpoint key)
    attributes: Mapping[str, tuple[str, str]]

    @property
    def variable(self) -> tuple[str, str] | None:
        return self.attributes.get("VARIABLE_VALUE")


@dataclass(frozen=True, slots=True)
class ObjectGraph:
    """A ``TrackableObjectGraph``: node 0 is the saved root (the model)."""

    nodes: tuple[ObjectNode, ...]

    @staticmethod
    def parse(data: bytes) -> ObjectGraph:
        nodes: list[ObjectNode] = []
        for msg in decode(data).subs(1):
            children: dict[str, int] = {}
            for ref in msg.subs(1):
                children.setdefault(ref.text(2), ref.uint(1))
            attributes = {a.text(1): (a.text(2), a.text(3)) for a in msg.subs(2)}
            nodes.append(ObjectNode(children, attributes))
        if not nodes:
            raise ProtobufError("object graph has no nodes")
        for node in nodes:
            if any(c >= len(nodes) for c in node.children.values()):
                raise ProtobufError("object graph child out of range")
        return ObjectGraph(tuple(nodes))

    def variables_under(self, node_id: int, max_depth: int = 8) -> dict[str, tuple[int, str, str]]:
        """``{relative path: (node id, variable name, checkpoint key)}`` below ``node_id``.

        Depth-first in the children's (creation) order; a variable reachable by several
        paths is listed under each. SavedModel-only views (``variables``,
        ``trainable_variables``, ``keras_api``...) are not followed.
        """
        out: dict[str, tuple[int, str, str]] = {}

        def walk(nid: int, path: str, depth: int, stack: frozenset[int]) -> None:
            if depth > max_depth:
                return
            for name, child in self.nodes[nid].children.items():
                if child in stack or name in _VIEW_CHILDREN:
                    continue
                rel = f"{path}/{name}" if path else name
                var = self.nodes[child].variable
                if var is not None:
                    out[rel] = (child, var[0], var[1])
                else:
                    walk(child, rel, depth + 1, stack | {child})

        walk(node_id, "", 0, frozenset({node_id}))
        return out

    def weights_list(self, node_id: int) -> list[tuple[int, str, str]] | None:
        """A SavedModel layer's ``variables`` view: ``layer.weights`` in order, if present."""
        view = self.nodes[node_id].children.get("variables")
        if view is None:
            return None
        items = self.nodes[view].children
        out: list[tuple[int, str, str]] = []
        for i in range(len(items)):
            child = items.get(str(i))
            if child is None:
                return None
            var = self.nodes[child].variable
            if var is None:
                return None
            out.append((child, var[0], var[1]))
        return out


#: Children that SavedModels add as extra views of a layer's state, never followed by name.
_VIEW_CHILDREN = frozenset(
    {
        "variables", "trainable_variables", "non_trainable_variables", "trainable_weights",
        "non_trainable_weights", "weights", "keras_api", "regularization_losses", "_variables",
        "_trainable_weights", "_non_trainable_weights",
    }
)  # fmt: skip
