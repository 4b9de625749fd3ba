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
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import libcst as cst

from keras_migrate.codemods.dispatcher import Dispatcher, Hook
from keras_migrate.codemods.facts import Facts, ImportSite, analyze
from keras_migrate.codemods.names import RenameTable
from keras_migrate.codemods.postcheck import scan
from keras_migrate.codemods.records import Finding
from keras_migrate.codemods.references import ImportPlan, plan_imports, reference_triggers
from keras_migrate.codemods.rule import Note, Rule, RuleContext
from keras_migrate.codemods.segments import Segment, locate
from keras_migrate.codemods.source import LineTable, newline_of

__all__ = ["COMMENT_PREFIX", "DocumentResult", "Engine", "InvalidRewriteError", "NotedLine"]

#: Every follow-up comment starts with this, so users can grep for open work.
COMMENT_PREFIX = "# keras-migrate: "
_IMPORT_LINE = re.compile(r"^[ \t]*(?:from|import)[ \t]", re.MULTILINE)
_ENGINE_TRIGGER = r"(?m)^[ \t]*(?:from|import)[ \t]+[\w.]*\b(?:keras|tensorflow)\b"
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
    start: int
    end: int
    body: str
    prefix: str = ""


@lru_cache(maxsize=256)
def _compile(fragments: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{f})" for f in fragments) if fragments else r"(?!x)x")


