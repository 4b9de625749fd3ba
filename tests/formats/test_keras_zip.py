"""``.keras`` archives from tf_keras and from Keras 3 itself read into the IR.

Keras 3 archives come from two sources: models built and saved by Keras 3 at test time (in
a subprocess, JAX backend), and this package's own ``.keras`` output (so every emitter and
``verify`` also work on current models).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from keras_migrate.cli import main as cli_main
from keras_migrate.formats import detect_format, load
from keras_migrate.ir.graph import flatten_structure
from keras_migrate.ir.interpreter import run_graph
from tests._arrays import interpret, load_npz
from tests._cli import convert_fails
from tests.conftest import FIXTURES
from tests.conversion._backend_runs import assert_outputs

GEN = FIXTURES / "tf-keras-2.21"


_arrays = load_npz


def _run(model: Any, ins: list[np.ndarray]) -> list[np.ndarray]:
    return interpret(model.graph, ins)


# --------------------------------------------------------------------------- tf_keras


def test_tf_keras_archive_layout_and_weights() -> None:
    path = GEN / "bidirectional_merge_modes.tfk.keras"
    assert detect_format(str(path)) == "keras-zip"
    with zipfile.ZipFile(path) as zf:
        config = json.loads(zf.read("config.json"))
        meta = json.loads(zf.read("metadata.json"))
    assert meta["keras_version"].startswith("2.") and config["module"].startswith("tf_keras")
    model = load(str(path))
    assert model.provenance.source_format == "keras-zip (tf_keras)"
    assert model.provenance.generation == "tf.keras"
    reference = {n: w.numpy() for n, w in load(str(GEN / "bidirectional_merge_modes.h5")).iter_weights()}
    got = {n: w.numpy() for n, w in model.iter_weights()}
    assert got.keys() == reference.keys()
    for k, v in reference.items():
        np.testing.assert_array_equal(got[k], v)


# --------------------------------------------------------------------------- this package's output


@pytest.mark.parametrize(
    "case", ["rnn_variants", "locally_connected_implementations", "shared_nested_model", "nested_functional_in_functional",
             "dict_io", "conv2d_channels_first"],
)
def test_own_output_reads_back(case: str, tmp_path: Path) -> None:
    """Converted files (compat layers, legacy hard_sigmoid, nested models) are inputs too."""
    out = tmp_path / f"{case}.keras"
    assert cli_main(["convert", str(GEN / f"{case}.h5"), "-o", str(out)]) == 0
    model = load(str(out))
    assert model.provenance.generation == "keras3"
    ins, outs = _arrays(GEN / f"{case}.npz")
    assert_outputs(_run(model, ins), outs)


def test_every_emitter_accepts_a_keras3_archive(tmp_path: Path) -> None:
    src = tmp_path / "src.keras"
    assert cli_main(["convert", str(GEN / "rnn_cells.h5"), "-o", str(src)]) == 0
    ins, outs = _arrays(GEN / "rnn_cells.npz")
    for suffix in (".keras", ".weights.h5", ".kmir", ".py"):
        # .py writes <stem>.weights.h5 beside it, so each kind gets its own stem.
        out = tmp_path / f"again_{suffix.strip('.').replace('.', '_')}{suffix}"
        assert cli_main(["convert", str(src), "-o", str(out)]) == 0, suffix
        assert out.exists()
    assert_outputs(_run(load(str(tmp_path / "again_kmir.kmir")), ins), outs)
    assert cli_main(["inspect", str(src), "--json"]) == 0


# --------------------------------------------------------------------------- errors


def _fails(argv: list[str], out: Path, capsys, *needles: str) -> None:
    convert_fails(argv, out, capsys, *needles, one_line=False)


def test_truncated_archive(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.keras"
    raw = (GEN / "conv.tfk.keras").read_bytes()
    bad.write_bytes(raw[: len(raw) // 2])
    _fails(["convert", str(bad)], tmp_path / "o.keras", capsys, "archive")


def test_archive_without_weights(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.keras"
    with zipfile.ZipFile(GEN / "conv.tfk.keras") as src, zipfile.ZipFile(bad, "w") as dst:
        for n in ("config.json", "metadata.json"):
            dst.writestr(n, src.read(n))
    _fails(["convert", str(bad)], tmp_path / "o.keras", capsys, "model.weights.h5")


def test_weights_that_do_not_fit(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.keras"
    with zipfile.ZipFile(GEN / "conv.tfk.keras") as a, zipfile.ZipFile(GEN / "pooling.tfk.keras") as b, \
            zipfile.ZipFile(bad, "w") as dst:
        dst.writestr("config.json", a.read("config.json"))
        dst.writestr("metadata.json", a.read("metadata.json"))
        dst.writestr("model.weights.h5", b.read("model.weights.h5"))
    _fails(["convert", str(bad)], tmp_path / "o.keras", capsys, "no array for weight")


def test_keras3_hard_sigmoid_keeps_keras3_slope(tmp_path: Path) -> None:
    """Keras 3's hard_sigmoid (slope 1/6) must not silently become the legacy one (0.2)."""
    from keras_migrate.formats import load

    src = tmp_path / "src.keras"
    assert cli_main(["convert", str(GEN / "conv.h5"), "-o", str(src)]) == 0
    k3 = tmp_path / "k3.keras"
    with zipfile.ZipFile(src) as a, zipfile.ZipFile(k3, "w") as dst:
        for n in a.namelist():
            data = a.read(n)
            if n == "config.json":
                data = data.replace(b'"activation": "relu"', b'"activation": "hard_sigmoid"', 1)
                assert b"hard_sigmoid" in data
            dst.writestr(n, data)
    model = load(str(k3))
    acts = [lay.config.get("activation") for _, lay in model.graph.walk_layers()]
    assert "hard_sigmoid" in acts and "keras_migrate>legacy_hard_sigmoid" not in acts
    legacy = load(str(src))
    ins, _ = load_npz(GEN / "conv.npz")
    a = flatten_structure(run_graph(model.graph, ins))
    b = flatten_structure(run_graph(legacy.graph, ins))
    assert not all(np.allclose(x, y) for x, y in zip(a, b))  # the activation really changed


