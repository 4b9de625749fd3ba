"""Upgrade one document (a script, or the code cells of a notebook) in memory.

Pipeline: ``ast`` parse of every chunk -> whole-document :class:`Facts` -> locate the
statements the selected rules may touch -> libcst-transform only those (one traversal,
all rules) -> splice the results and any ``# keras-migrate:`` comments into the original
text -> drop imports the rewrite left unused and add the ones it needs -> re-parse to prove
the result is valid -> post-check remaining names. Untouched text is never re-generated,
which keeps formatting exact and keeps the run close to a bare parse in cost.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import libcst as cst

from keras_migrate.codemods.codegen import code_for_node, fast_path_cached, fast_path_enabled
from keras_migrate.codemods.dispatcher import COMMENT_PREFIX, Dispatcher, Hook
from keras_migrate.codemods.facts import Facts, analyze, child_bodies
from keras_migrate.codemods.names import RenameTable
from keras_migrate.codemods.postcheck import names_used, scan
from keras_migrate.codemods.records import Finding, Location
from keras_migrate.codemods.references import (
    ImportPlan,
    fast_import,
    import_needs_rewrite,
    plan_imports,
    reference_triggers,
)
from keras_migrate.codemods.repository import Exports
from keras_migrate.codemods.rule import Note, Rule, RuleContext
from keras_migrate.codemods.segments import Segment, Triggers, locate
from keras_migrate.codemods.source import LineTable, newline_of
from keras_migrate.codemods.text_rules import TEXT_RULES, TextPath, rewrite_keywords
from keras_migrate.codemods.triggers import AnyOf, Trigger

__all__ = ["COMMENT_PREFIX", "DocumentResult", "Engine", "InvalidRewriteError", "NotedLine"]

_IMPORT_LINE = re.compile(r"^[ \t]*(?:from|import)[ \t]", re.MULTILINE)
_WRAP = "if 1:"


class InvalidRewriteError(Exception):
    """The rewritten text failed to parse: a bug in a rule; the file is left alone."""


@dataclass(frozen=True, slots=True)
class NotedLine:
    """A change or follow-up with the chunk and original line it belongs to."""

    chunk: int
    line: int
    note: Note


@dataclass(slots=True)
class DocumentResult:
    """New text per chunk plus everything to report."""

    texts: list[str]
    changes: list[NotedLine] = field(default_factory=list)
    follow_ups: list[NotedLine] = field(default_factory=list)
    findings: list[tuple[int, Finding]] = field(default_factory=list)


@dataclass(slots=True)
class _Edit:
    """A replacement of ``text[start:end]``; mutable while imports are tidied, then spliced."""

    start: int
    end: int
    body: str
    prefix: str = ""


def _compile(triggers: Sequence[Trigger], static: frozenset[str] = frozenset()) -> AnyOf:
    """Fold the rules' constant token regexes into one pattern (compiled once per process,
    one search per statement); keep per-document triggers separate.

    Files with the same imports get the same triggers: on the fast path the folded
    :class:`AnyOf` (whose construction merges chain rests and joins regexes, ~0.1 ms) is
    built once per distinct trigger tuple."""
    if fast_path_cached():
        return _compiled(tuple(triggers), static)
    return _fold(triggers, static)


@lru_cache(maxsize=512)
def _compiled(triggers: tuple[Trigger, ...], static: frozenset[str]) -> AnyOf:
    return _fold(triggers, static)


def _fold(triggers: Sequence[Trigger], static: frozenset[str]) -> AnyOf:
    fixed = sorted({t for t in triggers if isinstance(t, str) and t in static})
    rest = [t for t in triggers if not (isinstance(t, str) and t in static)]
    if fixed:
        rest.insert(0, "|".join(f"(?:{t})" for t in fixed))
    return AnyOf(rest)


class Engine:
    """Holds the selected rules; :meth:`run` upgrades one document."""

    def __init__(
        self, rules: Sequence[Rule], all_rules: Sequence[Rule], *, check_names: bool = True
    ) -> None:
        self.rules = list(rules)
        self.renames = RenameTable.merged(r.renames for r in all_rules)
        self.emit = RenameTable.merged(r.renames for r in self.rules)
        self.check_names = check_names
        #: the rules' constant token regexes, searched as one pattern
        self._static = frozenset(t for rule in self.rules for t in rule.tokens)
        #: imports some rule wants to inspect (those take the libcst path); set per run
        self._import_pattern: AnyOf = AnyOf(())
        self.hooks: dict[str, list[tuple[str, Hook]]] = {}
        for hook in Rule.HOOKS:
            for rule in self.rules:
                fn = getattr(rule, hook, None)
                if fn is not None:
                    self.hooks.setdefault(hook, []).append((rule.id, fn))

    # -- public ------------------------------------------------------------------------
    def run(
        self,
        texts: Sequence[str],
        *,
        exports: Exports | None = None,
        module: str | None = None,
        is_package: bool = False,
    ) -> DocumentResult:
        """Upgrade ``texts`` (the chunks of one document); ``exports``/``module`` let
        names imported from the repository's own modules resolve (see ``repository``).

        Raises:
            SyntaxError: a chunk does not parse (reported and skipped by the caller).
            InvalidRewriteError: a rewrite produced invalid code.
        """
        fast_path_enabled()  # read the switch once per document (see codegen)
        trees = [ast.parse(text) for text in texts]
        facts = analyze(trees, texts, self.renames, self.emit, exports, module, is_package)
        plan = plan_imports(facts)
        fragments = reference_triggers(facts, plan)
        others: list[Trigger] = []  # what the text path does not model (see text_rules)
        keras_fragments: list[Trigger] = []
        import_fragments: list[Trigger] = []
        keras_code_modelled = True
        for rule in self.rules:
            mine = rule.triggers(facts)
            fragments.extend(mine)
            keras_mine = rule.keras_code_triggers(facts)
            keras_fragments.extend(keras_mine)
            if rule.id not in TEXT_RULES:
                others.extend(mine)
                keras_code_modelled = keras_code_modelled and not keras_mine
            import_fragments.extend(rule.import_triggers(facts))
        import_pattern = _compile(tuple(import_fragments))
        self._import_pattern = import_pattern
        emit = facts.emit_renames

        def import_needed(stmt: ast.stmt, text: str) -> bool:
            return import_needs_rewrite(stmt, emit) or bool(import_pattern.search(text))

        trigger = Triggers(
            _compile(tuple(fragments), self._static),
            _compile(tuple(keras_fragments)) if keras_fragments else None,
            import_needed,
        )
        text_path = (
            TextPath(
                _compile(tuple(others), self._static),
                trigger.keras_code,
                tuple(r.id for r in self.rules if r.id in TEXT_RULES),
                keras_code_modelled,
            )
            if fast_path_enabled()
            else None
        )
        result = DocumentResult(texts=list(texts))
        needs: set[str] = set()
        edits: list[list[_Edit]] = []
        tables = [LineTable(text) for text in texts]
        for index, (tree, table) in enumerate(zip(trees, tables, strict=True)):
            chunk_edits: list[_Edit] = []
            pending: list[Segment] = []
            mark, mark_follow_ups = len(result.changes), len(result.follow_ups)
            for segment in locate(tree, table, trigger, facts):
                fast = self._fast_import(index, segment, table, facts, plan, result)
                if fast is False and text_path is not None:
                    fast = self._fast_text(
                        index, segment, table, facts, plan, text_path, result, needs
                    )
                if fast is False:
                    pending.append(segment)
                elif isinstance(fast, _Edit):
                    chunk_edits.append(fast)
            for segment, parsed, stmt in _parse_together(table, pending):
                edit = self._transform(
                    index, segment, table, facts, plan, result, needs, parsed, stmt, tree
                )
                if edit is not None:
                    chunk_edits.append(edit)
            # text-path notes were recorded before the libcst segments': back in line order
            result.changes[mark:] = sorted(result.changes[mark:], key=lambda n: n.line)
            result.follow_ups[mark_follow_ups:] = sorted(
                result.follow_ups[mark_follow_ups:], key=lambda n: n.line
            )
            chunk_edits.sort(key=lambda e: (e.start, e.end))
            edits.append(chunk_edits)
        if not any(edits):
            self._post(result, trees, texts)
            return result
        foreign = _foreign_keras(facts, trees) if "keras" in needs else None
        if foreign is not None:
            return self._refuse(result, trees, texts, tables, foreign)
        new_texts = [_splice(t, e) for t, e in zip(texts, edits, strict=True)]
        new_trees = _parse_all(new_texts, trees, tables, edits)
        # phase 2, on the rewritten text: drop imports the rewrite left unused, add needed
        # ones. These edits replace whole module-level import lines with libcst-generated
        # imports, so the result needs no third parse: findings are re-based instead.
        second = self._tidy_imports(texts, new_texts, new_trees, facts, needs, edits)
        self._post(result, new_trees, new_texts)
        if any(second):
            result.findings = _rebase(result.findings, new_texts, second)
            new_texts = [_splice(t, e) for t, e in zip(new_texts, second, strict=True)]
        result.texts = new_texts
        return result

    def _refuse(
        self,
        result: DocumentResult,
        trees: Sequence[ast.Module],
        texts: Sequence[str],
        tables: Sequence[LineTable],
        foreign: tuple[int, ast.stmt, str],
    ) -> DocumentResult:
        """Leave a document alone whose ``keras`` is the user's own object: the rewrites
        spell Keras 3 as ``keras``, and adding ``import keras`` would shadow the user's
        name. One follow-up above that import says how to unblock the upgrade."""
        chunk, stmt, target = foreign
        if " " in target:  # the user's own variable, function or class
            message = (
                "`keras` is a name defined in this file, so Keras 3 cannot be imported as "
                "`keras`: rename it and run keras-migrate again"
            )
        else:
            message = (
                f"`keras` is bound to {target} here, so Keras 3 cannot be imported as "
                f"`keras`: import it under another name (... import keras as "
                f"{target.lstrip('.').split('.')[0]}_keras) and run keras-migrate again"
            )
        result.changes.clear()
        result.follow_ups[:] = [NotedLine(chunk, stmt.lineno, Note("imports", message))]
        self._post(result, trees, texts)
        table = tables[chunk]
        if f"{COMMENT_PREFIX}{message}" in _comments_above(table, stmt.lineno):
            return result
        start = table.line_start(stmt.lineno)
        indent = table.text[start : start + stmt.col_offset]
        line = f"{indent}{COMMENT_PREFIX}{message}{newline_of(table.text)}"
        result.texts = list(texts)
        result.texts[chunk] = table.text[:start] + line + table.text[start:]
        result.findings = _rebase(
            result.findings, texts, [[_Edit(start, start, line)] if i == chunk else [] for i in range(len(texts))]
        )
        return result

    # -- steps -------------------------------------------------------------------------
    def _fast_import(
        self,
        chunk: int,
        segment: Segment,
        table: LineTable,
        facts: Facts,
        plan: ImportPlan,
        result: DocumentResult,
    ) -> _Edit | bool | None:
        """Rewrite a plain import without libcst: an edit, ``None`` (no change) or
        ``False`` when the segment needs libcst."""
        if not isinstance(segment.node, (ast.Import, ast.ImportFrom)):
            return False
        source = table.text[segment.start : segment.end]
        if self._import_pattern.search(source):
            return False
        fast = fast_import(segment.node, source, facts, plan)
        if fast is None:
            return False
        new_text, notes = fast
        for rule_id, message in notes:
            result.changes.append(NotedLine(chunk, segment.first_line, Note(rule_id, message)))
        return None if new_text == source else _Edit(segment.start, segment.end, new_text)

    def _fast_text(
        self,
        chunk: int,
        segment: Segment,
        table: LineTable,
        facts: Facts,
        plan: ImportPlan,
        path: TextPath,
        result: DocumentResult,
        needs: set[str],
    ) -> _Edit | bool | None:
        """Keyword and reference renames as text edits (``text_rules``): an edit, ``None``
        (no change) or ``False`` when the segment needs libcst."""
        source = table.text[segment.start : segment.end]
        keras_code = any(f.keras for f in segment.frames)
        fast = rewrite_keywords(
            path, segment.node, source, segment.start, table, facts, plan, keras_code
        )
        if fast is None:
            return False
        new_text, notes, follow_ups, needs_keras = fast
        for note in notes:
            result.changes.append(NotedLine(chunk, segment.first_line, note))
        if follow_ups:  # the comments libcst would put in the statement's leading lines
            above = _comments_above(table, segment.first_line)
            newline = newline_of(source)
            comments = []
            for note in follow_ups:
                result.follow_ups.append(NotedLine(chunk, segment.first_line, note))
                if f"{COMMENT_PREFIX}{note.message}" not in above:
                    comments.append(f"{segment.indent}{COMMENT_PREFIX}{note.message}{newline}")
            new_text = "".join(comments) + new_text
        if new_text == source:
            return None
        if needs_keras:
            needs.add("keras")
        return _Edit(segment.start, segment.end, new_text)

    def _transform(
        self,
        chunk: int,
        segment: Segment,
        table: LineTable,
        facts: Facts,
        plan: ImportPlan,
        result: DocumentResult,
        needs: set[str],
        module: cst.Module,
        stmt: cst.BaseStatement,
        tree: ast.Module | None = None,
    ) -> _Edit | None:
        source = table.text[segment.start : segment.end]
        newline = newline_of(source)
        ctx = RuleContext(
            facts=facts, frames=list(segment.frames), text=source, tree=tree, line=segment.first_line
        )
        above = frozenset(_comments_above(table, segment.first_line))
        dispatcher = Dispatcher(
            ctx, plan, self.hooks, above=above, root_depth=2 if segment.indent else 1
        )
        new_stmt = dispatcher.walk(stmt)
        if new_stmt is stmt:
            code = source
        elif isinstance(new_stmt, cst.RemovalSentinel) or (
            segment.indent and isinstance(new_stmt, cst.If) and not new_stmt.body.body
        ):  # removed (an indented segment's `if 1:` wrapper lost its statements)
            code = ""
        else:
            nodes = new_stmt.nodes if isinstance(new_stmt, cst.FlattenSentinel) else [new_stmt]
            code = "".join(code_for_node(module, node) for node in nodes)
            if segment.indent:  # drop the `if 1:` wrapper line
                code = code[len(_WRAP) + len(newline) :]
            if not source.endswith(("\n", "\r")) and code.endswith(newline):
                code = code[: -len(newline)]  # the segment was the file's unterminated last line
        for note in ctx.changes:
            result.changes.append(NotedLine(chunk, segment.first_line, note))
        for note in ctx.follow_ups:
            result.follow_ups.append(NotedLine(chunk, segment.first_line, note))
        prefix = "".join(
            f"{segment.indent}{COMMENT_PREFIX}{note.message}{newline}"
            for note in ctx.root_notes
            if f"{COMMENT_PREFIX}{note.message}" not in above
        )
        if code == source and not prefix:
            return None
        needs.update(ctx.needs)
        if not code.strip():
            code = f"{segment.indent}pass{newline}" if segment.sole else ""
        return _Edit(segment.start, segment.end, code, prefix)

    def _tidy_imports(
        self,
        old_texts: Sequence[str],
        texts: Sequence[str],
        trees: Sequence[ast.Module],
        facts: Facts,
        needs: set[str],
        rewrites: Sequence[Sequence[_Edit]] | None = None,
    ) -> list[list[_Edit]]:
        """Edits on the rewritten text: unused Keras/TF imports out, needed imports in.
        ``rewrites`` (the edits that turned ``old_texts`` into ``texts``) let the fast
        path count names in the rewritten lines only (see :func:`_rewritten_lines`)."""
        edits: list[list[_Edit]] = [[] for _ in texts]
        tables = _LazyTables(texts)
        sites: list[tuple[int, ast.Import | ast.ImportFrom]] = [
            (chunk, stmt)
            for chunk, tree in enumerate(trees)
            for stmt in tree.body
            if isinstance(stmt, (ast.Import, ast.ImportFrom))
        ]
        related = frozenset(
            name
            for _, stmt in sites
            for name in _related_names(stmt)
        )
        pieces = (
            _rewritten_lines(old_texts, texts, rewrites)
            if rewrites is not None and related and fast_path_cached()
            else None
        )
        if pieces is not None:
            before = _word_counts(pieces[0], related)
            after = _word_counts(pieces[1], related)
        elif not related and fast_path_cached():  # no Keras/TF import left to tidy
            before = after = Counter()
        else:
            before = _word_counts("".join(_strip_imports(t) for t in old_texts), related)
            after = _word_counts("".join(_strip_imports(t) for t in texts), related)
        # only names that lost occurrences can have become unused; an ast check then
        # tells real uses from mentions in strings and comments
        candidates = {name for name in related if after[name] < before[name]}
        used: set[str] = set()
        if candidates:
            for tree, text in zip(trees, texts, strict=True):
                used |= names_used(tree, text, candidates)
        for chunk, stmt in sites:
            names = _unused(stmt, used, before, candidates)
            if names:
                table = tables[chunk]
                start = table.line_start(stmt.lineno)
                end = table.line_end(stmt.end_lineno or stmt.lineno)
                body = _remove_import_names(table.text[start:end], names)
                edits[chunk].append(_Edit(start, end, body if body.strip() else ""))
        lines = []
        if "keras" in needs and "keras" not in _bound_modules(trees):
            lines.append("import keras")
        if "numpy" in needs and not facts.numpy_alias:
            lines.append("import numpy as np")
        if lines:
            chunk, offset = _import_position(texts, tables, trees, sites)
            newline = newline_of(texts[chunk])
            text = texts[chunk]
            removed = next((e for e in edits[chunk] if e.end == offset and not e.body), None)
            at_eof = offset >= len(text) and not text.endswith(("\n", "\r"))
            if removed is not None:
                # the import it would follow was just removed: take its place
                removed.body = newline.join(lines) + ("" if at_eof else newline)
            elif at_eof and text:
                edits[chunk].append(_Edit(offset, offset, "".join(newline + ln for ln in lines)))
            else:
                edits[chunk].append(_Edit(offset, offset, "".join(ln + newline for ln in lines)))
        for chunk_edits in edits:
            chunk_edits.sort(key=lambda e: (e.start, e.end))
        return edits

    def _post(
        self, result: DocumentResult, trees: Sequence[ast.Module], texts: Sequence[str]
    ) -> None:
        for index, tree in enumerate(trees):
            for finding in scan(tree, texts[index], check_names=self.check_names):
                result.findings.append((index, finding))


def _parse_together(
    table: LineTable, segments: Sequence[Segment]
) -> Sequence[tuple[Segment, cst.Module, cst.BaseStatement]]:
    """Parse all segments of a chunk with one libcst call (one statement each).

    Indented segments are wrapped in ``if 1:`` so they parse at top level with their own
    indentation. If the combined text does not parse (it always should), each segment is
    parsed alone and the ones that fail are skipped.
    """
    if not segments:
        return []
    pieces = []
    for segment in segments:
        source = table.text[segment.start : segment.end]
        newline = newline_of(source)
        if not source.endswith(("\n", "\r")) and segment is not segments[-1]:
            source += newline
        pieces.append(f"{_WRAP}{newline}{source}" if segment.indent else source)
    try:
        module = cst.parse_module("".join(pieces))
        if len(module.body) == len(segments):
            return [(seg, module, stmt) for seg, stmt in zip(segments, module.body, strict=True)]
    except cst.ParserSyntaxError:
        pass
    out: list[tuple[Segment, cst.Module, cst.BaseStatement]] = []
    for segment, piece in zip(segments, pieces, strict=True):
        try:
            alone = cst.parse_module(piece)
        except cst.ParserSyntaxError:
            continue
        if len(alone.body) == 1:
            out.append((segment, alone, alone.body[0]))
    return out


def _splice(text: str, edits: Sequence[_Edit]) -> str:
    if not edits:
        return text
    parts = []
    cursor = 0
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        parts.append(text[cursor : edit.start])
        parts.append(edit.prefix)
        parts.append(edit.body)
        cursor = edit.end
    parts.append(text[cursor:])
    return "".join(parts)


def _comments_above(table: LineTable, line: int) -> set[str]:
    found = set()
    current = line - 1
    while current >= 1:
        stripped = table.line_text(current).strip()
        if not stripped.startswith("#"):
            break
        found.add(stripped)
        current -= 1
    return found


class _LazyTables:
    """``LineTable`` per chunk, built on first use (most rewritten documents need none
    or one: only to remove or add an import)."""

    __slots__ = ("_tables", "_texts")

    def __init__(self, texts: Sequence[str]) -> None:
        self._texts = texts
        self._tables: dict[int, LineTable] = {}

    def __getitem__(self, chunk: int) -> LineTable:
        table = self._tables.get(chunk)
        if table is None:
            table = self._tables[chunk] = LineTable(self._texts[chunk])
        return table


def _ends_line(text: str) -> bool:
    return text.endswith(("\n", "\r"))


def _rewritten_lines(
    old_texts: Sequence[str], texts: Sequence[str], rewrites: Sequence[Sequence[_Edit]]
) -> tuple[str, str] | None:
    """The replaced lines and their replacements, import lines stripped, or ``None``.

    The text outside the edits is the same before and after, so a name occurs fewer
    times in the whole new text exactly when it occurs fewer times in the edits'
    replacements than in the lines they replaced: counting those (a few lines) instead
    of both whole texts gives the same candidates. That holds while no identifier can
    span two pieces: every edit covers whole lines (starts after a line break, ends
    with one or at the end of its chunk), and every chunk but the last ends with a line
    break (chunks are joined for counting); otherwise ``None`` (count whole texts).
    """
    for group in (old_texts, texts):
        if any(not _ends_line(t) for t in group[:-1]):
            return None
    old_parts: list[str] = []
    new_parts: list[str] = []
    for text, chunk_edits in zip(old_texts, rewrites, strict=True):
        for edit in chunk_edits:
            old = text[edit.start : edit.end]
            new = edit.prefix + edit.body
            if edit.start and text[edit.start - 1] not in "\r\n":
                return None
            if edit.end < len(text) and not (_ends_line(old) and (not new or _ends_line(new))):
                return None
            old_parts.append(_strip_imports(old))
            new_parts.append(_strip_imports(new))
    return "".join(old_parts), "".join(new_parts)


def _strip_imports(text: str) -> str:
    if "import" not in text:
        return text
    return "".join(line for line in text.splitlines(keepends=True) if not _IMPORT_LINE.match(line))


_PLAIN_FROM = re.compile(r"from ([\w.]+) import ([\w, ]+?)[ \t]*(\r\n|\r|\n)?")
_PLAIN_IMPORT = re.compile(r"import ([\w., ]+?)[ \t]*(\r\n|\r|\n)?")
_ALIAS = re.compile(r"([\w.]+)(?: as (\w+))?")


def _remove_plain(code: str, names: set[str]) -> str | None:
    """:func:`_remove_import_names` for a plain one-line import, without libcst."""
    match = _PLAIN_FROM.fullmatch(code)
    kind = "from"
    if match is None:
        match = _PLAIN_IMPORT.fullmatch(code)
        kind = "import"
    if match is None:
        return None
    items = [i.strip() for i in match.group((kind == "from" and 2) or 1).split(",")]
    kept = []
    for item in items:
        alias = _ALIAS.fullmatch(item)
        if alias is None:
            return None
        bound = alias.group(2) or (
            alias.group(1) if kind == "from" else alias.group(1).split(".")[0]
        )
        if bound not in names:
            kept.append(item)
    if not kept:
        return ""
    newline = match.group(match.lastindex or 0) if code.endswith(("\n", "\r")) else ""
    if kind == "from":
        return f"from {match.group(1)} import {', '.join(kept)}{newline}"
    return f"import {', '.join(kept)}{newline}"


def _remove_import_names(code: str, names: set[str]) -> str:
    plain = _remove_plain(code, names)
    if plain is not None:
        return plain
    module = cst.parse_module(code)
    body: list[cst.BaseStatement] = []
    for stmt in module.body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            body.append(stmt)
            continue
        small: list[cst.BaseSmallStatement] = []
        for item in stmt.body:
            if isinstance(item, (cst.Import, cst.ImportFrom)) and not isinstance(
                item.names, cst.ImportStar
            ):
                kept = [a for a in item.names if _bound_name(a, item) not in names]
                if not kept:
                    continue
                if len(kept) != len(item.names):
                    last = item.names[-1].comma
                    kept = [
                        a.with_changes(comma=last) if i == len(kept) - 1 else a
                        for i, a in enumerate(kept)
                    ]
                    item = item.with_changes(names=kept)
            small.append(item)
        if small:
            if small[-1].semicolon is not cst.MaybeSentinel.DEFAULT:
                small[-1] = small[-1].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
            body.append(stmt.with_changes(body=small))
    return module.with_changes(body=body).code


def _bound_name(alias: cst.ImportAlias, item: cst.Import | cst.ImportFrom) -> str:
    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
        return alias.asname.name.value
    name = cst.Module([]).code_for_node(alias.name)
    return name.split(".")[0] if isinstance(item, cst.Import) else name


def _rebase(
    findings: list[tuple[int, Finding]], texts: Sequence[str], edits: Sequence[Sequence[_Edit]]
) -> list[tuple[int, Finding]]:
    """Move findings from pre-tidy line numbers to the final text's; drop stale ones."""
    out = []
    tables: dict[int, LineTable] = {}
    for chunk, finding in findings:
        table = tables.get(chunk)
        if table is None:
            table = tables[chunk] = LineTable(texts[chunk])
        line = finding.location.line
        offset = table.line_start(line)
        shift = 0
        stale = False
        for edit in edits[chunk]:
            if (edit.end <= offset and edit.start < offset) or (edit.start == edit.end <= offset):
                removed = texts[chunk].count("\n", edit.start, edit.end)
                shift += edit.body.count("\n") + edit.prefix.count("\n") - removed
            elif edit.start <= offset < edit.end:
                last = finding.name.rsplit(".", 1)[-1]
                stale = last not in edit.body
                shift += 0
        if stale:
            continue
        moved = Finding(
            finding.kind,
            Location(finding.location.path, line + shift),
            finding.name,
            finding.covered,
        )
        out.append((chunk, moved))
    return out