class Engine:
    """Holds the selected rules; :meth:`run` upgrades one document."""

    def __init__(
        self, rules: Sequence[Rule], all_rules: Sequence[Rule], *, check_names: bool = True
    ) -> None:
        self.rules = list(rules)
        self.renames = RenameTable.merged(r.renames for r in all_rules)
        self.emit = RenameTable.merged(r.renames for r in self.rules)
        self.check_names = check_names
        self.hooks: dict[str, list[tuple[str, Hook]]] = {}
        for hook in Rule.HOOKS:
            for rule in self.rules:
                fn = getattr(rule, hook, None)
                if fn is not None:
                    self.hooks.setdefault(hook, []).append((rule.id, fn))

    # -- public ------------------------------------------------------------------------
    def run(self, texts: Sequence[str]) -> DocumentResult:
        """Upgrade ``texts`` (the chunks of one document).

        Raises:
            SyntaxError: a chunk does not parse (reported and skipped by the caller).
            InvalidRewriteError: a rewrite produced invalid code.
        """
        trees = [ast.parse(text) for text in texts]
        facts = analyze(trees, texts, self.renames, self.emit)
        plan = plan_imports(facts)
        fragments = [_ENGINE_TRIGGER, *reference_triggers(facts, plan)]
        for rule in self.rules:
            fragments.extend(rule.triggers(facts))
        trigger = _compile(tuple(fragments))
        result = DocumentResult(texts=list(texts))
        needs: set[str] = set()
        edits: list[list[_Edit]] = []
        tables = [LineTable(text) for text in texts]
        for index, (tree, table) in enumerate(zip(trees, tables, strict=True)):
            chunk_edits: list[_Edit] = []
            for segment in locate(tree, table, trigger, facts):
                edit = self._transform(index, segment, table, facts, plan, result, needs)
                if edit is not None:
                    chunk_edits.append(edit)
            edits.append(chunk_edits)
        if not any(edits):
            self._post(result, trees, facts)
            return result
        self._cleanup_imports(texts, tables, edits, facts, plan)
        self._insert_imports(texts, tables, trees, edits, facts, needs)
        new_texts = [_splice(text, chunk_edits) for text, chunk_edits in zip(texts, edits, strict=True)]
        try:
            new_trees = [ast.parse(text) for text in new_texts]
        except SyntaxError as exc:
            raise InvalidRewriteError(f"rewrite produced invalid code: {exc}") from exc
        result.texts = new_texts
        self._post(result, new_trees, None)
        return result

    # -- steps -------------------------------------------------------------------------
    def _transform(
        self,
        chunk: int,
        segment: Segment,
        table: LineTable,
        facts: Facts,
        plan: ImportPlan,
        result: DocumentResult,
        needs: set[str],
    ) -> _Edit | None:
        text = table.text
        source = text[segment.start : segment.end]
        newline = newline_of(source)
        wrapped = f"{_WRAP}{newline}{source}" if segment.indent else source
        try:
            module = cst.parse_module(wrapped)
        except cst.ParserSyntaxError:
            return None
        ctx = RuleContext(facts=facts, frames=list(segment.frames))
        new_module = module.visit(Dispatcher(ctx, plan, self.hooks))
        code = new_module.code
        if segment.indent:
            code = code[len(_WRAP) + len(newline) :]
        for note in ctx.changes:
            result.changes.append(NotedLine(chunk, segment.first_line, note))
        prefix = ""
        if ctx.follow_ups:
            existing = _comments_above(table, segment.first_line)
            lines = []
            for note in ctx.follow_ups:
                comment = f"{COMMENT_PREFIX}{note.message}"
                result.follow_ups.append(NotedLine(chunk, segment.first_line, note))
                if comment not in existing:
                    lines.append(f"{segment.indent}{comment}{newline}")
            prefix = "".join(lines)
        if code == source and not prefix:
            return None
        needs.update(ctx.needs)
        if not code.strip() and segment.sole:
            code = f"{segment.indent}pass{newline}"
        return _Edit(segment.start, segment.end, code, prefix)

    def _cleanup_imports(
        self,
        texts: Sequence[str],
        tables: Sequence[LineTable],
        edits: list[list[_Edit]],
        facts: Facts,
        plan: ImportPlan,
    ) -> None:
        """Drop names from top-level Keras/TF imports whose every use was rewritten."""
        before = "".join(_strip_imports(t) for t in texts)
        after = "".join(
            _strip_imports(_splice(t, e)) for t, e in zip(texts, edits, strict=True)
        )
        by_site: dict[int, tuple[ImportSite, set[str]]] = {}
        for site in facts.top_imports:
            if not site.keras_related:
                continue
            for name in site.names:
                if name in plan.dissolved:
                    continue
                counted = plan.bare_renames.get(name, name)
                pattern = re.compile(rf"(?<![\w.]){re.escape(counted)}\b")
                original = re.compile(rf"(?<![\w.]){re.escape(name)}\b")
                if original.search(before) and not pattern.search(after):
                    by_site.setdefault(id(site), (site, set()))[1].add(counted)
        for site, names in by_site.values():
            table = tables[site.chunk]
            start = table.line_start(site.node.lineno)
            end = table.line_end(site.node.end_lineno or site.node.lineno)
            chunk_edits = edits[site.chunk]
            edit = next((e for e in chunk_edits if e.start == start), None)
            if edit is None:
                if any(e.start < end and start < e.end for e in chunk_edits):
                    continue
                edit = _Edit(start, end, table.text[start:end])
                chunk_edits.append(edit)
            edit.body = _remove_import_names(edit.body, names)
        for chunk_edits in edits:
            chunk_edits.sort(key=lambda e: (e.start, e.end))

    def _insert_imports(
        self,
        texts: Sequence[str],
        tables: Sequence[LineTable],
        trees: Sequence[ast.Module],
        edits: list[list[_Edit]],
        facts: Facts,
        needs: set[str],
    ) -> None:
        lines = []
        if "keras" in needs and not facts.keras_bound:
            lines.append("import keras")
        if "numpy" in needs and not facts.numpy_alias:
            lines.append("import numpy as np")
        if not lines:
            return
        chunk, offset = _import_position(texts, tables, trees, facts)
        newline = newline_of(texts[chunk])
        text = "".join(f"{line}{newline}" for line in lines)
        if offset > 0 and not texts[chunk][:offset].endswith(("\n", "\r")):
            text = newline + text
        edits[chunk].append(_Edit(offset, offset, text))
        edits[chunk].sort(key=lambda e: (e.start, e.end))

    def _post(self, result: DocumentResult, trees: Sequence[ast.Module], facts: Facts | None) -> None:
        for index, tree in enumerate(trees):
            for finding in scan(tree, result.texts[index], check_names=self.check_names):
                result.findings.append((index, finding))


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


def _strip_imports(text: str) -> str:
    if "import" not in text:
        return text
    return "".join(
        line for line in text.splitlines(keepends=True) if not _IMPORT_LINE.match(line)
    )


def _remove_import_names(code: str, names: set[str]) -> str:
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


def _import_position(
    texts: Sequence[str], tables: Sequence[LineTable], trees: Sequence[ast.Module], facts: Facts
) -> tuple[int, int]:
    """Where to add an import: after the last top-level import of the first chunk with one."""
    sites = facts.top_imports
    if sites:
        chunk = sites[0].chunk
        in_chunk = [s for s in sites if s.chunk == chunk]
        keras_sites = [s for s in in_chunk if s.keras_related] or in_chunk
        last = keras_sites[-1].node
        return chunk, tables[chunk].line_end(last.end_lineno or last.lineno)
    tree = trees[0]
    body = tree.body
    index = 0
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        index = 1
    while index < len(body) and isinstance(body[index], ast.ImportFrom) and (
        body[index].module == "__future__"  # type: ignore[attr-defined]
    ):
        index += 1
    if index == 0:
        if not body:
            return 0, len(texts[0])
        return 0, tables[0].line_start(body[0].lineno)
    prev = body[index - 1]
    return 0, tables[0].line_end(prev.end_lineno or prev.lineno)
