"""Register compat layers the moment Keras finishes importing, without importing it first.

A meta-path finder intercepts the import of the top-level ``keras`` package, lets the real
loader run, then calls the function given to :func:`install`
(:func:`keras_migrate.compat.register`, passed in by
:func:`keras_migrate.compat.install_hook`, so this module does not import its package
back). This keeps ``import keras_migrate`` (and so the CLI's start-up) free of any
framework import.
"""

from __future__ import annotations

import importlib.machinery
import sys
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import importlib.abc

__all__ = ["install"]


# Plain classes, not subclasses of importlib.abc's Loader and MetaPathFinder: the import
# system only calls the methods below, and importing importlib.abc pulls in
# importlib.resources (10-40 ms) at every start of the CLI.
class _Loader:
    def __init__(self, inner: importlib.abc.Loader, on_import: Callable[[], None]) -> None:
        self._inner = inner
        self._on_import = on_import

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self._inner.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self._inner.exec_module(module)
        self._on_import()


class _Finder:
    def __init__(self, on_import: Callable[[], None]) -> None:
        self._on_import = on_import

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        if fullname != "keras":
            return None
        sys.meta_path.remove(self)
        try:
            spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        finally:
            pass
        if spec is None or spec.loader is None:
            return spec
        spec.loader = _Loader(spec.loader, self._on_import)  # type: ignore[assignment]  # duck-typed loader
        return spec


def install(on_import: Callable[[], None]) -> None:
    """Call ``on_import`` once ``keras`` is imported: install the finder once (idempotent)."""
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.insert(0, _Finder(on_import))
