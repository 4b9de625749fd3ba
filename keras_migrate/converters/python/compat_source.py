"""Copy the source of the compat objects a model needs into generated code.

Generated ``model.py`` files must need only Keras, so every compat layer or activation they
use (``keras_migrate>Name``) is defined inside them, copied from this package's own source
rather than kept as a second copy: the defining module is parsed (not imported, so
converting still needs no framework), the class or function is cut out together with its
decorators, and every module-level name it uses is followed — helper functions, base
classes, constants, also across ``keras_migrate`` modules (``PACKAGE`` from
``compat._names``) — until only third-party and standard-library imports remain. Those
become the file's imports. Module-level dict tables can be trimmed to the keys a model
uses; plain module-level functions can be copied too (the hand-written TF-op helpers a
rendered ``TFOp`` call names).
"""

from __future__ import annotations

import ast
import builtins
import importlib.util
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache

from keras_migrate.compat import MODULES as COMPAT_MODULES
from keras_migrate.converters.python.imports import ImportLine
from keras_migrate.errors import UnsupportedError
from keras_migrate.ir.graph import COMPAT_PREFIX

__all__ = ["CompatSource", "compat_source", "init_signature"]

_BUILTINS = frozenset(dir(builtins))


@dataclass
class CompatSource:
    """Definitions to paste (dependencies first) and the imports they need."""

    blocks: list[str] = field(default_factory=list)
    #: Top-level names the blocks define (generated code must not reuse them).
    names: list[str] = field(default_factory=list)
    imports: set[ImportLine] = field(default_factory=set)
    #: ``registered name -> (module, definition name)`` for provenance comments.
    origins: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: ``(module, definition name) -> its name in the file`` (renamed on a clash).
    local_names: dict[tuple[str, str], str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Module:
    name: str
    text: str
    lines: tuple[str, ...]
    defs: Mapping[str, ast.stmt]
    order: Mapping[str, int]
    imports: Mapping[str, ImportLine]


@cache
def _module(name: str) -> _Module:
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        raise UnsupportedError(f"cannot find the source of module {name}")
    with open(spec.origin, encoding="utf-8") as fh:
        text = fh.read()
    tree = ast.parse(text)
    defs: dict[str, ast.stmt] = {}
    imports: dict[str, ImportLine] = {}
    for stmt in tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.ClassDef)):
            defs[stmt.name] = stmt
        elif isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                if isinstance(target, ast.Name):
                    defs[target.id] = stmt
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            defs[stmt.target.id] = stmt
        elif isinstance(stmt, ast.Import):
            for a in stmt.names:
                local = a.asname or a.name.split(".")[0]
                imports[local] = ImportLine(a.name if a.asname else local, "", a.asname or "")
        elif isinstance(stmt, ast.ImportFrom) and stmt.module and stmt.module != "__future__":
            module = stmt.module
            if stmt.level:
                base = name.rsplit(".", stmt.level)[0]
                module = f"{base}.{module}"
            for a in stmt.names:
                imports[a.asname or a.name] = ImportLine(module, a.name, a.asname or "")
    order = {n: getattr(s, "lineno", 0) for n, s in defs.items()}
    return _Module(name, text, tuple(text.splitlines()), defs, order, imports)


def _registered_defs(registered: str) -> tuple[str, str]:
    short = registered[len(COMPAT_PREFIX) :]
    for mod in COMPAT_MODULES:
        stmt = _module(mod).defs.get(short)
        if isinstance(stmt, (ast.ClassDef, ast.FunctionDef)):
            return mod, short
    raise UnsupportedError(f"compat object {registered} has no source in {', '.join(COMPAT_MODULES)}")


