"""Serialize the IR as a Keras 3 model config (the ``config.json`` of a ``.keras`` file).

The IR already holds Keras 3 layer types and arguments; this module only adds Keras 3's
serialization envelope (``module``, ``registered_name``, dtype policies, ``__keras_tensor__``
node arguments) so that ``keras.saving.load_model`` rebuilds the model with
``safe_mode=True`` and no custom code beyond ``import keras_migrate``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from keras_migrate.converters.keras3_order import keras_layer_order
from keras_migrate.ir.graph import COMPAT_PREFIX, Graph, Layer, ValueRef, map_structure
from keras_migrate.ir.ops.keras3 import is_op_type, op_object

__all__ = ["COMPAT_MODULE", "graph_is_chain", "model_config", "serialize_layer_object"]

#: Python module that defines the compat layers (recorded in configs, for readers' benefit).
COMPAT_MODULE = "keras_migrate.compat._layers"

_OBJECT_MODULES = {
    "_initializer": "keras.initializers",
    "_regularizer": "keras.regularizers",
    "_constraint": "keras.constraints",
}
_ACTIVATION_KEYS = ("activation", "recurrent_activation")
_NESTED_LAYER_KEYS = ("layer", "backward_layer", "cell")


def _policy(dtype: str) -> dict[str, Any]:
    return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": dtype}, "registered_name": None}


def _activation(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(COMPAT_PREFIX):
        return {
            "module": COMPAT_MODULE,
            "class_name": "function",
            # Keras looks registered functions up by the name stored in "config".
            "config": value,
            "registered_name": value,
        }
    return value


def _object(value: Any, module: str) -> Any:
    if isinstance(value, Mapping) and "class_name" in value:
        return {
            "module": module,
            "class_name": value["class_name"],
            "config": dict(value.get("config") or {}),
            "registered_name": None,
        }
    return value


def serialize_layer_object(layer_type: str, config: Mapping[str, Any], *, name: str | None = None,
                           trainable: bool = True, dtype: str = "float32") -> dict[str, Any]:
    """A Keras 3 serialized layer: ``{module, class_name, config, registered_name}``."""
    cfg: dict[str, Any] = {}
    if name is not None:
        cfg["name"] = name
    if not trainable:
        # Some Keras 3 layers (e.g. SpatialDropout1D) take no `trainable` argument;
        # True is the default, so it is only written when it says something.
        cfg["trainable"] = False
    cfg["dtype"] = _policy(dtype)
    for key, value in config.items():
        if key in _ACTIVATION_KEYS:
            value = _activation(value)
        elif key in _NESTED_LAYER_KEYS and isinstance(value, Mapping) and "class_name" in value:
            value = _nested(value)
        elif key == "cells" and isinstance(value, list):
            value = [_nested(v) for v in value]
        else:
            for suffix, module in _OBJECT_MODULES.items():
                if key.endswith(suffix):
                    value = _object(value, module)
        if key == "name":
            continue
        cfg[key] = value
    if layer_type.startswith(COMPAT_PREFIX):
        cls = layer_type[len(COMPAT_PREFIX) :]
        return {"module": COMPAT_MODULE, "class_name": cls, "config": cfg, "registered_name": layer_type}
    return {"module": "keras.layers", "class_name": layer_type, "config": cfg, "registered_name": None}


def _nested(obj: Mapping[str, Any]) -> dict[str, Any]:
    inner_cfg = dict(obj.get("config") or {})
    name = inner_cfg.pop("name", None)
    return serialize_layer_object(obj["class_name"], inner_cfg, name=name)


def _tensor(ref: ValueRef, graph: Graph, history: Mapping[str, tuple[str, int, int]]) -> dict[str, Any]:
    v = graph.values[ref.name]
    # Keras reads only keras_history when rebuilding; the shape must merely be defined.
    shape = list(v.type.shape) if v.type is not None else [None]
    dtype = v.type.dtype if v.type is not None else "float32"
    return {
        "class_name": "__keras_tensor__",
        "config": {"shape": shape, "dtype": dtype, "keras_history": list(history[ref.name])},
    }


def graph_is_chain(graph: Graph) -> bool:
    """True if the graph can be a Keras 3 Sequential: one input, a chain of single calls."""
    if not isinstance(graph.input_structure, str) or not isinstance(graph.output_structure, str):
        return False
    if len({n.layer for n in graph.nodes}) != len(graph.nodes):
        return False
    prev = graph.input_structure
    for node in graph.nodes:
        if node.kwargs or len(node.args) != 1 or node.args[0] != ValueRef(prev) or len(node.outputs) != 1:
            return False
        prev = node.outputs[0]
    return prev == graph.output_structure


def _input_layer(name: str, graph: Graph) -> dict[str, Any]:
    t = graph.values[name].type
    shape = list(t.shape) if t is not None else [None]
    return {
        "module": "keras.layers",
        "class_name": "InputLayer",
        "config": {
            "batch_shape": shape,
            "dtype": t.dtype if t is not None else "float32",
            "sparse": False,
            "ragged": False,
            "name": name,
            "optional": False,
        },
        "registered_name": None,
    }


def _layer_entry(layer: Layer) -> dict[str, Any]:
    if is_op_type(layer.type):  # a Keras 3 op node, written back as Keras writes it
        return op_object(layer.type, layer.config, layer.name)
    if layer.subgraph is not None:
        inner = model_config(layer.subgraph, name=layer.name, trainable=layer.trainable)
        return inner
    return serialize_layer_object(layer.type, layer.config, name=layer.name, trainable=layer.trainable, dtype=layer.dtype)


def model_config(graph: Graph, *, name: str | None = None, trainable: bool = True) -> dict[str, Any]:
    """The serialized Keras 3 model (Sequential when the graph is a plain chain)."""
    name = name or graph.name
    layers = {lay.name: lay for lay in graph.layers}
    if graph.kind == "sequential" and graph_is_chain(graph):
        entries = [_input_layer(graph.inputs[0], graph)]
        entries += [_layer_entry(layers[n.layer]) for n in graph.nodes]
        t = graph.values[graph.inputs[0]].type
        return {
            "module": "keras",
            "class_name": "Sequential",
            "config": {
                "name": name,
                "trainable": trainable,
                "dtype": _policy("float32"),
                "layers": entries,
                "build_input_shape": list(t.shape) if t is not None else None,
            },
            "registered_name": None,
        }

    history: dict[str, tuple[str, int, int]] = {n: (n, 0, 0) for n in graph.inputs}
    calls: dict[str, int] = {}
    node_entries: dict[str, list[dict[str, Any]]] = {}
    for node in graph.nodes:
        k = calls.get(node.layer, 0)
        calls[node.layer] = k + 1
        for i, out in enumerate(node.outputs):
            history[out] = (node.layer, k, i)
        to_json = lambda x: _tensor(x, graph, history) if isinstance(x, ValueRef) else x  # noqa: E731
        node_entries.setdefault(node.layer, []).append(
            {"args": [map_structure(to_json, a) for a in node.args], "kwargs": map_structure(to_json, dict(node.kwargs))}
        )
    entries = []
    for lname in keras_layer_order(graph):
        if lname in graph.inputs:
            e = _input_layer(lname, graph)
            e["name"] = lname
            e["inbound_nodes"] = []
        else:
            e = _layer_entry(layers[lname])
            e["name"] = lname
            e["inbound_nodes"] = node_entries[lname]
        entries.append(e)

    def ref(value: str) -> list[Any]:
        lname, k, i = history[value]
        sub = layers[lname].subgraph if lname in layers else None
        if sub is not None and not (sub.kind == "sequential" and graph_is_chain(sub)):
            # Keras 3 counts a nested Functional's own construction node in model
            # input/output references (but not in node arguments).
            k += 1
        return [lname, k, i]

    def io(structure: Any) -> Any:
        if isinstance(structure, str):
            return ref(structure)
        return map_structure(ref, structure)

    return {
        "module": "keras.src.models.functional",
        "class_name": "Functional",
        "config": {
            "name": name,
            "trainable": trainable,
            "layers": entries,
            "input_layers": io(graph.input_structure),
            "output_layers": io(graph.output_structure),
        },
        "registered_name": "Functional",
    }
