"""Cheap tests that decide which statements go through libcst.

A trigger is a regex string (rule tokens such as ``fit_generator``: the same for every
file, compiled once per process) or a small object with ``search(text)``. Name-based
triggers depend on each file's import aliases; expressing them as one regex alternation
per file meant compiling a new multi-kilobyte pattern for most files, which cost more than
parsing the file. :class:`ChainTrigger` instead matches any ``alias.a.b`` chain with one
cached per-alias pattern and checks the chain against a set.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Protocol

from keras_migrate.codemods.codegen import fast_path_cached, fast_path_enabled

if TYPE_CHECKING:
    from keras_migrate.codemods.facts import Facts

__all__ = [
    "AnyOf",
    "ChainTrigger",
    "Searchable",
    "Trigger",
    "WordTrigger",
    "factored",
    "symbol_triggers",
]

_DOT = re.compile(r"\s*\.\s*")
#: a back-reference, a named group or a global flag: joined with others it would break (group
#: numbers shift, names collide, flags must lead), so such a regex is searched alone
_BACKREF = re.compile(r"\\[1-9]|\(\?P[=<]|\(\?[aiLmsux]+\)")


class Searchable(Protocol):
    """Anything with a truthy ``search(text)`` when it matches."""

    def search(self, text: str, /) -> object: ...


@lru_cache(maxsize=4096)
def pattern(fragment: str) -> re.Pattern[str]:
    """A compiled regex, cached for the whole process."""
    return re.compile(fragment)


@lru_cache(maxsize=1024)
def _chain_pattern(alias: str) -> re.Pattern[str]:
    return re.compile(rf"\b{re.escape(alias)}\s*\.\s*([A-Za-z_]\w*(?:\s*\.\s*[A-Za-z_]\w*)*)")


@dataclass(frozen=True, slots=True)
class ChainTrigger:
    """Matches ``alias.<rest>`` where a prefix of ``<rest>`` is in ``rests``."""

    alias: str
    rests: frozenset[str]

    def search(self, text: str) -> bool:
        if self.alias not in text:
            return False
        for match in _chain_pattern(self.alias).finditer(text):
            parts = _DOT.split(match.group(1))
            for end in range(len(parts), 0, -1):
                if ".".join(parts[:end]) in self.rests:
                    return True
        return False


@dataclass(frozen=True, slots=True)
class WordTrigger:
    """Matches any of ``words`` as a whole word."""

    words: frozenset[str]

    def search(self, text: str) -> bool:
        return _words_pattern(self.words).search(text) is not None


@lru_cache(maxsize=1024)
def _words_pattern(words: frozenset[str]) -> re.Pattern[str]:
    """The alternation of ``words`` (keyed by the set, whose hash Python caches: the
    locator searches every statement, and rebuilding the pattern's source each time cost
    more than the search)."""
    return pattern(rf"\b(?:{'|'.join(sorted(map(re.escape, words)))})\b")


Trigger = str | ChainTrigger | WordTrigger


class AnyOf:
    """Matches when any trigger matches."""

    __slots__ = ("triggers",)

    triggers: list[Searchable]

    def __init__(self, triggers: Sequence[Trigger]) -> None:
        # ``any`` of the triggers, so triggers of one kind can be merged: one chain
        # pattern per alias, one word alternation, one regex alternation (every locator
        # call searches each statement with all of them)
        if not fast_path_enabled():  # the reference path: each trigger searched alone
            self.triggers = [pattern(t) if isinstance(t, str) else t for t in dict.fromkeys(triggers)]
            return
        chains: dict[str, set[str]] = {}
        words: set[str] = set()
        regexes: list[str] = []
        for t in dict.fromkeys(triggers):
            if isinstance(t, ChainTrigger):
                chains.setdefault(t.alias, set()).update(t.rests)
            elif isinstance(t, WordTrigger):
                words.update(t.words)
            else:
                regexes.append(t)
        self.triggers = []
        if regexes:
            separate = [r for r in regexes if _BACKREF.search(r)]  # numbering must stay
            joined = [r for r in regexes if not _BACKREF.search(r)]
            if joined:
                self.triggers.append(factored(tuple(joined)))
            self.triggers.extend(pattern(r) for r in separate)
        if words:
            self.triggers.append(WordTrigger(frozenset(words)))
        self.triggers.extend(ChainTrigger(a, frozenset(r)) for a, r in chains.items())

    def search(self, text: str) -> bool:
        # a loop, not ``any(...)``: the locator calls this for every statement, and the
        # generator costs more than most of the searches
        for trigger in self.triggers:  # noqa: SIM110
            if trigger.search(text):
                return True
        return False


def _structure(regex: str) -> Iterator[tuple[int, str, int]]:
    """``(index, character, depth)`` of each ``(``, ``)`` and ``|`` of ``regex`` that is
    syntax (not escaped, not inside a character class); ``depth``: groups open before it."""
    depth = 0
    index = 0
    in_class = False
    while index < len(regex):
        char = regex[index]
        if char == "\\":
            index += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            if regex.startswith("^", index + 1):
                index += 1
            if regex.startswith("]", index + 1):  # a leading ``]`` is a literal
                index += 1
        elif char in "()|":
            yield index, char, depth
            depth += {"(": 1, ")": -1, "|": 0}[char]
        index += 1


def _alternatives(regex: str) -> list[str]:
    """``regex`` split at its top-level ``|`` (outside groups and character classes)."""
    out: list[str] = []
    start = 0
    for index, char, depth in _structure(regex):
        if char == "|" and depth == 0:
            out.append(regex[start:index])
            start = index + 1
    out.append(regex[start:])
    if len(out) == 1 and regex.startswith("(?:") and _closing(regex) == len(regex) - 1:
        return _alternatives(regex[3:-1])  # one non-capturing group: its alternatives
    return [piece for part in out for piece in (_alternatives(part) if len(out) > 1 else [part])]


def _closing(regex: str) -> int:
    """Index of the parenthesis closing the group that opens ``regex`` (-1 if none)."""
    return next((index for index, char, depth in _structure(regex) if char == ")" and depth == 1), -1)


#: leading atoms shared by many rule tokens (a word boundary, an attribute dot, a keyword
#: argument's ``(``/``,``), when no quantifier follows them
_LEAD = re.compile(r"(\\b|\\\.|\[\(,\]\\s\*)(?![*+?{])")


@lru_cache(maxsize=256)
def factored(regexes: tuple[str, ...]) -> re.Pattern[str]:
    """One pattern that matches wherever one of ``regexes`` does (``search`` is only used
    for whether something matched), with the alternatives that start with the same atom
    (``\\b``, ``\\.``, ``[(,]\\s*``) behind that atom once.

    Python's ``re`` tries every alternative of an alternation at every position; an
    alternative that starts with a zero-width ``\\b`` cannot be skipped by its first
    character, so the rules' ~20 joined tokens cost ~0.4 microseconds per character
    searched (most of the locator's time). ``A(?:x|y)`` matches where ``Ax|Ay`` does, so
    factoring changes no answer; the pattern is ~3x faster. The reference path
    (``KERAS_MIGRATE_FAST_PATH=0``) never gets here.
    """
    plain = "|".join(f"(?:{r})" for r in regexes)
    if any("(?x" in r or "(?#" in r for r in regexes):  # comments could hide parentheses
        return pattern(plain)
    groups: dict[str, list[str]] = {}
    for regex in regexes:
        for alternative in _alternatives(regex):
            lead = _LEAD.match(alternative)
            key = lead.group(1) if lead else ""
            groups.setdefault(key, []).append(alternative[lead.end() :] if lead else alternative)
    parts = [f"(?:{rest})" for rest in groups.pop("", [])]
    parts.extend(
        f"{lead}(?:{'|'.join(f'(?:{rest})' for rest in rests)})" for lead, rests in groups.items()
    )
    try:
        return re.compile("|".join(parts))
    except re.error:  # an alternative the splitter misread: search them unfactored
        return pattern(plain)


def symbol_triggers(facts: Facts, symbols: Iterable[str]) -> list[Trigger]:
    """Triggers for every way ``symbols`` can be spelled given the document's imports.

    ``symbols`` are module-normalised qualified names (``keras.backend.mean``): an alias
    ``K`` bound to ``tensorflow.keras.backend`` matches ``K.mean``, ``tf`` matches
    ``tf.keras.backend.mean``, and a star import matches the bare ``mean``.
    """
    symbols = frozenset(symbols)
    if not symbols:
        return []
    relevant = facts.trigger_bindings if fast_path_cached() else None
    if relevant is None:  # the same for every rule: computed once per document
        relevant = tuple(
            sorted(
                (alias, tuple(targets))
                for alias, targets in facts.bindings.items()
                if any(t.split(".")[0] in ("keras", "tensorflow") for t in targets)
            )
        )
        facts.trigger_bindings = relevant
    # a copy: callers extend the list they get, and the cached one must not grow
    return list(_symbol_triggers(facts.renames, symbols, relevant, tuple(facts.star_modules)))


@lru_cache(maxsize=2048)
def _symbol_triggers(
    renames: object,
    symbols: frozenset[str],
    bindings: tuple[tuple[str, tuple[str, ...]], ...],
    star_modules: tuple[str, ...],
) -> list[Trigger]:
    from keras_migrate.codemods.names import RenameTable

    assert isinstance(renames, RenameTable)
    out: list[Trigger] = []
    for alias, targets in bindings:
        rests: set[str] = set()
        whole = False
        for target in targets:
            norm = renames.rename_modules(target)
            prefix = norm + "."
            for symbol in symbols:
                if symbol == norm:
                    whole = True
                elif symbol.startswith(prefix):
                    rests.add(symbol[len(prefix) :])
            # spellings through a renamed module: tf.keras.backend.mean
            for key, value in renames.modules.items():
                if key.startswith(target + "."):
                    via = key[len(target) + 1 :]
                    rests.update(
                        via + symbol[len(value) :]
                        for symbol in symbols
                        if symbol.startswith(value + ".")
                    )
        if whole:
            out.append(WordTrigger(frozenset({alias})))
        elif rests:
            out.append(ChainTrigger(alias, frozenset(rests)))
    for module in star_modules:
        norm = renames.rename_modules(module) + "."
        lasts = frozenset(
            s[len(norm) :] for s in symbols if s.startswith(norm) and "." not in s[len(norm) :]
        )
        if lasts:
            out.append(WordTrigger(lasts))
    return out
