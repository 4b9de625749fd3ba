"""The ONNX emitter: an IR model straight to an ONNX file, without running the model.

No TensorFlow and no Keras are involved: every IR layer call is lowered by a registered
lowering (one module per layer family) into ONNX nodes, weights become initializers, the
batch dimension is dynamic, and graph inputs, outputs and node names come from the IR's
value and layer names. A layer without a lowering stops the conversion with an
:class:`~keras_migrate.errors.UnsupportedError` naming it, before anything is written.

:func:`write_onnx` (the CLI's path) imports no ``onnx``: value types come from the layer
rules (:mod:`keras_migrate.ir.shapes`; a layer without a rule runs alone on its input types, :mod:`.node_types`), weights stay
lazy until the file is written, and :mod:`.writer` encodes the protobuf itself, streaming
each weight once (external data beside the model past 2 GB); the file is written
atomically and checked structurally (:mod:`.check`; ``onnx.checker`` on a weightless copy
when ``KERAS_MIGRATE_ONNX_CHECKER=1``, and always in the tests). The ``onnx`` package
stays the declared requirement of ONNX output (the ``[onnx]`` extra): its presence is
checked without importing it. :func:`build_onnx` returns an ``onnx.ModelProto``.

Modules: :mod:`.tensors` (tensors, dtypes), :mod:`.builder` (the node and initializer
records lowerings write), :mod:`.lazy` (weights read at write time), :mod:`.registry`
(which lowering serves which layer type and opset; it imports a family's module only when
a model has a layer of that family), :mod:`.emit` (the IR walk),
:mod:`.peephole` (transpose folding, dead nodes), :mod:`.wire` (protobuf encoding),
:mod:`.writer` (the streaming file writer), :mod:`.check` (validation), :mod:`.proto`
(records to an ``onnx.ModelProto``); one module per layer family holds the lowerings.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass
from typing import Any

from keras_migrate.converters.onnx.builder import Builder, OpNode
from keras_migrate.converters.onnx.emit import emit_graph
from keras_migrate.converters.onnx.peephole import cancel_transposes
from keras_migrate.converters.onnx.registry import DEFAULT_OPSET, MIN_OPSET, lowered_types
from keras_migrate.converters.onnx.tensors import Tensor
from keras_migrate.converters.onnx.writer import PROTO_LIMIT, max_known_opset, write_model
from keras_migrate.converters.output import atomic_output
from keras_migrate.errors import KerasMigrateError, MissingDependencyError, UnsupportedError
from keras_migrate.ir.graph import Model

__all__ = ["DEFAULT_OPSET", "MIN_OPSET", "build_onnx", "lowered_types", "max_opset", "write_onnx"]


def _require_onnx() -> Any:
    try:
        import onnx
    except ImportError:
        raise _missing_onnx() from None
    return onnx


def _missing_onnx() -> MissingDependencyError:
    return MissingDependencyError("writing ONNX needs the onnx package", hint="pip install 'keras-migrate[onnx]'")


def _check_onnx_installed() -> None:
    """The ``[onnx]`` extra is installed (found without importing it: ~1 s saved)."""
    from importlib.util import find_spec

    try:
        found = find_spec("onnx") is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        raise _missing_onnx()


def max_opset() -> int:
    """The newest opset the installed ``onnx`` knows."""
    return int(_require_onnx().defs.onnx_opset_version())


def _dims(shape: tuple[int | None, ...], name: str) -> tuple[int | str | None, ...]:
    """The batch axis is always dynamic (``batch``); other unknown axes get their own name."""
    return tuple("batch" if i == 0 else (d if d is not None else f"{name}_dim{i}") for i, d in enumerate(shape))


@dataclass
class _Lowered:
    """A lowered model: the root builder and the model-level strings."""

    b: Builder
    name: str
    doc: str
    metadata: dict[str, str]


#: What to do when a model cannot be exported to ONNX, for refusals that name nothing better.
ONNX_HINT = "convert to .keras instead; see the support matrix in the README"


def _lower(model: Model, opset: int, newest: int) -> _Lowered:
    """Lower ``model``; every refusal says what to do (issue 16: ``what; what to do``),
    the :data:`ONNX_HINT` when the lowering that refused gave no hint of its own."""
    try:
        return _lower_model(model, opset, newest)
    except KerasMigrateError as exc:
        if exc.hint or isinstance(exc, MissingDependencyError):
            raise
        cls = UnsupportedError if isinstance(exc, UnsupportedError) else KerasMigrateError
        raise cls(exc.message, path=exc.path, layer=exc.layer, hint=ONNX_HINT) from exc


def _lower_model(model: Model, opset: int, newest: int) -> _Lowered:
    """Lower ``model`` to builder records (reads no weight but small constants)."""
    if not MIN_OPSET <= opset <= newest:
        raise KerasMigrateError(
            f"ONNX opset {opset} is not supported",
            hint=f"choose an opset from {MIN_OPSET} to {newest} (default {DEFAULT_OPSET})",
        )
    from keras_migrate.converters.onnx.node_types import graph_types

    # Types from the layer rules; a layer without one runs alone on its own input types
    # (never the whole model on one probe length it may not take).
    graph = graph_types(model.graph)
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
    return _Lowered(b, graph.name or "model", doc, metadata)


def build_onnx(model: Model, opset: int = DEFAULT_OPSET) -> Any:
    """Lower ``model`` to an ``onnx.ModelProto`` (checked with ``onnx.checker``; reads every weight)."""
    from keras_migrate.converters.onnx.proto import to_model

    onnx = _require_onnx()
    low = _lower(model, opset, min(int(onnx.defs.onnx_opset_version()), max_known_opset()))
    proto = to_model(low.b, low.name, low.doc, low.metadata)
    if sum(len(t.raw_data) for t in proto.graph.initializer) < PROTO_LIMIT:
        onnx.checker.check_model(proto)  # larger models: write_onnx, then check the file
    return proto


def _identity(b: Builder, src: str, dst: str) -> Any:
    b.names.used.add(dst)
    return OpNode("Identity", [src], [dst], b.fresh(f"{dst}/Identity"))


#: Set to ``1`` to run ``onnx.checker`` (on a weightless copy) after every ONNX conversion.
CHECKER_ENV = "KERAS_MIGRATE_ONNX_CHECKER"


def write_onnx(
    model: Model,
    out: str,
    *,
    opset: int | None = None,
    external_threshold: int = PROTO_LIMIT,
    checker: bool | None = None,
) -> int:
    """Write ``model`` to ``out`` as ONNX (atomically); returns the bytes of weights written.

    Weights stream from their source one at a time. When they total ``external_threshold``
    bytes or more (default: just under protobuf's 2 GiB limit) they go to ``<out>.data``
    beside the model (ONNX external data, location recorded relative). ``checker`` runs
    ``onnx.checker`` on a weightless copy of the file (default: :data:`CHECKER_ENV`); the
    structural self-check of :mod:`.check` always runs.
    """
    from keras_migrate.converters.onnx.check import check_records, check_with_onnx, read_layout

    _check_onnx_installed()
    low = _lower(model, DEFAULT_OPSET if opset is None else opset, max_known_opset())
    check_records(low.b)
    location = os.path.basename(out) + ".data"
    parent = os.path.dirname(os.path.abspath(out))
    data_out = os.path.join(parent, location)
    fd, tmp_data = tempfile.mkstemp(prefix=".keras-migrate-", suffix=".data", dir=parent)
    os.close(fd)
    try:
        with atomic_output(out, ".onnx") as tmp:
            written = write_model(
                low.b, tmp, low.name, low.doc, low.metadata,
                data_path=tmp_data, location=location, external_threshold=external_threshold,
            )  # fmt: skip
            layout = read_layout(tmp)
            planned = (len(low.b.nodes), len(low.b.initializers), len(low.b.inputs), len(low.b.outputs))
            if (layout.nodes, layout.initializers, layout.inputs, layout.outputs) != planned:
                raise KerasMigrateError("the ONNX file written does not read back as planned (a bug in keras-migrate)")
            run_checker = checker if checker is not None else os.environ.get(CHECKER_ENV) == "1"
            if run_checker and written.external is None:
                check_with_onnx(tmp)
            if written.external is not None:
                os.replace(tmp_data, data_out)  # the data first: a reader of out finds it
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp_data)
    if run_checker and written.external is not None:
        try:  # the weights are external already: the model file is the weightless copy
            _require_onnx().checker.check_model(out, full_check=True)
        except Exception:
            for path in (out, data_out):
                with contextlib.suppress(OSError):
                    os.unlink(path)
            raise
    return written.weight_bytes
