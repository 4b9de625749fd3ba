"""The report's data: plain JSON, built once from the pipeline's records, rendered many ways.

JSON is the source of truth (schema ``keras-migrate-report`` v1): the HTML and Markdown
renderers read only this data, so a merged or archived ``run.json`` renders exactly as
the run that wrote it. One report holds a list of model entries (a batch, or a single
model for ``inspect --html`` / ``verify --report``) and a summary computed from them.

An entry: ``id``, ``source`` (paths), ``format``, ``generation``, ``keras_version``,
``status`` (``ok``, ``mismatch``, ``error``, ``skipped``), ``error``, ``outputs``,
``layers``, ``compat_layers``, ``warnings``, ``convert_seconds``, ``verify`` (per backend:
``ok``, ``error``, ``max_abs``, ``first_divergence``, ``layers`` as ``[value, max_abs,
ok]``), ``graph`` (``nodes``, ``edges``: what the diagram draws), ``resumed``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from keras_migrate.ir.graph import Layer, Model
    from keras_migrate.verification.report import VerifyReport

__all__ = [
    "SCHEMA",
    "STATUSES",
    "Status",
    "comparable",
    "exit_code",
    "graph_summary",
    "merge_reports",
    "model_entry",
    "node_verdicts",
    "run_report",
    "summarize",
    "verification_entry",
]

SCHEMA = "keras-migrate-report"
Status = Literal["ok", "mismatch", "error", "skipped"]
#: Statuses from best to worst; the run's exit code follows the worst (0, 1, 2; skipped is 0).
STATUSES: tuple[Status, ...] = ("ok", "skipped", "mismatch", "error")
_EXIT = {"ok": 0, "skipped": 0, "mismatch": 1, "error": 2}
#: Fields that differ between two runs of the same work (times, where it ran): ignored by
#: :func:`comparable`.
VOLATILE = ("convert_seconds", "verify_seconds", "load_seconds", "run_seconds", "resumed", "created", "shard", "workers")


def _uses_compat(layer: Layer) -> bool:
    from keras_migrate.ir.graph import COMPAT_PREFIX

    def scan(value: object) -> bool:
        if isinstance(value, str):
            return value.startswith(COMPAT_PREFIX)
        if isinstance(value, Mapping):
            return any(scan(v) for v in value.values())
        if isinstance(value, (list, tuple)):
            return any(scan(v) for v in value)
        return False

    return layer.is_compat or scan(dict(layer.config))


def graph_summary(model: Model) -> dict[str, Any]:
    """What the diagram draws: one node per layer call (and per model input), data edges.

    Node ``values`` are the IR value names the node produces: per-layer verification
    results are keyed by them, which is how a node gets its verdict.
    """
    graph = model.graph
    nodes: list[dict[str, Any]] = [
        {"id": f"input:{name}", "label": name, "type": "Input", "compat": False, "values": [name]} for name in graph.inputs
    ]
    edges: list[list[str]] = []
    for node in graph.nodes:
        layer = graph.layer(node.layer)
        nodes.append(
            {"id": node.name, "label": node.layer, "type": layer.type, "compat": _uses_compat(layer), "values": list(node.outputs)}
        )
        for value in dict.fromkeys(node.inputs):
            producer = graph.producer(value)
            edges.append([producer.name if producer is not None else f"input:{value}", node.name])
    return {"nodes": nodes, "edges": edges, "outputs": list(graph.outputs)}


def _num(x: float) -> float | str:
    """A difference as JSON: finite numbers as they are, ``inf``/``nan`` as strings (JSON has none)."""
    import math

    return float(x) if math.isfinite(x) else str(x)


def verification_entry(report: VerifyReport) -> dict[str, Any]:
    """Per backend: the verdict, the largest output difference, and every layer's."""
    out: dict[str, Any] = {}
    for b in report.backends:
        out[b.backend] = {
            "ok": b.ok,
            "error": b.error or None,
            "max_abs": _num(max(d.max_abs for d in b.outputs)) if b.outputs else None,
            "first_divergence": b.first_divergence,
            "layers": [[n, _num(d.max_abs), d.ok] for n, d in b.layers],
            "layers_error": b.layers_error or None,
            "load_seconds": round(b.load_seconds, 3),
            "run_seconds": round(b.run_seconds, 3),
        }
    return out


