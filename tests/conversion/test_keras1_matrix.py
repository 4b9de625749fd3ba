"""Keras 1 models convert through the CLI and reproduce the original outputs.

* Every ``fixtures/keras-1.2.2`` case (genuine Keras 1.2.2 files), in both forms (full
  ``.h5``; JSON + weights ``.h5``), on the numpy interpreter and on jax, torch and
  tensorflow (rtol 1e-4, atol 1e-5), each backend in ONE subprocess over every model.
* Theano-style files derived here from the TensorFlow-backend ones by the documented
  transformation (weight names without ``:0``, convolution kernels spatially flipped)
  reproduce the same outputs. Where Theano's ``'same'`` padding differs from
  TensorFlow's (even kernels, strides), the converter reproduces Theano's half padding,
  checked against an independent numpy reference, and the backends against the IR.
* ``--channels-last`` outputs match after the documented input/output transposes.
* ``inspect`` shows Keras 1 provenance; every Keras 1 class has a translation test;
  settings that cannot be reproduced are refused naming the layer.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest

from keras_migrate.cli import main as cli_main
from keras_migrate.errors import UnsupportedError
from keras_migrate.formats import load
from keras_migrate.formats.keras1.reader import options
from keras_migrate.formats.ruleset import KERAS1_CLASSES, TranslateContext, translate_keras1
from keras_migrate.ir.graph import Model, flatten_structure
from keras_migrate.ir.interpreter import run_graph
from keras_migrate.verification import available_backends
from tests.conversion._backend_runs import BACKENDS, Job, assert_outputs, run_jobs
from tests.conversion._fixture_cases import FIXTURES, Case, discover

GEN = "keras-1.2.2"
ALL = discover((GEN,))
CASES = ALL  # Lambda models included: recovered without running their code
CF_CASES = [c for c in CASES if c.meta.get("channels_first") and c.form == "h5"]

# --------------------------------------------------------------------------- Theano-style


def _conv_axes(cls: str, cfg: dict[str, Any]) -> tuple[int, ...] | None:
    """Spatial axes of a Keras 1 kernel as stored ('th' and 'tf' layouts)."""
    th = cfg.get("dim_ordering") == "th"
    if cls in ("Convolution1D", "AtrousConvolution1D"):
        return (0,)
    if cls in ("Convolution2D", "AtrousConvolution2D", "Deconvolution2D", "ConvLSTM2D"):
        return (2, 3) if th else (0, 1)
    if cls == "Convolution3D":
        return (2, 3, 4) if th else (0, 1, 2)
    return None


def _classes(cfg: Any, out: dict[str, tuple[str, dict[str, Any]]]) -> None:
    if isinstance(cfg, dict):
        inner = cfg.get("config")
        if isinstance(inner, dict) and "class_name" in cfg and inner.get("name"):
            out[inner["name"]] = (cfg["class_name"], inner)
        for v in cfg.values():
            _classes(v, out)
    elif isinstance(cfg, list):
        for v in cfg:
            _classes(v, out)


def _text(v: Any) -> str:
    return v.decode() if isinstance(v, bytes) else str(v)


def theano_style(src: Path, dst: Path, config: dict[str, Any]) -> None:
    """Copy a TF-backend Keras 1 weights file as Theano wrote it: names without ``:0``,
    convolution kernels spatially flipped (Theano computed true convolution)."""
    classes: dict[str, tuple[str, dict[str, Any]]] = {}
    _classes(config, classes)
    shutil.copy(src, dst)
    with h5py.File(dst, "r+") as f:
        g = f.get("model_weights", f)
        for lname in [_text(n) for n in g.attrs["layer_names"]]:
            grp = g[lname]
            cls, cfg = classes.get(lname, ("", {}))
            if cls == "TimeDistributed":
                cls, cfg = cfg["layer"]["class_name"], cfg["layer"]["config"]
            axes = _conv_axes(cls, cfg)
            names = []
            for i, n in enumerate(_text(w) for w in grp.attrs["weight_names"]):
                data = grp[n][()]
                base = n[:-2] if n.endswith(":0") else n
                kernel = i == 0 if cls != "ConvLSTM2D" else base.rsplit("_", 2)[-2] in ("W", "U")
                if axes is not None and kernel:
                    data = np.flip(data, axes)
                del grp[n]
                grp.create_dataset(base, data=data)
                names.append(base.encode())
            grp.attrs["weight_names"] = np.array(names)


def _has_conv(case: Case) -> bool:
    classes: dict[str, tuple[str, dict[str, Any]]] = {}
    _classes(json.loads((FIXTURES / GEN / f"{case.name}.json").read_text()), classes)
    return any(_conv_axes(c, cfg if c != "TimeDistributed" else cfg["layer"]["config"]) for c, cfg in classes.values()) or any(
        c == "TimeDistributed" and _conv_axes(cfg["layer"]["class_name"], cfg["layer"]["config"]) for c, cfg in classes.values()
    )


#: Theano-derived cases (genuine Theano files: fixtures/keras-1.2.2-theano, tests/conversion/test_issue12c.py).
THEANO_CASES = [c for c in CASES if _has_conv(c)]


def _theano_files(case: Case, root: Path) -> tuple[Path, Path | None]:
    root.mkdir(parents=True, exist_ok=True)
    config = json.loads((FIXTURES / GEN / f"{case.name}.json").read_text())
    if case.form == "h5":
        out = root / f"{case.name}.h5"
        if not out.exists():
            theano_style(case.model, out, config)
        return out, None
    weights = root / f"{case.name}_weights.h5"
    if not weights.exists():
        assert case.weights is not None
        theano_style(case.weights, weights, config)
    return case.model, weights


def _affected_outputs(model: Model) -> set[int]:
    """Flat output positions downstream of a convolution Theano padded differently."""
    padded = {n.split(":")[0] for n in model.provenance.notes if "Theano 'same' convolution padded" in n}
    g = model.graph
    tainted: set[str] = set()
    for node in g.nodes:
        layer = g.layer(node.layer)
        if (layer.origin.name or layer.name) in padded or any(v in tainted for v in node.inputs):
            tainted.update(node.outputs)
    return {i for i, v in enumerate(g.outputs) if v in tainted}


# --------------------------------------------------------------------------- config variants


def _with_regularizers(cfg: dict[str, Any]) -> dict[str, Any]:
    """Keras 1.1/1.2 regularizer and constraint dicts (training-only, so outputs are unchanged)."""
    first, last = cfg["config"][0]["config"], cfg["config"][-1]["config"]
    first["W_regularizer"] = {"name": "WeightRegularizer", "l1": 0.01, "l2": 0.0}
    first["b_regularizer"] = {"name": "L1L2Regularizer", "l1": 0.0, "l2": 0.001}
    first["activity_regularizer"] = {"name": "ActivityRegularizer", "l1": 0.0, "l2": 0.01}
    first["W_constraint"] = {"name": "MaxNorm", "m": 2.0, "axis": 0}
    first["b_constraint"] = {"name": "NonNeg"}
    last["W_constraint"] = {"name": "UnitNorm", "axis": 0}
    return cfg


def _pre_1_0_entries(cfg: dict[str, Any]) -> dict[str, Any]:
    """Sequential entries in the pre-1.0 form ``{"name": <class>, "custom_name": <name>, ...}``."""
    cfg["config"] = [{**e["config"], "name": e["class_name"], "custom_name": e["config"]["name"]} for e in cfg["config"]]
    return cfg


def _no_version(cfg: dict[str, Any]) -> dict[str, Any]:
    cfg.pop("keras_version", None)
    return cfg


#: name -> (genuine case whose weights and outputs it shares, config rewrite, file suffix)
VARIANTS: dict[str, tuple[str, Any, str]] = {
    "regularizer_dicts": ("sequential_dense", _with_regularizers, "json"),
    "pre_1_0_entries": ("sequential_dense", _pre_1_0_entries, "json"),
    "yaml": ("dense_activations", lambda c: c, "yaml"),
    "no_keras_version": ("merge_functional_modes", _no_version, "json"),
}


def _variant_files(name: str, root: Path) -> tuple[Path, Path, Case]:
    import yaml

    base, rewrite, suffix = VARIANTS[name]
    case = next(c for c in CASES if c.name == base and c.form == "json")
    cfg = rewrite(json.loads(case.model.read_text()))
    path = root / f"{name}.{suffix}"
    path.write_text(yaml.safe_dump(cfg) if suffix == "yaml" else json.dumps(cfg))
    assert case.weights is not None
    return path, case.weights, case


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_config_variant_numpy(name: str, tmp_path: Path) -> None:
    path, weights, case = _variant_files(name, tmp_path)
    model = _load(path, weights)
    assert model.provenance.generation == "keras1"
    ins, outs = case.arrays()
    assert_outputs(_flat(run_graph(model.graph, ins)), outs)


@pytest.mark.backends
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_config_variant_converted_matches(name: str, backend: str, k1: dict[str, Any], backend_results: Any) -> None:
    actual = _backend_outputs(backend, f"variant/{name}", k1, backend_results)
    base = VARIANTS[name][0]
    assert_outputs(actual, next(c for c in CASES if c.name == base).arrays()[1])


# --------------------------------------------------------------------------- conversions


def _convert(model: Path, weights: Path | None, out: Path, *extra: str) -> Path | None:
    argv = ["convert", str(model), "-o", str(out), *extra]
    if weights is not None:
        argv += ["--weights", str(weights)]
    return out if cli_main(argv) == 0 and out.exists() else None


def _load(model: Path, weights: Path | None) -> Model:
    return load(str(model), weights=str(weights) if weights else None)


def _flat(result: Any) -> list[np.ndarray]:
    return [result] if isinstance(result, np.ndarray) else flatten_structure(result)


def _to_last(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.moveaxis(a, 1, -1))


def _channels_last_io(case: Case) -> tuple[set[int], set[int]]:
    """Flat input / output positions the --channels-last conversion moves channels last,
    as its report documents them (``input 'x' is now channels_last``)."""
    from keras_migrate.ir.passes import prepare_for_output

    model = _load(case.model, case.weights)
    converted = prepare_for_output(model, data_format="channels_last")
    notes = converted.provenance.notes
    ins = {i for i, n in enumerate(model.graph.inputs) if any(note.startswith(f"input {n!r} is now channels_last") for note in notes)}
    outs = {i for i, n in enumerate(model.graph.outputs) if f"output {n!r} is now channels_last" in notes}
    return ins, outs


@pytest.fixture(scope="session")
def k1(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Every conversion of this module, done once: kind/case id -> (.keras path or None)."""
    out = tmp_path_factory.mktemp("keras1")
    theano_dir = tmp_path_factory.mktemp("theano")
    done: dict[str, Path | None] = {}
    for case in CASES:
        done[f"default/{case.id}"] = _convert(case.model, case.weights, out / f"{case.name}.{case.form}.keras")
    for case in THEANO_CASES:
        model, weights = _theano_files(case, theano_dir / case.form)
        done[f"theano/{case.id}"] = _convert(model, weights, out / f"{case.name}.{case.form}.theano.keras")
    for case in CF_CASES:
        done[f"channels_last/{case.id}"] = _convert(case.model, case.weights, out / f"{case.name}.cl.keras", "--channels-last")
    variant_dir = tmp_path_factory.mktemp("variants")
    for name in VARIANTS:
        path, weights, _ = _variant_files(name, variant_dir)
        done[f"variant/{name}"] = _convert(path, weights, out / f"{name}.variant.keras")
    return {"paths": done, "theano_dir": theano_dir, "variant_dir": variant_dir, "work": tmp_path_factory.mktemp("runs")}


