"""Notebook support: run the engine over the code cells of an ``.ipynb`` in place.

Only code cells' ``source`` changes; outputs, metadata, attachments and markdown cells
are carried through nbformat untouched and the result is validated before it is written.
IPython syntax is masked first: cells starting with a cell magic (``%%``) are skipped,
and line magics, shell escapes and ``?`` help lines become ``pass`` statements carrying the
original line in a comment, restored verbatim afterwards. A ``pass`` (not a bare comment)
keeps a block whose only statement is a magic (``try:`` / ``    %pip install x``) valid
Python; continuation lines of a magic stay bare comments, which never affect indentation.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import dataclass

import nbformat

__all__ = ["NotebookCells", "dump_notebook", "load_notebook", "mask", "unmask"]

_MARK = "#keras-migrate-magic:"
_MAGIC = re.compile(r"^[ \t]*(?:[%!?]|[\w.,\s]+=[ \t]*[%!])|\?\s*$")
#: the placeholder statement that carries a masked line; its indentation is the line's own
_PASS = "pass  "
_UNMASK = re.compile(rf"^(?:[ \t]*{_PASS})?{re.escape(_MARK)}", re.MULTILINE)
_INDENT = re.compile(r"[ \t]*")


def mask(source: str) -> str | None:
    """``source`` with IPython-only lines masked, or ``None`` for a cell magic.

    Every magic line becomes a ``#mark<line>`` comment; those that start a statement
    outside brackets then become ``pass  #mark<line>`` at the line's own indentation, so a
    block holding only magics (``try:`` / ``    %pip install x``) still parses. Should that
    not parse, the all-comments form is returned (what earlier versions did).
    """
    if source.lstrip().startswith("%%"):
        return None
    if _MARK in source:
        return None  # never stack masks
    lines = source.splitlines(keepends=True)
    starts: list[int] = []  # indices of lines that open a magic (not continuations)
    masked: set[int] = set()
    continued = False
    for index, line in enumerate(lines):
        if continued or _MAGIC.search(line.rstrip("\r\n")):
            if not continued:
                starts.append(index)
            masked.add(index)
            continued = line.rstrip("\r\n").endswith("\\")
    if not masked:
        return source
    comments = [_MARK + line if i in masked else line for i, line in enumerate(lines)]
    commented = "".join(comments)
    free = _statement_lines(commented)
    if not free:
        return commented
    for index in starts:
        if index + 1 in free:
            indent = _INDENT.match(lines[index])
            comments[index] = f"{indent.group() if indent else ''}{_PASS}{_MARK}{lines[index]}"
    text = "".join(comments)
    try:
        ast.parse(text)
    except (SyntaxError, ValueError):
        return commented
    return text


def _statement_lines(text: str) -> set[int]:
    """1-based lines whose masking comment sits outside any bracket."""
    found: set[int] = set()
    depth = 0
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.OP and token.string in "([{":
                depth += 1
            elif token.type == tokenize.OP and token.string in ")]}":
                depth = max(0, depth - 1)
            elif (
                token.type == tokenize.COMMENT
                and depth == 0
                and token.start[1] == 0
                and token.string.startswith(_MARK)
            ):
                found.add(token.start[0])
    except (tokenize.TokenError, SyntaxError):
        return set()
    return found


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