def _parse_all(
    texts: Sequence[str],
    old_trees: Sequence[ast.Module] | None = None,
    old_tables: Sequence[LineTable] | None = None,
    edits: Sequence[Sequence[_Edit]] | None = None,
) -> list[ast.Module]:
    """``ast`` trees of the rewritten chunks (proving they parse). Given the old trees,
    line tables and the edits, the fast path re-parses only what the edits can have
    changed (:func:`_reparse`)."""
    try:
        if old_trees is None or old_tables is None or edits is None or not fast_path_cached():
            return [ast.parse(text) for text in texts]
        return [
            _reparse(text, tree, table, chunk_edits)
            for text, tree, table, chunk_edits in zip(texts, old_trees, old_tables, edits, strict=True)
        ]
    except SyntaxError as exc:
        raise InvalidRewriteError(f"rewrite produced invalid code: {exc}") from exc


def _reparse(text: str, tree: ast.Module, table: LineTable, edits: Sequence[_Edit]) -> ast.Module:
    """``ast.parse(text)`` for ``text``, the old chunk (``table.text``, parsed as ``tree``)
    with ``edits`` applied.

    A chunk without edits is the old text: its tree is the old tree. Otherwise the
    module-level statements that end before the first edit are the same text at the
    same lines, so their nodes are kept and only the text from the line after them is
    parsed, behind as many empty lines so every position comes out as in a whole parse.
    The kept part parsed before and ends at a statement boundary, so the whole text
    parses exactly when the rest does.
    """
    if not edits:
        return tree
    first = min(edit.start for edit in edits)
    body = tree.body
    kept = 0
    while kept < len(body) and table.line_end(body[kept].end_lineno or body[kept].lineno) <= first:
        kept += 1
    # statements sharing a line (``a = 1; b = 2``) are kept or parsed together
    while 0 < kept < len(body) and _first_line(body[kept]) <= (
        body[kept - 1].end_lineno or body[kept - 1].lineno
    ):
        kept -= 1
    if kept == 0:
        return ast.parse(text)
    line = (body[kept - 1].end_lineno or body[kept - 1].lineno) + 1
    rest = ast.parse("\n" * (line - 1) + text[table.line_start(line) :])
    return ast.Module(body=[*body[:kept], *rest.body], type_ignores=[])