def _jobs(k1: dict[str, Any]) -> list[Job]:
    jobs = []
    for key, path in k1["paths"].items():
        if path is None:
            continue
        kind, case_id = key.split("/", 1)
        if kind == "variant":
            vpath, vweights, case = _variant_files(case_id, k1["variant_dir"])
            model = _load(vpath, vweights)
            jobs.append(Job(key, path, tuple(case.arrays()[0]), tuple(model.graph.inputs), model.graph.input_structure))
            continue
        case = next(c for c in ALL if c.id == case_id)
        ins, _ = case.arrays()
        if kind == "theano":
            model = _load(*_theano_files(case, k1["theano_dir"] / case.form))
        else:
            model = _load(case.model, case.weights)
        if kind == "channels_last":
            moved, _ = _channels_last_io(case)
            ins = [_to_last(a) if i in moved else a for i, a in enumerate(ins)]
        jobs.append(Job(key, path, tuple(ins), tuple(model.graph.inputs), model.graph.input_structure))
    return jobs


_RESULTS: dict[str, dict[str, dict[str, Any]]] = {}


@pytest.fixture(scope="session")
def backend_results(k1: dict[str, Any]) -> Any:
    def get(backend: str) -> dict[str, dict[str, Any]]:
        if backend not in _RESULTS:
            _RESULTS[backend] = run_jobs(backend, _jobs(k1), k1["work"] / backend)
        return _RESULTS[backend]

    return get


