"""The report as Markdown: the summary table and, per model that is not ok, what went wrong.

For pull-request comments and CI job summaries, where HTML is not shown; the diagrams stay
in the HTML report. Rendered from the report's JSON only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["render_markdown"]


def _cell(text: Any) -> str:
    return str("" if text is None else text).replace("|", "\\|").replace("\n", " ")


def _backend(result: Mapping[str, Any] | None) -> str:
    if result is None:
        return "-"
    if result.get("error"):
        return "error"
    worst = result.get("max_abs")
    diff = "" if worst is None else f" {worst if isinstance(worst, str) else format(float(worst), '.2g')}"
    if result.get("ok"):
        return "match" + diff
    return f"MISMATCH{diff}" + (f" at `{result['first_divergence']}`" if result.get("first_divergence") else "")


def render_markdown(report: Mapping[str, Any]) -> str:
    models = list(report.get("models") or [])
    backends = list(report.get("backends") or sorted({b for m in models for b in (m.get("verify") or {})}))
    s = report.get("summary") or {}
    lines = [
        "# keras-migrate report",
        "",
        f"{len(models)} models: {s.get('ok', 0)} ok, {s.get('mismatch', 0)} mismatch, {s.get('error', 0)} error, {s.get('skipped', 0)} skipped.",
        "",
        "| status | model | generation | format | layers | compat layers | warnings | convert s | " + " | ".join(backends) + " |",
        "|---|---|---|---|---|---|---|---|" + "---|" * len(backends),
    ]
    for m in models:
        compat = ", ".join(c.replace("keras_migrate>", "") for c in m.get("compat_layers") or []) or "-"
        verify = m.get("verify") or {}
        row = [m["status"], f"`{m['id']}`", f"{m.get('generation') or ''} {m.get('keras_version') or ''}".strip(), m.get("format"),
               "-" if m.get("layers") is None else m["layers"], compat, len(m.get("warnings") or []),
               f"{float(m.get('convert_seconds') or 0):.2f}", *(_backend(verify.get(b)) for b in backends)]  # fmt: skip
        lines.append("| " + " | ".join(_cell(c) for c in row) + " |")
    problems = [m for m in models if m["status"] != "ok"]
    if problems:
        lines += ["", "## Problems", ""]
        for m in problems:
            lines.append(f"- **{m['status']}** `{m['id']}`: {_cell(m.get('error') or '')}")
            for b, r in (m.get("verify") or {}).items():
                if r.get("error") or not r.get("ok"):
                    lines.append(f"  - {b}: {_cell(r.get('error') or _backend(r))}")
    return "\n".join(lines) + "\n"
