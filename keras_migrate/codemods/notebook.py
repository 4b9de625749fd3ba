"""Notebook support: run the engine over the code cells of an ``.ipynb`` in place.

Only code cells' ``source`` changes; outputs, metadata, attachments and markdown cells
are carried through nbformat untouched and the result is validated before it is written.
IPython syntax is masked first: cells starting with a cell magic (``%%``) are skipped,
and line magics, shell escapes and ``?`` help lines become comments for the parse and are
restored verbatim afterwards.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import nbformat

__all__ = ["NotebookCells", "dump_notebook", "load_notebook", "mask", "unmask"]

_MARK = "#keras-migrate-magic:"
_MAGIC = re.compile(r"^[ \t]*(?:[%!?]|[\w.,\s]+=[ \t]*[%!])|\?\s*$")
_UNMASK = re.compile(rf"^{re.escape(_MARK)}", re.MULTILINE)


def mask(source: str) -> str | None:
    """``source`` with IPython-only lines commented out, or ``None`` for a cell magic."""
    if source.lstrip().startswith("%%"):
        return None
    if _MARK in source:
        return None  # never stack masks
    out = []
    continued = False
    for line in source.splitlines(keepends=True):
        if continued or _MAGIC.search(line.rstrip("\r\n")):
            out.append(_MARK + line)
            continued = line.rstrip("\r\n").endswith("\\")
        else:
            out.append(line)
    return "".join(out)


def unmask(text: str) -> str:
    """Undo :func:`mask`."""
    return _UNMASK.sub("", text)


@dataclass(frozen=True, slots=True)
class NotebookCells:
    """The parsed notebook and, per rewritable code cell, its index and masked source."""

    notebook: nbformat.NotebookNode
    cells: tuple[tuple[int, str], ...]


def load_notebook(text: str) -> NotebookCells:
    """Parse a v4 notebook and collect its maskable Python code cells.

    Raises:
        ValueError: not a notebook nbformat can read, or not nbformat 4.
    """
    notebook = nbformat.reads(text, as_version=nbformat.NO_CONVERT)
    if notebook.get("nbformat") != 4:
        raise ValueError(f"nbformat {notebook.get('nbformat')} notebooks are not supported")
    language = (
        notebook.get("metadata", {}).get("kernelspec", {}).get("language")
        or notebook.get("metadata", {}).get("language_info", {}).get("name")
        or "python"
    )
    if language.lower() != "python":
        return NotebookCells(notebook, ())
    cells = []
    for index, cell in enumerate(notebook.cells):
        if cell.get("cell_type") != "code":
            continue
        masked = mask(cell.source)
        if masked is not None:
            cells.append((index, masked))
    return NotebookCells(notebook, tuple(cells))


def dump_notebook(notebook: nbformat.NotebookNode, original: str) -> str:
    """Serialise after validation, ending with a newline if the original did."""
    nbformat.validate(notebook)
    text: str = nbformat.writes(notebook)
    if original.endswith("\n") and not text.endswith("\n"):
        text += "\n"
    return text
