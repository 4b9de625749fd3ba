"""Apply the rename tables to import statements and to the references they bind.

An import is rewritten in place when its bound name stays valid
(``from tensorflow.keras import layers`` -> ``from keras import layers``); a symbol whose
name changes is imported under its new name and every bare reference follows
(``Deconvolution2D`` -> ``Conv2DTranspose``); a module alias that would no longer exist
(``from keras.utils import np_utils``) is dissolved and its references spelled out from
``keras`` (``keras.utils.to_categorical``). References that reach a renamed name through
an unchanged alias (``tf.keras.layers.Dense``) are respelled the same way.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

import libcst as cst

from keras_migrate.codemods.facts import Facts
from keras_migrate.codemods.names import RenameTable, split_name
from keras_migrate.codemods.postcheck import known_keras_index
from keras_migrate.codemods.rule import RuleContext, dotted, parse_expression
from keras_migrate.codemods.triggers import ChainTrigger, Trigger, WordTrigger

__all__ = [
    "ImportPlan",
    "ReferenceAction",
    "fast_import",
    "import_needs_rewrite",
    "plan_imports",
    "reference_action",
    "reference_triggers",
    "rename_reference",
    "rewrite_imports",
]


@dataclass(slots=True)
class ImportPlan:
    """What each imported name will mean once the imports are rewritten."""

    meaning: dict[str, str] = field(default_factory=dict)
    bare_renames: dict[str, str] = field(default_factory=dict)
    dissolved: set[str] = field(default_factory=set)


def plan_imports(facts: Facts) -> ImportPlan:
    """Decide, once per document, how every imported name is carried over."""
    emit = facts.emit_renames
    plan = ImportPlan()
    for alias, targets in facts.bindings.items():
        plan.meaning[alias] = emit.rename(targets[0])
    for module, name, asname in facts.from_aliases:
        old = f"{module}.{name}"
        new = emit.rename(old)
        if new == old or asname:
            continue
        new_module, new_name = split_name(new)
        if new_name == name:
            continue
        if emit.is_module(old) or not new_module:
            plan.dissolved.add(name)
        else:
            plan.bare_renames[name] = new_name
    return plan


#: Follow-ups for legacy names whose rename target is missing from Keras 3.
_MISSING_HINTS = {
    "text": "keras.preprocessing.text was removed: use keras.layers.TextVectorization",
    "save_weights_to_hdf5_group": "use model.save_weights('name.weights.h5')",
    "load_weights_from_hdf5_group": "use model.load_weights('name.weights.h5') (or "
    "keras-migrate convert for legacy HDF5 files)",
    "load_weights_from_hdf5_group_by_name": "use model.load_weights(path, skip_mismatch=True) "
    "after converting the file with keras-migrate convert",
}


#: Private helpers legacy code imported from Keras internals; no Keras 3 path has them.
PRIVATE_HELPERS = {
    "_obtain_input_shape": "_obtain_input_shape is gone from Keras 3: pass the shape "
    "explicitly, e.g. input_shape = input_shape or (None, None, 3), or copy the helper "
    "from Keras 2's keras_applications/imagenet_utils.py",
    "normalize_data_format": "normalize_data_format is gone from Keras 3: use "
    "data_format = (data_format or keras.config.image_data_format()).lower()",
    "convert_all_kernels_in_model": "convert_all_kernels_in_model (Theano kernel flipping) "
    "is gone: delete the call; convert Theano-trained weight files with keras-migrate convert",
    "conv_output_length": "conv_output_length is gone from Keras 3: copy it from Keras 2's "
    "keras/utils/conv_utils.py ('valid': (n - k) // stride + 1, 'same': ceil(n / stride))",
    "conv_input_length": "conv_input_length is gone from Keras 3: copy it from Keras 2's "
    "keras/utils/conv_utils.py",
    "deconv_length": "deconv_length is gone from Keras 3: copy it from Keras 2's "
    "keras/utils/conv_utils.py",
    "normalize_tuple": "normalize_tuple is gone from Keras 3: use "
    "tuple(value) if isinstance(value, (tuple, list)) else (value,) * n",
    "_Conv": "the private base class _Conv is gone: subclass keras.layers.Conv2D (or "
    "Conv1D/Conv3D), or keras.layers.Layer",
    "_Pooling1D": "the private base class _Pooling1D is gone: subclass "
    "keras.layers.MaxPooling1D/AveragePooling1D, or keras.layers.Layer",
    "_Pooling2D": "the private base class _Pooling2D is gone: subclass "
    "keras.layers.MaxPooling2D/AveragePooling2D, or keras.layers.Layer",
    "_Pooling3D": "the private base class _Pooling3D is gone: subclass "
    "keras.layers.MaxPooling3D/AveragePooling3D, or keras.layers.Layer",
    "_GlobalPooling1D": "the private base class _GlobalPooling1D is gone: subclass "
    "keras.layers.GlobalAveragePooling1D, or keras.layers.Layer",
    "_GlobalPooling2D": "the private base class _GlobalPooling2D is gone: subclass "
    "keras.layers.GlobalAveragePooling2D, or keras.layers.Layer",
    "_Merge": "the private base class _Merge is gone: subclass keras.layers.Layer and "
    "combine the input list in call()",
    "_RNN": "the private base class _RNN is gone: subclass keras.layers.RNN",
    "interfaces": "keras.legacy.interfaces (Keras 2's decorators that converted Keras 1 "
    "arguments) is gone from Keras 3: delete this import and every @interfaces.legacy_* "
    "decorator",
}


def missing_in_keras3(name: str) -> bool:
    """True when Keras 3 (the installed one, else the shipped snapshot) lacks ``name``:
    a rename must not invent a name that does not exist."""
    return known_keras_index().missing_prefix(name) is not None


def missing_note(old: str, new: str) -> str:
    """The follow-up for a legacy name with no Keras 3 counterpart."""
    last = old.rsplit(".", 1)[-1]
    if last in PRIVATE_HELPERS:
        return PRIVATE_HELPERS[last]
    hint = _MISSING_HINTS.get(last, "find its replacement in the Keras 3 API or copy the legacy code")
    return f"{old} has no Keras 3 counterpart ({new} does not exist): {hint}"


def _chain(text: str) -> cst.BaseExpression:
    return parse_expression(text)


@dataclass(frozen=True, slots=True)
class ReferenceAction:
    """What :func:`rename_reference` does to one reference ``name`` (a dotted chain):
    ``kind`` is ``root`` (respell the first name as ``text``), ``last`` (respell the
    last name as ``text``), ``chain`` (replace the whole chain by ``text``, needs
    ``import keras``) or ``follow_up`` (kept, ``message`` is the follow-up); ``rule`` owns
    the rename. Shared by the libcst walk and the text path (``text_rules``)."""

    rule: str
    kind: str
    text: str
    message: str


def reference_action(facts: Facts, plan: ImportPlan, name: str) -> ReferenceAction | None:
    """The respelling of the reference ``name`` whose target moved in Keras 3, if any."""
    olds = facts.resolve(name)
    if not olds:
        return None
    old = next((o for o in olds if o.startswith(("keras", "tensorflow"))), None)
    if old is None:
        return None
    emit = facts.emit_renames
    new = emit.rename(old)
    root, _, rest = name.partition(".")
    if root in plan.dissolved:
        after = None
    elif root in plan.meaning:
        after = plan.meaning[root] + ("." + rest if rest else "")
    else:  # reached through a star import, which is rewritten to its new module
        after = emit.rename_modules(old)
    if new == after:
        if root in plan.bare_renames:
            new_root = plan.bare_renames[root]
            return ReferenceAction(emit.owner(old), "root", new_root, f"renamed {root} to {new_root}")
        return None
    if not (new == "keras" or new.startswith("keras.")):
        return None
    # keras.backend.* calls are the backend rule's: it rewrites or flags each one
    if not new.startswith("keras.backend.") and missing_in_keras3(new):
        return ReferenceAction(emit.owner(old), "follow_up", "", missing_note(old, new))
    if after is not None and split_name(new)[0] == split_name(after)[0]:
        last = split_name(new)[1]
        return ReferenceAction(emit.owner(old), "last", last, f"renamed {name} to {last}")
    return ReferenceAction(emit.owner(old), "chain", new, f"rewrote {name} as {new}")


def rename_reference(
    ctx: RuleContext, plan: ImportPlan, original: cst.BaseExpression, updated: cst.BaseExpression
) -> cst.BaseExpression:
    """Respell a Name/Attribute reference whose target moved in Keras 3."""
    name = ctx.dotted(original)
    if name is None:
        return updated
    action = reference_action(ctx.facts, plan, name)
    if action is None:
        return updated
    ctx.rule = action.rule
    if action.kind == "follow_up":
        ctx.follow_up(action.message)
        return updated
    ctx.change(action.message)
    if action.kind == "root":
        return _replace_root(updated, action.text)
    if action.kind == "last":
        if isinstance(updated, cst.Attribute):
            return updated.with_changes(attr=cst.Name(action.text))
        if isinstance(updated, cst.Name):
            return updated.with_changes(value=action.text)
        return updated
    ctx.needs.add("keras")
    return _chain(action.text)


def _replace_root(node: cst.BaseExpression, new_root: str) -> cst.BaseExpression:
    if isinstance(node, cst.Name):
        return node.with_changes(value=new_root)
    if isinstance(node, cst.Attribute):
        return node.with_changes(value=_replace_root(node.value, new_root))
    return node


def _dotted_node(name: str) -> cst.Attribute | cst.Name:
    expr = parse_expression(name)
    assert isinstance(expr, (cst.Attribute, cst.Name))
    return expr


def _alias_name(alias: cst.ImportAlias) -> str:
    return dotted(alias.name) or ""


def rewrite_imports(
    ctx: RuleContext, plan: ImportPlan, line: cst.SimpleStatementLine
) -> cst.SimpleStatementLine | cst.FlattenSentinel[cst.BaseStatement] | cst.RemovalSentinel:
    """Rewrite the imports on one statement line; returns ``line`` when nothing changes."""
    emit = ctx.facts.emit_renames
    new_body: list[cst.BaseSmallStatement] = []
    extra: list[str] = []  # statements split off when one import becomes several
    changed = False
    for small in line.body:
        if isinstance(small, cst.Import):
            aliases = []
            for alias in small.names:
                old = _alias_name(alias)
                new = emit.rename(old)
                if new != old:
                    changed = True
                    ctx.rule = emit.owner(old)
                    ctx.change(f"import {old} -> import {new}")
                    alias = alias.with_changes(name=_dotted_node(new))
                aliases.append(alias)
            new_body.append(small.with_changes(names=aliases))
        elif isinstance(small, cst.ImportFrom) and not small.relative and small.module is not None:
            result = _rewrite_from(ctx, plan, small, extra)
            if result is not small:
                changed = True
            if result is not None:
                new_body.append(result)
        else:
            new_body.append(small)
    if not changed:
        return line
    if extra:
        statements: list[cst.BaseStatement] = []
        if new_body:
            statements.append(line.with_changes(body=_fix_semicolons(new_body)))
        for index, code in enumerate(extra):
            stmt = cst.parse_statement(code)
            if index == 0 and not new_body:
                stmt = stmt.with_changes(leading_lines=line.leading_lines)
                if isinstance(stmt, cst.SimpleStatementLine):
                    stmt = stmt.with_changes(trailing_whitespace=line.trailing_whitespace)
            statements.append(stmt)
        return cst.FlattenSentinel(statements)
    if not new_body:
        return cst.RemovalSentinel.REMOVE
    return line.with_changes(body=_fix_semicolons(new_body))


def _fix_semicolons(body: list[cst.BaseSmallStatement]) -> list[cst.BaseSmallStatement]:
    if body and body[-1].semicolon is not cst.MaybeSentinel.DEFAULT:
        body[-1] = body[-1].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
    return body


def _rewrite_from(
    ctx: RuleContext, plan: ImportPlan, node: cst.ImportFrom, extra: list[str]
) -> cst.ImportFrom | None:
    """Rewrite one ``from M import ...``; returns ``node`` if unchanged, ``None`` if gone."""
    emit = ctx.facts.emit_renames
    module = dotted(node.module) or ""  # type: ignore[arg-type]
    if isinstance(node.names, cst.ImportStar):
        new_module = emit.rename_modules(module)
        if new_module == module:
            return node
        ctx.rule = emit.owner(module)
        ctx.change(f"from {module} import * -> from {new_module} import *")
        return node.with_changes(module=_dotted_node(new_module))
    # (kind, module) -> list of alias nodes / texts, in order of first appearance
    groups: dict[tuple[str, str], list[cst.ImportAlias]] = {}
    kept: list[cst.ImportAlias] = []  # names Keras 3 lacks: left under the old module
    changed = False
    for alias in node.names:
        name = _alias_name(alias)
        asname = alias.asname.name.value if alias.asname else None  # type: ignore[union-attr]
        old = f"{module}.{name}"
        new = emit.rename(old)
        if new == old:
            groups.setdefault(("from", module), []).append(alias)
            continue
        if name in PRIVATE_HELPERS or (new.startswith("keras.") and missing_in_keras3(new)):
            # kept as it was, last (follow-ups go on a split import's last statement);
            # noted under removed-apis' id so that rule's own note on it is the same one
            ctx.rule = "removed-apis" if name in PRIVATE_HELPERS else emit.owner(old)
            ctx.follow_up(missing_note(old, new))
            kept.append(alias)
            continue
        changed = True
        ctx.rule = emit.owner(old)
        new_module, new_name = split_name(new)
        if not asname and name in plan.dissolved:
            ctx.change(f"dropped import of {old}; references now use {new}")
            continue
        ctx.change(f"from {module} import {name} -> {new}")
        if not new_module:
            groups.setdefault(("import", ""), []).append(
                alias.with_changes(name=_dotted_node(new_name))
            )
            continue
        if not asname and new_name != name and name not in plan.bare_renames:
            alias = alias.with_changes(asname=cst.AsName(name=cst.Name(name)))
        groups.setdefault(("from", new_module), []).append(
            alias.with_changes(name=cst.Name(new_name))
        )
    if not changed:
        return node
    if not groups:
        extra.extend(_render("from", module, kept) if kept else [])
        return None
    keys = list(groups)
    first_kind, first_module = keys[0]
    for kind, mod in keys[1:] if first_kind == "from" else keys:
        extra.extend(_render(kind, mod, groups[(kind, mod)]))
    if kept:
        extra.extend(_render("from", module, kept))
    if first_kind != "from":
        return None
    aliases = _dedupe(groups[keys[0]])
    last_comma = node.names[-1].comma
    fixed = []
    for i, alias in enumerate(aliases):
        if i < len(aliases) - 1:
            if alias.comma is cst.MaybeSentinel.DEFAULT:
                alias = alias.with_changes(
                    comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
                )
        else:
            alias = alias.with_changes(comma=last_comma)
        fixed.append(alias)
    return node.with_changes(module=_dotted_node(first_module), names=fixed)


def _dedupe(aliases: list[cst.ImportAlias]) -> list[cst.ImportAlias]:
    seen: set[tuple[str, str | None]] = set()
    out = []
    for alias in aliases:
        key = (_alias_name(alias), alias.asname.name.value if alias.asname else None)  # type: ignore[union-attr]
        if key not in seen:
            seen.add(key)
            out.append(alias)
    return out


def _render(kind: str, module: str, aliases: list[cst.ImportAlias]) -> list[str]:
    parts = []
    for alias in _dedupe(aliases):
        text = _alias_name(alias)
        if alias.asname is not None:
            text += f" as {alias.asname.name.value}"  # type: ignore[union-attr]
        parts.append(text)
    if kind == "import":
        return [f"import {p}\n" for p in parts]
    return [f"from {module} import {', '.join(parts)}\n"]


def reference_triggers(facts: Facts, plan: ImportPlan) -> list[Trigger]:
    """Triggers for statements holding a reference that :func:`rename_reference` would
    respell, so only those statements are parsed with libcst."""
    emit = facts.emit_renames
    if not emit.modules and not emit.members:
        return []
    out: list[Trigger] = []
    member_keys = list(emit.members)
    dissolved = frozenset(
        a for a in facts.bindings if a in plan.dissolved or a in plan.bare_renames
    )
    if dissolved:
        out.append(WordTrigger(dissolved))
    for alias, targets in facts.bindings.items():
        if alias in dissolved:
            continue
        related = [t for t in targets if t.startswith(("keras", "tensorflow"))]
        if len(related) == 1:
            # the table's cached set itself: the engine's trigger cache then hashes and
            # compares it once, not a fresh copy of up to thousands of names per file
            rests: frozenset[str] = emit.rests_under(related[0])
        else:
            rests = frozenset().union(*(emit.rests_under(t) for t in related))
        if rests:
            out.append(ChainTrigger(alias, rests))
    for module in facts.star_modules:
        normalised = emit.rename_modules(module) + "."
        lasts = frozenset(
            k[len(normalised) :]
            for k in member_keys
            if k.startswith(normalised) and "." not in k[len(normalised) :]
        )
        if lasts:
            out.append(WordTrigger(lasts))
    return out


def import_needs_rewrite(stmt: ast.stmt, emit: RenameTable) -> bool:
    """True when an ``ast`` import statement names something the renames move."""
    if isinstance(stmt, ast.Import):
        return any(emit.rename(alias.name) != alias.name for alias in stmt.names)
    if isinstance(stmt, ast.ImportFrom) and stmt.module and not stmt.level:
        module = stmt.module
        if any(alias.name == "*" for alias in stmt.names):
            return emit.rename_modules(module) != module
        return any(
            emit.rename(f"{module}.{alias.name}") != f"{module}.{alias.name}"
            for alias in stmt.names
        )
    return False


_SIMPLE_IMPORT = re.compile(r"(?:from [\w.]+ import [\w, ]+|import [\w., ]+)[ \t]*(?:\r\n|\r|\n)?")


def fast_import(
    stmt: ast.stmt, text: str, facts: Facts, plan: ImportPlan
) -> tuple[str, list[tuple[str, str]]] | None:
    """Rewrite a plain one-line import from its ``ast`` node, without libcst.

    Most upgraded files start with a block of such lines; parsing each with libcst costs
    more than the rest of the statement's work. Returns ``(new_text, [(rule, note)])``, or
    ``None`` when the line needs the general libcst path (comments, parentheses, aliases
    that split into several imports, dissolved or renamed bindings).
    """
    if not _SIMPLE_IMPORT.fullmatch(text):
        return None
    emit = facts.emit_renames
    newline = text[len(text.rstrip("\r\n")) :]
    notes: list[tuple[str, str]] = []
    parts: list[str] = []
    if isinstance(stmt, ast.Import):
        for alias in stmt.names:
            new = emit.rename(alias.name)
            if new != alias.name:
                notes.append((emit.owner(alias.name), f"import {alias.name} -> import {new}"))
            parts.append(new + (f" as {alias.asname}" if alias.asname else ""))
        return f"import {', '.join(dict.fromkeys(parts))}{newline}", notes
    if not isinstance(stmt, ast.ImportFrom) or stmt.level or not stmt.module:
        return None
    module = stmt.module
    if any(a.name == "*" for a in stmt.names):
        return None
    target_module = None
    for alias in stmt.names:
        old = f"{module}.{alias.name}"
        new = emit.rename(old)
        if new != old and (
            alias.name in PRIVATE_HELPERS or (new.startswith("keras.") and missing_in_keras3(new))
        ):
            return None  # kept, with a follow-up: the general path
        new_module, new_name = split_name(new)
        if new == old:
            new_module, new_name = module, alias.name
        elif not new_module or (not alias.asname and new_name != alias.name):
            return None  # becomes `import x`, dissolves or renames a binding: general path
        else:
            notes.append((emit.owner(old), f"from {module} import {alias.name} -> {new}"))
        if target_module is None:
            target_module = new_module
        elif new_module != target_module:
            return None  # splits into several statements
        parts.append(new_name + (f" as {alias.asname}" if alias.asname else ""))
    return f"from {target_module} import {', '.join(dict.fromkeys(parts))}{newline}", notes
