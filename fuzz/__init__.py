"""Fuzzing harness for keras-migrate's readers (issue 16).

Mutates the genuine legacy files in ``fixtures/`` with deterministic, replayable recipes,
runs each mutated input through the CLI in a child process under memory and time limits,
classifies the result and checks the CLI's output contract. See ``fuzz/README.md`` and
``docs/fuzzing.md``.
"""

from pathlib import Path

__all__ = ["ROOT"]

#: The repository root: seed paths in recipes are relative to it.
ROOT = Path(__file__).resolve().parent.parent
