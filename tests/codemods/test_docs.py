"""Documentation and packaging: every rule documented, pre-commit hooks valid, bench runs."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

from keras_migrate.codemods.rules import all_rules
from tests.codemods.conftest import ROOT

DOCS = ROOT / "docs" / "codemods.md"


def test_every_rule_has_a_docs_entry() -> None:
    text = DOCS.read_text(encoding="utf-8")
    headings = set(re.findall(r"^### `([\w-]+)`", text, flags=re.MULTILINE))
    rules = all_rules()
    assert headings == {rule.id for rule in rules}
    for rule in rules:
        assert rule.description and "\n" not in rule.description
        section = text.split(f"### `{rule.id}`", 1)[1].split("\n### ", 1)[0]
        assert "Before" in section and "After" in section, rule.id


def test_pre_commit_hooks() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    ids = {hook["id"] for hook in hooks}
    assert ids == {"keras-migrate-upgrade", "keras-migrate-check"}
    for hook in hooks:
        assert hook["entry"].startswith("keras-migrate upgrade")
        assert hook["language"] == "python"
        assert set(hook["types_or"]) == {"python", "jupyter"}


def test_benchmark_script_runs(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import bench_upgrade
    finally:
        sys.path.pop(0)
    paths = [str(p) for p in bench_upgrade.generate(tmp_path, 12)]
    assert len(paths) == 12
    assert bench_upgrade.bare(paths, 1) > 0
    assert bench_upgrade.upgrade(paths, 1) > 0