# --------------------------------------------------------------------------- Keras 3 itself

_BUILD = textwrap.dedent(
    """
    import json, os, sys
    os.environ["KERAS_BACKEND"] = "jax"
    import numpy as np
    import keras
    from keras import layers as L

    out = sys.argv[1]
    rng = np.random.default_rng(0)

    def mlp():
        x = keras.Input((6,), name="x")
        h = L.Dropout(0.3)(L.Dense(8, activation="relu")(x))
        return keras.Model(x, L.Dense(3, activation="softmax")(h))

    def cnn():
        x = keras.Input((12, 12, 3))
        h = L.Activation("relu")(L.BatchNormalization()(L.Conv2D(4, 3, padding="same")(x)))
        h = L.DepthwiseConv2D(3, depth_multiplier=2)(L.MaxPooling2D()(h))
        h = L.Conv2DTranspose(3, 2, strides=2)(L.SeparableConv2D(5, 2)(h))
        h = L.UpSampling2D()(L.ZeroPadding2D(1)(h))
        return keras.Model(x, L.Dense(2)(L.GlobalAveragePooling2D()(h)))

    def rnn():
        x = keras.Input((7,), dtype="int32")
        h = L.Embedding(20, 6)(x)
        a = L.GRU(4, return_sequences=True)(L.LSTM(5, return_sequences=True)(h))
        return keras.Model(x, L.Concatenate()([L.Bidirectional(L.LSTM(3))(a), L.SimpleRNN(2)(h)]))

    def sequential():
        return keras.Sequential([keras.Input((10, 3)), L.Conv1D(4, 3, activation="tanh"), L.LayerNormalization(),
                                 L.Flatten(), L.Dense(2)], name="seq")

    def nested():
        inner = keras.Sequential([keras.Input((4,)), L.Dense(5, activation="relu"), L.BatchNormalization()], name="inner")
        xi = keras.Input((5,))
        tower = keras.Model(xi, L.Dense(3)(xi), name="tower")
        a, b = keras.Input((4,)), keras.Input((4,))
        ta, tb = tower(inner(a)), tower(inner(b))
        return keras.Model([a, b], [L.Subtract()([ta, tb]), tb, L.Add()([ta, tb])])

    def dict_io():
        a, b = keras.Input((3,), name="a"), keras.Input((2, 2), name="b")
        h = L.PReLU()(L.Dense(4)(L.Concatenate()([a, L.Flatten()(b)])))
        return keras.Model({"a": a, "b": b}, {"y": L.Dense(2, name="y")(h), "z": L.LeakyReLU(negative_slope=0.1, name="z")(h)})

    def time_distributed():
        x = keras.Input((4, 5))
        h = L.Conv1D(2, 2, padding="causal", dilation_rate=2)(L.TimeDistributed(L.Dense(3))(x))
        return keras.Model(x, L.GlobalMaxPooling1D()(h))

    for name, fn in dict(mlp=mlp, cnn=cnn, rnn=rnn, sequential=sequential, nested=nested, dict_io=dict_io,
                         time_distributed=time_distributed).items():
        keras.utils.set_random_seed(1)
        m = fn()
        for w in m.weights:
            v = np.asarray(w.numpy())
            if "variance" in w.path or "gamma" in w.path:
                w.assign(rng.uniform(0.5, 1.5, v.shape).astype(v.dtype))
            elif np.issubdtype(v.dtype, np.floating):
                w.assign((rng.standard_normal(v.shape) * (0.5 if v.ndim > 1 else 0.2)).astype(v.dtype))
        ins = []
        for t in m.inputs:
            shape = [2] + list(t.shape[1:])
            ins.append(rng.integers(0, 20, shape).astype("int32") if "int" in str(t.dtype)
                       else rng.standard_normal(shape).astype("float32"))
        feed = {t.name: a for t, a in zip(m.inputs, ins)} if name == "dict_io" else (ins if len(ins) > 1 else ins[0])
        y = m.predict(feed, verbose=0)
        ys = [y[k] for k in sorted(y)] if isinstance(y, dict) else (list(y) if isinstance(y, (list, tuple)) else [y])
        m.save(f"{out}/{name}.keras")
        np.savez(f"{out}/{name}.npz", **{f"input_{i}": a for i, a in enumerate(ins)},
                 **{f"output_{i}": a for i, a in enumerate(ys)})
    print(keras.__version__)
    """
)

