"""Whole-document facts gathered with the fast stdlib ``ast`` before any rewriting.

libcst is precise but slow to parse, so everything that needs the whole file (which aliases
the imports bind, star imports, which functions are Keras code, the script's Keras flavour,
what ``compile`` named its metrics) is read once from ``ast`` trees, then shared by every
rule while only the statements that need work go through libcst.
"""

from __future__ import annotations

import ast
import builtins
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from keras_migrate.codemods.names import RenameTable

__all__ = ["Facts", "ImportSite", "analyze", "child_bodies", "dotted_of", "iter_statements"]

_BUILTINS = frozenset(dir(builtins))
#: Keras classes whose subclasses' methods run on tensors.
_TENSOR_CLASSES = (
    "keras.layers.",
    "keras.models.",
    "keras.losses.",
    "keras.metrics.",
    "keras.optimizers.",
    "keras.regularizers.",
    "keras.constraints.",
    "keras.initializers.",
    "keras.Model",
    "keras.Sequential",
    "keras.Layer",
    "keras.Loss",
    "keras.Metric",
    "keras.Optimizer",
    "keras.Regularizer",
    "keras.Initializer",
)

#: Tokens that only appear in Keras 1 code (decide positional ``add_weight`` order etc.).
_KERAS1 = re.compile(
    r"\bnb_epoch\b|\bborder_mode\b|\boutput_dim\s*=|\bW_regularizer\b|\bdim_ordering\b"
    r"|\bsamples_per_epoch\b|\bnb_filter\b|\bconsume_less\b|\binner_activation\b"
    r"|\binner_init\b|\bdropout_[WU]\b|\bU_regularizer\b"
    r"|\bmerge\s*\(|\bMerge\s*\(|\bsubsample\s*=|\binit\s*=|\bkeras\.engine\.topology\b"
    r"|\binitializations\b|\bobjectives\b"
)
_KERAS_FUNCS = (
    re.compile(r"\bLambda\s*\(\s*([A-Za-z_]\w*)"),
    re.compile(r"[(,]\s*loss\s*=\s*([A-Za-z_]\w*)"),
)
_LIST_ARG = re.compile(r"[(,]\s*(?:metrics|loss)\s*=\s*[\[\{(]([^\]\})]*)")
_CUSTOM_OBJECTS = re.compile(r"custom_objects\s*=\s*\{([^}]*)\}")
_IDENT = re.compile(r"(?<![\"'\w.])([A-Za-z_]\w*)(?![\"'\w(])")
_ACCURACY = re.compile(r"metrics\s*=\s*[\[(][^\])]*['\"]accuracy['\"]")
_PATH_VARIABLE = re.compile(
    r"(?m)^[ \t]*([A-Za-z_]\w*)[ \t]*=[^\n]*['\"][^'\"\n]*(\.weights\.h5|\.keras|\.h5|\.hdf5)['\"]"
)
_SAVE_MODEL = re.compile(r"\.save\s*\(\s*[rbu]?['\"]([^'\"]+)['\"]\s*\)")
_SAVE_WEIGHTS = re.compile(r"save_weights\s*\(\s*[rbu]?['\"]([^'\"]+)['\"]")


@dataclass(frozen=True, slots=True)
class ImportSite:
    """A module-level import statement, where it is, and the names it binds."""

    chunk: int
    node: ast.stmt
    names: tuple[str, ...]
    keras_related: bool


