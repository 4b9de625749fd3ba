"""The report as one self-contained HTML file: inline CSS, inline SVG, a little inline JS.

Nothing is fetched (no CDN, no font, no image URL): the page opens from a mail attachment
or an air-gapped share. It holds the summary table (one row per model: status, source
generation and format, layers, compat layers, warnings, conversion time, one column per
backend) and, per model, the IR graph diagram (nodes coloured by verdict) and the
per-layer divergence plot. Rendered from the report's JSON only.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

from keras_migrate.reports.graph_svg import VERDICT_COLOURS, graph_svg
from keras_migrate.reports.plot_svg import divergence_svg

__all__ = ["render_html"]

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#263238;background:#fff}
header{background:#263238;color:#eceff1;padding:14px 24px}header h1{margin:0;font-size:20px}
main{padding:16px 24px}.counts span{display:inline-block;margin-right:14px}
table.summary{border-collapse:collapse;width:100%;font-size:13px}
table.summary th,table.summary td{border-bottom:1px solid #e0e0e0;padding:4px 8px;text-align:left;vertical-align:top}
table.summary th{background:#f5f5f5;position:sticky;top:0}
.st{font-weight:600;border-radius:3px;padding:1px 6px}.st-ok{background:#d9f2df;color:#1b5e20}
.st-mismatch{background:#fdeebf;color:#8d5b00}.st-error{background:#f9d0d0;color:#b71c1c}.st-skipped{background:#eceff1;color:#455a64}
.b-ok{color:#1b5e20}.b-bad{color:#b71c1c;font-weight:600}.num{text-align:right;font-variant-numeric:tabular-nums}
section.model{border-top:2px solid #eceff1;margin-top:22px;padding-top:8px}
section.model h2{font-size:16px;margin:6px 0}.err{color:#b71c1c;white-space:pre-wrap;font-family:monospace;font-size:12px}
.figure{overflow-x:auto;border:1px solid #eceff1;border-radius:4px;margin:8px 0;padding:4px}
.legend span{display:inline-block;margin-right:12px;font-size:12px}.legend i{display:inline-block;width:12px;height:12px;border:1px solid;margin-right:4px;vertical-align:-2px}
#filter{margin:8px 0;padding:4px 8px;width:320px}
"""

