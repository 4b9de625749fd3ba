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

from keras_migrate.codemods.codegen import FAST_PATH_ENV
from keras_migrate.codemods.records import FileResult
from keras_migrate.codemods.rules import rule_ids
from keras_migrate.codemods.runner import Options, run_files
from tests.codemods.conftest import EXAMPLES, ROOT
from tests.codemods.rule_cases import CASES

CORPUS = ROOT / "tests" / "codemods" / "corpus" / "projects"


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
