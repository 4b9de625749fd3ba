"""Pooling against Keras 3: same-padding splits (average excludes padded cells), strides,
layouts, global pooling with keepdims and masks."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

keras = pytest.importorskip("keras")
pytestmark = pytest.mark.usefixtures("cheap_keras_init")

from kernel_harness import check_layer, check_model, rand  # noqa: E402

CF = {"data_format": "channels_first"}

ROWS: list[tuple[str, dict[str, Any], tuple[int, ...]]] = [
    ("MaxPooling1D", {}, (2, 9, 3)),
    ("MaxPooling1D", {"pool_size": 3, "strides": 2, "padding": "same"}, (2, 8, 3)),
    ("MaxPooling1D", {"pool_size": 2, "padding": "same", **CF}, (2, 3, 7)),
    ("AveragePooling1D", {"pool_size": 3}, (2, 9, 3)),
    ("AveragePooling1D", {"pool_size": 3, "strides": 2, "padding": "same"}, (2, 8, 3)),
    ("AveragePooling1D", {"pool_size": 4, "strides": 1, "padding": "same", **CF}, (2, 3, 7)),
    ("MaxPooling2D", {}, (2, 6, 7, 3)),
    ("MaxPooling2D", {"pool_size": 3, "strides": 2, "padding": "same"}, (2, 7, 8, 3)),
    ("MaxPooling2D", {"pool_size": [2, 3], "strides": [1, 2], **CF}, (2, 3, 6, 7)),
    ("AveragePooling2D", {"pool_size": 2}, (2, 6, 7, 3)),
    ("AveragePooling2D", {"pool_size": 3, "strides": 2, "padding": "same"}, (2, 7, 8, 3)),
    ("AveragePooling2D", {"pool_size": 3, "strides": 1, "padding": "same", **CF}, (2, 3, 5, 6)),
    ("MaxPooling3D", {}, (2, 4, 5, 4, 2)),
    ("MaxPooling3D", {"pool_size": 3, "strides": 2, "padding": "same", **CF}, (2, 2, 5, 4, 6)),
    ("AveragePooling3D", {"pool_size": 2, "padding": "same"}, (2, 5, 4, 3, 2)),
    ("AveragePooling3D", {"pool_size": [1, 2, 3], "strides": 1, "padding": "same", **CF}, (2, 2, 3, 4, 5)),
    ("GlobalMaxPooling1D", {}, (2, 5, 3)),
    ("GlobalMaxPooling1D", {"keepdims": True, **CF}, (2, 3, 5)),
    ("GlobalAveragePooling1D", {}, (2, 5, 3)),
    ("GlobalAveragePooling1D", {"keepdims": True, **CF}, (2, 3, 5)),
    ("GlobalMaxPooling2D", {}, (2, 4, 5, 3)),
    ("GlobalMaxPooling2D", {"keepdims": True, **CF}, (2, 3, 4, 5)),
    ("GlobalAveragePooling2D", {"keepdims": True}, (2, 4, 5, 3)),
    ("GlobalAveragePooling2D", CF, (2, 3, 4, 5)),
    ("GlobalMaxPooling3D", {}, (2, 2, 3, 4, 3)),
    ("GlobalAveragePooling3D", {"keepdims": True, **CF}, (2, 3, 2, 3, 4)),
]


@pytest.mark.parametrize(("class_name", "config", "shape"), ROWS, ids=[f"{c}-{i}" for i, (c, _, _) in enumerate(ROWS)])
def test_pooling_layer(class_name: str, config: dict[str, Any], shape: tuple[int, ...]) -> None:
    check_layer(class_name, config, rand(shape, seed=7))


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_global_average_pooling_1d_explicit_mask(data_format: str) -> None:
    shape = (2, 5, 3) if data_format == "channels_last" else (2, 3, 5)
    mask = np.array([[1, 1, 0, 1, 0], [1, 0, 0, 0, 0]], dtype=bool)
    check_layer("GlobalAveragePooling1D", {"data_format": data_format}, rand(shape, seed=8), call_kwargs={"mask": mask})


def test_global_max_pooling_ignores_mask() -> None:
    x = rand((2, 5, 3), seed=9)
    x[0, 3:] = 0.0
    inp = keras.Input((5, 3))
    y = keras.layers.Masking()(inp)
    y = keras.layers.GlobalMaxPooling1D()(y)
    check_model(keras.Model(inp, y), x)