_JS = """
document.getElementById('filter').addEventListener('input', function (ev) {
  var q = ev.target.value.toLowerCase();
  document.querySelectorAll('tr.model-row').forEach(function (row) {
    row.style.display = row.textContent.toLowerCase().indexOf(q) >= 0 ? '' : 'none';
  });
});
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _num(v: Any) -> str:
    return _e(v) if isinstance(v, str) else f"{float(v):.3g}"


def _backend_cell(result: Mapping[str, Any] | None) -> str:
    if result is None:
        return "<td>-</td>"
    if result.get("error"):
        return f'<td class="b-bad" title="{_e(result["error"])}">error</td>'
    worst = result.get("max_abs")
    text = "match" if result.get("ok") else "MISMATCH"
    where = "" if result.get("ok") or not result.get("first_divergence") else f" at {_e(result['first_divergence'])}"
    diff = "" if worst is None else f" ({_num(worst)})"
    return f'<td class="{"b-ok" if result.get("ok") else "b-bad"}">{text}{diff}{where}</td>'


def _row(i: int, m: Mapping[str, Any], backends: list[str]) -> str:
    verify = m.get("verify") or {}
    cells = [
        f'<td><span class="st st-{_e(m["status"])}">{_e(m["status"])}</span></td>',
        f'<td><a href="#m{i}">{_e(m["id"])}</a></td>',
        f"<td>{_e(m.get('generation'))} {_e(m.get('keras_version'))}</td>",
        f"<td>{_e(m.get('format'))}</td>",
        f'<td class="num">{_e(m.get("layers") if m.get("layers") is not None else "-")}</td>',
        f"<td>{_e(', '.join(c.replace('keras_migrate>', '') for c in m.get('compat_layers') or [])) or '-'}</td>",
        f'<td class="num" title="{_e("; ".join(m.get("warnings") or []))}">{len(m.get("warnings") or [])}</td>',
        f'<td class="num">{float(m.get("convert_seconds") or 0):.2f}</td>',
        *(_backend_cell(verify.get(b)) for b in backends),
    ]
    return f'<tr class="model-row" data-model-id="{_e(m["id"])}" data-status="{_e(m["status"])}">{"".join(cells)}</tr>'


def _section(i: int, m: Mapping[str, Any], atol: float) -> str:
    parts = [f'<section class="model" id="m{i}" data-model-id="{_e(m["id"])}">',
             f'<h2><span class="st st-{_e(m["status"])}">{_e(m["status"])}</span> {_e(m["id"])}</h2>']  # fmt: skip
    parts.append(f"<div>source: {_e(', '.join(m.get('source') or []))}</div>")
    if m.get("outputs"):
        parts.append(f"<div>outputs: {_e(', '.join(o['path'] for o in m['outputs']))}</div>")
    if m.get("error"):
        parts.append(f'<div class="err">{_e(m["error"])}</div>')
    for w in m.get("warnings") or []:
        parts.append(f"<div>note: {_e(w)}</div>")
    for b, r in (m.get("verify") or {}).items():
        if r.get("error"):
            parts.append(f'<div class="err">{_e(b)}: {_e(r["error"])}</div>')
        elif r.get("layers_error"):
            parts.append(f"<div>{_e(b)}: no per-layer values ({_e(r['layers_error'])})</div>")
    graph = graph_svg(m, element_id=f"graph{i}")
    if graph:
        parts.append('<h3>IR graph</h3><div class="figure graph">' + graph + "</div>")
    plot = divergence_svg(m, atol=atol, element_id=f"plot{i}")
    if plot:
        parts.append('<h3>Per-layer divergence</h3><div class="figure plot">' + plot + "</div>")
    parts.append("</section>")
    return "\n".join(parts)


def render_html(report: Mapping[str, Any]) -> str:
    """The whole page as one string."""
    models = list(report.get("models") or [])
    backends = list(report.get("backends") or sorted({b for m in models for b in (m.get("verify") or {})}))
    summary = report.get("summary") or {}
    atol = float((report.get("options") or {}).get("atol", 1e-5))
    title = "keras-migrate report" if len(models) != 1 else f"keras-migrate: {models[0]['id']}"
    counts = "".join(f'<span><span class="st st-{s}">{s}</span> {summary.get(s, 0)}</span>' for s in ("ok", "mismatch", "error", "skipped"))
    legend = "".join(f'<span><i style="background:{f};border-color:{s}"></i>{v}</span>' for v, (f, s) in VERDICT_COLOURS.items())
    head = "".join(f"<th>{_e(h)}</th>" for h in ("status", "model", "generation", "format", "layers", "compat layers", "warnings", "convert s", *backends))
    rows = "\n".join(_row(i, m, backends) for i, m in enumerate(models))
    sections = "\n".join(_section(i, m, atol) for i, m in enumerate(models))
    options = _e(", ".join(f"{k}={v}" for k, v in (report.get("options") or {}).items()))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>{_e(title)}</title><style>{_CSS}</style></head>
<body><header><h1>{_e(title)}</h1><div>{_e(report.get("created", ""))} · {len(models)} models · {options}</div></header>
<main><div class="counts" id="counts">{counts}</div>
<p class="legend">graph nodes: {legend}</p>
<input id="filter" type="search" placeholder="filter models (id, status, layer type...)">
<table class="summary" id="summary"><thead><tr>{head}</tr></thead><tbody>
{rows}
</tbody></table>
{sections}
</main><script>{_JS}</script></body></html>
"""
