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

from keras_migrate.codemods.codegen import fast_path_cached
from keras_migrate.codemods.names import RenameTable
from keras_migrate.codemods.repository import Exports, resolve_relative

__all__ = ["BLOCKS", "COMPOUND", "Facts", "ImportSite", "analyze", "child_bodies", "dotted_of", "iter_statements"]

#: Compound statements with a header and one or more nested blocks of statements.
BLOCKS: tuple[type[ast.stmt], ...] = (
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.If,
    ast.For,
    ast.AsyncFor,
    ast.While,
    ast.With,
    ast.AsyncWith,
)
#: Every compound statement: :data:`BLOCKS` and the ones whose children are handlers or cases.
COMPOUND: tuple[type[ast.stmt], ...] = (
    BLOCKS + (ast.Try, ast.Match) + ((ast.TryStar,) if hasattr(ast, "TryStar") else ())
)

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
    r"\bnb_epoch\b|\bborder_mode\b|\bW_regularizer\b|\bdim_ordering\b"
    r"|\bsamples_per_epoch\b|\bnb_filter\b|\bconsume_less\b|\binner_activation\b"
    r"|\binner_init\b|\bdropout_[WU]\b|\bU_regularizer\b"
    r"|\bmerge\s*\(|\bMerge\s*\(|\bsubsample\s*=|\binit\s*=|\bkeras\.engine\.topology\b"
    r"|\binitializations\b|\bobjectives\b"
)
#: ``output_dim=`` is Keras 1 except on ``Embedding``, which keeps it in Keras 2 and 3
_OUTPUT_DIM = re.compile(r"\boutput_dim\s*=(?!=)")
_CALLEE = re.compile(r"([A-Za-z_][\w.]*)\s*$")
#: (pattern, a literal every match contains)
_KERAS_FUNCS = (
    (re.compile(r"\bLambda\s*\(\s*([A-Za-z_]\w*)"), "Lambda"),
    (re.compile(r"[(,]\s*loss\s*=\s*([A-Za-z_]\w*)"), "loss"),
)
_LIST_ARG = re.compile(r"[(,]\s*(?:metrics|loss)\s*=\s*[\[\{(]([^\]\})]*)")
_CUSTOM_OBJECTS = re.compile(r"custom_objects\s*=\s*\{([^}]*)\}")
_IDENT = re.compile(r"(?<![\"'\w.])([A-Za-z_]\w*)(?![\"'\w(])")
_ACCURACY = re.compile(r"metrics\s*=\s*[\[(][^\])]*['\"]accuracy['\"]")
_PATH_VARIABLE = re.compile(
    r"(?m)^[ \t]*([A-Za-z_]\w*)[ \t]*=[^\n]*['\"][^'\"\n]*(\.weights\.h5|\.keras|\.h5|\.hdf5)['\"]"
)
_CALL_ASSIGN = re.compile(r"(?m)^[ \t]*([A-Za-z_][\w.]*)[ \t]*=[ \t]*([A-Za-z_][\w.]*)[ \t]*\(")
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
    #: the document's text, for facts only some statements need (computed on demand)
    text: str = ""
    _assigned: dict[str, str] | None = None
    softmax: bool = False
    sigmoid: bool = False
    numpy_alias: str | None = None
    keras_bound: bool = False
    top_imports: list[ImportSite] = field(default_factory=list)
    from_aliases: list[tuple[str, str, str | None]] = field(default_factory=list)
    _resolve_cache: dict[str, tuple[str, ...]] = field(default_factory=dict)
    _legacy_cache: dict[str, tuple[str, ...]] = field(default_factory=dict)
    _keras_cache: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: the Keras/TF bindings as sorted ``(alias, targets)`` pairs, filled in by the first
    #: ``triggers.symbol_triggers`` call (every rule asks; the bindings are final by then)
    trigger_bindings: tuple[tuple[str, tuple[str, ...]], ...] | None = None
    #: per-scope static inference (:mod:`keras_migrate.codemods.inference`), built lazily
    inference_cache: dict[object, object] = field(default_factory=dict)

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

    def layer_class(self, dotted: str) -> str | None:
        """The legacy ``keras.layers`` class ``dotted`` names (``L.Dense`` -> ``Dense``), if any."""
        for name in self.legacy_names(dotted):
            if name.startswith("keras.layers.") and name.count(".") == 2:
                return name.rsplit(".", 1)[1]
        return None

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

    def may_be_sequential(self, receiver: str) -> bool:
        """``receiver.add(layer)`` may build a Sequential model: the receiver was assigned
        ``Sequential(...)`` here, or is named like a model and assigned nothing else."""
        if self._assigned is None:  # dotted name -> callee of every `name = callee(...)`
            self._assigned = {}
            for target, callee in _CALL_ASSIGN.findall(self.text):
                if self._assigned.get(target) != "Sequential":
                    self._assigned[target] = callee.rsplit(".", 1)[-1]
        callee = self._assigned.get(receiver)
        if callee is not None:
            return callee == "Sequential"
        return "model" in receiver.lower()

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
    exports: Exports | None = None,
    module: str | None = None,
    is_package: bool = False,
) -> Facts:
    """Collect :class:`Facts` over the chunks of one document.

    ``renames`` (every rule's table) is used to recognise names; ``emit_renames`` (the
    selected rules' tables) says which imports will actually be rewritten. ``exports``
    (the repository's own Keras re-exports) and ``module`` (this document's module name)
    let ``from .compat import K`` resolve to what ``compat`` binds ``K`` to.
    """
    facts = Facts(renames=renames, emit_renames=emit_renames)
    bindings = facts.bindings
    aliases: list[ast.Assign] = []  # `K = keras.backend` candidates
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
                source = stmt.module or ""
                if stmt.level:
                    if depth == 0:  # the project's own names: never Keras unless exported
                        facts.local_names.update(a.asname or a.name for a in stmt.names)
                    if exports and module is not None:
                        absolute = resolve_relative(module, stmt.level, stmt.module, is_package)
                        for alias in stmt.names:
                            found = exports.lookup(f"{absolute}.{alias.name}")
                            if found:
                                bindings.setdefault(alias.asname or alias.name, []).extend(found)
                    continue
                names = []
                for alias in stmt.names:
                    if alias.name == "*":
                        facts.star_modules.append(source)
                        continue
                    bound = alias.asname or alias.name
                    found = exports.lookup(f"{source}.{alias.name}") if exports else ()
                    if found and not _keras_related(source):
                        bindings.setdefault(bound, []).extend(found)
                    else:
                        bindings.setdefault(bound, []).append(f"{source}.{alias.name}")
                    facts.from_aliases.append((source, alias.name, alias.asname))
                    names.append(bound)
                if depth == 0:
                    related = _keras_related(source)
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
            elif isinstance(stmt, ast.Assign):
                if depth == 0:
                    for target in stmt.targets:
                        if isinstance(target, ast.Name):
                            facts.local_names.add(target.id)
                if (
                    len(stmt.targets) == 1
                    and isinstance(stmt.targets[0], ast.Name)
                    and isinstance(stmt.value, (ast.Attribute, ast.Name))
                ):
                    aliases.append(stmt)
    # de-duplicate binding targets, keeping order
    for bound, targets in bindings.items():
        bindings[bound] = list(dict.fromkeys(targets))
    _module_aliases(facts, aliases)
    facts.keras_bound = any(emit_renames.rename(t) == "keras" for t in bindings.get("keras", ()))
    facts.tf_keras = any(t.startswith("tensorflow") for ts in bindings.values() for t in ts)
    text = "\n".join(texts)
    # On the fast path a regex whose every match holds one of a few literals runs only
    # when the text holds one (``in`` is ~50x faster than a search led by ``\b``): the
    # same facts, and the differential test compares them with the reference path.
    fast = fast_path_cached()
    facts.keras1 = bool(_KERAS1.search(text)) or (
        _has(text, fast, "output_dim") and _keras1_output_dim(text)
    )
    for pattern, literal in _KERAS_FUNCS:
        if _has(text, fast, literal):
            facts.keras_functions.update(pattern.findall(text))
    if _has(text, fast, "metrics", "loss"):
        for match in _LIST_ARG.finditer(text):
            facts.keras_functions.update(_IDENT.findall(match.group(1)))
    for match in _CUSTOM_OBJECTS.finditer(text):
        facts.keras_functions.update(_IDENT.findall(match.group(1)))
    facts.accuracy_metric = bool(_ACCURACY.search(text))
    facts.save_weights_paths = set(_SAVE_WEIGHTS.findall(text))
    facts.save_paths = set(_SAVE_MODEL.findall(text))
    if _has(text, fast, ".h5", ".keras", ".hdf5"):
        for name, extension in _PATH_VARIABLE.findall(text):
            facts.path_variables.setdefault(name, set()).add(extension)
    facts.text = text
    facts.softmax = "softmax" in text
    facts.sigmoid = "'sigmoid'" in text or '"sigmoid"' in text
    return facts


