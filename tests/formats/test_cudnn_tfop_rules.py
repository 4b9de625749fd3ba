"""Rules for CuDNNLSTM/CuDNNGRU and TensorFlowOpLayer (issue 12, part A), beyond the
fixture matrix (tests/conversion/test_cudnn_tfop.py).

* CuDNN weights: standalone Keras' per-gate kernel re-layout is the one Keras 2.2.4's own
  loader applies (``kernel.T.reshape(kernel.shape, order='F')`` per gate; recurrent blocks
  transposed), checked on the stored arrays of the genuine fixture; tf_keras kernels are
  kept; biases summed (LSTM) or reshaped to ``(2, 3 * units)`` (GRU).
* TensorFlowOpLayer configs as tf.keras 2.0-2.3 wrote them (constants as plain JSON
  values, ``AddV2``) run in the numpy interpreter as TF computes them.
* Refusals are one line naming the layer: an op outside the table, a constant inside a
  concatenated list, CuDNN ``time_major=True``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest

from keras_migrate.formats import load
from keras_migrate.formats.keras2.cudnn import flattened_kernels
from keras_migrate.ir.interpreter import run_graph
from keras_migrate.ir.ops.tf import TF_NODE_OPS, TF_OPS, strided_slice_items
from tests._arrays import load_npz
from tests._cli import convert_fails

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def _gates(array: np.ndarray, n: int, fn: Any) -> np.ndarray:
    return np.concatenate([fn(block) for block in np.split(array, n, axis=-1)], axis=-1)


def _stored(path: Path, layer: str) -> dict[str, np.ndarray]:
    with h5py.File(path, "r") as f:
        group = f["model_weights"][layer] if "model_weights" in f else f[layer]
        out: dict[str, np.ndarray] = {}
        group.visititems(lambda n, o: out.__setitem__(n, o[()]) if isinstance(o, h5py.Dataset) else None)
    return out


def _one(stored: dict[str, np.ndarray], suffix: str) -> np.ndarray:
    (key,) = [k for k in stored if k.endswith(suffix)]
    return stored[key]


@pytest.mark.parametrize(
    ("generation", "standalone"), [("keras-2.2.4", True), ("tf-keras-2.21", False)]
)
@pytest.mark.parametrize(("layer", "gates"), [("lstm_seq", 4), ("gru_back", 3)])
def test_cudnn_weights_become_lstm_gru_weights(generation: str, standalone: bool, layer: str, gates: int) -> None:
    path = FIXTURES / generation / "cudnn_rnn.h5"
    ir = load(str(path)).graph.layer(layer)
    stored = _stored(path, layer)
    kernel, recurrent, bias = (_one(stored, s) for s in ("/kernel:0", "/recurrent_kernel:0", "/bias:0"))
    if standalone:  # Keras 2.2.4 saving.py _convert_rnn_weights, from_cudnn=True
        kernel = _gates(kernel, gates, lambda k: k.T.reshape(k.shape, order="F"))
        recurrent = _gates(recurrent, gates, lambda k: k.T)
    np.testing.assert_array_equal(ir.weight("kernel").numpy(), kernel)
    np.testing.assert_array_equal(ir.weight("recurrent_kernel").numpy(), recurrent)
    want = bias.reshape(2, -1).sum(axis=0) if gates == 4 else bias.reshape(2, -1)
    np.testing.assert_array_equal(ir.weight("bias").numpy(), want)
    assert ir.type == ("LSTM" if gates == 4 else "GRU")
    assert ir.config["recurrent_activation"] == "sigmoid"
    assert ir.config.get("reset_after", True) is True


def test_cudnn_time_major_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = json.loads((FIXTURES / "tf-keras-2.21" / "cudnn_rnn.json").read_text())
    for entry in config["config"]["layers"]:
        if entry["class_name"] == "CuDNNLSTM":
            entry["config"]["time_major"] = True
    path = tmp_path / "arch.json"
    path.write_text(json.dumps(config))
    convert_fails(["convert", str(path)], tmp_path / "out.keras", capsys, "'lstm_seq'", "time_major=True")


# --------------------------------------------------------------------------- TensorFlowOpLayer


def _op(name: str, op: str, inputs: list[str], sources: list[str], constants: dict[str, Any], attr: dict | None = None) -> dict:
    return {
        "class_name": "TensorFlowOpLayer",
        "name": f"tf_op_layer_{name}",
        "config": {
            "name": name,
            "trainable": True,
            "dtype": "float32",
            "node_def": {"name": name, "op": op, "input": inputs, "attr": {"T": {"type": "DT_FLOAT"}, **(attr or {})}},
            "constants": constants,
        },
        "inbound_nodes": [[[s, 0, 0, {}] for s in sources]],
    }


def _model(tmp_path: Path, layers: list[dict], outputs: list[str]) -> Path:
    """A tf.keras 2.2-style functional config (keras_version 2.2.4-tf) with one input x of shape (None, 4, 6)."""
    config = {
        "class_name": "Model",
        "config": {
            "name": "m",
            "layers": [
                {"class_name": "InputLayer", "name": "x", "config": {"name": "x", "batch_input_shape": [None, 4, 6], "dtype": "float32"}, "inbound_nodes": []},
                *layers,
            ],
            "input_layers": [["x", 0, 0]],
            "output_layers": [[o, 0, 0] for o in outputs],
        },
        "keras_version": "2.2.4-tf",
        "backend": "tensorflow",
    }
    path = tmp_path / "arch.json"
    path.write_text(json.dumps(config))
    return path


def test_tf_keras_2x_op_layers_compute_what_tf_computes(tmp_path: Path) -> None:
    """``x / 127.5 - 1``, ``tf.reshape(x, [-1, 6])`` (batch folded), ``x + x`` (AddV2),
    ``tf.reduce_mean(x, [1, 2], keepdims=True)``, ``tf.concat([x, x], 1)``, ``tf.transpose``
    and ``tf.nn.leaky_relu``, with constants as plain JSON values."""
    layers = [
        _op("truediv", "RealDiv", ["x", "truediv/y"], ["x"], {"1": 127.5}),
        _op("sub", "Sub", ["truediv", "sub/y"], ["tf_op_layer_truediv"], {"1": 1.0}),
        _op("Reshape", "Reshape", ["x", "Reshape/shape"], ["x"], {"1": [-1, 6]}, {"Tshape": {"type": "DT_INT32"}}),
        _op("add", "AddV2", ["x", "x"], ["x", "x"], {}),
        _op("Mean", "Mean", ["x", "Mean/reduction_indices"], ["x"], {"1": [1, 2]}, {"keep_dims": {"b": True}}),
        _op("concat", "ConcatV2", ["x", "x", "concat/axis"], ["x", "x"], {"2": 1}, {"N": {"i": "2"}}),
        _op("transpose", "Transpose", ["x", "transpose/perm"], ["x"], {"1": [0, 2, 1]}),
        _op("LeakyRelu", "LeakyRelu", ["x"], ["x"], {}, {"alpha": {"f": 0.1}}),
        _op("Squeeze", "Squeeze", ["Mean"], ["tf_op_layer_Mean"], {}, {"squeeze_dims": {"list": {"i": ["2"]}}}),
    ]
    names = [entry["name"] for entry in layers]
    model = load(str(_model(tmp_path, layers, names)))
    x = np.random.default_rng(0).standard_normal((3, 4, 6)).astype("float32")
    got = run_graph(model.graph, [x])
    mean = x.mean(axis=(1, 2), keepdims=True)
    want = [
        x / np.float32(127.5), x / np.float32(127.5) - 1, x.reshape(-1, 6), x + x, mean,
        np.concatenate([x, x], 1), x.transpose(0, 2, 1), np.where(x > 0, x, 0.1 * x), mean[:, :, 0],
    ]  # fmt: skip
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-6)
    types = {layer.name: layer.type for layer in model.graph.layers}
    assert types["tf_op_layer_add"] == "Add" and types["tf_op_layer_concat"] == "Concatenate"
    assert types["tf_op_layer_transpose"] == "Permute" and types["tf_op_layer_Reshape"] == "keras_migrate>TFOp"


@pytest.mark.parametrize(
    ("layer", "needles"),
    [
        (_op("cumsum", "Cumsum", ["x", "a"], ["x"], {"1": 1}), ["'tf_op_layer_cumsum'", "'Cumsum'"]),
        (_op("strided", "StridedSlice", ["x", "b", "e", "s"], ["x"], {"2": [1], "3": [1]}), ["'tf_op_layer_strided'", "constant lists"]),
        (_op("strided", "StridedSlice", ["x", "b", "e", "s"], ["x"], {"1": [0, 0], "2": [0, 1], "3": [1, 0]}), ["'tf_op_layer_strided'", "zero stride"]),
        (_op("strided", "StridedSlice", ["x", "b", "e", "s"], ["x"], {"1": [0], "2": [1], "3": [1]}, {"begin_mask": {"i": "2"}}), ["'tf_op_layer_strided'", "past the 1 slice items"]),
        (_op("strided", "StridedSlice", ["x", "b", "e", "s"], ["x"], {"1": [0, 0], "2": [0, 1], "3": [1, -1]}, {"shrink_axis_mask": {"i": "2"}}), ["'tf_op_layer_strided'", "shrunk axis with stride -1"]),
        (_op("strided", "StridedSlice", ["x", "b", "e", "s"], ["x"], {"1": [0, 0], "2": [0, 0], "3": [1, 1]}, {"ellipsis_mask": {"i": "3"}}), ["'tf_op_layer_strided'", "more than one ellipsis"]),
        (_op("concat", "ConcatV2", ["x", "c", "concat/axis"], ["x"], {"1": [[[1.0]]], "2": 1}), ["'tf_op_layer_concat'", "list of Keras tensors"]),
        (_op("add", "AddV2", ["x", "x"], ["x"], {}), ["'tf_op_layer_add'", "takes 2 Keras tensors but is called on 1"]),
        (_op("Mean", "Mean", ["x", "m"], ["x"], {"1": 1}, {"keep_dims": {"b": "no"}}), ["'tf_op_layer_Mean'", "keep_dims"]),
        (_op("pad", "MirrorPad", ["x", "p"], ["x"], {"1": [[0, 0], [1, 1], [0, 0]]}, {"mode": {"s": "%%"}}), ["'tf_op_layer_pad'", "mode"]),
        (_op("sub", "Sub", ["x", "y"], ["x"], {"y": 1.0}), ["'tf_op_layer_sub'", "not by input index"]),
    ],
    ids=["unknown-op", "strided-tensor-begin", "strided-zero-stride", "strided-mask-past-end", "strided-shrink-negative",
         "strided-two-ellipses", "constant-in-list", "wrong-inputs", "bad-bool", "bad-string", "bad-constant-key"],
)
def test_op_layer_refusals_name_the_layer(layer: dict, needles: list[str], tmp_path: Path, capsys) -> None:
    path = _model(tmp_path, [layer], [layer["name"]])
    convert_fails(["convert", str(path)], tmp_path / "out.keras", capsys, *needles)


def test_every_node_op_is_a_known_tf_function() -> None:
    """The NodeDef table only points into the TF function table (one fact, one place)."""
    for op, node_op in TF_NODE_OPS.items():
        spec = TF_OPS[node_op.function]
        if node_op.rewrite is None:
            assert set(node_op.inputs) <= set(spec.params), op
            assert set(node_op.attrs.values()) <= set(spec.params), op
        else:  # the rewrite passes the tensor through and makes the function's other parameters
            assert node_op.inputs[0] == spec.params[0], op


def _random_strided_slices(count: int) -> list[tuple[list[int], list[int], list[int], dict[str, int]]]:
    """``StridedSlice`` arguments over a (2, 5, 4, 3) tensor: 1-4 items, every mask, bounds
    and strides of both signs (some invalid: TF's refusal is then expected too)."""
    rng = np.random.default_rng(12)
    out = []
    for _ in range(count):
        n = int(rng.integers(1, 5))
        begin = [int(v) for v in rng.integers(-5, 6, n)]
        end = [int(v) for v in rng.integers(-5, 6, n)]
        strides = [int(v) for v in rng.choice([-3, -2, -1, 1, 2, 3], n)]
        masks = {m: int(rng.integers(0, 1 << n)) if rng.random() < 0.6 else 0 for m in _MASKS}
        ellipsis = masks["ellipsis_mask"]
        masks["ellipsis_mask"] = ellipsis & -ellipsis  # TF allows one ellipsis
        out.append((begin, end, strides, masks))
    return out


_MASKS = ("begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask")


def test_strided_slice_items_compute_what_tf_computes() -> None:
    """The subscript items :func:`strided_slice_items` makes of a ``StridedSlice`` node,
    run by the numpy kernel of ``x[...]``, give what ``tf.strided_slice`` gives with the
    same arguments, over random masks, bounds and strides (negative ones included)."""
    tf = pytest.importorskip("tensorflow")
    from keras_migrate.ir.interpreter.kernels.tfkeras import NUMPY
    from keras_migrate.ir.ops.tf_semantics import TF_SEMANTICS

    x = np.arange(2 * 5 * 4 * 3, dtype="float32").reshape(2, 5, 4, 3)
    compared = 0
    for begin, end, strides, masks in _random_strided_slices(400):
        try:
            want = tf.strided_slice(x, begin, end, strides, **masks).numpy()
        except (tf.errors.InvalidArgumentError, ValueError):
            continue
        items = strided_slice_items(begin, end, strides, masks)
        got = TF_SEMANTICS["getitem"](NUMPY, {"tensor": x, "slice_spec": items})
        assert got.shape == want.shape, (begin, end, strides, masks, items)
        np.testing.assert_array_equal(got, want, err_msg=str((begin, end, strides, masks, items)))
        compared += 1
    assert compared > 200, compared


@pytest.mark.parametrize(
    ("version", "generation", "flattened"),
    [
        ("2.2.4", "keras2", True), ("2.3.1", "keras2", True), ("2.1.6-tf", "tf.keras", True),
        ("2.2.4-tf", "tf.keras", True), ("2.3.0-tf", "tf.keras", False), ("2.4.0", "tf.keras", False),
        ("2.21.0", "tf.keras", False), ("", "keras2", True), ("", "tf.keras", False),
    ],
)  # fmt: skip
def test_kernel_layout_follows_the_writing_version(version: str, generation: Any, flattened: bool) -> None:
    assert flattened_kernels(generation, version) is flattened


def test_ambiguous_tf_keras_version_is_noted(tmp_path: Path) -> None:
    """``2.2.4-tf`` was written by TF 1.13-2.1: read as TF 1.x did, and said so."""
    config = json.loads((FIXTURES / "keras-2.2.4" / "cudnn_rnn.json").read_text())
    config["keras_version"] = "2.2.4-tf"
    path = tmp_path / "arch.json"
    path.write_text(json.dumps(config))
    model = load(str(path), weights=str(FIXTURES / "keras-2.2.4" / "cudnn_rnn_weights.h5"))
    ins, outs = load_npz(FIXTURES / "keras-2.2.4" / "cudnn_rnn.npz")
    for got, want in zip(run_graph(model.graph, ins), outs, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    assert any("TF 1.x tf.keras' layout" in n for n in model.provenance.notes), model.provenance.notes
    plain = load(str(FIXTURES / "keras-2.2.4" / "cudnn_rnn.h5"))
    assert not any("CuDNN" in n for n in plain.provenance.notes)
