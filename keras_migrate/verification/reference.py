"""The reference side of a verification, and judging one backend's run against it.

The numpy interpreter's outputs and per-layer values (:class:`Reference`) are computed once
per model; each backend's arrays are then judged against them (:func:`judge`). A batch
computes the reference in a conversion process and judges in the parent, so a reference
can be saved to and read back from an ``.npz`` (keys ``out:<i>``, ``val:<value>``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from keras_migrate.ir.graph import Model
from keras_migrate.ir.passes.layout import IOLayout
from keras_migrate.verification.compare import ATOL, RTOL, Diff, diff
from keras_migrate.verification.report import BackendResult
from keras_migrate.verification.tolerance import Tolerance, model_tolerance

__all__ = ["Reference", "backend_request", "compute_reference", "judge", "relayout_inputs"]

_ORDER_KEY = "__order__"
_TOLERANCE_KEY = "__tolerance__"
#: float32 models: the project's one tolerance (:mod:`.compare`).
_FLOAT32 = Tolerance(RTOL, ATOL)


@dataclass(frozen=True, slots=True)
class Reference:
    """The source model's outputs, every layer value (graph order) of the written model,
    and the tolerance its compute dtype calls for (:mod:`.tolerance`)."""

    outputs: tuple[np.ndarray, ...]
    values: Mapping[str, np.ndarray]
    order: tuple[str, ...]
    tolerance: Tolerance = _FLOAT32

    def save(self, path: str) -> None:
        arrays: dict[str, Any] = {f"out:{i}": o for i, o in enumerate(self.outputs)}
        arrays.update({f"val:{n}": self.values[n] for n in self.order if n in self.values})
        arrays[_ORDER_KEY] = np.frombuffer(json.dumps(list(self.order)).encode(), dtype=np.uint8)
        tol = self.tolerance
        arrays[_TOLERANCE_KEY] = np.frombuffer(json.dumps([tol.rtol, tol.atol, tol.compute_dtype]).encode(), dtype=np.uint8)
        np.savez(path, **arrays)

    @classmethod
    def load(cls, path: str) -> Reference:
        with np.load(path) as data:
            order = tuple(json.loads(data[_ORDER_KEY].tobytes().decode()))
            rtol, atol, compute = json.loads(data[_TOLERANCE_KEY].tobytes().decode())
            outs = tuple(data[f"out:{i}"] for i in range(sum(1 for k in data.files if k.startswith("out:"))))
            values = {k[4:]: data[k] for k in data.files if k.startswith("val:")}
        return cls(outs, values, order, Tolerance(float(rtol), float(atol), str(compute)))


def relayout_inputs(model: Model, arrays: list[np.ndarray], io_layout: IOLayout | None) -> list[np.ndarray]:
    """The source's inputs as the converted model takes them (``--channels-last`` moved
    some inputs' channel axis last)."""
    if io_layout is None or not io_layout.inputs:
        return arrays
    perms = io_layout.inputs
    return [np.ascontiguousarray(np.transpose(a, perms[n])) if n in perms else a for n, a in zip(model.graph.inputs, arrays)]


def compute_reference(
    model: Model, arrays: list[np.ndarray], layers_reference: Model | None = None, io_layout: IOLayout | None = None
) -> Reference:
    """Run the numpy interpreter: outputs of ``model``, per-layer values of ``layers_reference``
    (the IR as written, whose value names the converted file shares; ``model`` when None).

    ``io_layout``: the written model's interface was re-laid out (``--channels-last``): the
    source's outputs are transposed to the written layout, so a backend's outputs are judged
    against the source model itself, and ``layers_reference`` runs on re-laid-out inputs.
    """
    from keras_migrate.ir.interpreter import run_graph

    values = run_graph(model.graph, arrays, intermediates=True)
    outputs = tuple(values[n] for n in model.graph.outputs)
    if io_layout is not None:
        outputs = tuple(o if p is None else np.transpose(o, p) for o, p in zip(outputs, io_layout.outputs))
    layered = model if layers_reference is None else layers_reference
    if layered is not model:
        values = run_graph(layered.graph, relayout_inputs(model, arrays, io_layout), intermediates=True)
    order = tuple(o for node in layered.graph.nodes for o in node.outputs)
    return Reference(outputs, {n: values[n] for n in order if n in values}, order, model_tolerance(model))


def backend_request(converted: str, input_names: list[str], input_structure: Any, inputs_npz: str, output: str, result: str,
                    custom_objects: Sequence[str] = ()) -> dict[str, Any]:  # fmt: skip
    """A worker request: run ``converted`` on the inputs, write arrays to ``output`` and the
    result to ``result`` (per-layer values included). ``custom_objects``: the user's files
    or modules the converted model needs (``--custom-objects``), which the worker imports."""
    import os

    return {
        **({"custom_objects": list(custom_objects)} if custom_objects else {}),
        "model": os.path.abspath(converted),
        "inputs": inputs_npz,
        "input_names": list(input_names),
        "input_structure": input_structure,
        "output": output,
        "result": result,
        "layers": True,
    }


def judge(backend: str, raw: Mapping[str, Any], reference: Reference) -> BackendResult:
    """One backend's worker result compared with the reference: outputs and each layer."""
    load_s, run_s = float(raw.get("load_seconds", 0.0)), float(raw.get("run_seconds", 0.0))
    if not raw.get("ok"):
        return BackendResult(backend, error=str(raw.get("error", "unknown failure")), load_seconds=load_s, run_seconds=run_s)
    error = ""
    outputs: list[Diff] = []
    layers: list[tuple[str, Diff]] = []
    with np.load(raw["arrays"]) as got:
        outs = [got[f"out:{i}"] for i in range(sum(1 for k in got.files if k.startswith("out:")))]
        if len(outs) != len(reference.outputs):
            error = f"converted model has {len(outs)} outputs, the source has {len(reference.outputs)}"
        else:
            tol = reference.tolerance
            outputs = [diff(r, o, rtol=tol.rtol, atol=tol.atol) for r, o in zip(reference.outputs, outs)]
        for name in reference.order:
            key = f"val:{name}"
            if key in got.files and name in reference.values:
                layers.append((name, diff(reference.values[name], got[key], rtol=reference.tolerance.rtol, atol=reference.tolerance.atol)))
    return BackendResult(
        backend, tuple(outputs), tuple(layers), error=error, layers_error=str(raw.get("layers_error", "")),
        load_seconds=load_s, run_seconds=run_s,
    )  # fmt: skip