def _backend_outputs(backend: str, key: str, k1: dict[str, Any], backend_results: Any) -> list[np.ndarray]:
    if backend not in available_backends():
        pytest.skip(f"{backend} is not installed")
    assert k1["paths"][key] is not None, "conversion failed"
    res = backend_results(backend)[key]
    assert res.get("ok"), res.get("error")
    return list(res["outputs"])


# --------------------------------------------------------------------------- genuine files


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_numpy_interpreter_matches_original(case: Case) -> None:
    model = _load(case.model, case.weights)
    assert model.provenance.generation == "keras1"
    ins, outs = case.arrays()
    assert_outputs(_flat(run_graph(model.graph, ins)), outs)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_converts_through_cli(case: Case, k1: dict[str, Any]) -> None:
    assert k1["paths"][f"default/{case.id}"] is not None


@pytest.mark.backends
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_converted_matches_original(case: Case, backend: str, k1: dict[str, Any], backend_results: Any) -> None:
    actual = _backend_outputs(backend, f"default/{case.id}", k1, backend_results)
    assert_outputs(actual, case.arrays()[1])


# --------------------------------------------------------------------------- Theano-style


def _theano_expected(case: Case, k1: dict[str, Any]) -> tuple[list[np.ndarray], set[int], list[np.ndarray]]:
    model = _load(*_theano_files(case, k1["theano_dir"] / case.form))
    assert model.provenance.backend == "theano"
    ins, outs = case.arrays()
    return outs, _affected_outputs(model), _flat(run_graph(model.graph, ins))