def _first_line(stmt: ast.stmt) -> int:
    decorators = getattr(stmt, "decorator_list", None)
    return min(stmt.lineno, *(d.lineno for d in decorators)) if decorators else stmt.lineno


def _foreign_keras(facts: Facts, trees: Sequence[ast.Module]) -> tuple[int, ast.stmt, str] | None:
    """The module-level import that binds ``keras`` to a non-Keras object
    (``from mypkg import keras``, ``from .mine import keras`` not known to re-export
    Keras), with its target; ``None`` when there is none."""
    targets = facts.bindings.get("keras", ())
    if any(t.split(".")[0] in ("keras", "tensorflow") for t in targets):
        return None
    if not targets and "keras" not in facts.local_names:
        return None  # nothing in the file binds the name at module level
    for chunk, tree in enumerate(trees):
        for stmt in tree.body:
            if isinstance(stmt, ast.ImportFrom) and (
                stmt.level or (stmt.module or "").split(".")[0] not in ("keras", "tensorflow")
            ):
                for alias in stmt.names:
                    if (alias.asname or alias.name) == "keras":
                        source = "." * stmt.level + (stmt.module or "")
                        return chunk, stmt, f"{source}.{alias.name}".replace("..", ".")
            elif isinstance(stmt, ast.Import):
                for alias in stmt.names:
                    if alias.asname == "keras" and alias.name.split(".")[0] not in (
                        "keras",
                        "tensorflow",
                    ):
                        return chunk, stmt, alias.name
            elif (
                isinstance(stmt, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == "keras" for t in stmt.targets)
            ) or (
                isinstance(stmt, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))
                and stmt.name == "keras"
            ):
                return chunk, stmt, "a name defined in this file"
    return None


