"""The ONNX emitter: an IR model straight to an ONNX file, with the ``onnx`` package only.

No TensorFlow and no Keras are involved: every IR layer call is lowered by a registered
lowering (one module per layer family) into ONNX nodes, weights become initializers (read
one at a time with ``Weight.numpy()``), the batch dimension is dynamic, and graph inputs,
outputs and node names come from the IR's value and layer names. A layer without a
lowering stops the conversion with an :class:`~keras_migrate.errors.UnsupportedError`
naming it, before anything is written; the file is written atomically.

Importing this package does not import ``onnx``; :func:`write_onnx` does.

Modules: :mod:`.tensors` (tensors, dtypes), :mod:`.builder` (the node and initializer
records lowerings write), :mod:`.registry` (which lowering serves which layer type and
opset), :mod:`.emit` (the IR walk), :mod:`.peephole` (transpose folding, dead nodes),
:mod:`.proto` (records to an ``onnx.ModelProto``); one module per layer family holds
the lowerings.
"""

from __future__ import annotations

from typing import Any

# Every lowering module registers its lowerings on import: importing them here fills the
# registry before any lowering is looked up.
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
from keras_migrate.converters.onnx.builder import Builder, OpNode
from keras_migrate.converters.onnx.emit import emit_graph
from keras_migrate.converters.onnx.peephole import cancel_transposes
from keras_migrate.converters.onnx.proto import to_model
from keras_migrate.converters.onnx.registry import DEFAULT_OPSET, MIN_OPSET, lowered_types
from keras_migrate.converters.onnx.tensors import Tensor
from keras_migrate.converters.output import atomic_output
from keras_migrate.errors import KerasMigrateError, MissingDependencyError, UnsupportedError
from keras_migrate.ir.graph import Model

__all__ = ["DEFAULT_OPSET", "MIN_OPSET", "build_onnx", "lowered_types", "max_opset", "write_onnx"]


def _require_onnx() -> Any:
    try:
        import onnx
    except ImportError:
        raise MissingDependencyError(
            "writing ONNX needs the onnx package",
            hint="pip install 'keras-migrate[onnx]'",
        ) from None
    return onnx


def max_opset() -> int:
    """The newest opset the installed ``onnx`` knows."""
    return int(_require_onnx().defs.onnx_opset_version())


def _dims(shape: tuple[int | None, ...], name: str) -> tuple[int | str | None, ...]:
    """The batch axis is always dynamic (``batch``); other unknown axes get their own name."""
    return tuple("batch" if i == 0 else (d if d is not None else f"{name}_dim{i}") for i, d in enumerate(shape))


def build_onnx(model: Model, opset: int = DEFAULT_OPSET) -> Any:
    """Lower ``model`` to an ``onnx.ModelProto`` (checked with ``onnx.checker``)."""
    onnx = _require_onnx()
    newest = int(onnx.defs.onnx_opset_version())
    if not MIN_OPSET <= opset <= newest:
        raise KerasMigrateError(
            f"ONNX opset {opset} is not supported",
            hint=f"choose an opset from {MIN_OPSET} to {newest} (default {DEFAULT_OPSET})",
        )
    import numpy as np

    from keras_migrate.converters.onnx.shapes import static_graph_types
    from keras_migrate.ir.passes.infer_types import infer_graph_types

    # Types from the layer rules when every layer has one (no weight is read); else the
    # interpreter's probe on a batch of one.
    graph = static_graph_types(model.graph)
    if graph is None:
        with np.errstate(all="ignore"):  # the shape probe runs on zeros (log(0) is fine here)
            graph = infer_graph_types(model.graph)
    b = Builder(opset)
    inputs = []
    for name in graph.inputs:
        in_type = graph.values[name].type
        if in_type is None:
            raise UnsupportedError(f"model input {name!r} has no known shape; ONNX needs its rank")
        b.names.used.add(name)
        b.inputs.append((name, in_type.dtype, _dims(in_type.shape, name)))
        inputs.append(Tensor(name, in_type))
    outs = emit_graph(b, graph, inputs)
    keep: set[str] = set()
    for name, t in zip(graph.outputs, outs, strict=True):
        out_type = graph.values[name].type
        out_name = t.name
        if out_name != name or out_name in keep or out_name in graph.inputs:
            target = name if name not in b.names.used else b.fresh(name)
            b.nodes.append(_identity(b, t.name, target))
            out_name = target
        keep.add(out_name)
        dtype = out_type.dtype if out_type is not None else "float32"
        b.outputs.append((out_name, dtype, _dims(out_type.shape, out_name) if out_type is not None else None))
    cancel_transposes(b, keep)
    prov = model.provenance
    doc = f"converted by keras-migrate from {prov.source_format or 'a model'}"
    if prov.keras_version:
        doc += f" (Keras {prov.keras_version})"
    metadata = {k: v for k, v in {
        "source_path": prov.source_path, "source_format": prov.source_format,
        "keras_version": prov.keras_version, "generation": prov.generation,
    }.items() if v}  # fmt: skip
    proto = to_model(b, graph.name or "model", doc, metadata)
    if _weight_bytes(proto) < _PROTO_LIMIT:
        onnx.checker.check_model(proto)  # larger models are checked from the file
    return proto


#: Protobuf cannot serialize 2 GiB; above this, weights go to an external data file.
_PROTO_LIMIT = 1_900_000_000


def _weight_bytes(proto: Any) -> int:
    return sum(len(t.raw_data) for t in proto.graph.initializer)


def _identity(b: Builder, src: str, dst: str) -> Any:
    b.names.used.add(dst)
    return OpNode("Identity", [src], [dst], b.fresh(f"{dst}/Identity"))


def write_onnx(model: Model, out: str, *, opset: int | None = None) -> int:
    """Write ``model`` to ``out`` as ONNX (atomically); returns the bytes of weights written."""
    proto = build_onnx(model, DEFAULT_OPSET if opset is None else opset)
    onnx = _require_onnx()
    n = _weight_bytes(proto)
    with atomic_output(out, ".onnx") as tmp:
        if n < _PROTO_LIMIT:
            onnx.save_model(proto, tmp)
        else:  # weights beside the model, in <out>.data
            import os

            location = os.path.basename(out) + ".data"
            onnx.save_model(proto, tmp, save_as_external_data=True, all_tensors_to_one_file=True, location=location)
            onnx.checker.check_model(tmp)
    return n
