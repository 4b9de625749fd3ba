"""Which files a directory expands to: .gitignore, virtualenvs and build output."""

from __future__ import annotations

from pathlib import Path

from keras_migrate.codemods.discovery import iter_files


def _touch(path: Path, text: str = "import keras\n") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_gitignore_venv_and_build_are_skipped(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    _touch(tmp_path / ".gitignore", "ignored_dir/\n*.gen.py\n!keep.gen.py\n")
    _touch(tmp_path / "src" / "train.py")
    _touch(tmp_path / "src" / "nb.ipynb", "{}")
    _touch(tmp_path / "src" / "auto.gen.py")
    _touch(tmp_path / "src" / "keep.gen.py")
    _touch(tmp_path / "ignored_dir" / "x.py")
    _touch(tmp_path / "build" / "lib" / "y.py")
    _touch(tmp_path / "myenv" / "pyvenv.cfg", "home = /usr\n")
    _touch(tmp_path / "myenv" / "lib" / "z.py")
    _touch(tmp_path / "pkg.egg-info" / "w.py")
    _touch(tmp_path / "sub" / ".gitignore", "local.py\n")
    _touch(tmp_path / "sub" / "local.py")
    _touch(tmp_path / "sub" / "kept.py")
    found = {p.relative_to(tmp_path).as_posix() for p in iter_files([str(tmp_path)])}
    assert found == {"src/train.py", "src/nb.ipynb", "src/keep.gen.py", "sub/kept.py"}
    without_nb = {p.name for p in iter_files([str(tmp_path)], notebooks=False)}
    assert "nb.ipynb" not in without_nb


def test_explicit_file_is_always_taken(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    _touch(tmp_path / ".gitignore", "*.py\n")
    _touch(tmp_path / "a.py")
    assert iter_files([str(tmp_path / "a.py")]) == [tmp_path / "a.py"]
    assert iter_files([str(tmp_path)]) == []


def test_parent_gitignore_applies_inside_repository(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    _touch(tmp_path / ".gitignore", "generated/\n")
    _touch(tmp_path / "proj" / "generated" / "g.py")
    _touch(tmp_path / "proj" / "ok.py")
    assert [p.name for p in iter_files([str(tmp_path / "proj")])] == ["ok.py"]
