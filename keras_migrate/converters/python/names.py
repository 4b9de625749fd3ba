"""Unique Python identifiers for generated code, derived from layer and value names.

Layer and value names may hold any character (``dense/1``, ``2nd``, ``lambda``); the
generated module needs valid, distinct identifiers that still read like the names.
"""

from __future__ import annotations

import builtins
import keyword
import re

__all__ = ["Namer"]


class Namer:
    """Unique Python identifiers derived from layer and value names."""

    def __init__(self, reserved: set[str]) -> None:
        self.used = set(reserved)

    def take(self, base: str) -> str:
        """A fresh identifier like ``base`` (``dense/1`` -> ``dense_1``, then ``dense_1_2``)."""
        name = re.sub(r"\W", "_", base) or "x"
        if name[0].isdigit():
            name = f"x_{name}"
        if keyword.iskeyword(name) or hasattr(builtins, name):
            name += "_"
        candidate, k = name, 2
        while candidate in self.used:
            candidate = f"{name}_{k}"
            k += 1
        self.used.add(candidate)
        return candidate
