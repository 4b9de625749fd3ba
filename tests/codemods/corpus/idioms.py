"""Count the corpus' legacy idioms, and those left with neither a rewrite nor a follow-up."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat

from keras_migrate.codemods.notebook import mask
from tests.codemods.corpus.inventory import IDIOM_PATTERNS

__all__ = ["code_chunks", "count_idioms"]

_COMPILED = tuple(re.compile(p) for p in IDIOM_PATTERNS)
_NOISE = re.compile(r'(?s)""".*?"""|#[^\n]*')


def code_chunks(path: Path) -> list[str]:
    """The Python text of a file: the file, or each maskable code cell of a notebook."""
    if path.suffix == ".ipynb":
        nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
        nbformat.validate(nb)
        return [m for c in nb.cells if c.cell_type == "code" and (m := mask(c.source)) is not None]
    return [path.read_text(encoding="utf-8")]


def count_idioms(source: str) -> tuple[int, int]:
    """(idiom occurrences, occurrences on statements without a ``# keras-migrate:``
    follow-up above them). Headers of compound statements count, not their bodies
    (those are statements of their own); comments and docstrings never count."""
    tree = ast.parse(source)
    lines = source.splitlines()
    total = uncovered = 0
    for node in ast.walk(tree):
        if not isinstance(node, ast.stmt):
            continue
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # a docstring
        body = getattr(node, "body", None)
        last = (body[0].lineno - 1) if isinstance(body, list) and body else node.end_lineno
        start = node.lineno - 1
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.decorator_list:
            start = node.decorator_list[0].lineno - 1
        text = _NOISE.sub("", "\n".join(lines[start:last]))
        hits = sum(len(p.findall(text)) for p in _COMPILED)
        if not hits:
            continue
        total += hits
        above = start - 1
        covered = False
        while above >= 0 and lines[above].lstrip().startswith(("#", "@")):
            covered = covered or lines[above].lstrip().startswith("# keras-migrate:")
            above -= 1
        if not covered:
            uncovered += hits
    return total, uncovered