KERAS3_MODELS = ("mlp", "cnn", "rnn", "sequential", "nested", "dict_io", "time_distributed")


@pytest.fixture(scope="module")
def keras3_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if importlib.util.find_spec("keras") is None or importlib.util.find_spec("jax") is None:
        pytest.skip("keras 3 with the jax backend is needed to write Keras 3 archives")
    work = tmp_path_factory.mktemp("keras3_models")
    (work / "build.py").write_text(_BUILD)
    proc = subprocess.run(
        [sys.executable, str(work / "build.py"), str(work)], capture_output=True, text=True, check=False, timeout=900,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""},
    )
    if proc.returncode != 0:
        pytest.fail(f"Keras 3 builder failed:\n{proc.stderr[-4000:]}")
    return work


@pytest.mark.parametrize("name", KERAS3_MODELS)
def test_keras3_archive_matches_keras3(name: str, keras3_models: Path, tmp_path: Path) -> None:
    path = keras3_models / f"{name}.keras"
    model = load(str(path))
    assert model.provenance.source_format == "keras-zip" and model.provenance.generation == "keras3"
    ins, outs = _arrays(keras3_models / f"{name}.npz")
    assert_outputs(_run(model, ins), outs)
    copy = tmp_path / "copy.keras"
    assert cli_main(["convert", str(path), "-o", str(copy)]) == 0
    assert_outputs(_run(load(str(copy)), ins), outs)


@pytest.mark.backends
def test_verify_compares_two_keras3_archives(keras3_models: Path, tmp_path: Path, capsys) -> None:
    from keras_migrate.verification import available_backends

    if "jax" not in available_backends():
        pytest.skip("jax is not installed")
    src = keras3_models / "nested.keras"
    copy = tmp_path / "nested.keras"
    shutil.copy(src, tmp_path / "orig.keras")
    assert cli_main(["convert", str(src), "-o", str(copy)]) == 0
    assert cli_main(["verify", str(tmp_path / "orig.keras"), str(copy), "--backends", "jax", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is True