@pytest.mark.parametrize("case", THEANO_CASES, ids=lambda c: c.id)
def test_theano_style_numpy_matches_original(case: Case, k1: dict[str, Any]) -> None:
    outs, affected, got = _theano_expected(case, k1)
    keep = [i for i in range(len(outs)) if i not in affected]
    assert keep, "every output depends on a Theano-padded convolution"
    assert_outputs([got[i] for i in keep], [outs[i] for i in keep])


@pytest.mark.backends
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", THEANO_CASES, ids=lambda c: c.id)
def test_theano_style_converted_matches(case: Case, backend: str, k1: dict[str, Any], backend_results: Any) -> None:
    actual = _backend_outputs(backend, f"theano/{case.id}", k1, backend_results)
    outs, affected, ir = _theano_expected(case, k1)
    # Outputs Theano's half padding does not touch are the original ones; the others must
    # equal the IR, whose half padding test_theano_same_padding_reference checks.
    assert_outputs(actual, [ir[i] if i in affected else o for i, o in enumerate(outs)])


def _theano_half_conv1d(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray, stride: int) -> np.ndarray:
    """Theano's border_mode='half' true convolution of (batch, steps, in) with a Keras 1
    (k, 1, in, out) kernel, cropped to ceil(n / stride) as Keras 1 did."""
    k = kernel.shape[0]
    w = kernel[:, 0][::-1]  # true convolution = correlation with the flipped kernel
    pad = k // 2
    xp = np.pad(x, ((0, 0), (pad, pad), (0, 0)))
    n_out = (x.shape[1] + stride - 1) // stride
    return np.stack([np.einsum("bki,kio->bo", xp[:, i * stride : i * stride + k], w) for i in range(n_out)], axis=1) + bias


def test_theano_same_padding_reference(tmp_path: Path) -> None:
    """A strided 'same' Convolution1D from a Theano file computes Theano's half padding."""
    case = next(c for c in CASES if c.name == "conv1d_atrous" and c.form == "h5")
    path, _ = _theano_files(case, tmp_path)
    model = _load(path, None)
    assert any("convolution1d_2: Theano 'same' convolution padded" in n for n in model.provenance.notes)
    with h5py.File(path, "r") as f:
        kernel = f["model_weights/convolution1d_2/convolution1d_2_W"][()]
        bias = f["model_weights/convolution1d_2/convolution1d_2_b"][()]
    (x,), _ = case.arrays()
    expected = _theano_half_conv1d(x, kernel, bias, stride=2)
    got = _flat(run_graph(model.graph, [x]))[1]
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)


