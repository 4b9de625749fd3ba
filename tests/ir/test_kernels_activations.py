"""Activation functions and activation layers against Keras 3."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

keras = pytest.importorskip("keras")
pytestmark = pytest.mark.usefixtures("cheap_keras_init")

from kernel_harness import check_layer, check_model, rand  # noqa: E402

from keras_migrate.ir.interpreter.kernels.activations import ACTIVATIONS, get_activation  # noqa: E402

X = rand((2, 5, 6), seed=3, scale=3.0)

KERAS_NAMES = sorted(n for n in ACTIVATIONS if not n.startswith("keras_migrate>"))


@pytest.mark.parametrize("name", KERAS_NAMES)
def test_activation_function(name: str) -> None:
    expected = np.asarray(keras.activations.get(name)(X))
    np.testing.assert_allclose(get_activation(name)(X), expected, rtol=1e-4, atol=1e-5)


def test_legacy_hard_sigmoid() -> None:
    x = np.array([-3.0, -2.5, 0.0, 1.0, 2.5, 3.0], dtype=np.float32)
    np.testing.assert_allclose(get_activation("keras_migrate>legacy_hard_sigmoid")(x), [0, 0, 0.5, 0.7, 1, 1])


LAYERS: list[tuple[str, dict[str, Any]]] = [
    ("Activation", {"activation": "relu"}),
    ("Activation", {"activation": "gelu"}),
    ("Activation", {"activation": "softmax"}),
    ("ReLU", {}),
    ("ReLU", {"max_value": 6.0}),
    ("ReLU", {"max_value": 1.5, "negative_slope": 0.1}),
    ("ReLU", {"threshold": 0.5}),
    ("ReLU", {"threshold": 0.5, "negative_slope": 0.2, "max_value": 2.0}),
    ("ReLU", {"negative_slope": 0.3}),
    ("LeakyReLU", {}),
    ("LeakyReLU", {"negative_slope": 0.05}),
    ("PReLU", {}),
    ("PReLU", {"shared_axes": [1]}),
    ("ELU", {}),
    ("ELU", {"alpha": 0.5}),
    ("Softmax", {}),
    ("Softmax", {"axis": 1}),
    ("Softmax", {"axis": [1, 2]}),
]


@pytest.mark.parametrize(("class_name", "config"), LAYERS, ids=[f"{c}-{i}" for i, (c, _) in enumerate(LAYERS)])
def test_activation_layer(class_name: str, config: dict[str, Any]) -> None:
    check_layer(class_name, config, X)


def test_softmax_explicit_mask() -> None:
    mask = rand((2, 5, 6), seed=9) > 0
    check_layer("Softmax", {}, X, call_kwargs={"mask": mask})


def test_thresholded_relu_matches_relu_threshold() -> None:
    from keras_migrate.ir.graph import Layer
    from keras_migrate.ir.interpreter import Context
    from keras_migrate.ir.interpreter.kernels.activations import thresholded_relu

    out = thresholded_relu(Layer("t", "ThresholdedReLU", {"theta": 0.7}), (X,), {}, Context())
    np.testing.assert_allclose(out, np.asarray(keras.layers.ReLU(threshold=0.7)(X)))


def test_mask_passes_through_activation() -> None:
    inp = keras.Input((4,))
    x = keras.layers.Embedding(10, 3, mask_zero=True)(inp)
    x = keras.layers.Activation("tanh")(x)
    x = keras.layers.LSTM(2)(x)
    ids = np.array([[1, 2, 0, 0], [3, 0, 0, 0]], dtype=np.float32)
    check_model(keras.Model(inp, x), ids)
