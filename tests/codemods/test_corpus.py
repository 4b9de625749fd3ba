"""Issue 14's acceptance check on the corpus of realistic legacy projects (tests/codemods/corpus).

Static: ``upgrade --write`` breaks no file, a second run changes nothing, >= 95% of the legacy
idioms are rewritten or flagged, every remaining ``keras.*`` name exists in Keras 3 or carries
a follow-up. Executed: each upgraded entry runs on jax, torch and tensorflow (one subprocess
per backend running every entry) and returns the numbers the ORIGINAL code returned on the
legacy software (``corpus/references/*.npz``, written by ``corpus/generate_references.py``),
rtol 1e-4, atol 1e-5; where old Keras' graph-mode training itself varied between runs, any of
the legacy outcomes counts (see generate_references.py).
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.codemods.conftest import ROOT, run_cli
from tests.codemods.corpus.idioms import code_chunks, count_idioms
from tests.codemods.corpus.inventory import ALL, PROJECTS, REFERENCES
from tests.codemods.corpus.run_corpus import result_name

RUNNER = PROJECTS.parent / "run_corpus.py"
BACKENDS = ("jax", "torch", "tensorflow")
RTOL, ATOL = 1e-4, 1e-5
#: Outputs known to differ from the legacy software, with the reason. The test asserts
#: they STILL differ (remove the entry once fixed) and that everything else matches.
KNOWN_DIFFERENCES: dict[str, str] = {
    # Standalone Keras 2.2.4 updated BatchNormalization's moving mean/variance with
    # assign_moving_average(..., zero_debias=True): after a few steps the moving statistics
    # are the de-biased batch statistics, not 0.99 * initial + 0.01 * batch as in Keras 3.
    # Training losses match; inference after 12 steps (evaluate_generator, predictions:
    # moving statistics) does not.
    # No Keras 3 option reproduces it; the gap closes as training goes on. The upgrade
    # says so on the layer (rules/layers.py ZERO_DEBIAS_NOTE; checked below).
    "k2_generators__train": "val_loss preds classes",
}
#: Entries that cannot run after the upgrade until a human applies the follow-up.
NEEDS_FOLLOW_UP: dict[str, str] = {}


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.suffix in (".py", ".ipynb"))


@pytest.fixture(scope="module")
def upgraded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    pytest.importorskip("keras")
    tree = tmp_path_factory.mktemp("corpus") / "projects"
    shutil.copytree(PROJECTS, tree)
    report = tree.parent / "report.json"
    code, _ = run_cli(str(tree), "--write", "--jobs", "1", "--report", str(report))
    assert code == 0
    return tree, json.loads(report.read_text(encoding="utf-8"))


def test_inventory_matches_the_sources() -> None:
    found = {p.name for p in PROJECTS.iterdir() if p.is_dir() and not p.name.startswith(".")}
    assert {p.name for p in ALL} == found
    for project in ALL:
        found = sum(
            count_idioms(chunk)[0]
            for path in _files(PROJECTS / project.name)
            for chunk in code_chunks(path)
        )
        assert found == project.idioms, project.name
        for entry in project.entry_paths:
            assert (REFERENCES / f"{result_name(entry)}.npz").is_file(), entry


def test_upgrade_breaks_nothing_and_is_idempotent(upgraded: tuple[Path, dict[str, object]]) -> None:
    tree, report = upgraded
    files = report["files"]
    assert isinstance(files, list)
    assert [f["path"] for f in files if f["status"] == "failed"] == []
    for path in _files(tree):
        for chunk in code_chunks(path):  # notebooks: still valid nbformat, cells parse
            ast.parse(chunk)
    uncovered = [
        (f["path"], m["name"]) for f in files for m in f["missing_names"]
        if not m["covered_by_follow_up"]
    ]
    assert uncovered == []
    before = {p: p.read_bytes() for p in _files(tree)}
    assert run_cli(str(tree), "--check", "--jobs", "1")[0] == 0
    assert run_cli(str(tree), "--write", "--jobs", "1")[0] == 0
    assert {p: p.read_bytes() for p in _files(tree)} == before


def test_known_differences_carry_their_follow_up(upgraded: tuple[Path, dict[str, object]]) -> None:
    """The pinned k2_generators difference (Keras 2.2.4's zero-debiased BatchNormalization
    statistics) is named on the layer in the upgraded code, as users see it."""
    from keras_migrate.codemods.rules.layers import ZERO_DEBIAS_NOTE

    tree, _ = upgraded
    text = (tree / "k2_generators" / "model.py").read_text(encoding="utf-8")
    assert f"# keras-migrate: {ZERO_DEBIAS_NOTE}\n    model.add(BatchNormalization())" in text


def test_legacy_idioms_are_rewritten_or_flagged(upgraded: tuple[Path, dict[str, object]]) -> None:
    tree, _ = upgraded
    total = sum(p.idioms for p in ALL)
    left = {
        p.name: sum(
            count_idioms(chunk)[1] for path in _files(tree / p.name) for chunk in code_chunks(path)
        )
        for p in ALL
    }
    handled = 1 - sum(left.values()) / total
    assert handled >= 0.95, (handled, left)


def _launch(backend: str, entries: list[Path], out: Path) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "KERAS_BACKEND": backend,
        "PYTHONPATH": str(ROOT),
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "CUDA_VISIBLE_DEVICES": "",
    }
    return subprocess.Popen(
        [sys.executable, str(RUNNER), "--flavour", "keras3", "--out", str(out / backend),
         *map(str, entries)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )


def _mismatches(name: str, produced: Path) -> list[str]:
    reference = np.load(REFERENCES / f"{name}.npz")
    result = np.load(produced)
    bad = []
    for key in reference.files:
        if "__" in key:
            continue  # alt<i>__<key>: another outcome of a legacy run
        got = result[key].astype(np.float64) if key in result.files else None
        outcomes = [reference[key]] + [
            reference[k] for k in reference.files if k.endswith(f"__{key}")
        ]
        if got is None or not any(
            got.shape == want.shape
            and np.allclose(got, want.astype(np.float64), rtol=RTOL, atol=ATOL)
            for want in outcomes
        ):
            bad.append(key)
    return bad


@pytest.mark.backends
def test_upgraded_corpus_reproduces_the_legacy_outputs(
    upgraded: tuple[Path, dict[str, object]], tmp_path: Path
) -> None:
    tree, _ = upgraded
    backends = [b for b in BACKENDS if importlib.util.find_spec(b) is not None]
    if not backends:
        pytest.skip("no Keras backend installed")
    entries = [tree / p.name / e for p in ALL for e in p.entries]
    records: dict[str, list[dict[str, object]]] = {}
    pending, running = list(backends), {}
    while pending or running:  # two backends at a time: a 2-core budget
        while pending and len(running) < 2:
            backend = pending.pop(0)
            running[backend] = _launch(backend, entries, tmp_path)
        backend = next(iter(running))
        out, _ = running.pop(backend).communicate(timeout=1800)
        records[backend] = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    problems = []
    for backend, runs in records.items():
        assert len(runs) == len(entries), f"{backend} stopped early: {runs}"
        for run in runs:
            name = str(run["entry"])
            if name in NEEDS_FOLLOW_UP:
                assert not run["ok"], f"{name} now runs on {backend}: drop it from NEEDS_FOLLOW_UP"
                continue
            if not run["ok"]:
                problems.append(f"{backend} {name}: {run['error']}")
                continue
            bad = _mismatches(name, tmp_path / backend / f"{name}.npz")
            known = KNOWN_DIFFERENCES.get(name, "").split()
            if sorted(bad) != sorted(known):
                problems.append(f"{backend} {name}: differs in {bad}, known {known}")
    assert problems == [], "\n".join(problems)