def test_source_backend_option_overrides_inference(tmp_path: Path) -> None:
    case = next(c for c in CASES if c.name == "conv2d_tf" and c.form == "h5")
    path, _ = _theano_files(case, tmp_path)
    with options(source_backend="tensorflow"):
        model = _load(path, None)
    assert model.provenance.backend == "tensorflow"
    assert any("--source-backend" in n for n in model.provenance.notes)
    ins, outs = case.arrays()
    got = _flat(run_graph(model.graph, ins))
    assert not np.allclose(got[0], outs[0], rtol=1e-4, atol=1e-5)  # kernels left unflipped


# --------------------------------------------------------------------------- channels_last


@pytest.mark.parametrize("case", CF_CASES, ids=lambda c: c.id)
def test_channels_last_numpy(case: Case) -> None:
    from keras_migrate.ir.passes import prepare_for_output

    moved_in, moved_out = _channels_last_io(case)  # ConvLSTM2D keeps channels_first (it runs everywhere)
    model = prepare_for_output(_load(case.model, case.weights), data_format="channels_last")
    ins, outs = case.arrays()
    got = _flat(run_graph(model.graph, [_to_last(a) if i in moved_in else a for i, a in enumerate(ins)]))
    assert_outputs(got, [_to_last(o) if i in moved_out else o for i, o in enumerate(outs)])


@pytest.mark.backends
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", CF_CASES, ids=lambda c: c.id)
def test_channels_last_converted_matches(case: Case, backend: str, k1: dict[str, Any], backend_results: Any) -> None:
    actual = _backend_outputs(backend, f"channels_last/{case.id}", k1, backend_results)
    _, moved_out = _channels_last_io(case)
    _, outs = case.arrays()
    assert_outputs(actual, [_to_last(o) if i in moved_out else o for i, o in enumerate(outs)])


# --------------------------------------------------------------------------- provenance, options


