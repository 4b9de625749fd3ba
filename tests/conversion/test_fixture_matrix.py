"""Every legacy fixture converts through the CLI and matches the original outputs.

For each fixture (made by genuine legacy Keras, with the original software's outputs
stored beside it), in both forms (full ``.h5``; architecture JSON + weights ``.h5``):
the numpy interpreter must reproduce the stored outputs, and the converted ``.keras``
must reproduce them on jax, torch and tensorflow (rtol 1e-4, atol 1e-5). Each backend
runs in one subprocess over all converted models.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from keras_migrate.cli import main as cli_main
from keras_migrate.formats import load
from keras_migrate.ir.interpreter import run_graph
from keras_migrate.verification import available_backends
from tests.conversion._backend_runs import (
    BACKENDS,
    Job,
    assert_backend_result,
    assert_outputs,
    run_all_backends,
    run_jobs,
)
from tests.conversion._fixture_cases import Case, discover, source_model

GENERATIONS = ("keras-2.0.8", "keras-2.2.4", "tf-keras-2.21")
#: Every fixture, Lambda models included (recovered without running their code).
CASES = discover(GENERATIONS)
#: Kept for modules importing them from here (tests/conversion/test_applications.py).
_assert_outputs = assert_outputs
__all__ = ["BACKENDS", "_assert_outputs"]


@pytest.fixture(scope="session")
def converted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path | None, str]]:
    """Convert every case through the CLI once: id -> (output path or None, error text)."""
    out_dir = tmp_path_factory.mktemp("converted")
    results: dict[str, tuple[Path | None, str]] = {}
    for case in CASES:
        out = out_dir / (case.id.replace("/", "__") + ".keras")
        argv = ["convert", str(case.model), "-o", str(out)]
        if case.weights is not None:
            argv += ["--weights", str(case.weights)]
        code = cli_main(argv)
        results[case.id] = (out if code == 0 and out.exists() else None, f"exit code {code}")
    return results


def _jobs(converted: dict[str, tuple[Path | None, str]]) -> list[Job]:
    jobs = []
    for case in CASES:
        path, _ = converted[case.id]
        if path is None:
            continue
        model = source_model(case)
        ins, _ = case.arrays()
        jobs.append(Job(case.id, path, tuple(ins), tuple(model.graph.inputs), model.graph.input_structure))
    return jobs


_backend_cache: dict[str, dict[str, dict]] = {}


@pytest.fixture(scope="session")
def backend_results(converted, tmp_path_factory):
    """Every converted model under every installed backend, the backends' processes at once
    (started by the first backend test: one process per backend over all models)."""

    def get(backend: str) -> dict[str, dict]:
        if not _backend_cache:
            backends = [b for b in BACKENDS if b in available_backends()]
            _backend_cache.update(run_all_backends(run_jobs, backends, _jobs(converted), tmp_path_factory.mktemp("runs")))
        return _backend_cache[backend]

    return get


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_numpy_interpreter_matches_original(case: Case) -> None:
    model = load(str(case.model), weights=str(case.weights) if case.weights else None)
    ins, outs = case.arrays()
    result = run_graph(model.graph, ins)
    from keras_migrate.ir.graph import flatten_structure

    assert_outputs(flatten_structure(result) if not isinstance(result, np.ndarray) else [result], outs, model)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_converts_through_cli(case: Case, converted) -> None:
    path, err = converted[case.id]
    assert path is not None, f"conversion failed: {err}"


@pytest.mark.backends
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_converted_matches_original(case: Case, backend: str, converted, backend_results) -> None:
    if backend not in available_backends():
        pytest.skip(f"{backend} is not installed")
    path, err = converted[case.id]
    assert path is not None, f"conversion failed: {err}"
    res = backend_results(backend)[case.id]
    ins, outs = case.arrays()
    assert_backend_result(res, backend, ins, outs, source_model(case))
