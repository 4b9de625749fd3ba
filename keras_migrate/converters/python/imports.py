"""Import lines of generated code, grouped and sorted as ruff's isort rules expect."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ImportLine", "isort_key", "render_imports"]


@dataclass(frozen=True, order=True)
class ImportLine:
    """``import module [as alias]`` (``name`` empty) or ``from module import name [as alias]``."""

    module: str
    name: str = ""
    alias: str = ""


def isort_key(name: str) -> tuple[int, str]:
    """isort's order-by-type: CONSTANTS, then Classes, then everything else."""
    if name.isupper() and len(name) > 1:
        return 0, name
    return (1 if name[:1].isupper() else 2), name


def render_imports(imports: set[ImportLine]) -> list[str]:
    """Import lines grouped and sorted as ruff's isort rules expect."""
    import sys

    stdlib: frozenset[str] = getattr(sys, "stdlib_module_names", frozenset())
    sections: list[list[str]] = []
    for is_std in (True, False):
        group = [i for i in imports if (i.module.split(".")[0] in stdlib) == is_std]
        plain = sorted({(i.module, i.alias) for i in group if not i.name})
        lines = [f"import {m} as {a}" if a else f"import {m}" for m, a in plain]
        froms: dict[str, list[str]] = {}
        for i in group:
            if i.name:
                froms.setdefault(i.module, []).append(f"{i.name} as {i.alias}" if i.alias else i.name)
        for m in sorted(froms):
            names = sorted(set(froms[m]), key=isort_key)
            lines.append(f"from {m} import {', '.join(names)}")
        if lines:
            sections.append(lines)
    out: list[str] = []
    for s in sections:
        out += [*s, ""]
    return out