def test_inspect_shows_keras1_provenance(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["inspect", str(FIXTURES / GEN / "conv2d_th.h5")]) == 0
    out = capsys.readouterr().out
    assert "keras1" in out and "1.2.2" in out
    assert "source backend inferred as tensorflow" in out
    assert cli_main(["inspect", str(FIXTURES / GEN / "conv2d_th.h5"), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert "keras1" in json.dumps(data)


def test_dim_ordering_inferred_and_reported() -> None:
    model = _load(FIXTURES / GEN / "pad_crop_upsample_th.h5", None)
    notes = "\n".join(model.provenance.notes)
    assert "zeropadding2d_1: Keras 1 did not record its dim_ordering; inferred 'th'" in notes
    assert model.graph.layer("upsampling3d_1").config["data_format"] == "channels_first"
    with options(dim_ordering="tf"):
        forced = _load(FIXTURES / GEN / "pad_crop_upsample_th.h5", None)
    assert forced.graph.layer("upsampling3d_1").config["data_format"] == "channels_last"
    assert any("--dim-ordering" in n for n in forced.provenance.notes)


def test_bn_running_std_option_converts_std_to_variance() -> None:
    path = FIXTURES / GEN / "batchnorm_modes.h5"
    plain = _load(path, None).graph.layer("batchnormalization_1")
    with options(bn_running_std="std"):
        std_model = _load(path, None)
    layer = std_model.graph.layer("batchnormalization_1")
    eps = float(layer.config["epsilon"])
    std = plain.weight("moving_variance").numpy()
    np.testing.assert_allclose(layer.weight("moving_variance").numpy(), (std + eps) ** 2 - eps, rtol=1e-6)
    assert any("running_std read as std" in n for n in std_model.provenance.notes)


def test_keras_1_1_conv1d_layout(tmp_path: Path) -> None:
    """Keras <= 1.1 stored Convolution1D kernels as (nb_filter, input_dim, length, 1)."""
    case = next(c for c in CASES if c.name == "conv1d_atrous" and c.form == "json")
    assert case.weights is not None
    weights = tmp_path / "w.h5"
    shutil.copy(case.weights, weights)
    with h5py.File(weights, "r+") as f:
        for lname in ("convolution1d_1", "convolution1d_2"):
            name = f"{lname}/{lname}_W:0"
            data = f[name][()]
            del f[name]
            f.create_dataset(name, data=np.transpose(data, (3, 2, 0, 1)))
    model = _load(case.model, weights)
    assert any("Keras <= 1.1 layout" in n for n in model.provenance.notes)
    ins, outs = case.arrays()
    assert_outputs(_flat(run_graph(model.graph, ins)), outs)


def test_architecture_alone_gets_fresh_weights(tmp_path: Path) -> None:
    case = next(c for c in CASES if c.name == "maxout_highway" and c.form == "json")
    out = tmp_path / "fresh.keras"
    with pytest.warns(UserWarning, match="freshly initialized"):
        assert cli_main(["convert", str(case.model), "-o", str(out)]) == 0
    with pytest.warns(UserWarning, match="freshly initialized"):
        model = _load(case.model, None)
    ins, outs = case.arrays()
    got = _flat(run_graph(model.graph, ins))
    assert [g.shape for g in got] == [o.shape for o in outs]


# --------------------------------------------------------------------------- every class

#: Keras 1 class -> (a minimal Keras 1 config, the Keras 3 type it must become).
CLASS_TABLE: dict[str, tuple[dict[str, Any], str]] = {
    "Dense": ({"output_dim": 3, "init": "glorot_uniform", "activation": "hard_sigmoid", "bias": True}, "Dense"),
    "TimeDistributedDense": ({"output_dim": 3, "activation": "tanh", "bias": True}, "Dense"),
    "Activation": ({"activation": "relu"}, "Activation"),
    "Dropout": ({"p": 0.5}, "Dropout"),
    "SpatialDropout1D": ({"p": 0.5}, "SpatialDropout1D"),
    "SpatialDropout2D": ({"p": 0.5, "dim_ordering": "th"}, "SpatialDropout2D"),
    "SpatialDropout3D": ({"p": 0.5, "dim_ordering": "tf"}, "SpatialDropout3D"),
    "GaussianNoise": ({"sigma": 0.5}, "GaussianNoise"),
    "GaussianDropout": ({"p": 0.3}, "GaussianDropout"),
    "Reshape": ({"target_shape": [2, 3]}, "Reshape"),
    "Permute": ({"dims": [2, 1]}, "Permute"),
    "Flatten": ({}, "Flatten"),
    "RepeatVector": ({"n": 2}, "RepeatVector"),
    "Masking": ({"mask_value": 0.0}, "Masking"),
    "ActivityRegularization": ({"l1": 0.01, "l2": 0.0}, "ActivityRegularization"),
    "ELU": ({"alpha": 0.7}, "ELU"),
    "LeakyReLU": ({"alpha": 0.2}, "LeakyReLU"),
    "ThresholdedReLU": ({"theta": 0.1}, "keras_migrate>ThresholdedReLU"),
    "PReLU": ({"init": "zero"}, "PReLU"),
    "ParametricSoftplus": ({"alpha_init": 0.2, "beta_init": 5.0}, "keras_migrate>ParametricSoftplus"),
    "SReLU": ({}, "keras_migrate>SReLU"),
    "MaxoutDense": ({"output_dim": 4, "nb_feature": 3, "bias": True}, "keras_migrate>MaxoutDense"),
    "Highway": ({"activation": "relu", "bias": True}, "keras_migrate>Highway"),
    "Convolution1D": ({"nb_filter": 2, "filter_length": 3, "border_mode": "valid", "subsample_length": 1}, "Conv1D"),
    "AtrousConvolution1D": ({"nb_filter": 2, "filter_length": 3, "atrous_rate": 2}, "Conv1D"),
    "Convolution2D": ({"nb_filter": 2, "nb_row": 3, "nb_col": 3, "dim_ordering": "th", "subsample": [1, 1]}, "Conv2D"),
    "AtrousConvolution2D": ({"nb_filter": 2, "nb_row": 3, "nb_col": 3, "dim_ordering": "tf", "atrous_rate": [2, 2]}, "Conv2D"),
    "Convolution3D": ({"nb_filter": 2, "kernel_dim1": 1, "kernel_dim2": 2, "kernel_dim3": 2, "dim_ordering": "tf"}, "Conv3D"),
    "SeparableConvolution2D": ({"nb_filter": 2, "nb_row": 2, "nb_col": 2, "depth_multiplier": 2, "dim_ordering": "tf"}, "SeparableConv2D"),
    "Deconvolution2D": (
        {"nb_filter": 2, "nb_row": 3, "nb_col": 3, "subsample": [2, 2], "dim_ordering": "tf", "output_shape": [None, 14, 11, 2]},
        "Conv2DTranspose",
    ),
    "LocallyConnected1D": ({"nb_filter": 2, "filter_length": 3}, "keras_migrate>LocallyConnected1D"),
    "LocallyConnected2D": ({"nb_filter": 2, "nb_row": 2, "nb_col": 2, "dim_ordering": "th"}, "keras_migrate>LocallyConnected2D"),
    "UpSampling1D": ({"length": 3}, "UpSampling1D"),
    "UpSampling2D": ({"size": [2, 3], "dim_ordering": "th"}, "UpSampling2D"),
    "UpSampling3D": ({"size": [2, 1, 2], "dim_ordering": "tf"}, "UpSampling3D"),
    "ZeroPadding1D": ({"padding": {"left_pad": 1, "right_pad": 2}}, "ZeroPadding1D"),
    "ZeroPadding2D": ({"padding": {"top_pad": 1, "bottom_pad": 0, "left_pad": 2, "right_pad": 1}, "dim_ordering": "th"}, "ZeroPadding2D"),
    "ZeroPadding3D": ({"padding": [1, 0, 2], "dim_ordering": "tf"}, "ZeroPadding3D"),
    "Cropping1D": ({"cropping": [2, 1]}, "Cropping1D"),
    "Cropping2D": ({"cropping": [[1, 2], [0, 1]], "dim_ordering": "tf"}, "Cropping2D"),
    "Cropping3D": ({"cropping": [[1, 0], [1, 1], [0, 2]], "dim_ordering": "th"}, "Cropping3D"),
    "MaxPooling1D": ({"pool_length": 2, "stride": 2, "border_mode": "valid"}, "MaxPooling1D"),
    "AveragePooling1D": ({"pool_length": 3, "stride": 2, "border_mode": "same"}, "AveragePooling1D"),
    "MaxPooling2D": ({"pool_size": [2, 2], "strides": [2, 2], "border_mode": "valid", "dim_ordering": "th"}, "MaxPooling2D"),
    "AveragePooling2D": ({"pool_size": [2, 2], "strides": [2, 1], "border_mode": "same", "dim_ordering": "tf"}, "AveragePooling2D"),
    "MaxPooling3D": ({"pool_size": [2, 2, 2], "strides": [2, 2, 2], "border_mode": "valid", "dim_ordering": "tf"}, "MaxPooling3D"),
    "AveragePooling3D": ({"pool_size": [2, 2, 1], "strides": [2, 2, 1], "border_mode": "same", "dim_ordering": "th"}, "AveragePooling3D"),
    "GlobalMaxPooling1D": ({}, "GlobalMaxPooling1D"),
    "GlobalAveragePooling1D": ({}, "GlobalAveragePooling1D"),
    "GlobalMaxPooling2D": ({"dim_ordering": "th"}, "GlobalMaxPooling2D"),
    "GlobalAveragePooling2D": ({"dim_ordering": "tf"}, "GlobalAveragePooling2D"),
    "GlobalMaxPooling3D": ({"dim_ordering": "tf"}, "GlobalMaxPooling3D"),
    "GlobalAveragePooling3D": ({"dim_ordering": "th"}, "GlobalAveragePooling3D"),
    "Embedding": ({"input_dim": 12, "output_dim": 3, "mask_zero": True, "dropout": 0.2, "init": "uniform"}, "Embedding"),
    "SimpleRNN": ({"output_dim": 3, "consume_less": "cpu", "go_backwards": True}, "SimpleRNN"),
    "GRU": ({"output_dim": 3, "consume_less": "mem", "inner_activation": "hard_sigmoid"}, "GRU"),
    "LSTM": ({"output_dim": 3, "consume_less": "gpu", "forget_bias_init": "one", "stateful": True, "unroll": True}, "LSTM"),
    "ConvLSTM2D": ({"nb_filter": 2, "nb_row": 3, "nb_col": 3, "dim_ordering": "th", "border_mode": "same"}, "ConvLSTM2D"),
    "BatchNormalization": ({"mode": 0, "axis": 1, "epsilon": 0.001, "momentum": 0.99}, "BatchNormalization"),
    "TimeDistributed": ({"layer": {"class_name": "Dense", "config": {"name": "d", "output_dim": 3}}}, "TimeDistributed"),
    "Bidirectional": (
        {"layer": {"class_name": "LSTM", "config": {"name": "l", "output_dim": 3}}, "merge_mode": "ave"},
        "Bidirectional",
    ),
    "Merge": ({"mode": "concat", "mode_type": "raw", "concat_axis": 1}, "Concatenate"),
}


def _manifest_classes() -> set[str]:
    data = json.loads((FIXTURES / GEN / "manifest.json").read_text())
    # a case refused without user code holds the user's own classes (custom_layers_user_k1)
    built_in = [case for case in data["cases"].values() if not case.get("refused_forms")]
    return {c for case in built_in for c in case["layers"]} - {"InputLayer", "Model", "Sequential", "Lambda"}


def test_class_table_covers_every_keras1_class() -> None:
    # Lambda's rule recovers stored bytecode (formats/lambdas; tests/formats/test_lambdas.py)
    assert set(CLASS_TABLE) == set(KERAS1_CLASSES) - {"Lambda"}
    assert _manifest_classes() <= set(KERAS1_CLASSES)


@pytest.mark.parametrize("class_name", sorted(CLASS_TABLE))
def test_every_keras1_class_translates(class_name: str) -> None:
    config, expected = CLASS_TABLE[class_name]
    notes: list[str] = []
    t, cfg = translate_keras1(class_name, {"name": "x", **config}, TranslateContext("x", generation="keras1", notes=notes))
    assert t == expected
    legacy = {"nb_filter", "border_mode", "dim_ordering", "init", "p", "W_regularizer", "subsample", "consume_less"}
    assert not legacy & set(cfg), f"Keras 1 arguments left: {legacy & set(cfg)}"
    assert expected == "Embedding" or "output_dim" not in cfg
    in_fixture = class_name in _manifest_classes()
    assert in_fixture or class_name in ("Merge",), f"{class_name} has no genuine fixture"


MERGE_MODES = {"sum": "Add", "mul": "Multiply", "ave": "Average", "max": "Maximum", "concat": "Concatenate", "dot": "Dot", "cos": "keras_migrate>Keras1CosineMerge"}


@pytest.mark.parametrize("mode", sorted(MERGE_MODES))
def test_every_merge_mode(mode: str) -> None:
    t, _ = translate_keras1("Merge", {"name": "m", "mode": mode, "mode_type": "raw", "dot_axes": [1, 1]}, TranslateContext("m"))
    assert t == MERGE_MODES[mode]


@pytest.mark.parametrize("mode", [0, 1, 2])
def test_batchnorm_modes_translate(mode: int) -> None:
    t, _cfg = translate_keras1("BatchNormalization", {"name": "b", "mode": mode, "axis": -1}, TranslateContext("b"))
    assert t == ("BatchNormalization" if mode == 0 else "keras_migrate>Keras1BatchNormalization")


REFUSED: dict[str, tuple[str, dict[str, Any], str]] = {
    "merge-callable": ("Merge", {"mode": "\u00e3\u0001", "mode_type": "lambda"}, "cannot be recovered without running it"),
    "merge-function": ("Merge", {"mode": "my_merge", "mode_type": "function"}, "stored by name"),
    "conv-full": ("Convolution2D", {"nb_filter": 2, "nb_row": 3, "nb_col": 3, "border_mode": "full", "dim_ordering": "th"}, "full"),
    "lambda": ("Lambda", {"function": ["x"], "function_type": "lambda"}, "cannot be recovered without running it"),
    "unknown": ("MyLayer", {}, "unknown Keras 1 layer class"),
    "deconv-same-even": (
        "Deconvolution2D",
        {"nb_filter": 2, "nb_row": 2, "nb_col": 2, "subsample": [2, 2], "border_mode": "same", "dim_ordering": "tf",
         "output_shape": [None, 8, 8, 2]},
        "aligns its padding",
    ),
}


@pytest.mark.parametrize("key", sorted(REFUSED))
def test_unreproducible_settings_are_refused_naming_the_layer(key: str) -> None:
    class_name, config, message = REFUSED[key]
    with pytest.raises(UnsupportedError, match=message) as err:
        translate_keras1(class_name, {"name": "layer_x", **config}, TranslateContext("layer_x"))
    assert err.value.layer == "layer_x"


def test_support_matrix_marks_every_keras1_class() -> None:
    from keras_migrate.support import LAYERS

    listed = {c for classes, formats, _ in LAYERS.values() if "keras1" in formats for c in classes}
    assert set(KERAS1_CLASSES) <= listed