def _bound_modules(trees: Sequence[ast.Module]) -> set[str]:
    """``{"keras"}`` when a module-level import (also inside a module-level ``try``/``if``)
    already binds the name ``keras`` (``import keras``, or ``from .compat import keras``
    re-exporting it): adding ``import keras`` then would shadow that binding."""
    for tree in trees:
        stack: list[ast.stmt] = list(tree.body)
        while stack:
            stmt = stack.pop()
            if isinstance(stmt, ast.Import) and any(
                (a.asname or a.name.split(".")[0]) == "keras" for a in stmt.names
            ):
                return {"keras"}
            if isinstance(stmt, ast.ImportFrom) and any(
                (a.asname or a.name) == "keras" for a in stmt.names
            ):
                return {"keras"}
            if isinstance(stmt, (ast.Try, ast.If)):
                for body in child_bodies(stmt):
                    stack.extend(body)
    return set()


def _related_names(stmt: ast.Import | ast.ImportFrom) -> list[str]:
    """Names a Keras/TF import binds."""
    if isinstance(stmt, ast.ImportFrom):
        if (
            stmt.level
            or not stmt.module
            or stmt.module.split(".")[0] not in ("keras", "tensorflow")
        ):
            return []
        return [a.asname or a.name for a in stmt.names if a.name != "*"]
    return [
        a.asname or a.name.split(".")[0]
        for a in stmt.names
        if a.name.split(".")[0] in ("keras", "tensorflow")
    ]


