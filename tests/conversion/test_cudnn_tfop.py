"""CuDNNLSTM / CuDNNGRU and TensorFlowOpLayer fixtures in every stored form, as ``.keras``,
``.py`` and ONNX, against the outputs the legacy software produced (issue 12, part A).

Forms: Keras 2.2.4 ``.h5`` and JSON + weights; tf_keras ``.h5``, JSON + weights,
SavedModel, JSON + TF checkpoint and tf_keras ``.keras``. Each form converts through the
CLI to the three outputs; the numpy interpreter, the ``.keras`` file and the generated
module on jax, torch and tensorflow (one subprocess per backend for each), and the ONNX file
under onnxruntime must reproduce the stored outputs (rtol 1e-4, atol 1e-5). The CuDNN
fixtures' outputs come from the legacy software's CPU equivalents (fixtures/README.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from keras_migrate.cli import main as cli_main
from keras_migrate.formats import load
from keras_migrate.ir.interpreter import run_graph
from tests._arrays import load_npz
from tests.conversion._backend_runs import (
    BACKENDS,
    Job,
    assert_backend_result,
    assert_outputs,
    run_jobs,
    run_module_jobs,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
_H5_FORMS = {"h5": ("{c}.h5", None), "json": ("{c}.json", "{c}_weights.h5")}
_TF_FORMS = {
    **_H5_FORMS,
    "savedmodel": ("{c}.savedmodel", None),
    "json+ckpt": ("{c}.json", "{c}_ckpt/ckpt"),
    "tfk.keras": ("{c}.tfk.keras", None),
}
_CASES = {
    ("keras-2.2.4", "cudnn_rnn"): _H5_FORMS,
    ("tf-keras-2.21", "cudnn_rnn"): _TF_FORMS,
    ("tf-keras-2.21", "tf_op_layer"): _TF_FORMS,
    ("tf-keras-2.21", "tf_op_layer_slices"): _TF_FORMS,
}
_OUTPUTS = (".keras", ".py", ".onnx")


@dataclass(frozen=True)
class FormCase:
    generation: str
    name: str
    form: str
    model: Path
    weights: Path | None

    @property
    def id(self) -> str:
        return f"{self.generation}/{self.name}/{self.form}"

    def argv(self) -> list[str]:
        return [str(self.model)] + (["--weights", str(self.weights)] if self.weights else [])

    def arrays(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        return load_npz(FIXTURES / self.generation / f"{self.name}.npz")


CASES = [
    FormCase(
        gen, name, form, FIXTURES / gen / model.format(c=name), FIXTURES / gen / weights.format(c=name) if weights else None
    )
    for (gen, name), forms in _CASES.items()
    for form, (model, weights) in forms.items()
]


def test_every_form_is_committed() -> None:
    for case in CASES:
        assert case.model.exists(), case.model
        assert case.weights is None or case.weights.parent.exists(), case.weights


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path | None]:
    out_dir = tmp_path_factory.mktemp("cudnn_tfop")
    results: dict[tuple[str, str], Path | None] = {}
    for case in CASES:
        for suffix in _OUTPUTS:
            out = out_dir / (case.id.replace("/", "__").replace(".", "_").replace("+", "_") + suffix)
            code = cli_main(["convert", *case.argv(), "-o", str(out)])
            results[(case.id, suffix)] = out if code == 0 and out.exists() else None
    return results


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_numpy_interpreter_matches_original(case: FormCase) -> None:
    model = load(str(case.model), weights=str(case.weights) if case.weights else None)
    ins, outs = case.arrays()
    got = run_graph(model.graph, ins)
    assert_outputs(list(got) if isinstance(got, (list, tuple)) else [got], outs)


@pytest.mark.parametrize("suffix", _OUTPUTS)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_converts_through_cli(case: FormCase, suffix: str, converted) -> None:
    assert converted[(case.id, suffix)] is not None, f"{case.id} -> {suffix} failed"


_runs: dict[tuple[str, str], dict[str, dict]] = {}


def _backend_run(backend: str, suffix: str, converted, work: Path) -> dict[str, dict]:
    if (backend, suffix) not in _runs:
        jobs = []
        for case in CASES:
            path = converted[(case.id, suffix)]
            if path is None:
                continue
            model = load(str(case.model), weights=str(case.weights) if case.weights else None)
            ins, _ = case.arrays()
            jobs.append(Job(case.id, path, tuple(ins), tuple(model.graph.inputs), model.graph.input_structure))
        run = run_jobs if suffix == ".keras" else run_module_jobs
        _runs[(backend, suffix)] = run(backend, jobs, work)
    return _runs[(backend, suffix)]


@pytest.mark.parametrize("suffix", (".keras", ".py"))
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_converted_matches_original(case: FormCase, backend: str, suffix: str, converted, tmp_path_factory) -> None:
    pytest.importorskip(backend)
    if converted[(case.id, suffix)] is None:
        pytest.fail(f"{case.id} did not convert to {suffix}")
    results = _backend_run(backend, suffix, converted, tmp_path_factory.mktemp(f"{backend}{suffix[1:]}"))
    ins, outs = case.arrays()
    res = results[case.id]
    assert_backend_result(res, backend, ins, outs)
    if suffix == ".py":
        assert not res.get("imported_keras_migrate"), "generated code must need only Keras"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_onnx_matches_original(case: FormCase, converted) -> None:
    ort = pytest.importorskip("onnxruntime")
    path = converted[(case.id, ".onnx")]
    assert path is not None, f"{case.id} did not convert to ONNX"
    options = ort.SessionOptions()
    options.log_severity_level = 3
    sess = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    ins, outs = case.arrays()
    feeds = {i.name: a for i, a in zip(sess.get_inputs(), ins, strict=True)}
    assert_outputs(list(sess.run(None, feeds)), outs)


@pytest.mark.parametrize(
    ("layer", "kind", "function", "outputs"),
    [
        ("tf_op_layer_strided_slice", "keras_migrate>TFOp", "__operators__.getitem", None),
        ("tf_op_layer_strided_slice_3", "keras_migrate>TFOp", "__operators__.getitem", None),
        ("tf_op_layer_split", "keras_migrate>TFOp", "split", 2),
        ("tf_op_layer_split_1", "keras_migrate>TFOp", "split", 3),
        ("tf_op_layer_unstack", "keras_migrate>TFOp", "unstack", 4),
        ("tf_op_layer_Identity", "Identity", None, None),
        ("tf_op_layer_Select", "keras_migrate>TFOp", "compat.v1.where", None),
        ("tf_op_layer_SelectV2", "keras_migrate>TFOp", "where", None),
    ],
)
def test_slicing_op_layers_translate_as_their_tf_functions(layer: str, kind: str, function: str | None, outputs: int | None) -> None:
    """Each NodeDef op of the slices fixture becomes the TF function ``TF_NODE_OPS`` names
    (a StridedSlice is the recorded ``x[...]``), with its output count."""
    gen = FIXTURES / "tf-keras-2.21"
    model = load(str(gen / "tf_op_layer_slices.h5"))
    ir = {entry.name: entry for entry in model.graph.layers}[layer]
    assert ir.type == kind
    if function is not None:
        assert ir.config["function"] == function
        assert ir.config.get("outputs") == outputs
