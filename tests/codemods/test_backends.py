"""Upgraded example scripts train for one short epoch on synthetic data on every backend.

Each backend runs in its own subprocess with ``KERAS_BACKEND`` set, executing all sample
scripts in one interpreter (importing a framework once, not once per script); two
backends run at a time so the suite stays within a 2-core budget.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.codemods.conftest import ROOT, run_cli

pytestmark = pytest.mark.backends

RUNNER = Path(__file__).resolve().parent / "run_scripts.py"
#: One script per source flavour and feature family; each trains for one short epoch.
SAMPLE = [
    "keras1/siamese_merge.py",  # merge modes, Model(input=), K.* -> keras.ops, RMSprop(lr)
    "keras1/custom_layer.py",  # Keras 1 layer signatures, add_weight order, removed classes
    "keras2/cifar10_cnn.py",  # fit_generator + Sequence, Adam(lr, decay) schedule, workers
    "tf_keras/custom_layer_ops.py",  # tf.* ops inside call()/losses/Lambda -> keras.ops
    "tf_keras/private_imports.py",  # tensorflow.python.keras imports, K.int_shape/K.eval
]
#: Every script that has no TensorFlow-only or removed API left after the upgrade.
FULL = [
    *SAMPLE,
    "keras1/mnist_cnn.py",
    "keras1/imdb_lstm.py",
]
BACKENDS = {"jax": "jax", "torch": "torch", "tensorflow": "tensorflow"}


def _available(backend: str) -> bool:
    return importlib.util.find_spec(BACKENDS[backend]) is not None


@pytest.fixture(scope="module")
def upgraded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("keras")
    import shutil

    from tests.codemods.conftest import EXAMPLES

    tree = tmp_path_factory.mktemp("upgraded") / "legacy_scripts"
    shutil.copytree(EXAMPLES, tree)
    assert run_cli(str(tree), "--write")[0] == 0
    return tree


def _launch(backend: str, scripts: list[Path]) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "KERAS_BACKEND": backend,
        "PYTHONPATH": str(ROOT),
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "CUDA_VISIBLE_DEVICES": "",
    }
    return subprocess.Popen(
        [sys.executable, str(RUNNER), *map(str, scripts)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def _collect(process: subprocess.Popen[str]) -> list[dict[str, object]]:
    out, _ = process.communicate(timeout=900)
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def _run_all(tree: Path, scripts: list[str]) -> dict[str, list[dict[str, object]]]:
    backends = [b for b in BACKENDS if _available(b)]
    if not backends:
        pytest.skip("no Keras backend installed")
    paths = [tree / s for s in scripts]
    results: dict[str, list[dict[str, object]]] = {}
    pending = list(backends)
    running: dict[str, subprocess.Popen[str]] = {}
    while pending or running:
        while pending and len(running) < 2:
            backend = pending.pop(0)
            running[backend] = _launch(backend, paths)
        backend = next(iter(running))
        results[backend] = _collect(running.pop(backend))
    return results


def _assert_all_passed(results: dict[str, list[dict[str, object]]], scripts: list[str]) -> None:
    for backend, runs in results.items():
        failures = {r["script"]: r["error"] for r in runs if not r["ok"]}
        assert not failures, f"{backend}: {failures}"
        assert len(runs) == len(scripts), f"{backend} stopped early: {runs}"
        assert {r["backend"] for r in runs} == {backend}


def test_sample_trains_on_every_backend(upgraded: Path) -> None:
    _assert_all_passed(_run_all(upgraded, SAMPLE), SAMPLE)


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("KERAS_MIGRATE_SLOW"), reason="set KERAS_MIGRATE_SLOW=1")
def test_all_runnable_scripts_train_on_every_backend(upgraded: Path) -> None:
    _assert_all_passed(_run_all(upgraded, FULL), FULL)