def _unused(
    stmt: ast.Import | ast.ImportFrom, used: set[str], before: Counter[str], candidates: set[str]
) -> set[str]:
    """Keras/TF names this import binds that the rewrite made unused."""
    return {
        name
        for name in _related_names(stmt)
        if name in candidates and name not in used and before[name] > 0
    }


_WORD = re.compile(r"(?<![\w.])[A-Za-z_]\w*")


def _word_counts(text: str, names: frozenset[str]) -> Counter[str]:
    """How often each of ``names`` appears as an identifier (not as an attribute name) in
    ``text``: the ``_WORD`` tokens equal to one of them, found without tokenising the
    whole text."""
    if not fast_path_cached():  # the reference path: count every identifier
        return Counter(_WORD.findall(text))
    if not names:
        return Counter()
    return Counter(_words_pattern(names).findall(text))


@lru_cache(maxsize=256)
def _words_pattern(names: frozenset[str]) -> re.Pattern[str]:
    # a name not starting with an ASCII letter or underscore is never a _WORD token
    wanted = sorted(n for n in names if _WORD.fullmatch(n))
    if not wanted:
        return re.compile(r"(?!)")
    return re.compile(rf"(?<![\w.])(?:{'|'.join(map(re.escape, wanted))})(?!\w)")


