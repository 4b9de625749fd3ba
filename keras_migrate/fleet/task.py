"""One model's conversion in a batch: read once, write every requested kind, prepare verification.

Runs in a conversion process (:mod:`keras_migrate.fleet.run`); framework-free. Returns plain
data: the model's report entry and, when verification was asked for, the request the warm
backend workers need (the converted file, the inputs, and the reference the numpy
interpreter computed here, saved as ``.npz``), so the parent only dispatches and judges.
"""

from __future__ import annotations

import os
import time
import traceback
from collections.abc import Mapping
from typing import Any

from keras_migrate.fleet.discover import ModelSource

__all__ = ["OUTPUT_SUFFIXES", "convert_one"]

#: ``--to`` names and the suffix each output gets after the model's output stem.
OUTPUT_SUFFIXES = {"keras": ".keras", "py": ".py", "onnx": ".onnx", "weights": ".weights.h5", "kmir": ".kmir"}


def convert_one(source: ModelSource, outdir: str, scratch: str, options: Mapping[str, Any], root: str) -> dict[str, Any]:
    """Convert ``source`` into ``outdir`` (mirrored path) for each kind in ``options["to"]``.

    Paths in the entry are relative (sources to the batch ``root``, outputs to ``outdir``),
    so reports of shards run on different machines merge and compare.

    Never raises for the model's sake: a model that cannot be read or written is an entry
    with status ``error`` and the one-line message the CLI would print.
    """
    from keras_migrate.api import convert, load
    from keras_migrate.errors import KerasMigrateError
    from keras_migrate.reports.data import model_entry

    t0 = time.perf_counter()
    model = written = None
    outputs: list[dict[str, Any]] = []
    compat: set[str] = set()
    warnings: list[str] = []
    try:
        model = load(source.path, weights=source.weights, custom_objects=options.get("custom_objects", ()),
                     lambdas=options.get("lambdas", ()))
        from keras_migrate.ir.passes import prepare_for_output

        written = prepare_for_output(model, data_format=options.get("data_format", "internal"))
        for kind in options["to"]:
            out = os.path.join(outdir, source.out_stem + OUTPUT_SUFFIXES[kind])
            os.makedirs(os.path.dirname(out), exist_ok=True)
            report = convert(model, out, force=True, data_format=options.get("data_format", "internal"), opset=options.get("opset"))
            outputs += [
                {"path": os.path.relpath(f, outdir).replace(os.sep, "/"), "kind": report.kind, "bytes": os.path.getsize(f)}
                for f in report.files
            ]
            compat.update(report.compat_layers)
            warnings += [n for n in report.notes if n not in warnings]
            warnings += [f"renamed layer {old!r} -> {new!r}" for new, old in report.renamed.items() if f"renamed layer {old!r} -> {new!r}" not in warnings]
    except KerasMigrateError as exc:
        return {"entry": _failed(source, model, written, f"keras-migrate: error: {exc.one_line(default_path=source.path)}", t0, root)}
    except Exception as exc:  # a bug of ours: reported with its type, the batch goes on
        tb = traceback.format_exc(limit=-3).strip().splitlines()
        return {"entry": _failed(source, model, written, f"internal error: {type(exc).__name__}: {exc} ({tb[-3] if len(tb) > 2 else ''})", t0, root)}
    entry = model_entry(
        source.id, source=[_rel(f, root) for f in source.files], model=model, written=written, outputs=outputs,
        compat_layers=compat, warnings=warnings, convert_seconds=time.perf_counter() - t0,
    )  # fmt: skip
    entry["form"] = source.form
    result: dict[str, Any] = {"entry": entry}
    if options.get("verify"):
        result["verify"] = _prepare_verification(source, model, written, outputs, outdir, scratch, options)
    return result


def _rel(path: str, root: str) -> str:
    return os.path.relpath(path, root).replace(os.sep, "/")


def _failed(source: ModelSource, model: Any, written: Any, message: str, t0: float, root: str) -> dict[str, Any]:
    from keras_migrate.reports.data import model_entry

    entry = model_entry(source.id, source=[_rel(f, root) for f in source.files], model=model, written=written, error=message, convert_seconds=time.perf_counter() - t0)
    entry["form"] = source.form
    return entry


def _prepare_verification(
    source: ModelSource, model: Any, written: Any, outputs: list[dict[str, Any]], outdir: str, scratch: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """The reference (numpy interpreter) and inputs, saved for the backend workers."""
    import hashlib

    import numpy as np

    from keras_migrate.errors import KerasMigrateError
    from keras_migrate.verification import compute_reference, make_inputs

    target = next((o["path"] for o in outputs if o["path"].endswith(".keras")), None)
    target = target or next((o["path"] for o in outputs if o["path"].endswith(".py")), None)
    if target is None:
        return {"error": "no .keras or .py output to verify (add keras to --to)"}
    target = os.path.join(outdir, target)
    work = os.path.join(scratch, hashlib.sha1(source.id.encode()).hexdigest()[:16])
    os.makedirs(work, exist_ok=True)
    try:
        arrays = make_inputs(model, batch_size=options.get("batch_size", 2), seed=options.get("seed", 0))
        channels_last = options.get("data_format") == "channels_last" and written is not model
        reference = compute_reference(written, arrays) if channels_last else compute_reference(model, arrays, written)
    except KerasMigrateError as exc:
        return {"error": exc.one_line(default_path=source.path)}
    except Exception as exc:  # the reference interpreter failed: the model is unverified, not lost
        return {"error": f"reference interpreter failed: {type(exc).__name__}: {exc}"}
    inputs_npz = os.path.join(work, "inputs.npz")
    np.savez(inputs_npz, **{f"input_{i}": a for i, a in enumerate(arrays)})  # type: ignore[arg-type]
    reference_npz = os.path.join(work, "reference.npz")
    reference.save(reference_npz)
    return {
        "converted": target,
        "work": work,
        "inputs": inputs_npz,
        "reference": reference_npz,
        "input_names": list(model.graph.inputs),
        "input_structure": model.graph.input_structure,
    }
