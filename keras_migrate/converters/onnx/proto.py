"""Builder records to an ``onnx.ModelProto``: the only module that imports ``onnx``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from keras_migrate.converters.onnx.builder import Builder
from keras_migrate.converters.onnx.peephole import all_uses
from keras_migrate.converters.onnx.tensors import TensorAttr, elem_type

__all__ = ["to_model"]


def to_model(b: Builder, name: str, doc: str = "", metadata: Mapping[str, str] | None = None) -> Any:
    """Build the ``onnx.ModelProto`` (imports ``onnx``)."""
    from onnx import helper

    used = all_uses(b) | {o for o, _, _ in b.outputs}
    for key in [k for k in b.initializers if k not in used]:
        del b.initializers[key]
    graph = _graph_proto(b, name)
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", b.opset)],
        producer_name="keras-migrate",
        doc_string=doc,
    )
    model.producer_version = _producer_version()
    model.ir_version = _ir_version(b.opset)
    for k, v in (metadata or {}).items():
        entry = model.metadata_props.add()
        entry.key, entry.value = k, v
    return model


def _producer_version() -> str:
    """keras-migrate's version, from the installed distribution's metadata.

    Not ``keras_migrate.__version__``: the package imports the converters through its
    library API, so a converter importing the package back would close an import cycle.
    """
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("keras-migrate")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return ""


def _ir_version(opset: int) -> int:
    from onnx import helper

    for row in helper.VERSION_TABLE:
        if row[2] >= opset:
            return int(row[1])
    return int(helper.VERSION_TABLE[-1][1])


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
