"""Issue 12 part C: four conversions that failed, against the genuine legacy software.

* ``tf-keras-2.21/bidirectional_convlstm2d``: ``Bidirectional`` over a layer that itself
  goes backwards (ConvLSTM2D and LSTM) gets the legacy backward layer explicitly.
* ``tf-keras-2.21/rnn_single_cell_list``: ``RNN([cell])`` becomes ``RNN(cell)``.
* ``tf-keras-2.21/conv1d_long_crop``: ONNX export of a free-length model that no short
  probe could run (every layer typed alone; the interpreter never runs the whole model).
* ``keras-1.2.2-theano/*``: genuine Keras 1.2.2 on Theano 1.0.5 files; Theano's ``'same'``
  pooling, Deconvolution2D, ConvLSTM2D and TimeDistributed convolutions emulated exactly.

Every case converts from every form its software wrote (tf_keras: ``.h5``, JSON +
weights, SavedModel, JSON + checkpoint, ``.keras``; Keras 1: ``.h5``, JSON + weights) to
``.keras``, ``.py`` and ``.onnx``; the ``.keras`` and ``.py`` outputs run on jax, torch and
tensorflow (one subprocess per backend and kind), the ``.onnx`` under onnxruntime, and
all must give the stored outputs (rtol 1e-4, atol 1e-5).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest

from keras_migrate.errors import UnsupportedError
from keras_migrate.formats import load
from keras_migrate.ir.graph import Model
from keras_migrate.verification import available_backends
from tests._arrays import interpret, load_npz
from tests._cli import cli_stderr, convert_each
from tests.conversion._backend_runs import (
    BACKENDS,
    Job,
    assert_outputs,
    run_jobs,
    run_module_jobs,
    run_onnx,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
TFK = "tf-keras-2.21"
THEANO = "keras-1.2.2-theano"
TFK_CASES = ("bidirectional_convlstm2d", "rnn_single_cell_list", "conv1d_long_crop")
THEANO_CASES = ("theano_same_conv", "theano_same_pooling", "theano_same_deconv", "theano_same_recurrent_conv")
#: form -> (model file, weights file or None), as each generation writes them.
TFK_FORMS = {
    "h5": ("{c}.h5", None), "json": ("{c}.json", "{c}_weights.h5"), "savedmodel": ("{c}.savedmodel", None),
    "json+ckpt": ("{c}.json", "{c}_ckpt/ckpt"), "tfk.keras": ("{c}.tfk.keras", None),
}  # fmt: skip
K1_FORMS = {"h5": ("{c}.h5", None), "json": ("{c}.json", "{c}_weights.h5")}
KINDS = ("keras", "py", "onnx")


@dataclass(frozen=True)
class Source:
    generation: str
    case: str
    form: str

    @property
    def id(self) -> str:
        return f"{self.generation}/{self.case}/{self.form}"

    @property
    def files(self) -> tuple[Path, Path | None]:
        model, weights = (TFK_FORMS if self.generation == TFK else K1_FORMS)[self.form]
        folder = FIXTURES / self.generation
        return folder / model.format(c=self.case), None if weights is None else folder / weights.format(c=self.case)

    def arrays(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        return load_npz(FIXTURES / self.generation / f"{self.case}.npz")

    def load(self) -> Model:
        model, weights = self.files
        return load(str(model), weights=str(weights) if weights else None)


SOURCES = [Source(TFK, c, f) for c in TFK_CASES for f in TFK_FORMS] + [Source(THEANO, c, f) for c in THEANO_CASES for f in K1_FORMS]



@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], tuple[Path | None, str]]:
    """(source id, kind) -> (output or None, stderr), every conversion done once through the CLI."""
    return convert_each(SOURCES, KINDS, tmp_path_factory.mktemp("issue12c"), lambda src: src.case)


_runs: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}


def _backend_run(kind: str, backend: str, converted: Any, work: Path) -> dict[str, dict[str, Any]]:
    if (kind, backend) not in _runs:
        jobs = []
        for src in SOURCES:
            path, _ = converted[(src.id, kind)]
            if path is None:
                continue
            model = src.load()
            ins, _ = src.arrays()
            jobs.append(Job(src.id, path, tuple(ins), tuple(model.graph.inputs), model.graph.input_structure))
        runner = run_jobs if kind == "keras" else run_module_jobs
        _runs[(kind, backend)] = runner(backend, jobs, work / f"{kind}-{backend}")
    return _runs[(kind, backend)]


@pytest.mark.parametrize("src", SOURCES, ids=lambda s: s.id)
def test_interpreter_matches_original(src: Source) -> None:
    ins, outs = src.arrays()
    assert_outputs(interpret(src.load().graph, ins), outs)


@pytest.mark.backends
@pytest.mark.parametrize("kind", ("keras", "py"))
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("src", SOURCES, ids=lambda s: s.id)
def test_converted_matches_original(src: Source, backend: str, kind: str, converted: Any, tmp_path_factory: Any) -> None:
    if backend not in available_backends():
        pytest.skip(f"{backend} not installed")
    path, err = converted[(src.id, kind)]
    assert path is not None, err
    res = _backend_run(kind, backend, converted, tmp_path_factory.getbasetemp())[src.id]
    assert res.get("ok"), f"{res.get('error')}\n{res.get('traceback', '')}"
    assert_outputs(res["outputs"], src.arrays()[1])


@pytest.mark.parametrize("src", SOURCES, ids=lambda s: s.id)
def test_onnx_matches_original(src: Source, converted: Any) -> None:
    pytest.importorskip("onnxruntime")
    path, err = converted[(src.id, "onnx")]
    assert path is not None, err
    ins, outs = src.arrays()
    assert_outputs(run_onnx(path, ins), outs)


# --------------------------------------------------------------------------- the IR forms


def test_backwards_wrapped_layer_gets_the_legacy_backward_layer() -> None:
    graph = Source(TFK, "bidirectional_convlstm2d", "h5").load().graph
    bidis = {layer.config["layer"]["config"]["name"]: layer.config for layer in graph.layers if layer.type == "Bidirectional"}
    for name, cfg in bidis.items():
        forwards_back = cfg["layer"]["config"].get("go_backwards", False)
        back = cfg.get("backward_layer")
        if forwards_back:  # legacy Keras flips go_backwards for the backward copy
            assert back is not None and back["config"]["go_backwards"] is False, name
            assert back["class_name"] == cfg["layer"]["class_name"]
        else:  # Keras 3's own backward copy (go_backwards=True) is the legacy one
            assert back is None, name
    assert sum(1 for c in bidis.values() if c.get("backward_layer")) == 2


def test_one_cell_stack_is_the_cell() -> None:
    graph = Source(TFK, "rnn_single_cell_list", "tfk.keras").load().graph
    cells = []
    for layer in graph.layers:
        rnn = layer.config["layer"]["config"] if layer.type == "Bidirectional" else layer.config
        if "cell" in rnn:
            cells.append(rnn["cell"]["class_name"])
            names = {w.name.split("/")[-1] for w in layer.weights}
            assert not any("cells/" in w.name for w in layer.weights), [w.name for w in layer.weights]
            assert {"kernel", "recurrent_kernel"} <= names
    assert sorted(cells) == ["GRUCell", "LSTMCell", "SimpleRNNCell"]


def test_onnx_types_every_layer_without_a_rule_alone(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """With no shape rule at all, every layer is typed alone on its own input types: the
    whole model never runs on one probe length (it cannot take a short one)."""
    import keras_migrate.ir.passes.infer_types as infer_types
    import keras_migrate.ir.shapes as shapes

    def whole_model_probe(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the whole model was probed")

    monkeypatch.setattr(shapes, "STATIC_RULES", {})
    monkeypatch.setattr(infer_types, "infer_graph_types", whole_model_probe)
    src = Source(TFK, "conv1d_long_crop", "h5")
    out = tmp_path / "m.onnx"
    code, err = cli_stderr(["convert", str(src.files[0]), "-o", str(out)])
    assert code == 0, err
    ort = pytest.importorskip("onnxruntime")
    sess = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    ins, outs = src.arrays()
    assert sess.get_inputs()[0].shape[1] != 150  # the sequence length stays free
    assert_outputs(sess.run(None, {sess.get_inputs()[0].name: ins[0]}), outs)


def test_theano_emulations_are_noted() -> None:
    notes = "\n".join(
        n for c in THEANO_CASES[1:] for n in Source(THEANO, c, "h5").load().provenance.notes
    )
    for expected in ("pooling as edge-replicated padding", "rescaled to leave the padding out", "Deconvolution2D as 'valid'",
                     "ConvLSTM2D with an even kernel as kernel_size", "(in TimeDistributed) padded"):
        assert expected in notes


def _with_config(src: Path, dst: Path, edit: Any) -> Path:
    """A copy of a Keras 1 ``.h5`` whose stored model config went through ``edit``."""
    dst.write_bytes(src.read_bytes())
    with h5py.File(dst, "r+") as f:
        raw = f.attrs["model_config"]
        config = json.loads(raw.decode() if isinstance(raw, bytes) else raw)
        edit(config)
        f.attrs["model_config"] = json.dumps(config).encode()
    return dst


def _layer(config: dict[str, Any], name: str) -> dict[str, Any]:
    return next(entry for entry in config["config"]["layers"] if entry["config"].get("name") == name)["config"]


@pytest.mark.parametrize(
    ("layer", "edit", "message"),
    [
        ("convlstm2d_2", lambda c: c.update(subsample=[2, 2]), "strided ConvLSTM2D"),
        ("timedistributed_1", lambda c: c["layer"].update(class_name="MaxPooling2D", config={
            "name": "p", "pool_size": [2, 2], "strides": [1, 1], "border_mode": "same", "dim_ordering": "th"}),
         "wrapped 'same' pooling"),
    ],
)  # fmt: skip
def test_theano_settings_without_exact_form_are_refused(layer: str, edit: Any, message: str, tmp_path: Path) -> None:
    src = FIXTURES / THEANO / "theano_same_recurrent_conv.h5"
    path = _with_config(src, tmp_path / "m.h5", lambda cfg: edit(_layer(cfg, layer)))
    with pytest.raises(UnsupportedError, match=message) as err:
        load(str(path))
    assert err.value.layer == layer


_H5 = sorted(p for p in FIXTURES.glob("*/*.h5") if not p.name.endswith("_weights.h5"))


@pytest.mark.parametrize("path", _H5, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_node_types_match_the_whole_model_probe(path: Path) -> None:
    """ONNX typing node by node agrees with the interpreter's whole-model probe (the oracle)
    wherever the probe can run: same rank and dtype everywhere, same static dims; a dim
    only the probe calls static is one its two close sizes (3, 4) rounded alike."""
    from keras_migrate.converters.onnx.node_types import graph_types
    from keras_migrate.ir.passes.infer_types import infer_graph_types

    try:
        model = load(str(path))
        probed = infer_graph_types(model.graph)
    except (UnsupportedError, KeyError, ValueError):
        pytest.skip("the model does not load or the whole-model probe cannot run it")
    typed = graph_types(model.graph)
    for name, value in probed.values.items():
        mine, theirs = typed.values[name].type, value.type
        assert mine is not None and theirs is not None, name
        assert len(mine.shape) == len(theirs.shape) and mine.dtype == theirs.dtype, (name, mine, theirs)
        for a, b in zip(mine.shape, theirs.shape, strict=True):
            assert a == b or a is None, (name, mine, theirs)
