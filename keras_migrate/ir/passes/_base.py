"""A small pass framework: passes are functions from a model to a new model.

IR records are immutable, so every pass is functional: it returns a :class:`PassResult`
holding a (possibly) new model and whether anything changed. :class:`PassManager` runs a
list of passes, optionally repeating until nothing changes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from keras_migrate.ir.graph import Model

__all__ = ["Pass", "PassManager", "PassResult", "function_pass"]


@dataclass(frozen=True, slots=True)
class PassResult:
    model: Model
    modified: bool


class Pass:
    """Base class: subclasses implement :meth:`run`; ``name`` appears in reports."""

    name = "pass"

    def run(self, model: Model) -> PassResult:
        raise NotImplementedError

    def __call__(self, model: Model) -> PassResult:
        return self.run(model)


class _FunctionPass(Pass):
    def __init__(self, fn: Callable[[Model], Model], name: str) -> None:
        self._fn = fn
        self.name = name

    def run(self, model: Model) -> PassResult:
        new = self._fn(model)
        return PassResult(new, new is not model)


def function_pass(fn: Callable[[Model], Model]) -> Pass:
    """Wrap ``model -> model`` as a pass (modified iff it returns a different object)."""
    return _FunctionPass(fn, fn.__name__)


class PassManager:
    """Run passes in order, ``steps`` times at most, stopping early once none modifies."""

    def __init__(self, passes: Sequence[Pass], steps: int = 1) -> None:
        self.passes = list(passes)
        self.steps = steps

    def __call__(self, model: Model) -> PassResult:
        modified_any = False
        for _ in range(self.steps):
            modified = False
            for p in self.passes:
                result = p(model)
                model = result.model
                modified = modified or result.modified
            modified_any = modified_any or modified
            if not modified:
                break
        return PassResult(model, modified_any)
