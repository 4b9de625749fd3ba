"""One-line recipes: every fuzzed input is rebuilt from a string, so any failure is replayable.

A recipe is ``MUTATOR:SEED:key=value:key=value``, e.g.
``h5-bitflip:fixtures/keras-2.2.4/conv.h5:seed=17:n=8``. ``SEED`` is a path relative to the
repository root (never containing ``:``); the parameters are the mutator's knobs plus ``seed``
(the random seed of the mutation) and ``cmd`` (which CLI command runs the input).
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["COMMANDS", "Recipe", "RecipeError"]

#: How the CLI is driven for an input: convert to each output kind, or inspect as JSON.
COMMANDS = ("keras", "inspect", "onnx", "py")


class RecipeError(ValueError):
    """A recipe string that does not parse."""


@dataclass(frozen=True, slots=True)
class Recipe:
    """A mutator applied to a seed file with fixed parameters."""

    mutator: str
    seed_path: str
    params: tuple[tuple[str, str], ...] = field(default=())

    @classmethod
    def parse(cls, text: str) -> Recipe:
        """Parse ``MUTATOR:SEED:k=v:...`` (the inverse of :meth:`__str__`)."""
        parts = text.strip().split(":")
        if len(parts) < 2 or not parts[0] or not parts[1]:
            raise RecipeError(f"not a recipe (MUTATOR:SEED:k=v...): {text!r}")
        params = []
        for item in parts[2:]:
            key, sep, value = item.partition("=")
            if not sep or not key:
                raise RecipeError(f"recipe parameter {item!r} is not key=value")
            params.append((key, value))
        return cls(parts[0], parts[1], tuple(params))

    @classmethod
    def make(cls, mutator: str, seed_path: str, **params: object) -> Recipe:
        """Build a recipe; parameters keep their given order so the string is stable."""
        return cls(mutator, seed_path, tuple((k, str(v)) for k, v in params.items()))

    def __str__(self) -> str:
        return ":".join([self.mutator, self.seed_path, *(f"{k}={v}" for k, v in self.params)])

    def get(self, key: str, default: str | None = None) -> str | None:
        """The value of parameter ``key``."""
        return dict(self.params).get(key, default)

    def number(self, key: str, default: int = 0) -> int:
        """Parameter ``key`` as an integer."""
        value = self.get(key)
        return default if value is None else int(value)

    @property
    def command(self) -> str:
        """The CLI command this input runs under (``keras`` unless ``cmd=`` says otherwise)."""
        cmd = self.get("cmd", "keras") or "keras"
        if cmd not in COMMANDS:
            raise RecipeError(f"unknown cmd={cmd!r}; one of {', '.join(COMMANDS)}")
        return cmd