def _free_names(stmt: ast.stmt) -> list[str]:
    """Names a definition reads that it does not bind itself, in source order."""
    bound: set[str] = set()
    for node in ast.walk(stmt):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            a = node.args
            bound |= {x.arg for x in [*a.posonlyargs, *a.args, *a.kwonlyargs]}
            bound |= {x.arg for x in (a.vararg, a.kwarg) if x is not None}
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            bound.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound |= {a.asname or a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
        elif isinstance(node, ast.comprehension):
            bound |= {n.id for n in ast.walk(node.target) if isinstance(n, ast.Name)}
    # Names defined at class level (methods, attributes) are bound inside the class only.
    if isinstance(stmt, ast.ClassDef):
        for item in stmt.body:
            if isinstance(item, (ast.FunctionDef, ast.ClassDef)):
                bound.add(item.name)
    if isinstance(stmt, (ast.FunctionDef, ast.ClassDef)):
        bound.discard(stmt.name)
    seen: list[str] = []
    for node in ast.walk(stmt):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id not in bound | set(seen):
            seen.append(node.id)
    return seen


def _dict_entries(stmt: ast.stmt, keep_keys: Iterable[str] | None) -> list[tuple[ast.expr, ast.expr]] | None:
    """The kept ``(key, value)`` entries of a trimmed module-level dict, else None."""
    value = getattr(stmt, "value", None)
    if keep_keys is None or not isinstance(value, ast.Dict):
        return None
    keep = set(keep_keys)
    return [
        (k, v)
        for k, v in zip(value.keys, value.values, strict=True)
        if isinstance(k, ast.Constant) and k.value in keep
    ]


def _rename(text: str, renames: Mapping[str, str]) -> str:
    """Rename names (not attributes) in a source segment."""
    if not renames:
        return text
    pattern = re.compile(r"(?<![.\w])(" + "|".join(map(re.escape, renames)) + r")(?!\w)")
    return pattern.sub(lambda m: renames[m.group(1)], text)


def _segment(mod: _Module, stmt: ast.stmt, keep_keys: Iterable[str] | None) -> str:
    """The statement's source lines, with its decorators and ``#:`` comments just above."""
    start = min([stmt.lineno, *(d.lineno for d in getattr(stmt, "decorator_list", []))])
    while start > 1 and mod.lines[start - 2].startswith("#"):
        start -= 1
    end = stmt.end_lineno or stmt.lineno
    value = getattr(stmt, "value", None)
    if keep_keys is None or not isinstance(value, ast.Dict):
        return "\n".join(mod.lines[start - 1 : end])
    out = list(mod.lines[start - 1 : value.lineno])
    for k, v in _dict_entries(stmt, keep_keys) or []:
        out += mod.lines[k.lineno - 1 : (v.end_lineno or v.lineno)]
    out.append(mod.lines[(value.end_lineno or value.lineno) - 1].strip())
    return "\n".join(out)


def compat_source(
    registered: Iterable[str],
    *,
    trim: Mapping[str, Iterable[str]] | None = None,
    functions: Iterable[tuple[str, str]] = (),
) -> CompatSource:
    """Source for the compat objects ``registered`` (``keras_migrate>Name``) and their helpers.

    ``trim`` maps a module-level dict's name to the keys to keep of it; ``functions`` names
    further module-level definitions to copy, as ``(module, name)`` (the helpers a rendered
    TF op calls), after the compat objects.
    """
    trim = dict(trim or {})
    result = CompatSource()
    placed: dict[str, str] = {}  # definition name -> module
    visiting: set[tuple[str, str]] = set()

    renames: dict[str, dict[str, str]] = {}  # module -> {name: name in the file}

    def need(mod_name: str, name: str) -> None:
        if (mod_name, name) in visiting:
            return
        visiting.add((mod_name, name))
        local = name
        if name in placed:
            # Two modules define helpers of one name: the later one gets a suffix.
            k = 2
            while f"{name}_{k}" in placed:
                k += 1
            local = f"{name}_{k}"
            renames.setdefault(mod_name, {})[name] = local
        mod = _module(mod_name)
        stmt = mod.defs[name]
        entries = _dict_entries(stmt, trim.get(name))
        if entries is None:
            scope: ast.AST = stmt
        else:  # a trimmed table still carries its annotation (``dict[str, Callable[...]]``)
            kept: list[ast.expr] = [v for _, v in entries]
            if isinstance(stmt, ast.AnnAssign):
                kept.append(stmt.annotation)
            scope = ast.Module(body=[ast.Expr(v) for v in kept], type_ignores=[])
        for free in _free_names(scope):  # type: ignore[arg-type]
            if free == name and free in mod.defs:
                continue  # a recursive helper refers to itself
            if free in mod.defs:
                need(mod_name, free)
            elif free in mod.imports:
                imp = mod.imports[free]
                if imp.module.startswith("keras_migrate"):
                    target = _module(imp.module)
                    if imp.name not in target.defs:
                        raise UnsupportedError(f"cannot follow {imp.module}.{imp.name} used by {mod_name}.{name}")
                    need(imp.module, imp.name)
                else:
                    result.imports.add(imp)
            elif free not in _BUILTINS:
                raise UnsupportedError(f"cannot resolve name {free!r} used by {mod_name}.{name}")
        placed[local] = mod_name
        result.local_names[(mod_name, name)] = local
        result.blocks.append(_rename(_segment(mod, stmt, trim.get(name)), renames.get(mod_name, {})))
        result.names.append(local)

    for reg in sorted(set(registered)):
        mod_name, short = _registered_defs(reg)
        result.origins[reg] = (mod_name, short)
        need(mod_name, short)
    for mod_name, name in functions:
        if name not in _module(mod_name).defs:
            raise UnsupportedError(f"cannot find {mod_name}.{name} to copy")
        need(mod_name, name)
    return result


def init_signature(registered: str) -> tuple[tuple[str, ...], dict[str, object]]:
    """Required parameters and literal defaults of a compat layer's ``__init__`` (from source).

    Follows base classes defined in the same module when the class has no ``__init__``.
    """
    mod_name, short = _registered_defs(registered)
    mod = _module(mod_name)
    stmt = mod.defs[short]
    while isinstance(stmt, ast.ClassDef):
        init = next((s for s in stmt.body if isinstance(s, ast.FunctionDef) and s.name == "__init__"), None)
        if init is not None:
            a = init.args
            params = a.args[1:]
            n_plain = len(params) - len(a.defaults)
            required = tuple(p.arg for p in params[:n_plain])
            defaults: dict[str, object] = {}
            pairs = [*zip(params[n_plain:], a.defaults, strict=True), *zip(a.kwonlyargs, a.kw_defaults, strict=True)]
            for p, d in pairs:
                if d is None:
                    continue
                try:
                    defaults[p.arg] = ast.literal_eval(d)
                except ValueError:
                    continue
            return required, defaults
        base = next((b.id for b in stmt.bases if isinstance(b, ast.Name) and b.id in mod.defs), None)
        if base is None:
            break
        stmt = mod.defs[base]
    return (), {}
