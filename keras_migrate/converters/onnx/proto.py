"""Builder records to an ``onnx.ModelProto``, with the ``onnx`` package.

Files are written by :mod:`.writer` (streaming, no ``onnx``); this module builds the same
model as a proto for :func:`~keras_migrate.converters.onnx.build_onnx` (tests, library
callers wanting a proto), reading every weight. The tests compare its serialization with
the writer's bytes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from keras_migrate.converters.onnx.builder import Builder
from keras_migrate.converters.onnx.lazy import initializer_array
from keras_migrate.converters.onnx.tensors import TensorAttr, elem_type
from keras_migrate.converters.onnx.writer import ir_version, producer_version, prune_initializers

__all__ = ["to_model"]


def to_model(b: Builder, name: str, doc: str = "", metadata: Mapping[str, str] | None = None) -> Any:
    """Build the ``onnx.ModelProto`` (imports ``onnx``)."""
    from onnx import helper

    prune_initializers(b)
    graph = _graph_proto(b, name)
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", b.opset)],
        producer_name="keras-migrate",
        doc_string=doc,
    )
    model.producer_version = producer_version()
    model.ir_version = ir_version(b.opset)
    for k, v in (metadata or {}).items():
        entry = model.metadata_props.add()
        entry.key, entry.value = k, v
    return model


def _graph_proto(b: Builder, name: str) -> Any:
    from onnx import helper, numpy_helper

    nodes = []
    for n in b.nodes:
        attrs = {k: _attr(v, n.name) for k, v in n.attrs.items()}
        nodes.append(helper.make_node(n.op_type, n.inputs, n.outputs, name=n.name, **attrs))
    inputs = [helper.make_tensor_value_info(nm, elem_type(dt), _shape(s)) for nm, dt, s in b.inputs]
    outputs = [helper.make_tensor_value_info(nm, elem_type(dt), _shape(s)) for nm, dt, s in b.outputs]
    inits = [numpy_helper.from_array(initializer_array(v), nm) for nm, v in b.initializers.items()] if b.parent is None else []
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
