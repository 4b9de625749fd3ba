"""After rewriting: which ``keras.*`` names do not exist in the installed Keras 3, and
which ``tf.*`` uses still tie the file to the TensorFlow backend.

The Keras index is read from the installed package's public API ``__init__`` files with
``ast`` instead of importing keras, because importing keras imports a backend (seconds,
and it would pull TensorFlow into every worker).
"""

from __future__ import annotations

import ast
import importlib.metadata
import importlib.util
import os
import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path

from keras_migrate.codemods.facts import dotted_of, iter_statements
from keras_migrate.codemods.records import Finding, Location

__all__ = ["KerasIndex", "keras_index", "mentioning", "names_used", "scan"]

_MARK = "# keras-migrate:"


class KerasIndex:
    """Public Keras 3 modules and the names each one exports."""

    __slots__ = ("members", "modules", "version")

    def __init__(self, modules: dict[str, set[str]], version: str) -> None:
        self.members = modules
        self.modules = set(modules)
        self.version = version

    def missing_prefix(self, name: str) -> str | None:
        """The shortest prefix of ``name`` that Keras does not export, or ``None``."""
        parts = name.split(".")
        if parts[0] != "keras":
            return None
        current = "keras"
        for part in parts[1:]:
            candidate = f"{current}.{part}"
            if candidate in self.modules:
                current = candidate
                continue
            if part in self.members.get(current, ()):
                return None  # a class or function: attributes beyond it are not checked
            return candidate
        return None


@lru_cache(maxsize=1)
def keras_index() -> KerasIndex | None:
    """Index of the installed Keras 3, or ``None`` when Keras 3 is not installed."""
    try:
        version = importlib.metadata.version("keras")
        spec = importlib.util.find_spec("keras")
    except (importlib.metadata.PackageNotFoundError, ValueError, ImportError):
        return None
    if spec is None or not spec.submodule_search_locations or int(version.split(".")[0]) < 3:
        return None
    root = Path(next(iter(spec.submodule_search_locations)))
    modules: dict[str, set[str]] = {}
    for directory, dirnames, filenames in os.walk(root):
        dirnames[:] = [
            d for d in dirnames if d not in ("src", "__pycache__") and not d.startswith("_")
        ]
        if "__init__.py" not in filenames:
            continue
        rel = Path(directory).relative_to(root)
        name = ".".join(("keras", *rel.parts)) if rel.parts else "keras"
        try:
            tree = ast.parse((Path(directory) / "__init__.py").read_text(encoding="utf-8"))
        except (OSError, SyntaxError):
            continue
        names = modules.setdefault(name, set())
        for node in tree.body:
            if isinstance(node, ast.ImportFrom):
                names.update(a.asname or a.name for a in node.names)
            elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.Assign):
                names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return KerasIndex(modules, version)


def _bindings(tree: ast.Module) -> dict[str, str]:
    bound: dict[str, str] = {}
    for stmt, _ in iter_statements(tree.body):
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                if alias.asname:
                    bound[alias.asname] = alias.name
                else:
                    root = alias.name.split(".")[0]
                    bound.setdefault(root, root)
        elif isinstance(stmt, ast.ImportFrom) and stmt.module and not stmt.level:
            for alias in stmt.names:
                if alias.name != "*":
                    bound[alias.asname or alias.name] = f"{stmt.module}.{alias.name}"
    return bound


def _statement_starts(tree: ast.Module) -> dict[int, int]:
    """Line -> first line of the statement (header) containing it."""
    starts: dict[int, int] = {}
    for stmt, _ in iter_statements(tree.body):
        first = min([stmt.lineno, *(d.lineno for d in getattr(stmt, "decorator_list", ()))])
        body = getattr(stmt, "body", None)
        last = stmt.end_lineno or stmt.lineno
        if body and isinstance(body, list) and isinstance(body[0], ast.stmt):
            last = body[0].lineno - 1
        for line in range(first, max(first, last) + 1):
            starts.setdefault(line, first)
    return starts


