"""Names a repository's own modules re-export from Keras, so every file sees through them.

Projects often centralise their framework imports (``utils/compat.py`` holding
``from tensorflow.keras import backend as K`` in a try/except, or ``K = keras.backend``)
and import ``K`` from there everywhere else. Upgrading one file at a time, ``K.mean`` in
those files would look like a call on an unknown object. Before the files are processed,
one cheap pass reads the import and alias lines of every file in the run and records which
module-level names stand for Keras modules; the engine then resolves ``from .compat import
K`` (or ``from pkg.utils.compat import K``) to ``keras.backend``.

Only import lines and ``NAME = dotted.name`` lines are read, with one regex, so the pass
costs a fraction of the upgrade itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

__all__ = ["Exports", "collect_exports", "module_name", "resolve_relative"]

_LINE = re.compile(
    rb"^[ \t]*(?:from[ \t]+(?P<source>\.*[\w.]*)[ \t]+import[ \t]+(?P<names>[\w., \t]+)"
    rb"|import[ \t]+(?P<modules>[\w., \t]+)"
    rb"|(?P<alias>[A-Za-z_]\w*)[ \t]*=[ \t]*(?P<value>[A-Za-z_][\w.]*))[ \t]*(?:#[^\r\n]*)?\r?$",
    re.MULTILINE,
)
_ITEM = re.compile(r"([\w.]+)(?:\s+as\s+(\w+))?$")
_ROOTS = ("keras", "tensorflow")
#: how many re-export hops are followed (a.K from b.K from c.K ...)
_HOPS = 4


@dataclass(frozen=True, slots=True)
class Exports:
    """``"pkg.compat.K" -> ("keras.backend",)``: module-level names of the repository's
    own modules that denote Keras/TensorFlow modules or names (legacy spelling)."""

    names: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.names)

    def mentioned_in(self, data: bytes) -> bool:
        """Cheap prefilter: could ``data`` import from one of the exporting modules?
        (A file using only ``from .compat import K`` never spells ``keras``.)"""
        return any(module.rsplit(".", 1)[-1].encode() in data for module in self._modules())

    def _modules(self) -> set[str]:
        return {key.rsplit(".", 1)[0] for key in self.names}

    def lookup(self, qualified: str) -> tuple[str, ...]:
        """What ``qualified`` (``module.name``) stands for, or ``()``."""
        return self.names.get(qualified, ())


@lru_cache(maxsize=65536)
def module_name(path: str | Path) -> str:
    """Dotted module name of a file: its package chain (folders with ``__init__.py``)
    plus the file's stem; a package's ``__init__`` is the package itself."""
    file = Path(path)
    package = _package(str(file.parent.absolute()))
    if file.stem == "__init__":
        return package
    return f"{package}.{file.stem}" if package else file.stem


@lru_cache(maxsize=4096)
def _package(folder: str) -> str:
    """The dotted package a folder is (``""`` when it holds no ``__init__.py``); cached,
    since every file of a folder asks the same question."""
    here = Path(folder)
    if not (here / "__init__.py").is_file() or here.parent == here:
        return ""
    parent = _package(str(here.parent))
    return f"{parent}.{here.name}" if parent else here.name


def resolve_relative(module: str, level: int, target: str | None, is_package: bool) -> str:
    """Absolute module of ``from <level dots><target> import ...`` inside ``module``."""
    parts = module.split(".") if module else []
    drop = level - 1 if is_package else level
    base = parts[: len(parts) - drop] if drop <= len(parts) else []
    return ".".join([*base, target] if target else base)


def _items(text: bytes) -> list[tuple[str, str | None]]:
    """``a.b as c, d`` -> ``[("a.b", "c"), ("d", None)]`` (``[]`` if malformed)."""
    out = []
    for part in text.decode("ascii", "replace").split(","):
        match = _ITEM.match(part.strip())
        if match is None:
            return []
        out.append((match.group(1), match.group(2)))
    return out


def _raw_bindings(module: str, data: bytes, is_package: bool) -> dict[str, list[str]]:
    """Name -> dotted targets bound by the import/alias lines of one module (matched by
    regex, not parsed: this pass must cost far less than the upgrade)."""
    bound: dict[str, list[str]] = {}
    for match in _LINE.finditer(data):
        if match.group("names") is not None:
            source = match.group("source").decode("ascii", "replace")
            level = len(source) - len(source.lstrip("."))
            if level:
                source = resolve_relative(module, level, source[level:] or None, is_package)
            for name, asname in _items(match.group("names")):
                bound.setdefault(asname or name, []).append(f"{source}.{name}")
        elif match.group("modules") is not None:
            for name, asname in _items(match.group("modules")):
                key = asname or name.split(".")[0]
                bound.setdefault(key, []).append(name if asname else key)
        else:
            dotted = match.group("value").decode("ascii", "replace")
            root, _, rest = dotted.partition(".")
            alias = match.group("alias").decode("ascii", "replace")
            for target in list(bound.get(root, ())):
                bound.setdefault(alias, []).append(target + ("." + rest if rest else ""))
    return bound


def collect_exports(paths: Iterable[str]) -> Exports:
    """Read the Python files among ``paths`` and record their Keras re-exports."""
    raw: dict[str, dict[str, list[str]]] = {}
    for path in paths:
        if not path.endswith(".py"):
            continue
        try:
            data = Path(path).read_bytes()
        except OSError:
            continue
        if b"import" not in data:  # re-exporting modules need not spell keras themselves
            continue
        name = module_name(path)
        if not name:
            continue
        is_package = Path(path).stem == "__init__"
        bindings = _raw_bindings(name, data, is_package)
        if bindings:
            raw.setdefault(name, {}).update(bindings)
    if not raw:
        return Exports()
    names: dict[str, tuple[str, ...]] = {}
    for module, bound in raw.items():
        for alias, found in bound.items():
            names[f"{module}.{alias}"] = tuple(dict.fromkeys(found))
    # follow re-exports of re-exports, then keep only what ends in Keras/TensorFlow
    for _ in range(_HOPS):
        changed = False
        for key, targets in names.items():
            expanded: list[str] = []
            for target in targets:
                nxt = names.get(target)
                if nxt and nxt != (target,) and key not in nxt:
                    expanded.extend(nxt)
                    changed = True
                else:
                    expanded.append(target)
            names[key] = tuple(dict.fromkeys(expanded))
        if not changed:
            break
    kept = {
        key: tuple(t for t in targets if t.split(".")[0] in _ROOTS)
        for key, targets in names.items()
    }
    return Exports({key: targets for key, targets in kept.items() if targets})
