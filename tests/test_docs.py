"""Every Python example in docs/ir.md runs (in order, sharing one namespace)."""

from __future__ import annotations

import re

from tests.conftest import FIXTURES, ROOT


def test_ir_doc_examples_run(capsys) -> None:
    text = (ROOT / "docs" / "ir.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) >= 8
    namespace: dict = {"FIXTURES": str(FIXTURES)}
    for i, block in enumerate(blocks):
        try:
            exec(compile(block, f"docs/ir.md[block {i}]", "exec"), namespace)
        except Exception as exc:  # pragma: no cover - the message says which block
            raise AssertionError(f"docs/ir.md example {i} failed: {exc!r}\n{block}") from exc
    assert "dense_1@1" in capsys.readouterr().out
