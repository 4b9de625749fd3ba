"""Weight sizes set by a layer's input, not its config (issue 16: a converted output always loads).

Each row damages one genuine fixture with h5py in a temporary copy: the named datasets grow
by one along the axis the layer's *input* fixes (a Dense kernel's rows, a convolution's
in-channels, a normalization's size...), consistently, so no config-only check can see it.
Keras 3 builds every layer from its input before it loads weights and would refuse the
``.keras``; the reader must refuse it first, in one line naming the file and the layer.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

from keras_migrate.errors import KerasMigrateError
from keras_migrate.formats import load
from keras_migrate.ir.input_weights import input_weight_shapes
from keras_migrate.ir.weights import close_open_files

ROOT = Path(__file__).resolve().parents[2]
FIX = ROOT / "fixtures"

# (fixture, layer named in the error, {dataset path under model_weights: axis to grow})
ROWS: list[tuple[str, str, dict[str, int]]] = [
    ("keras-2.2.4/dense_activations.h5", "dense_relu", {"dense_relu/dense_relu/kernel:0": 0}),
    ("keras-2.2.4/conv2d_channels_first.h5", "conv2d_2", {"conv2d_2/conv2d_2/kernel:0": 2}),
    ("keras-2.2.4/conv2d_transpose.h5", "conv2d_transpose_1", {"conv2d_transpose_1/conv2d_transpose_1/kernel:0": 3}),
    ("keras-2.2.4/depthwise_conv2d.h5", "depthwise_conv2d_1", {
        "depthwise_conv2d_1/depthwise_conv2d_1/depthwise_kernel:0": 2,
        "depthwise_conv2d_1/depthwise_conv2d_1/bias:0": 0,  # grown to 7, see _grow: the relation check wants 8
    }),
    ("keras-2.2.4/separable_conv.h5", "separable_conv2d_2", {
        "separable_conv2d_2/separable_conv2d_2/depthwise_kernel:0": 2,
        "separable_conv2d_2/separable_conv2d_2/pointwise_kernel:0": 2,
    }),
    ("keras-2.2.4/batchnorm_variants.h5", "batch_normalization_1", {
        f"batch_normalization_1/batch_normalization_1/{n}:0": 0 for n in ("gamma", "beta", "moving_mean", "moving_variance")
    }),
    ("keras-2.2.4/advanced_activations.h5", "p_re_lu_1", {"p_re_lu_1/p_re_lu_1/alpha:0": 0}),
    ("keras-2.2.4/gru_reset_after_true.h5", "gru_1", {"gru_1/gru_1/kernel:0": 0}),
    ("keras-2.2.4/bidirectional_none.h5", "bidirectional_1", {"bidirectional_1/bidirectional_1/forward_lstm_1/kernel:0": 0}),
    ("keras-2.2.4/convlstm2d.h5", "conv_lst_m2d_1", {"conv_lst_m2d_1/conv_lst_m2d_1/kernel:0": 2}),
    ("keras-2.2.4/timedistributed.h5", "time_distributed_1", {"time_distributed_1/time_distributed_1/kernel:0": 0}),
    ("tf-keras-2.21/stacked_lstm_sequential.h5", "lstm_1", {"lstm_1/lstm_1/lstm_cell/kernel:0": 0}),
    ("tf-keras-2.21/attention_layers.h5", "additive", {"additive/additive/scale:0": 0}),
    ("tf-keras-2.21/mha_self_cross.h5", "cross", {"cross/cross/query/kernel:0": 0}),
    ("tf-keras-2.21/mha_self_cross.h5", "keyed", {"keyed/keyed/key/kernel:0": 0}),
    ("tf-keras-2.21/layer_normalization.h5", "layer_normalization_1", {
        f"layer_normalization_1/layer_normalization_1/{n}:0": 0 for n in ("gamma", "beta")
    }),
    ("tf-keras-2.21/norm_layers.h5", "group_normalization", {
        f"group_normalization/group_normalization/{n}:0": 0 for n in ("gamma", "beta")
    }),
    ("keras-1.2.2/dense_activations.h5", "dense_elu", {"dense_elu/dense_elu_W:0": 0}),
    ("keras-1.2.2/conv2d_th.h5", "convolution2d_3", {"convolution2d_3/convolution2d_3_W:0": 1}),
    ("keras-1.2.2/maxout_highway.h5", "maxoutdense_1", {"maxoutdense_1/maxoutdense_1_W:0": 1}),
]


def _grow(path: Path, changes: dict[str, int]) -> None:
    """Replace each dataset by random floats one larger along ``axis`` (a depthwise bias
    follows its kernel's channels x multiplier, so the config and relation checks pass)."""
    rng = np.random.default_rng(0)
    with h5py.File(path, "r+") as f:
        group = f["model_weights"]
        grown: dict[str, tuple[int, ...]] = {}
        for name, axis in changes.items():
            old = group[name]
            shape = list(old.shape)
            if name.endswith("bias:0") and any(k.endswith("depthwise_kernel:0") for k in grown):
                kernel = next(v for k, v in grown.items() if k.endswith("depthwise_kernel:0"))
                shape[axis] = kernel[-2] * kernel[-1]
            else:
                shape[axis] += 1
            dtype = old.dtype
            del group[name]
            group.create_dataset(name, data=rng.standard_normal(shape).astype(dtype))
            grown[name] = tuple(shape)


@pytest.mark.parametrize(("fixture", "layer", "changes"), ROWS, ids=[f"{r[0]}:{r[1]}" for r in ROWS])
def test_weight_that_does_not_fit_the_input_is_refused(
    tmp_path: Path, fixture: str, layer: str, changes: dict[str, int]
) -> None:
    damaged = tmp_path / Path(fixture).name
    shutil.copyfile(FIX / fixture, damaged)
    load(str(damaged))  # undamaged: reads
    close_open_files()  # load keeps its input open for lazy weight reads
    _grow(damaged, changes)
    with pytest.raises(KerasMigrateError) as info:
        load(str(damaged))
    text = info.value.one_line()
    assert "\n" not in text
    assert text.startswith(f"{damaged}: layer '{layer}': weight '")
    assert "the layer's input" in text and "implies" in text


def test_cli_refuses_in_one_line_with_exit_2(tmp_path: Path) -> None:
    fixture, _, changes = ROWS[0]
    damaged = tmp_path / "damaged.h5"
    shutil.copyfile(FIX / fixture, damaged)
    _grow(damaged, changes)
    out = tmp_path / "out.keras"
    proc = subprocess.run(
        [sys.executable, "-m", "keras_migrate", "convert", str(damaged), "-o", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0] == (
        f"keras-migrate: error: {damaged}: layer 'dense_relu': weight 'kernel' has shape (7, 4), "
        "the layer's input (?, 6) implies (6, 4); the weights do not fit the architecture's input shapes, "
        "or the file is damaged"
    )
    assert not out.exists()


# (layer type, config, input shapes, expected {weight: shape})
UNIT_ROWS: list[tuple[str, dict[str, object], list[tuple[int | None, ...]], dict[str, tuple[int | None, ...]]]] = [
    ("Dense", {"units": 4}, [(None, 7)], {"kernel": (7, None)}),
    ("Dense", {"units": 4}, [(None, None)], {"kernel": (None, None)}),  # unknown: anything fits
    ("Conv2D", {"filters": 2, "groups": 2}, [(None, 5, 5, 6)], {"kernel": (None, None, 3, None)}),
    ("Conv2D", {"filters": 2, "data_format": "channels_first"}, [(None, 6, 5, 5)], {"kernel": (None, None, 6, None)}),
    ("Conv1DTranspose", {"filters": 2}, [(None, 5, 3)], {"kernel": (None, None, 3)}),  # (k, filters, in)
    ("BatchNormalization", {"axis": 1}, [(None, 4, 9, 9)], dict.fromkeys(("gamma", "beta", "moving_mean", "moving_variance"), (4,))),
    ("LayerNormalization", {"axis": [1, 2]}, [(None, 3, 6)], {"gamma": (3, 6), "beta": (3, 6)}),
    ("PReLU", {"shared_axes": [1, 2]}, [(None, 4, 4, 3)], {"alpha": (1, 1, 3)}),
    ("LSTM", {"units": 3}, [(None, 5, 2)], {"kernel": (2, None)}),
    ("LSTM", {"units": 3}, [(None, 2)], {}),  # not a sequence: no rule applies
    ("RNN", {"cell": {"class_name": "StackedRNNCells", "config": {"cells": [
        {"class_name": "LSTMCell", "config": {"units": 4}}, {"class_name": "GRUCell", "config": {"units": 2}}]}}},
     [(None, 5, 3)], {"cells/0/kernel": (3, None), "cells/1/kernel": (4, None)}),
    ("TimeDistributed", {"layer": {"class_name": "Dense", "config": {"units": 2}}}, [(None, 5, 7)], {"kernel": (7, None)}),
    ("Bidirectional", {"layer": {"class_name": "GRU", "config": {"units": 2}}}, [(None, 5, 7)],
     {"forward_layer/kernel": (7, None), "backward_layer/kernel": (7, None)}),
    ("MultiHeadAttention", {"num_heads": 2, "key_dim": 3}, [(None, 4, 6), (None, 5, 3)], {
        "query_dense/kernel": (6, None, None), "key_dense/kernel": (3, None, None),
        "value_dense/kernel": (3, None, None), "output_dense/kernel": (None, None, 6), "output_dense/bias": (6,)}),
    ("Conv2D", {"filters": 2, "groups": 0}, [(None, 5, 5, 6)], {}),  # unreadable config: says nothing
    ("Dense", {"units": 4}, [()], {}),
]


@pytest.mark.parametrize(("layer_type", "config", "inputs", "expected"), UNIT_ROWS)
def test_input_weight_rules(
    layer_type: str, config: dict[str, object], inputs: list[tuple[int | None, ...]], expected: dict[str, tuple[int | None, ...]]
) -> None:
    assert input_weight_shapes(layer_type, config, inputs) == expected



def test_weight_the_input_leaves_unknown_is_refused(tmp_path: Path) -> None:
    """An input shape with an unknown feature dimension: the stored kernel may be any size,
    but Keras 3 builds the kernel from the input shape and cannot create it."""
    damaged = tmp_path / "dense.h5"
    shutil.copyfile(FIX / "keras-2.2.4/dense_activations.h5", damaged)
    with h5py.File(damaged, "r+") as f:
        raw = f.attrs["model_config"]
        config = json.loads(raw.decode() if isinstance(raw, bytes) else raw)
        first = config["config"]["layers"][0]["config"]
        assert first["batch_input_shape"][-1] == 6
        first["batch_input_shape"][-1] = None
        f.attrs["model_config"] = json.dumps(config)
    with pytest.raises(KerasMigrateError) as info:
        load(str(damaged))
    text = info.value.one_line()
    assert "\n" not in text and text.startswith(f"{damaged}: layer 'dense_")
    assert "cannot be built: the layer's input (?, ?) leaves its shape (?, 4) unknown" in text
