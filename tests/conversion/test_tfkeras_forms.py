"""Every tf_keras fixture converts from every form it was saved in, and matches.

``fixtures/tf-keras-2.21`` holds each case written by tf_keras 2.21 in five forms: full
``.h5`` and JSON + weights ``.h5`` (covered by test_fixture_matrix.py), and the three
TensorFlow-era forms covered here: a SavedModel directory (``<case>.savedmodel``), JSON +
a TF-format checkpoint (``<case>.json`` + ``<case>_ckpt/ckpt``) and tf_keras' own ``.keras``
zip (``<case>.tfk.keras``); a few cases also as a SavedModel in the pre-TF-2.5 layout
(``<case>.tf24.savedmodel``, metadata inside ``saved_model.pb``). Each converts through the
CLI; the numpy interpreter and the converted ``.keras`` on jax, torch and tensorflow (one
subprocess per backend over all models) must reproduce tf_keras' stored outputs (rtol 1e-4,
atol 1e-5). Lambda cases convert too: their bytecode is recovered, never run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from keras_migrate.cli import main as cli_main
from keras_migrate.formats import load
from keras_migrate.ir.graph import Model, flatten_structure
from keras_migrate.ir.interpreter import run_graph
from keras_migrate.verification import available_backends
from tests._arrays import load_npz
from tests.conversion._backend_runs import (
    BACKENDS,
    Job,
    assert_backend_result,
    assert_outputs,
    run_jobs,
)

GENERATION = Path(__file__).resolve().parents[2] / "fixtures" / "tf-keras-2.21"

#: form -> (model path, weights path or None), relative to the generation folder.
FORMS = {
    "savedmodel": ("{case}.savedmodel", None),
    "json+ckpt": ("{case}.json", "{case}_ckpt/ckpt"),
    "tfk.keras": ("{case}.tfk.keras", None),
    "tf24.savedmodel": ("{case}.tf24.savedmodel", None),
}


@dataclass(frozen=True)
class FormCase:
    name: str
    form: str
    meta: dict

    @property
    def id(self) -> str:
        return f"{self.name}/{self.form}"

    @property
    def model(self) -> Path:
        return GENERATION / FORMS[self.form][0].format(case=self.name)

    @property
    def weights(self) -> Path | None:
        w = FORMS[self.form][1]
        return None if w is None else GENERATION / w.format(case=self.name)

    @property
    def uses_lambda(self) -> bool:
        return "Lambda" in self.meta.get("layers", [])

    def argv(self, out: Path) -> list[str]:
        argv = ["convert", str(self.model), "-o", str(out)]
        return argv + (["--weights", str(self.weights)] if self.weights is not None else [])

    def load(self) -> Model:
        return load(str(self.model), weights=str(self.weights) if self.weights else None)

    def arrays(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        return load_npz(GENERATION / f"{self.name}.npz")


def _discover() -> list[FormCase]:
    manifest = json.loads((GENERATION / "manifest.json").read_text())
    cases = []
    for name, meta in sorted(manifest["cases"].items()):
        files = set(meta.get("files", []))
        for form, (model, weights) in FORMS.items():
            needed = [model.format(case=name)] + ([weights.split("/")[0].format(case=name)] if weights else [])
            if all(f in files for f in needed):
                cases.append(FormCase(name, form, meta))
    return cases


ALL = _discover()
#: Forms that cannot hold a model's state (``refused_forms`` in the manifest) are checked
#: for their refusal in tests/formats/test_tfkeras_preprocessing.py instead.
CASES = [c for c in ALL if c.form not in c.meta.get("refused_forms", {})]  # Lambda cases included


def test_every_case_has_the_tf_forms() -> None:
    """The generator wrote all three TF forms for every tf_keras case (and two pre-2.5 SavedModels)."""
    manifest = json.loads((GENERATION / "manifest.json").read_text())
    by_form: dict[str, int] = {}
    for c in ALL:
        by_form[c.form] = by_form.get(c.form, 0) + 1
    n = len(manifest["cases"])
    assert n >= 50
    assert by_form["savedmodel"] == by_form["json+ckpt"] == by_form["tfk.keras"] == n
    assert by_form.get("tf24.savedmodel", 0) >= 2


@pytest.fixture(scope="session")
def forms_converted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path | None, str]]:
    """Convert every case in every form through the CLI once: id -> (output or None, error)."""
    out_dir = tmp_path_factory.mktemp("tf_forms")
    results: dict[str, tuple[Path | None, str]] = {}
    for case in CASES:
        out = out_dir / (case.id.replace("/", "__") + ".keras")
        code = cli_main(case.argv(out))
        results[case.id] = (out if code == 0 and out.exists() else None, f"exit code {code}")
    return results


_backend_cache: dict[str, dict[str, dict]] = {}


@pytest.fixture(scope="session")
def forms_backend_results(forms_converted, tmp_path_factory):
    def get(backend: str) -> dict[str, dict]:
        if backend not in _backend_cache:
            jobs = []
            for case in CASES:
                path, _ = forms_converted[case.id]
                if path is None:
                    continue
                graph = case.load().graph
                ins, _ = case.arrays()
                jobs.append(Job(case.id, path, tuple(ins), tuple(graph.inputs), graph.input_structure))
            _backend_cache[backend] = run_jobs(backend, jobs, tmp_path_factory.mktemp(f"tf_forms_{backend}"))
        return _backend_cache[backend]

    return get


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_numpy_interpreter_matches_tf_keras(case: FormCase) -> None:
    ins, outs = case.arrays()
    model = case.load()
    result = run_graph(model.graph, ins)
    assert_outputs(flatten_structure(result) if not isinstance(result, np.ndarray) else [result], outs, model)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_converts_through_cli(case: FormCase, forms_converted) -> None:
    path, err = forms_converted[case.id]
    assert path is not None, f"conversion failed: {err}"


@pytest.mark.backends
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_converted_matches_tf_keras(case: FormCase, backend: str, forms_converted, forms_backend_results) -> None:
    if backend not in available_backends():
        pytest.skip(f"{backend} is not installed")
    path, err = forms_converted[case.id]
    assert path is not None, f"conversion failed: {err}"
    res = forms_backend_results(backend)[case.id]
    ins, outs = case.arrays()
    assert_backend_result(res, backend, ins, outs, case.load())


def test_weights_are_the_same_arrays_in_every_form() -> None:
    """The three TF forms yield exactly the .h5 file's arrays, layer by layer."""
    for name in ("nested_sequential_in_functional", "bidirectional_merge_modes", "rnn_cells", "batchnorm_variants"):
        reference = {n: w.numpy() for n, w in load(str(GENERATION / f"{name}.h5")).iter_weights()}
        for c in (c for c in CASES if c.name == name):
            got = {n: w.numpy() for n, w in c.load().iter_weights()}
            assert got.keys() == reference.keys(), c.id
            for key, value in reference.items():
                np.testing.assert_array_equal(got[key], value, err_msg=f"{c.id}: {key}")
