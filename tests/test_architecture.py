"""The package's shape, enforced: data flows formats -> ir -> converters, never back.

Every ``import`` in ``keras_migrate`` (module level and inside functions) is read with
:mod:`ast`, nothing is imported. Three rules:

- the module import graph has no cycle;
- each top-level package imports only the packages below it (``ir`` is the floor; ``formats``
  and ``compat`` sit on it; ``converters`` on ``ir`` and ``compat``; ``codemods`` shares only
  the op tables in ``ir.ops``);
- no module imports a private name (``_x``) of another module, and a private module
  (``pkg/_x.py``) is imported only from inside ``pkg``.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "keras_migrate"


@dataclass(frozen=True, slots=True)
class Edge:
    source: str  # importing module
    target: str  # imported module (a module, or the package whose name is imported from)
    names: tuple[str, ...]  # names taken with ``from target import ...``
    line: int


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in ROOT.rglob("*.py")}


MODULES = _modules()


def _edges() -> list[Edge]:
    out: list[Edge] = []
    for name, path in MODULES.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                out.extend(Edge(name, a.name, (), node.lineno) for a in node.names if a.name.startswith("keras_migrate"))
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    target = ".".join([*base, node.module] if node.module else base)
                else:
                    target = node.module or ""
                if not target.startswith("keras_migrate"):
                    continue
                names = tuple(a.name for a in node.names)
                # ``from pkg import submodule`` is an edge to the submodule.
                subs = [n for n in names if f"{target}.{n}" in MODULES]
                out.extend(Edge(name, f"{target}.{n}", (), node.lineno) for n in subs)
                rest = tuple(n for n in names if n not in subs)
                if rest or not subs:
                    out.append(Edge(name, target, rest, node.lineno))
    return out


EDGES = _edges()

#: top-level package -> the top-level packages it may import (besides itself).
ALLOWED: dict[str, frozenset[str]] = {
    "errors": frozenset(),
    "ir": frozenset({"errors"}),
    "compat": frozenset({"ir", "errors"}),
    "formats": frozenset({"ir", "errors"}),
    "converters": frozenset({"ir", "compat", "errors"}),
    # The batch and its reports sit on top (like cli): reports render JSON and never drive a
    # batch; fleet runs one; neither is imported by anything below them.
    "reports": frozenset({"ir", "errors", "verification"}),
    "fleet": frozenset({"api", "formats", "ir", "errors", "verification", "reports"}),
    # The user's own code (--custom-objects) is loaded here and nowhere else.
    "usercode": frozenset({"formats", "ir", "codemods", "errors"}),
}


@pytest.mark.parametrize("package", ["reports", "fleet"])
def test_nothing_below_imports_the_top(package: str) -> None:
    allowed = {"cli", "fleet", "reports"}
    bad = [
        f"{e.source}:{e.line} imports {e.target}"
        for e in EDGES
        if _top(e.target) == package and _top(e.source) not in allowed
    ]
    assert not bad, "\n".join(bad)


def _top(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_no_import_cycle() -> None:
    graph: dict[str, set[str]] = {}
    for e in EDGES:
        if e.target in MODULES and e.target != e.source:
            graph.setdefault(e.source, set()).add(e.target)
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    cycles: list[list[str]] = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, stack)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_layering(package: str) -> None:
    allowed = ALLOWED[package] | {package}
    bad = [
        f"{e.source}:{e.line} imports {e.target}"
        for e in EDGES
        if _top(e.source) == package and _top(e.target) and _top(e.target) not in allowed
    ]
    assert not bad, "\n".join(bad)


def test_codemods_share_only_the_op_tables() -> None:
    bad = [
        f"{e.source}:{e.line} imports {e.target}"
        for e in EDGES
        if _top(e.source) == "codemods"
        and _top(e.target) not in ("codemods", "errors")
        and not e.target.startswith("keras_migrate.ir.ops")
    ]
    assert not bad, "\n".join(bad)


def _private_module_owner(module: str) -> str | None:
    """The package that owns ``module`` if some part of its path is private, else None."""
    parts = module.split(".")
    for i, part in enumerate(parts):
        if part.startswith("_") and not part.startswith("__"):
            return ".".join(parts[:i])
    return None


def test_no_private_names_across_modules() -> None:
    bad = []
    for e in EDGES:
        if e.target == e.source:
            continue
        owner = _private_module_owner(e.target)
        if owner is not None and not (e.source == owner or e.source.startswith(owner + ".")):
            bad.append(f"{e.source}:{e.line} imports private module {e.target}")
        private = [n for n in e.names if n.startswith("_") and not n.startswith("__")]
        if private:
            bad.append(f"{e.source}:{e.line} imports private names {private} from {e.target}")
    assert not bad, "\n".join(bad)