def _import_position(
    texts: Sequence[str],
    tables: _LazyTables,
    trees: Sequence[ast.Module],
    sites: Sequence[tuple[int, ast.stmt]],
) -> tuple[int, int]:
    """Where to add an import: after the last module-level Keras/TF import of the first
    chunk that has imports, else after the docstring and ``__future__`` imports."""
    if sites:
        chunk = sites[0][0]
        in_chunk = [stmt for c, stmt in sites if c == chunk]
        related = [s for s in in_chunk if _is_related(s)] or in_chunk
        last = related[-1]
        return chunk, tables[chunk].line_end(last.end_lineno or last.lineno)
    body = trees[0].body
    index = 0
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        index = 1
    while (
        index < len(body)
        and isinstance(body[index], ast.ImportFrom)
        and (
            body[index].module == "__future__"  # type: ignore[attr-defined]
        )
    ):
        index += 1
    if index == 0:
        return 0, tables[0].line_start(body[0].lineno) if body else len(texts[0])
    prev = body[index - 1]
    return 0, tables[0].line_end(prev.end_lineno or prev.lineno)


def _is_related(stmt: ast.stmt) -> bool:
    if isinstance(stmt, ast.ImportFrom):
        return (stmt.module or "").split(".")[0] in ("keras", "tensorflow")
    if isinstance(stmt, ast.Import):
        return any(a.name.split(".")[0] in ("keras", "tensorflow") for a in stmt.names)
    return False
