"""Turn command-line paths into the list of files to upgrade.

Directories are walked honouring every ``.gitignore`` from the repository root down
(via :mod:`pathspec`, which implements git's matching rules) and skipping virtualenvs,
VCS folders and build output, which are never the user's code to migrate. Files named
explicitly are always taken: that is how pre-commit passes them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

import pathspec

from keras_migrate.errors import KerasMigrateError

__all__ = ["SKIP_DIRS", "iter_files"]

#: Directory names never descended into.
SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".tox",
        ".nox",
        ".venv",
        "venv",
        ".eggs",
        "__pycache__",
        "build",
        "dist",
        "site-packages",
        "node_modules",
        ".ipynb_checkpoints",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
    }
)


def _is_skipped_dir(path: Path) -> bool:
    name = path.name
    if name in SKIP_DIRS or name.endswith(".egg-info"):
        return True
    # any virtualenv, whatever it is called
    return (path / "pyvenv.cfg").is_file()


def _load_spec(directory: Path) -> pathspec.PathSpec | None:
    ignore = directory / ".gitignore"
    if not ignore.is_file():
        return None
    lines = ignore.read_text(encoding="utf-8", errors="replace").splitlines()
    return pathspec.GitIgnoreSpec.from_lines(lines)


def _ancestor_specs(directory: Path) -> list[tuple[Path, pathspec.PathSpec]]:
    """``.gitignore`` files above ``directory`` up to its repository root."""
    specs: list[tuple[Path, pathspec.PathSpec]] = []
    current = directory.resolve().parent
    start = directory.resolve()
    if (start / ".git").exists():
        return specs
    while True:
        spec = _load_spec(current)
        if spec is not None:
            specs.append((current, spec))
        if (current / ".git").exists() or current.parent == current:
            break
        current = current.parent
    if not (current / ".git").exists():
        return []  # not inside a repository: outer .gitignore files do not apply
    return specs[::-1]


def _ignored(path: Path, is_dir: bool, specs: list[tuple[Path, pathspec.PathSpec]]) -> bool:
    for base, spec in specs:
        try:
            rel = path.resolve().relative_to(base.resolve()).as_posix()
        except ValueError:
            continue
        if spec.match_file(rel + "/" if is_dir else rel):
            return True
    return False


def _walk(root: Path, suffixes: tuple[str, ...]) -> Iterator[Path]:
    base_specs = _ancestor_specs(root)
    stack: list[tuple[Path, list[tuple[Path, pathspec.PathSpec]]]] = [(root, base_specs)]
    while stack:
        directory, specs = stack.pop()
        own = _load_spec(directory)
        if own is not None:
            specs = [*specs, (directory, own)]
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError:
            continue
        subdirs: list[Path] = []
        for entry in entries:
            path = Path(entry.path)
            if entry.is_dir(follow_symlinks=False):
                if not _is_skipped_dir(path) and not _ignored(path, True, specs):
                    subdirs.append(path)
            elif entry.name.endswith(suffixes) and not _ignored(path, False, specs):
                yield path
        stack.extend((sub, specs) for sub in reversed(subdirs))


def iter_files(paths: Iterable[str], *, notebooks: bool = True) -> list[Path]:
    """Expand ``paths`` into a sorted, de-duplicated list of ``.py`` (and ``.ipynb``) files.

    Raises:
        KerasMigrateError: a path does not exist.
    """
    suffixes = (".py", ".ipynb") if notebooks else (".py",)
    found: dict[str, Path] = {}
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for file in _walk(path, suffixes):
                found.setdefault(os.path.normpath(file), file)
        elif path.is_file():
            if path.suffix == ".ipynb" and not notebooks:
                continue
            found.setdefault(os.path.normpath(path), path)
        else:
            raise KerasMigrateError("no such file or directory", path=raw)
    return [found[key] for key in sorted(found)]
