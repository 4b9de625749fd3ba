"""Import one user file or module, upgrading legacy Keras source with the project's codemods.

Keras 3 code is imported as it is. Legacy Keras 2 / tf.keras code (``from
keras.engine.topology import Layer``, ``K.*`` calls...) is upgraded in memory by the same
rules ``keras-migrate upgrade`` runs; the upgraded text is written to a temporary directory
and imported from there, so the user's file is never changed. Every rewrite and every
follow-up the codemods flag is returned as a note, because the user's code now runs in a
form the user has not read.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from keras_migrate.errors import KerasMigrateError

__all__ = ["LoadedModule", "import_user_module", "upgrade_source"]


@dataclass(frozen=True, slots=True)
class LoadedModule:
    module: ModuleType
    #: The file or module name the user gave.
    origin: str
    #: The source as imported (upgraded if it was legacy code).
    source: str
    notes: tuple[str, ...]


def upgrade_source(path: str) -> tuple[str, tuple[str, ...]]:
    """``(text to import, notes)`` for a user file: the codemods' output if they changed it."""
    from keras_migrate.codemods.records import Status
    from keras_migrate.codemods.rules import all_rules
    from keras_migrate.codemods.runner import Options, process_file

    result = process_file(path, Options(rules=tuple(r.id for r in all_rules())))
    if result.status == Status.FAILED:
        raise KerasMigrateError(f"{path}: the custom-objects file could not be upgraded: {result.error}",
                                hint="fix the file, or upgrade it with `keras-migrate upgrade` first")  # fmt: skip
    notes = tuple(f"custom objects {path}:{c.location.line}: rewritten ({c.rule}): {c.message}" for c in result.changes)
    notes += tuple(f"custom objects {path}:{f.location.line}: follow-up ({f.rule}): {f.message}" for f in result.follow_ups)
    text = result.new_bytes.decode("utf-8") if result.new_bytes is not None else Path(path).read_text(encoding="utf-8")
    return text, notes


def _locate(spec: str) -> tuple[str, str]:
    """``(module name, file)`` for a path or a dotted module name."""
    if spec.endswith(".py") or os.sep in spec or os.path.isfile(spec):
        if not os.path.isfile(spec):
            raise KerasMigrateError(f"{spec}: no such custom-objects file", hint="--custom-objects takes a .py file or a module name")
        return Path(spec).stem, spec
    try:
        found = importlib.util.find_spec(spec)
    except (ImportError, ValueError):
        found = None
    if found is None or not found.origin or not found.origin.endswith(".py"):
        raise KerasMigrateError(f"{spec}: no such custom-objects module (or it has no Python source)",
                                hint="--custom-objects takes a .py file or an importable module name")  # fmt: skip
    return spec, found.origin


def import_user_module(spec: str) -> LoadedModule:
    """Import the user's ``spec`` (a ``.py`` path or a dotted module name), upgraded."""
    name, path = _locate(spec)
    if "keras" not in sys.modules:
        os.environ.setdefault("KERAS_BACKEND", "numpy")  # the reference runs user code on Keras 3's numpy backend
    text, notes = upgrade_source(path)
    tmp = tempfile.mkdtemp(prefix="keras_migrate_user_")
    upgraded = os.path.join(tmp, os.path.basename(path))
    Path(upgraded).write_text(text, encoding="utf-8")
    loader_spec = importlib.util.spec_from_file_location(name, upgraded)
    if loader_spec is None or loader_spec.loader is None:
        raise KerasMigrateError(f"{spec}: cannot import", hint="--custom-objects takes a .py file or a module name")
    module = importlib.util.module_from_spec(loader_spec)
    module.__dict__["__user_source__"] = text
    sys.modules[name] = module
    try:
        loader_spec.loader.exec_module(module)
    except Exception as exc:  # the user's code failing is reported as one line
        sys.modules.pop(name, None)
        raise KerasMigrateError(f"{spec}: importing the custom-objects file failed: {type(exc).__name__}: {exc}",
                                hint="the file runs as Keras 3 code after its upgrade; fix it or pass a Keras 3 version") from exc  # fmt: skip
    origin = os.path.abspath(spec) if path == spec else spec  # workers in other directories import it too
    return LoadedModule(module, origin, text, notes)