def _has(text: str, fast: bool, *literals: str) -> bool:
    """False only on the fast path and when ``text`` holds none of ``literals``."""
    return not fast or any(literal in text for literal in literals)


def _module_aliases(facts: Facts, aliases: Sequence[ast.Assign]) -> None:
    """``K = keras.backend`` (or ``tf.keras.backend``, at any depth): bind ``K`` like an
    import would, so ``K.mean`` is recognised. Only aliases of Keras modules count, so
    ``act = tf.nn.relu`` or ``Dense = layers.Dense`` change nothing."""
    for stmt in aliases:
        name = _dotted(stmt.value)
        alias = stmt.targets[0].id  # type: ignore[attr-defined]
        if name is None or alias in facts.bindings:
            continue
        targets = [t for t in facts.resolve(name) if _is_keras_module(facts.renames.rename(t))]
        if targets:
            facts.bindings[alias] = targets
            facts._resolve_cache.clear()


#: Keras 3 modules an assignment may alias (``K = keras.backend``).
_KERAS_MODULES = frozenset(
    {
        "keras",
        "keras.backend",
        "keras.layers",
        "keras.models",
        "keras.ops",
        "keras.activations",
        "keras.initializers",
        "keras.regularizers",
        "keras.constraints",
        "keras.losses",
        "keras.metrics",
        "keras.optimizers",
        "keras.callbacks",
        "keras.utils",
        "keras.applications",
        "keras.preprocessing",
    }
)


def _is_keras_module(name: str) -> bool:
    return name in _KERAS_MODULES


def _keras1_output_dim(text: str) -> bool:
    """True when some ``output_dim=`` keyword is passed to a callee other than
    ``Embedding`` (Keras 1's ``Dense(output_dim=...)``); Embedding's is current API, so a
    second run over upgraded code must not take it for Keras 1."""
    for match in _OUTPUT_DIM.finditer(text):
        depth = 0
        index = match.start() - 1
        while index >= 0:
            char = text[index]
            if char in ")]}":
                depth += 1
            elif char in "([{":
                if depth == 0:
                    break
                depth -= 1
            index -= 1
        callee = _CALLEE.search(text, max(0, index - 200), index) if index > 0 else None
        if callee is None or callee.group(1).rsplit(".", 1)[-1] != "Embedding":
            return True
    return False


def dotted_of(node: ast.expr) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, else ``None``."""
    return _dotted(node)
