"""Summary numbers and the ``--report`` file (JSON for tools, Markdown for people)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from keras_migrate.codemods.records import FileResult, Location, Status
from keras_migrate.codemods.source import atomic_write

__all__ = ["REPORT_SUFFIXES", "build_report", "summary_rows", "write_report"]

REPORT_SUFFIXES = (".json", ".md", ".markdown")


def summary_rows(results: Sequence[FileResult]) -> list[tuple[str, int]]:
    """The closing table: file counts, then follow-ups per rule, then post-check counts."""
    status = Counter(r.status for r in results)
    rows = [
        ("files scanned", len(results)),
        ("changed", status[Status.CHANGED]),
        ("unchanged", status[Status.UNCHANGED]),
        ("skipped (no keras/tensorflow)", status[Status.SKIPPED]),
        ("skipped (parse/read failure)", status[Status.FAILED]),
    ]
    per_rule = Counter(f.rule for r in results for f in r.follow_ups)
    rows.extend((f"follow-ups: {rule}", n) for rule, n in sorted(per_rule.items()))
    missing = sum(1 for r in results for f in r.findings if f.kind == "missing-name")
    tf_uses = sum(1 for r in results for f in r.findings if f.kind == "tf-use")
    rows.append(("keras names missing in Keras 3", missing))
    rows.append(("remaining tf. uses (TF backend only)", tf_uses))
    return rows


def _loc(location: Location) -> dict[str, Any]:
    data: dict[str, Any] = {"line": location.line}
    if location.cell is not None:
        data["cell"] = location.cell
    return data


def build_report(results: Sequence[FileResult]) -> dict[str, Any]:
    """The report as plain data (line numbers of changes refer to the original file)."""
    files = []
    for result in results:
        if result.status == Status.SKIPPED:
            continue
        files.append(
            {
                "path": result.path,
                "status": result.status,
                "error": result.error,
                "changes": [
                    {"rule": c.rule, **_loc(c.location), "message": c.message}
                    for c in result.changes
                ],
                "follow_ups": [
                    {"rule": f.rule, **_loc(f.location), "message": f.message}
                    for f in result.follow_ups
                ],
                "missing_names": [
                    {"name": f.name, **_loc(f.location), "covered_by_follow_up": f.covered}
                    for f in result.findings
                    if f.kind == "missing-name"
                ],
                "tf_uses": [
                    {"name": f.name, **_loc(f.location)}
                    for f in result.findings
                    if f.kind == "tf-use"
                ],
            }
        )
    return {
        "tool": "keras-migrate upgrade",
        "summary": dict(summary_rows(results)),
        "files": files,
    }


def _markdown(data: dict[str, Any]) -> str:
    lines = ["# keras-migrate upgrade report", "", "| | count |", "|---|---:|"]
    lines += [f"| {k} | {v} |" for k, v in data["summary"].items()]
    for entry in data["files"]:
        lines += ["", f"## `{entry['path']}` ({entry['status']})", ""]
        if entry["error"]:
            lines.append(f"- **skipped**: {entry['error']}")

        def where(item: dict[str, Any], path: str = entry["path"]) -> str:
            cell = f"cell {item['cell']}, " if "cell" in item else ""
            return f"{path}:{cell}line {item['line']}"

        lines += [f"- change `{c['rule']}` {where(c)}: {c['message']}" for c in entry["changes"]]
        lines += [
            f"- **follow-up** `{f['rule']}` {where(f)}: {f['message']}" for f in entry["follow_ups"]
        ]
        lines += [
            f"- **missing in Keras 3** `{m['name']}` {where(m)}"
            + (" (has a follow-up)" if m["covered_by_follow_up"] else "")
            for m in entry["missing_names"]
        ]
        lines += [f"- tf use `{t['name']}` {where(t)}" for t in entry["tf_uses"]]
    return "\n".join(lines) + "\n"


def write_report(path: Path, results: Sequence[FileResult]) -> None:
    """Write the report as JSON (``.json``) or Markdown (``.md``), atomically."""
    data = build_report(results)
    text = json.dumps(data, indent=2) + "\n" if path.suffix.lower() == ".json" else _markdown(data)
    atomic_write(path, text.encode("utf-8"))