def _covered(lines: list[str], start: int) -> bool:
    current = start - 2
    while current >= 0 and lines[current].lstrip().startswith("#"):
        if lines[current].lstrip().startswith(_MARK):
            return True
        current -= 1
    return False


def mentioning(tree: ast.Module, text: str, words: Iterable[str]) -> Iterator[ast.stmt]:
    """Module-level statements whose source text contains one of ``words`` as a word.

    Walking a whole ``ast`` in Python costs about as much as parsing it; only the
    statements that can hold what we look for are walked.
    """
    words = list(words)
    if not words:
        return
    pattern = re.compile(rf"\b(?:{'|'.join(map(re.escape, words))})\b")
    starts = [0]
    starts.extend(m.end() for m in re.finditer(r"\r\n|\r|\n", text))
    for stmt in tree.body:
        first = min([stmt.lineno, *(d.lineno for d in getattr(stmt, "decorator_list", ()))])
        last = stmt.end_lineno or stmt.lineno
        begin = starts[first - 1]
        end = starts[last] if last < len(starts) else len(text)
        if pattern.search(text, begin, end):
            yield stmt


def names_used(tree: ast.Module, text: str, words: Iterable[str]) -> set[str]:
    """Which of ``words`` occur as Name nodes (real uses, not strings or comments)."""
    wanted = set(words)
    found: set[str] = set()
    for stmt in mentioning(tree, text, wanted):
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            continue
        for node in ast.walk(stmt):
            if isinstance(node, ast.Name) and node.id in wanted:
                found.add(node.id)
    return found


def _chain_list(tree: ast.Module, text: str, roots: Iterable[str]) -> list[tuple[int, str]]:
    chains: list[tuple[int, str]] = []
    for stmt in mentioning(tree, text, roots):
        for node in ast.walk(stmt):
            if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
                name = dotted_of(node)
                if name is not None:
                    chains.append((node.lineno, name))
    return chains


def scan(tree: ast.Module, text: str, *, check_names: bool = True) -> list[Finding]:
    """Findings for one rewritten chunk (``Location.path`` is filled in by the caller)."""
    if "keras" not in text and "tensorflow" not in text:
        return []
    bound = _bindings(tree)
    tf_aliases = {a for a, t in bound.items() if t == "tensorflow" or t.startswith("tensorflow.")}
    keras_aliases = {a for a, t in bound.items() if t == "keras" or t.startswith("keras.")}
    index = keras_index() if check_names else None
    if not tf_aliases and not (index and keras_aliases):
        return []
    lines = text.splitlines()
    starts = _statement_starts(tree)
    found: dict[tuple[str, int, str], Finding] = {}

    def add(kind: str, line: int, name: str) -> None:
        covered = _covered(lines, starts.get(line, line))
        found.setdefault((kind, line, name), Finding(kind, Location("", line), name, covered))

    tf_chains: dict[int, list[str]] = {}
    roots = tf_aliases | (keras_aliases if index is not None else set())
    for line, name in _chain_list(tree, text, roots):
        root, _, rest = name.partition(".")
        if root in tf_aliases:
            tf_chains.setdefault(line, []).append(name)
        elif index is not None and root in keras_aliases:
            missing = index.missing_prefix(bound[root] + ("." + rest if rest else ""))
            if missing:
                add("missing-name", line, missing)
    if index is not None:
        for stmt, _ in iter_statements(tree.body):
            if isinstance(stmt, ast.ImportFrom) and stmt.module and not stmt.level:
                if stmt.module.split(".")[0] != "keras":
                    continue
                for alias in stmt.names:
                    name = stmt.module if alias.name == "*" else f"{stmt.module}.{alias.name}"
                    missing = index.missing_prefix(name)
                    if missing:
                        add("missing-name", stmt.lineno, missing)
            elif isinstance(stmt, ast.Import):
                for alias in stmt.names:
                    missing = index.missing_prefix(alias.name)
                    if missing:
                        add("missing-name", stmt.lineno, missing)
    for line, names in tf_chains.items():
        for name in names:
            if not any(other != name and other.startswith(name + ".") for other in names):
                add("tf-use", line, name)
    return sorted(found.values(), key=lambda f: (f.location.line, f.kind, f.name))
