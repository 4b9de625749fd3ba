"""Every legacy fixture converts through the CLI and matches the original outputs.

For each fixture (made by genuine legacy Keras, with the original software's outputs
stored beside it), in both forms (full ``.h5``; architecture JSON + weights ``.h5``):
the numpy interpreter must reproduce the stored outputs, and the converted ``.keras``
must reproduce them on jax, torch and tensorflow (rtol 1e-4, atol 1e-5). Each backend
runs in one subprocess over all converted models.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from keras_migrate.cli import main as cli_main
from keras_migrate.formats import load
from keras_migrate.ir.interpreter import run_graph
from keras_migrate.verify import available_backends
from tests.conversion._fixture_cases import Case, discover

RTOL, ATOL = 1e-4, 1e-5
GENERATIONS = ("keras-2.0.8", "keras-2.2.4", "tf-keras-2.21")
CASES = [c for c in discover(GENERATIONS) if not c.uses_lambda]
LAMBDA_CASES = [c for c in discover(GENERATIONS) if c.uses_lambda and c.form == "h5"]
BACKENDS = ("jax", "torch", "tensorflow")


def _assert_outputs(actual: list[np.ndarray], expected: list[np.ndarray]) -> None:
    assert len(actual) == len(expected), f"{len(actual)} outputs, expected {len(expected)}"
    for i, (a, e) in enumerate(zip(actual, expected)):
        np.testing.assert_allclose(np.asarray(a), e, rtol=RTOL, atol=ATOL, err_msg=f"output {i}")


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


def _digest(path: Path) -> str:
    """Content of a .keras archive that decides its outputs: config and weight arrays."""
    import hashlib
    import io
    import zipfile

    import h5py

    h = hashlib.sha256()
    with zipfile.ZipFile(path) as zf:
        h.update(zf.read("config.json"))
        with h5py.File(io.BytesIO(zf.read("model.weights.h5")), "r") as f:
            f.visititems(lambda n, o: h.update(n.encode() + np.asarray(o).tobytes()) if isinstance(o, h5py.Dataset) else None)
    return h.hexdigest()


def _same_as_h5_form(case: Case, converted: dict[str, tuple[Path | None, str]]) -> str | None:
    """The h5 form's id when this JSON-form conversion produced an identical model."""
    if case.form != "json":
        return None
    twin = f"{case.generation}/{case.name}/h5"
    a, b = converted.get(case.id, (None, ""))[0], converted.get(twin, (None, ""))[0]
    if a is not None and b is not None and _digest(a) == _digest(b):
        return twin
    return None


def _run_backend(backend: str, converted: dict[str, tuple[Path | None, str]], work: Path) -> dict[str, dict]:
    jobs = []
    aliases = {}
    for case in CASES:
        path, _ = converted[case.id]
        if path is None:
            continue
        twin = _same_as_h5_form(case, converted)
        if twin is not None:
            # Identical config and weights: the h5 form's run stands for both forms.
            aliases[case.id] = twin
            continue
        model = load(str(case.model), weights=str(case.weights) if case.weights else None)
        ins, _ = case.arrays()
        stem = work / case.id.replace("/", "__")
        np.savez(f"{stem}.in.npz", **{f"input_{i}": a for i, a in enumerate(ins)})
        jobs.append(
            {
                "id": case.id,
                "model": str(path),
                "inputs": f"{stem}.in.npz",
                "input_names": list(model.graph.inputs),
                "input_structure": model.graph.input_structure,
                "output": f"{stem}.{backend}.npz",
                "result": f"{stem}.{backend}.json",
                "layers": False,
            }
        )
    req = work / f"jobs-{backend}.json"
    req.write_text(json.dumps({"jobs": jobs}))
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    subprocess.run([sys.executable, "-m", "keras_migrate.verify._worker", str(req)], env=env, check=False, timeout=3000)
    results = {}
    for job in jobs:
        res_path = Path(job["result"])
        results[job["id"]] = json.loads(res_path.read_text()) if res_path.exists() else {"ok": False, "error": "worker crashed"}
        results[job["id"]]["output"] = job["output"]
    for alias, twin in aliases.items():
        results[alias] = results.get(twin, {"ok": False, "error": "twin conversion missing"})
    return results


_backend_cache: dict[str, dict[str, dict]] = {}


@pytest.fixture(scope="session")
def backend_results(converted, tmp_path_factory):
    def get(backend: str) -> dict[str, dict]:
        if backend not in _backend_cache:
            _backend_cache[backend] = _run_backend(backend, converted, tmp_path_factory.mktemp(backend))
        return _backend_cache[backend]

    return get


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_numpy_interpreter_matches_original(case: Case) -> None:
    model = load(str(case.model), weights=str(case.weights) if case.weights else None)
    ins, outs = case.arrays()
    result = run_graph(model.graph, ins)
    from keras_migrate.ir.graph import flatten_structure

    _assert_outputs(flatten_structure(result) if not isinstance(result, np.ndarray) else [result], outs)


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
    assert res.get("ok"), res.get("error")
    _, outs = case.arrays()
    with np.load(res["output"]) as got:
        actual = [got[f"out:{i}"] for i in range(sum(k.startswith("out:") for k in got.files))]
    _assert_outputs(actual, outs)


@pytest.mark.parametrize("case", LAMBDA_CASES, ids=lambda c: c.id)
def test_lambda_is_refused_naming_the_layer(case: Case, tmp_path: Path, capsys) -> None:
    out = tmp_path / "out.keras"
    code = cli_main(["convert", str(case.model), "-o", str(out)])
    assert code == 2
    assert not out.exists()
    err = capsys.readouterr().err
    assert "Lambda" in err and "never executed" in err
