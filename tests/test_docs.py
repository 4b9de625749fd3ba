"""Every Python example in docs/ir.md and docs/api.md runs (in order, one namespace per page)."""

from __future__ import annotations

import re

from tests.conftest import FIXTURES, ROOT


def _run_examples(page: str, min_blocks: int) -> None:
    text = (ROOT / "docs" / page).read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) >= min_blocks
    namespace: dict = {"FIXTURES": str(FIXTURES)}
    for i, block in enumerate(blocks):
        try:
            exec(compile(block, f"docs/{page}[block {i}]", "exec"), namespace)
        except Exception as exc:  # pragma: no cover - the message says which block
            raise AssertionError(f"docs/{page} example {i} failed: {exc!r}\n{block}") from exc


def test_ir_doc_examples_run(capsys) -> None:
    _run_examples("ir.md", 8)
    assert "dense_1@1" in capsys.readouterr().out


def test_api_doc_examples_run(capsys) -> None:
    _run_examples("api.md", 7)
    out = capsys.readouterr().out
    assert "output already exists" in out  # the refusal example printed its message
    assert "True jax True None" in out  # the verification example ran a backend and matched
