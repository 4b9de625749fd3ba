"""The names the user's own code answers for, while a model is read (``--custom-objects``).

Readers parse configs as data and never import code; all they need to know is which class
names, activation names and Lambda layers the user supplied code for, so that those are
translated (into ``user>Class`` layers, activations by name, and
:data:`~keras_migrate.ir.user_code.USER_FUNCTION_LAYER` layers) instead of refused. The
loading of that code lives in ``keras_migrate.usercode``; it sets these names with
:func:`user_names` around a read.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

__all__ = ["UserNames", "current_user_names", "user_names"]


@dataclass(frozen=True, slots=True)
class UserNames:
    """``layers``: class names the user supplied (as configs name them); ``functions``:
    function names (activations, initializers...); ``lambdas``: Lambda layer name ->
    the registered name of the function replacing it."""

    layers: frozenset[str] = frozenset()
    functions: frozenset[str] = frozenset()
    lambdas: Mapping[str, str] = field(default_factory=dict)


_NONE = UserNames()
_NAMES: ContextVar[UserNames | None] = ContextVar("keras_migrate_user_names", default=None)


def current_user_names() -> UserNames:
    return _NAMES.get() or _NONE


@contextmanager
def user_names(
    layers: Iterable[str] = (), functions: Iterable[str] = (), lambdas: Mapping[str, str] | None = None
) -> Iterator[UserNames]:
    """Read models with these user-supplied names (restored on exit)."""
    names = UserNames(frozenset(layers), frozenset(functions), dict(lambdas or {}))
    token = _NAMES.set(names)
    try:
        yield names
    finally:
        _NAMES.reset(token)
