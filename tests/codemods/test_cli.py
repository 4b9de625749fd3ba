"""The ``upgrade`` command: modes, exit codes, reports, failures, selection, file handling."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from keras_migrate.errors import EXIT_INPUT, EXIT_MISMATCH, EXIT_OK
from tests.codemods.conftest import DATA, ROOT, run_cli

LEGACY = "from keras.models import Sequential\nmodel = Sequential()\nmodel.fit(x, y, nb_epoch=2)\n"
MODERN = "import keras\nmodel = keras.Sequential()\nmodel.fit(x, y, epochs=2)\n"


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_diff_is_default_and_writes_nothing(tmp_path: Path) -> None:
    path = _write(tmp_path / "train.py", LEGACY)
    code, out = run_cli(str(path), "--jobs", "1")
    assert code == EXIT_MISMATCH
    assert "-model.fit(x, y, nb_epoch=2)" in out and "+model.fit(x, y, epochs=2)" in out
    assert path.read_text(encoding="utf-8") == LEGACY


def test_check_mode(tmp_path: Path) -> None:
    path = _write(tmp_path / "train.py", LEGACY)
    code, out = run_cli(str(path), "--check", "--jobs", "1")
    assert code == EXIT_MISMATCH
    assert f"would rewrite {path}" in out
    assert path.read_text(encoding="utf-8") == LEGACY
    assert run_cli(str(_write(tmp_path / "ok.py", MODERN)), "--check")[0] == EXIT_OK


def test_write_then_check_is_clean(tmp_path: Path) -> None:
    path = _write(tmp_path / "train.py", LEGACY)
    assert run_cli(str(path), "--write", "--jobs", "1")[0] == EXIT_OK
    assert "epochs=2" in path.read_text(encoding="utf-8")
    assert run_cli(str(path), "--check", "--jobs", "1")[0] == EXIT_OK


def test_write_preserves_mode_line_endings_and_encoding(tmp_path: Path) -> None:
    path = tmp_path / "run.py"
    raw = "#!/usr/bin/env python\r\n# -*- coding: latin-1 -*-\r\nfrom keras.layers import Dense\r\nx = 'é'\r\nd = Dense(output_dim=2)\r\n"
    path.write_bytes(raw.encode("latin-1"))
    path.chmod(0o751)
    assert run_cli(str(path), "--write", "--jobs", "1")[0] == EXIT_OK
    data = path.read_bytes()
    assert data == raw.replace("output_dim", "units").encode("latin-1")
    assert stat.S_IMODE(path.stat().st_mode) == 0o751
    assert not list(tmp_path.glob("*.km-tmp"))


def test_symlink_is_kept(tmp_path: Path) -> None:
    target = _write(tmp_path / "real.py", LEGACY)
    link = tmp_path / "link.py"
    link.symlink_to(target)
    assert run_cli(str(link), "--write", "--jobs", "1")[0] == EXIT_OK
    assert link.is_symlink()
    assert "epochs=2" in target.read_text(encoding="utf-8")


def test_parse_failure_is_reported_and_run_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy(DATA / "py2_legacy.py2", tmp_path / "a_py2.py")
    good = _write(tmp_path / "b.py", LEGACY)
    code, _ = run_cli(str(tmp_path), "--write", "--jobs", "1")
    assert code == EXIT_OK
    assert "epochs=2" in good.read_text(encoding="utf-8")
    err = capsys.readouterr().err
    assert "a_py2.py" in err and "cannot parse" in err and "line 5" in err
    assert (tmp_path / "a_py2.py").read_bytes() == (DATA / "py2_legacy.py2").read_bytes()


def test_prefilter_skips_files_without_keras(tmp_path: Path) -> None:
    _write(tmp_path / "plain.py", "def f(x, nb_epoch=1):\n    return x\n")
    report = tmp_path / "r.json"
    assert run_cli(str(tmp_path), "--check", "--report", str(report))[0] == EXIT_OK
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["summary"]["skipped (no keras/tensorflow)"] == 1


@pytest.mark.parametrize(
    "argv",
    [
        ("missing_dir",),
        ("{tmp}", "--select", "no-such-rule"),
        ("{tmp}", "--report", "{tmp}/r.txt"),
        ("{tmp}", "--jobs", "-3"),
        ("{tmp}", "--diff", "--check"),
        (),
    ],
)
def test_usage_errors_exit_2(tmp_path: Path, argv: tuple[str, ...]) -> None:
    _write(tmp_path / "a.py", LEGACY)
    args = [a.format(tmp=tmp_path) for a in argv]
    if args and args[0] == "missing_dir":
        args[0] = str(tmp_path / "missing_dir")
    assert run_cli(*args)[0] == EXIT_INPUT


def test_select_and_ignore(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "a.py",
        "from keras.optimizers import SGD\nmodel.fit(x, nb_epoch=1)\ns = SGD(lr=1)\n",
    )
    _, out = run_cli(str(path), "--select", "training", "--jobs", "1")
    assert "+model.fit(x, epochs=1)" in out and "learning_rate" not in out
    _, out = run_cli(str(path), "--ignore", "training,imports", "--jobs", "1")
    assert "epochs" not in out and "learning_rate=1" in out


def test_json_and_markdown_reports(tmp_path: Path) -> None:
    _write(
        tmp_path / "a.py",
        "from keras import backend as K\nf = K.function([a], [b])\nmodel.fit(x, nb_epoch=1)\n",
    )
    report = tmp_path / "report.json"
    run_cli(str(tmp_path), "--check", "--report", str(report), "--jobs", "1")
    data = json.loads(report.read_text(encoding="utf-8"))
    (entry,) = data["files"]
    assert entry["changes"] == [{"rule": "training", "line": 3, "message": "nb_epoch -> epochs"}]
    assert entry["follow_ups"][0]["rule"] == "backend" and entry["follow_ups"][0]["line"] == 2
    md = tmp_path / "report.md"
    run_cli(str(tmp_path), "--check", "--report", str(md), "--jobs", "1")
    text = md.read_text(encoding="utf-8")
    assert "**follow-up** `backend`" in text and "a.py:line 2" in text


def test_parallel_jobs_match_serial(tmp_path: Path) -> None:
    for i in range(6):
        _write(tmp_path / f"s{i}.py", LEGACY.replace("nb_epoch=2", f"nb_epoch={i}"))
    serial = run_cli(str(tmp_path), "--jobs", "1")[1]
    parallel = run_cli(str(tmp_path), "--jobs", "2")[1]
    assert serial == parallel and serial.count("+++ ") == 6


def test_list_rules() -> None:
    code, out = run_cli("--list-rules")
    assert code == EXIT_OK and "imports" in out and "tf-ops" in out


def test_cli_module_import_is_light() -> None:
    """`keras-migrate --help` imports the command module: no libcst, no framework."""
    code = (
        "import sys\n"
        "import keras_migrate.codemods.cli\n"
        "heavy = {'libcst', 'tensorflow', 'torch', 'jax', 'keras', 'rich', 'nbformat'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    ).stdout.strip()
    assert out == "[]"


def test_main_cli_entry_point(tmp_path: Path) -> None:
    main_cli = pytest.importorskip("keras_migrate.cli")
    path = _write(tmp_path / "a.py", LEGACY)
    assert main_cli.main(["upgrade", str(path), "--check"]) == EXIT_MISMATCH
    assert main_cli.main(["upgrade", str(path), "--select", "nope"]) == EXIT_INPUT
