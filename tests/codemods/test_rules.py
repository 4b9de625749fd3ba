"""Table-driven before/after tests for every rule (see ``rule_cases.py``)."""

from __future__ import annotations

import ast

import pytest

from keras_migrate.codemods.rules import rule_ids
from tests.codemods.conftest import upgrade_text
from tests.codemods.rule_cases import CASES

PARAMS = [pytest.param(rules, before, after, id=case_id) for case_id, rules, before, after in CASES]


@pytest.mark.parametrize(("rules", "before", "after"), PARAMS)
def test_rule_case(rules: tuple[str, ...], before: str, after: str) -> None:
    assert upgrade_text(before, rules) == after


@pytest.mark.parametrize(("rules", "before", "after"), PARAMS)
def test_rule_case_is_idempotent(rules: tuple[str, ...], before: str, after: str) -> None:
    """A second run over the output changes nothing, and the output is valid Python."""
    ast.parse(after)
    assert upgrade_text(after, rules) == after


@pytest.mark.parametrize(("rules", "before", "after"), PARAMS)
def test_all_rules_are_idempotent_on_every_input(
    rules: tuple[str, ...], before: str, after: str
) -> None:
    once = upgrade_text(before)
    ast.parse(once)
    assert upgrade_text(once) == once


def test_every_rule_has_cases() -> None:
    covered = {rules[0] for _, rules, _, _ in CASES}
    assert covered == set(rule_ids())


def test_every_rule_has_a_must_stay_untouched_case() -> None:
    untouched = {rules[0] for case_id, rules, before, after in CASES if before == after}
    assert untouched == set(rule_ids())
