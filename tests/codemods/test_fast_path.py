"""Differential test of the engine's fast path (issue 14's speed bar, brief hspeed).

The fast path (:mod:`keras_migrate.codemods.codegen`, the ``render_case`` walk, the
text-level statement rewrites) must change nothing a user sees. Every input the codemod
tests know -- the rule cases, the executed corpus (scripts and notebooks), the example
scripts and the benchmark's generated variants -- is upgraded twice, with the fast path
and with ``KERAS_MIGRATE_FAST_PATH=0`` (libcst for every candidate statement, libcst's own
visitor and printer), and the two results must be equal: the same bytes, changes,
follow-ups and post-check findings, in the same order.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from keras_migrate.codemods.codegen import FAST_PATH_ENV, fast_path_enabled
from keras_migrate.codemods.records import FileResult
from keras_migrate.codemods.rules import rule_ids
from keras_migrate.codemods.runner import Options, run_files
from tests.codemods.conftest import EXAMPLES, ROOT
from tests.codemods.rule_cases import CASES

CORPUS = ROOT / "tests" / "codemods" / "corpus" / "projects"


@pytest.fixture(autouse=True)
def _reread_switch() -> Iterator[None]:
    """Tests here flip the switch and call helpers directly; after each one (and after
    monkeypatch restored the environment) re-read it, so the cached value
    (``codegen.fast_path_cached``) does not leak into later tests."""
    yield
    fast_path_enabled()


def _generated(tmp: Path) -> list[Path]:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import bench_upgrade
    finally:
        sys.path.remove(str(ROOT / "bench"))
    return bench_upgrade.generate(tmp, 40, seed=3)


#: spellings the text path (codemods/text_rules.py) must refuse or map exactly: a
#: non-ASCII string before a keyword (UTF-8 columns), comments and line breaks inside
#: calls, backslash continuations, keywords spaced around ``=``
_VARIANTS: tuple[tuple[str, str, str], ...] = (
    ("utf8", r"\b(Dense|Convolution2D|Conv2D|LSTM|Dropout|Model|fit|GaussianNoise)\(", '\\1("\u00e9\u00df", '),
    ("comment", r", (\w+=(?!=))", ", # \u00fc\n    \\1"),
    ("breaks", r", (\w+=(?!=))", ",\n        \\1"),
    ("backslash", r"^(\w+) = ", "\\1 = \\\n    "),
    ("spaced", r"\b(\w+)=(?!=)", "\\1 = "),
)


def _variants(tmp: Path, sources: list[Path]) -> list[Path]:
    """Each source respelled per :data:`_VARIANTS` (kept when it still parses)."""
    import ast
    import re

    out = []
    for name, pattern, replacement in _VARIANTS:
        for i, source in enumerate(sources):
            text = re.sub(pattern, replacement, source.read_text(encoding="utf-8"), flags=re.M)
            try:
                ast.parse(text)
            except SyntaxError:
                continue
            path = tmp / name / f"{i}_{source.name}"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            out.append(path)
    return out


def _tree_files(root: Path) -> list[str]:
    return sorted(str(p) for p in root.rglob("*") if p.suffix in (".py", ".ipynb"))


def _cases(tmp: Path) -> Iterator[tuple[str, tuple[str, ...], list[str]]]:
    """(name, rules, files): each rule case on its own, then the trees with all rules."""
    for name, rules, before, _after in CASES:
        path = tmp / "cases" / f"{name}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(before, encoding="utf-8")
        yield name, tuple(dict.fromkeys(("imports", *rules))), [str(path)]
    everything = tuple(rule_ids())
    yield "corpus", everything, _tree_files(CORPUS)
    yield "examples", everything, _tree_files(EXAMPLES)
    generated = _generated(tmp / "generated")
    yield "generated", everything, [str(p) for p in generated]
    sources = [*generated[:12], *(Path(p) for p in _tree_files(CORPUS) if p.endswith(".py"))]
    variants = _variants(tmp / "variants", sources)
    yield "variants", everything, [str(p) for p in variants]
    # a second run sees its own follow-up comments above the statements (not repeated)
    yield "rerun", everything, _upgraded(tmp / "rerun", [*sources, *variants[::3]])


def _upgraded(tmp: Path, sources: list[Path]) -> list[str]:
    """``sources`` upgraded once (with the libcst path), written under ``tmp``."""
    import os

    saved = os.environ.get(FAST_PATH_ENV)
    os.environ[FAST_PATH_ENV] = "0"
    try:
        results = run_files([str(p) for p in sources], Options(tuple(rule_ids())), jobs=1)
    finally:
        if saved is None:
            del os.environ[FAST_PATH_ENV]
        else:
            os.environ[FAST_PATH_ENV] = saved
    out = []
    for i, result in enumerate(results):
        if result.new_bytes is None:
            continue
        path = tmp / f"{i}_{Path(result.path).name}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(result.new_bytes)
        out.append(str(path))
    return out


def _run(files: list[str], rules: tuple[str, ...], fast: bool, monkeypatch: pytest.MonkeyPatch) -> list[FileResult]:
    monkeypatch.setenv(FAST_PATH_ENV, "1" if fast else "0")
    results = run_files(files, Options(rules), jobs=1)
    return sorted(results, key=lambda r: r.path)


def test_fast_path_changes_no_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    compared = 0
    changed = 0
    for name, rules, files in _cases(tmp_path):
        fast = _run(files, rules, True, monkeypatch)
        slow = _run(files, rules, False, monkeypatch)
        assert len(fast) == len(slow), name
        for a, b in zip(fast, slow, strict=True):
            assert a.new_bytes == b.new_bytes, f"{name}: {a.path}"
            assert a == b, f"{name}: {a.path}"
            compared += 1
            changed += a.changed
    # the comparison is only worth something if it covered real rewrites
    assert compared > 200
    assert changed > 150


@pytest.mark.parametrize(
    ("code", "needs_libcst"),
    [
        ("self.w = self.add_weight(name='w', shape=(3,))\n", False),
        ("self.w = self.add_weight(\n    name = 'w', shape=(3,))\n", False),
        ("self.w = self.add_weight()\n", False),
        ("self.w = self.add_weight((3, 4), 'zeros')\n", True),
        ("self.w = self.add_weight('w', (3, 4))\n", True),
        ("self.w = self.add_weight(\n    shape, init)\n", True),
        ("self.w = self.add_weight(n == 1)\n", True),
        ("self.w = self.add_weight(  # a comment first\n    name='w')\n", True),
        ("self.w = self.add_weight(*args)\n", True),
    ],
)
def test_add_weight_reaches_libcst_only_with_a_positional_argument(code: str, needs_libcst: bool) -> None:
    """The layers rule rewrites only positional ``add_weight`` arguments, so keyword-only
    calls are not candidates (they were a tenth of the corpus's libcst input)."""
    from keras_migrate.codemods.rules.layers import Layers
    from keras_migrate.codemods.triggers import AnyOf

    token = next(t for t in Layers.tokens if "add_weight" in t)
    assert bool(AnyOf([token]).search(code)) is needs_libcst


def test_quiet_printer_prints_what_libcst_prints() -> None:
    """Every statement (and every file) of the corpus and the example scripts, printed by
    :func:`code_for_node` and by libcst's own ``Module.code_for_node``."""
    import libcst as cst

    from keras_migrate.codemods.codegen import code_for_node

    printed = 0
    for path in [*_tree_files(CORPUS), *_tree_files(EXAMPLES)]:
        if not path.endswith(".py"):
            continue
        try:
            module = cst.parse_module(Path(path).read_text(encoding="utf-8"))
        except cst.ParserSyntaxError:  # the Python 2 example
            continue
        assert code_for_node(module, module) == module.code
        for stmt in module.body:
            assert code_for_node(module, stmt) == module.code_for_node(stmt)
            printed += 1
    assert printed > 400


@pytest.mark.parametrize(
    ("triggers", "text", "hit"),
    [
        ((r"\bfoo\b", r"bar\s*\("), "x = bar (1)\n", True),
        ((r"(?P<a>x)y", r"(?P<a>z)w"), "zw\n", True),  # same group name twice: kept apart
        ((r"(a)\1", r"(b)\1"), "bb\n", True),  # back-references keep their numbers
        ((r"(?s)foo.bar", r"\bbaz\b"), "foo\nbar", True),  # a global flag stays first
        ((r"\bfoo\b", r"(?P<a>x)y"), "nothing here\n", False),
    ],
)
def test_merged_triggers_search_like_each_alone(
    triggers: tuple[str, ...], text: str, hit: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    from keras_migrate.codemods.triggers import AnyOf

    assert AnyOf(triggers).search(text) is hit
    monkeypatch.setenv(FAST_PATH_ENV, "0")
    assert AnyOf(triggers).search(text) is hit


#: regexes whose alternatives start with the atoms ``factored`` shares, and ones it must
#: leave alone (a quantified lead, a character class holding ``|`` or ``)``, nested groups)
_FACTOR_EXTRA = (
    r"\bfoo\s*\(|\.bar\b",
    r"(?:\.baz|\bqux)\b",
    r"[(,]\s*?lazy\s*=",
    r"\.?maybe_dot\b",
    r"[]|)]\s*odd",
    r"\b(?:a|b(?:c|d))\b|[(,]\s*(?:e|f)\s*=(?!=)",
    r"(?s:\bLambda\s*\(.*\b(?:tf)\s*\.)",
)
#: a verbose group whose comment holds a parenthesis: searched unfactored
_FACTOR_VERBOSE = "(?x: \\.qq  # ) a comment\n )"


def test_factored_pattern_matches_where_the_joined_tokens_do() -> None:
    """``triggers.factored`` regroups the rules' token alternatives behind their shared
    first atom: it must match exactly the texts the plain alternation matches. Checked
    for every rule's tokens on every statement-sized window of the corpus, the example
    scripts and the rule cases."""
    import re

    from keras_migrate.codemods.rules import all_rules
    from keras_migrate.codemods.triggers import factored

    tokens = tuple(dict.fromkeys(t for rule in all_rules() for t in rule.tokens))
    tokens += _FACTOR_EXTRA
    plain = re.compile("|".join(f"(?:{t})" for t in tokens))
    fast = factored(tokens)
    assert fast.pattern != plain.pattern  # something was factored
    texts = [before for _name, _rules, before, _after in CASES]
    for path in [*_tree_files(CORPUS), *_tree_files(EXAMPLES)]:
        texts.append(Path(path).read_text(encoding="utf-8"))
    texts += ["x = foo (1)\n", "a.baz\n", "f(lazy =1)\n", "maybe_dot\n", "]odd\n", "(f=2)\n", "a.qq\n"]
    windows = 0
    hits = 0
    for text in texts:
        lines = text.splitlines(keepends=True)
        for size in (1, 3):
            for start in range(len(lines)):
                window = "".join(lines[start : start + size])
                hit = bool(plain.search(window))
                assert bool(fast.search(window)) is hit, window
                windows += 1
                hits += hit
    assert windows > 4000 and hits > 400, (windows, hits)
    verbose = factored((*tokens, _FACTOR_VERBOSE))
    assert verbose.search("a.qq\n") and verbose.pattern == "|".join(
        f"(?:{t})" for t in (*tokens, _FACTOR_VERBOSE)
    )


def _node_classes() -> list[type]:
    import libcst as cst

    out = []
    stack = [cst.CSTNode]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if not getattr(cls, "__abstractmethods__", None) and cls.__module__.startswith("libcst."):
            out.append(cls)
    return sorted(set(out), key=lambda c: c.__qualname__)


def test_replace_node_premises_hold_for_every_libcst_node() -> None:
    """``codegen.replace_node`` copies fields onto a bare instance and calls
    ``_validate``: right only while every libcst node field is an ``__init__`` field and
    ``__post_init__`` is the base one (just ``_validate``)."""
    import dataclasses

    import libcst as cst

    classes = _node_classes()
    assert len(classes) > 100
    for cls in classes:
        assert all(f.init for f in dataclasses.fields(cls)), cls
        assert cls.__post_init__ is cst.CSTNode.__post_init__, cls


@pytest.mark.parametrize(
    ("code", "field", "new"),
    [
        ("f(a, b=1)", "func", "g"),
        ("x.y", "attr", "z"),
        ("(a)", "value", "b"),
    ],
)
def test_replace_node_equals_with_changes(code: str, field: str, new: str) -> None:
    import libcst as cst

    from keras_migrate.codemods.codegen import code_of, replace_node

    node = cst.parse_expression(code)
    if field == "value":
        node = cst.parse_expression("(a,)").elements[0]
    changes = {field: cst.Name(new)}
    fast, slow = replace_node(node, changes), node.with_changes(**changes)
    assert type(fast) is type(slow)
    assert fast.deep_equals(slow)
    assert code_of(fast) == code_of(slow)
    assert fast is not node


def _python_sources() -> list[Path]:
    return sorted(CORPUS.rglob("*.py")) + sorted(EXAMPLES.rglob("*.py"))


@pytest.mark.parametrize("path", _python_sources(), ids=lambda p: p.name)
def test_postcheck_walk_reaches_every_root_name(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The post-check's split walk (``_mentioned_nodes``) finds the same chains rooted at
    the looked-for names, and the same used names, as walking whole module statements."""
    import ast

    from keras_migrate.codemods import postcheck

    text = path.read_text(encoding="utf-8")
    try:
        tree = ast.parse(text)
    except SyntaxError:
        pytest.skip("Python 2 example")
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    roots = {"K", "tf", "keras", "np", "self", "layers", "backend"} | set(sorted(names)[:20])
    results = []
    for fast in ("1", "0"):
        monkeypatch.setenv(FAST_PATH_ENV, fast)
        fast_path_enabled()  # what Engine.run does per document
        chains = {(line, c) for line, c in postcheck._chain_list(tree, text, roots) if c.split(".")[0] in roots}
        used = postcheck.names_used(tree, text, roots)
        results.append((chains, used))
    assert results[0] == results[1]
    assert results[0][1] or not (names & roots)


@pytest.mark.parametrize(
    "target",
    ["keras", "keras.backend", "keras.layers", "tensorflow", "tensorflow.keras", "keras.engine.topology"],
)
def test_rests_under_equals_the_scan_over_every_key(target: str) -> None:
    """``RenameTable.rests_under`` (cached) gives what the reference triggers computed by
    scanning every module and member key for each import of each file."""
    from keras_migrate.codemods.names import RenameTable
    from keras_migrate.codemods.rules import all_rules

    table = RenameTable.merged(r.renames for r in all_rules())
    normalised = table.rename_modules(target)
    expected = {k[len(target) + 1 :] for k in table.modules if k.startswith(target + ".")}
    expected |= {k[len(normalised) + 1 :] for k in table.members if k.startswith(normalised + ".")}
    assert table.rests_under(target) == expected
    assert table.rests_under(target) is table.rests_under(target)  # cached
    if target in ("keras", "tensorflow.keras"):
        assert expected


def test_rule_triggers_do_not_grow_between_documents() -> None:
    """``symbol_triggers`` results are cached per import set; a rule that appends to the
    list it gets (the backend rule does) must not grow the cached list, or every later
    file with the same imports gets more triggers (and a trigger key the engine's cache
    has never seen)."""
    import ast

    from keras_migrate.codemods.facts import analyze
    from keras_migrate.codemods.runner import _engine

    engine = _engine(Options(tuple(rule_ids())))
    text = "from keras import backend as K\nimport keras\ny = K.mean(x)\n"
    runs = []
    for _ in range(3):
        facts = analyze([ast.parse(text)], [text], engine.renames, engine.emit)
        runs.append([t for rule in engine.rules for t in rule.triggers(facts)])
    assert runs[0] == runs[1] == runs[2]
    assert any(isinstance(t, str) and t.startswith(r"\bK\s*\.") for t in runs[0])


def test_counting_rewritten_lines_finds_the_same_candidates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The import tidy-up counts names in the rewritten lines only (``_rewritten_lines``):
    for every document the tests know, the names that lost occurrences must be the ones
    a count over both whole texts finds."""
    from keras_migrate.codemods import engine as engine_module

    original = engine_module.Engine._tidy_imports
    checked = []

    def tidy(self, old_texts, texts, trees, facts, needs, rewrites=None):  # type: ignore[no-untyped-def]
        names = frozenset(
            name
            for tree in trees
            for stmt in tree.body
            if isinstance(stmt, (engine_module.ast.Import, engine_module.ast.ImportFrom))
            for name in engine_module._related_names(stmt)
        )
        pieces = engine_module._rewritten_lines(old_texts, texts, rewrites)
        if names and pieces is not None:
            count = engine_module._word_counts
            strip = engine_module._strip_imports
            whole = (
                count("".join(strip(t) for t in old_texts), names),
                count("".join(strip(t) for t in texts), names),
            )
            part = count(pieces[0], names), count(pieces[1], names)
            lost = {n for n in names if whole[1][n] < whole[0][n]}
            assert lost == {n for n in names if part[1][n] < part[0][n]}, old_texts
            checked.append(bool(lost))
        return original(self, old_texts, texts, trees, facts, needs, rewrites)

    monkeypatch.setattr(engine_module.Engine, "_tidy_imports", tidy)
    for _name, rules, files in _cases(tmp_path):
        run_files(files, Options(rules), jobs=1)
    assert len(checked) > 150 and sum(checked) > 50, (len(checked), sum(checked))


@pytest.mark.parametrize(
    "text",
    ["", "\n", "a", "a\n", "a\nb", "a\n\nb\n", "a\r\nb\r\n", "a\rb\n", "x = 1\f\n\vy\u2028z\n"],
)
def test_line_starts_are_the_regex_ones(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """``source.line_starts`` (``split`` lengths on the fast path) gives the offsets the
    reference path's regex gives, also for the corpus and example files."""
    from keras_migrate.codemods.source import line_starts

    texts = [text, *(Path(p).read_text(encoding="utf-8") for p in _tree_files(EXAMPLES))]
    monkeypatch.setenv(FAST_PATH_ENV, "1")
    fast_path_enabled()
    fast = [line_starts(t) for t in texts]
    monkeypatch.setenv(FAST_PATH_ENV, "0")
    fast_path_enabled()  # what Engine.run does per document
    assert fast == [line_starts(t) for t in texts]


def test_a_name_ending_at_a_member_hides_no_missing_name() -> None:
    """The post-check skips chains through aliases of Keras classes and functions
    (``KerasIndex.ends_at_member``): for every such name of the installed Keras, no
    attribute chain after it can have a missing prefix."""
    from keras_migrate.codemods.postcheck import known_keras_index

    index = known_keras_index()
    names = [f"{m}.{n}" for m, members in index.members.items() for n in members]
    names += [*index.modules, "keras.nothing_here", "keras.layers.NoSuchLayer"]
    members = 0
    for name in names:
        if index.ends_at_member(name):
            members += 1
            assert index.missing_prefix(f"{name}.attr.deeper") is None, name
        else:
            assert name in index.modules or index.missing_prefix(name) is not None, name
    assert members > 1000


def test_post_check_finds_the_same_imports_in_the_same_order(monkeypatch: pytest.MonkeyPatch) -> None:
    """``postcheck._imports`` skips statements whose text lacks ``import``: the same
    import statements, in the same order (later bindings win), as the full walk."""
    import ast

    from keras_migrate.codemods.postcheck import _imports

    texts = [before for _name, _rules, before, _after in CASES]
    texts += [Path(p).read_text(encoding="utf-8") for p in _tree_files(EXAMPLES) if p.endswith(".py")]
    texts += [Path(p).read_text(encoding="utf-8") for p in _tree_files(CORPUS) if p.endswith(".py")]
    texts.append("try:\n    import a\nexcept ImportError:\n    if x:\n        from b import c as a\nelse:\n    pass\nimport d\n")
    seen = 0
    for text in texts:
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue
        monkeypatch.setenv(FAST_PATH_ENV, "1")
        fast_path_enabled()  # what Engine.run does per document
        fast = _imports(tree, text)
        monkeypatch.setenv(FAST_PATH_ENV, "0")
        fast_path_enabled()
        assert fast == _imports(tree, text)
        seen += len(fast)
    assert seen > 250


def test_partial_reparse_gives_the_whole_parse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``engine._reparse`` keeps the old nodes of the statements before the first edit
    and parses the rest behind empty lines: for every document the tests know, the tree
    must dump (with positions) exactly like ``ast.parse`` of the whole rewritten text."""
    import ast

    from keras_migrate.codemods import engine as engine_module

    original = engine_module._parse_all
    kept = []

    def parse_all(texts, old_trees=None, old_tables=None, edits=None):  # type: ignore[no-untyped-def]
        trees = original(texts, old_trees, old_tables, edits)
        for text, tree, old in zip(texts, trees, old_trees or [None] * len(texts), strict=True):
            whole = ast.parse(text)
            assert ast.dump(tree, include_attributes=True) == ast.dump(whole, include_attributes=True)
            if old is not None:
                kept.append(sum(1 for a, b in zip(tree.body, old.body) if a is b))
        return trees

    monkeypatch.setattr(engine_module, "_parse_all", parse_all)
    for _name, rules, files in _cases(tmp_path):
        run_files(files, Options(rules), jobs=1)
    assert len(kept) > 150 and sum(1 for k in kept if k) > 50, (len(kept), sum(1 for k in kept if k))


@pytest.mark.parametrize(
    ("text", "old", "new"),
    [
        ("import a; import b\nx = 1\ny = 2\n", "y = 2\n", "y = 3\n# note\n"),
        ("x = 1; y = 2\nz = 3\n", "z = 3\n", ""),
        ("a = 1\n@d\ndef f():\n    pass\n", "    pass\n", "    return 1\n"),
        ("a = (1,\n     2)\nb = 3", "b = 3", "b = 4"),
        ("a = 1\r\nb = 2\r\n", "b = 2\r\n", "b = 5\r\nc = 6\r\n"),
        ("a = 1\n", "", ""),
    ],
)
def test_partial_reparse_of_edited_text(text: str, old: str, new: str) -> None:
    import ast

    from keras_migrate.codemods.engine import _Edit, _reparse, _splice
    from keras_migrate.codemods.source import LineTable

    start = text.index(old) if old else len(text)
    edits = [_Edit(start, start + len(old), new)] if old else []
    rewritten = _splice(text, edits)
    tree = _reparse(rewritten, ast.parse(text), LineTable(text), edits)
    assert ast.dump(tree, include_attributes=True) == ast.dump(ast.parse(rewritten), include_attributes=True)