@dataclass(slots=True)
class Facts:
    """What the rules may know about the whole document (all chunks of a notebook)."""

    renames: RenameTable
    emit_renames: RenameTable
    bindings: dict[str, list[str]] = field(default_factory=dict)
    star_modules: list[str] = field(default_factory=list)
    local_names: set[str] = field(default_factory=set)
    keras_functions: set[str] = field(default_factory=set)
    keras1: bool = False
    tf_keras: bool = False
    accuracy_metric: bool = False
    save_weights_paths: set[str] = field(default_factory=set)
    save_paths: set[str] = field(default_factory=set)
    #: variables assigned a path literal, with its extension (``path = "m.keras"``)
    path_variables: dict[str, set[str]] = field(default_factory=dict)
    softmax: bool = False
    sigmoid: bool = False
    numpy_alias: str | None = None
    keras_bound: bool = False
    top_imports: list[ImportSite] = field(default_factory=list)
    from_aliases: list[tuple[str, str, str | None]] = field(default_factory=list)
    _resolve_cache: dict[str, tuple[str, ...]] = field(default_factory=dict)
    _legacy_cache: dict[str, tuple[str, ...]] = field(default_factory=dict)
    _keras_cache: dict[str, tuple[str, ...]] = field(default_factory=dict)

    # -- resolution ---------------------------------------------------------------------
    def resolve(self, dotted: str) -> tuple[str, ...]:
        """Old qualified names ``dotted`` may denote (several after try/except imports)."""
        cached = self._resolve_cache.get(dotted)
        if cached is not None:
            return cached
        root, _, rest = dotted.partition(".")
        suffix = "." + rest if rest else ""
        result: tuple[str, ...] = ()
        targets = self.bindings.get(root)
        if targets:
            result = tuple(t + suffix for t in targets)
        elif self.star_modules and root not in self.local_names and root not in _BUILTINS:
            result = tuple(f"{module}.{dotted}" for module in self.star_modules)
        self._resolve_cache[dotted] = result
        return result

    def legacy_names(self, dotted: str) -> tuple[str, ...]:
        """Resolved names with module renames applied but moved members kept."""
        cached = self._legacy_cache.get(dotted)
        if cached is None:
            rename = self.renames.rename_modules
            cached = self._legacy_cache[dotted] = tuple(rename(old) for old in self.resolve(dotted))
        return cached

    def keras_names(self, dotted: str) -> tuple[str, ...]:
        """Keras 3 names ``dotted`` may denote (renames applied), ``()`` if not Keras."""
        cached = self._keras_cache.get(dotted)
        if cached is not None:
            return cached
        out = []
        for old in self.resolve(dotted):
            new = self.renames.rename(old)
            if new == "keras" or new.startswith("keras."):
                out.append(new)
        result = self._keras_cache[dotted] = tuple(out)
        return result

    def bound_to(self, predicate_prefix: str) -> list[tuple[str, str]]:
        """(alias, target) pairs whose renamed target is or lies under ``predicate_prefix``."""
        pairs = []
        for alias, targets in self.bindings.items():
            for target in targets:
                new = self.renames.rename(target)
                if new == predicate_prefix or new.startswith(predicate_prefix + "."):
                    pairs.append((alias, new))
        return pairs

    def is_keras_base(self, dotted: str) -> bool:
        """True when a class base is a Keras class whose methods compute on tensors
        (layers, models, losses, metrics, optimizers, ...), not callbacks or test cases."""
        return any(n.startswith(_TENSOR_CLASSES) for n in self.keras_names(dotted))


def child_bodies(stmt: ast.stmt) -> Iterator[list[ast.stmt]]:
    """Statement lists nested in a compound statement, in source order."""
    for name in ("body", "orelse", "finalbody"):
        body = getattr(stmt, name, None)
        if body and isinstance(body, list) and isinstance(body[0], ast.stmt):
            yield body
        if name == "body":
            for handler in getattr(stmt, "handlers", ()) or ():
                yield handler.body
            for case in getattr(stmt, "cases", ()) or ():
                yield case.body


def iter_statements(body: Sequence[ast.stmt]) -> Iterator[tuple[ast.stmt, int]]:
    """Every statement with its nesting depth (expressions are not entered)."""
    stack: list[tuple[Sequence[ast.stmt], int]] = [(body, 0)]
    while stack:
        stmts, depth = stack.pop()
        for stmt in stmts:
            yield stmt, depth
            if not isinstance(stmt, (ast.Expr, ast.Assign, ast.Import, ast.ImportFrom)):
                for child in child_bodies(stmt):
                    stack.append((child, depth + 1))


