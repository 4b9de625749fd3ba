"""Reading and writing report files: ``.json`` (the source of truth), ``.html``, ``.md``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from keras_migrate.reports.data import SCHEMA

__all__ = ["load_report", "write_report"]


def load_report(path: str) -> dict[str, Any]:
    from keras_migrate.errors import KerasMigrateError

    try:
        with open(path, encoding="utf-8") as fh:
            data: dict[str, Any] = json.load(fh)
    except (OSError, ValueError) as exc:
        raise KerasMigrateError(f"cannot read the report: {exc}", path=path, hint="pass a run.json written by --report") from None
    if data.get("schema") != SCHEMA:
        raise KerasMigrateError("not a keras-migrate report", path=path, hint="pass a run.json written by --report")
    return data


def write_report(report: Mapping[str, Any], path: str) -> None:
    """Write ``report`` as ``.json``, ``.html`` or ``.md`` (by suffix), atomically."""
    import os
    import tempfile

    from keras_migrate.errors import KerasMigrateError

    if path.endswith(".json"):
        text = json.dumps(report, indent=1, default=str, allow_nan=False) + "\n"
    elif path.endswith((".html", ".htm")):
        from keras_migrate.reports.html import render_html

        text = render_html(report)
    elif path.endswith(".md"):
        from keras_migrate.reports.markdown import render_markdown

        text = render_markdown(report)
    else:
        raise KerasMigrateError("unknown report kind", path=path, hint="name it .json, .html or .md")
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".keras-migrate-", dir=folder)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it private; a report is an ordinary file
    os.replace(tmp, path)