def model_entry(
    model_id: str,
    *,
    source: Iterable[str],
    model: Model | None = None,
    written: Model | None = None,
    outputs: Iterable[Mapping[str, Any]] = (),
    compat_layers: Iterable[str] = (),
    warnings: Iterable[str] = (),
    convert_seconds: float = 0.0,
    verification: VerifyReport | None = None,
    error: str = "",
    status: Status | None = None,
) -> dict[str, Any]:
    """One model's entry. ``model``: the IR as read (provenance, layer count); ``written``:
    the IR as written (the diagram; its value names match the per-layer results)."""
    prov = model.provenance if model is not None else None
    verify = verification_entry(verification) if verification is not None else None
    if status is None:
        status = "error" if error else ("mismatch" if verification is not None and not verification.ok else "ok")
    drawn = written if written is not None else model
    return {
        "id": model_id,
        "source": list(source),
        "format": prov.source_format if prov else "",
        "generation": prov.generation if prov else "",
        "keras_version": prov.keras_version if prov else "",
        "status": status,
        "error": error or None,
        "outputs": [dict(o) for o in outputs],
        "layers": len(model.graph.layers) if model is not None else None,
        "compat_layers": sorted(compat_layers),
        "warnings": list(warnings),
        "convert_seconds": round(convert_seconds, 3),
        "verify": verify,
        "graph": graph_summary(drawn) if drawn is not None else None,
        "resumed": False,
    }


def node_verdicts(entry: Mapping[str, Any]) -> dict[str, str]:
    """Each diagram node's verdict: ``diverged`` (some backend's values differ there),
    ``compat`` (a compat layer, values equal), ``exact``, or ``unverified`` (no values)."""
    graph = entry.get("graph") or {}
    per_value: dict[str, list[bool]] = {}
    for result in (entry.get("verify") or {}).values():
        for name, _, ok in result.get("layers") or ():
            per_value.setdefault(name, []).append(bool(ok))
    out: dict[str, str] = {}
    for node in graph.get("nodes", []):
        checks = [ok for v in node["values"] for ok in per_value.get(v, [])]
        if checks and not all(checks):
            out[node["id"]] = "diverged"
        elif node.get("compat"):
            out[node["id"]] = "compat"
        elif checks or node["type"] == "Input":
            out[node["id"]] = "exact"
        else:
            out[node["id"]] = "unverified"
    return out


def summarize(models: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Counts by status, and the worst status."""
    counts: dict[str, int] = dict.fromkeys(STATUSES, 0)
    for m in models:
        counts[m["status"]] += 1
    worst = max((s for s in STATUSES if counts[s]), key=STATUSES.index, default="ok")
    return {"models": sum(counts.values()), **counts, "worst": worst, "exit_code": _EXIT[worst]}


def exit_code(report: Mapping[str, Any]) -> int:
    """The run's exit code: 0 when every model converted (and matched), 1 for a verification
    mismatch, 2 when some model could not be converted."""
    return int(summarize(report["models"])["exit_code"])


def run_report(models: Iterable[Mapping[str, Any]], *, options: Mapping[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    """A whole report: schema, options, the entries sorted by id, and their summary."""
    entries = sorted((dict(m) for m in models), key=lambda m: m["id"])
    return {
        "schema": SCHEMA,
        "version": 1,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "options": dict(options or {}),
        **extra,
        "summary": summarize(entries),
        "models": entries,
    }


def merge_reports(reports: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """One report from per-shard reports: every model once (by id), options must agree."""
    reports = list(reports)
    if not reports:
        raise ValueError("nothing to merge")
    options = [dict(r.get("options") or {}) for r in reports]
    mismatched = [i for i, o in enumerate(options) if o != options[0]]
    if mismatched:
        from keras_migrate.errors import KerasMigrateError

        raise KerasMigrateError(
            f"reports {', '.join(str(i + 1) for i in mismatched)} were run with other options than the first",
            hint="merge the shards of one run only",
        )
    models: dict[str, Mapping[str, Any]] = {}
    for r in reports:
        if r.get("schema") != SCHEMA:
            from keras_migrate.errors import KerasMigrateError

            raise KerasMigrateError(f"not a keras-migrate report (schema {r.get('schema')!r})", hint="pass run.json files written by --report")
        for m in r["models"]:
            models[m["id"]] = m
    backends = sorted({b for r in reports for b in r.get("backends", [])})
    return run_report(models.values(), options=options[0], backends=backends, shards=[r.get("shard") for r in reports])


def comparable(report: Mapping[str, Any]) -> Any:
    """The report without what legitimately differs between runs (times, shard, where):
    two runs of the same work compare equal through this."""

    def strip(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {k: strip(v) for k, v in value.items() if k not in VOLATILE and k != "shards"}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return strip({k: v for k, v in report.items() if k in ("schema", "version", "options", "summary", "models", "backends")})