def _dotted(node: ast.expr) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def _keras_related(module: str) -> bool:
    return module.split(".")[0] in ("keras", "tensorflow")


def analyze(
    trees: Sequence[ast.Module],
    texts: Sequence[str],
    renames: RenameTable,
    emit_renames: RenameTable,
) -> Facts:
    """Collect :class:`Facts` over the chunks of one document.

    ``renames`` (every rule's table) is used to recognise names; ``emit_renames`` (the
    selected rules' tables) says which imports will actually be rewritten.
    """
    facts = Facts(renames=renames, emit_renames=emit_renames)
    bindings = facts.bindings
    for chunk, tree in enumerate(trees):
        for stmt, depth in iter_statements(tree.body):
            if isinstance(stmt, ast.Import):
                names = []
                for alias in stmt.names:
                    if alias.asname:
                        bindings.setdefault(alias.asname, []).append(alias.name)
                        names.append(alias.asname)
                    else:
                        root = alias.name.split(".")[0]
                        bindings.setdefault(root, []).append(root)
                        names.append(root)
                    if alias.name in ("numpy",) and facts.numpy_alias is None:
                        facts.numpy_alias = alias.asname or "numpy"
                if depth == 0:
                    related = any(_keras_related(a.name) for a in stmt.names)
                    facts.top_imports.append(ImportSite(chunk, stmt, tuple(names), related))
            elif isinstance(stmt, ast.ImportFrom):
                module = stmt.module or ""
                if stmt.level:
                    continue
                names = []
                for alias in stmt.names:
                    if alias.name == "*":
                        facts.star_modules.append(module)
                        continue
                    bound = alias.asname or alias.name
                    bindings.setdefault(bound, []).append(f"{module}.{alias.name}")
                    facts.from_aliases.append((module, alias.name, alias.asname))
                    names.append(bound)
                if depth == 0:
                    related = _keras_related(module)
                    facts.top_imports.append(ImportSite(chunk, stmt, tuple(names), related))
            elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if depth == 0:
                    facts.local_names.add(stmt.name)
                params = {a.arg for a in stmt.args.args}
                if {"y_true", "y_pred"} <= params:
                    facts.keras_functions.add(stmt.name)
            elif isinstance(stmt, ast.ClassDef):
                if depth == 0:
                    facts.local_names.add(stmt.name)
            elif isinstance(stmt, ast.Assign) and depth == 0:
                for target in stmt.targets:
                    if isinstance(target, ast.Name):
                        facts.local_names.add(target.id)
    # de-duplicate binding targets, keeping order
    for bound, targets in bindings.items():
        bindings[bound] = list(dict.fromkeys(targets))
    facts.keras_bound = any(emit_renames.rename(t) == "keras" for t in bindings.get("keras", ()))
    facts.tf_keras = any(t.startswith("tensorflow") for ts in bindings.values() for t in ts)
    text = "\n".join(texts)
    facts.keras1 = bool(_KERAS1.search(text))
    for pattern in _KERAS_FUNCS:
        facts.keras_functions.update(pattern.findall(text))
    for match in _LIST_ARG.finditer(text):
        facts.keras_functions.update(_IDENT.findall(match.group(1)))
    for match in _CUSTOM_OBJECTS.finditer(text):
        facts.keras_functions.update(_IDENT.findall(match.group(1)))
    facts.accuracy_metric = bool(_ACCURACY.search(text))
    facts.save_weights_paths = set(_SAVE_WEIGHTS.findall(text))
    facts.save_paths = set(_SAVE_MODEL.findall(text))
    for name, extension in _PATH_VARIABLE.findall(text):
        facts.path_variables.setdefault(name, set()).add(extension)
    facts.softmax = "softmax" in text
    facts.sigmoid = "'sigmoid'" in text or '"sigmoid"' in text
    return facts


def dotted_of(node: ast.expr) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, else ``None``."""
    return _dotted(node)
