"""Reshaping, padding, cropping and upsampling layers against Keras 3."""

from __future__ import annotations

from typing import Any

import pytest

keras = pytest.importorskip("keras")
pytestmark = pytest.mark.usefixtures("cheap_keras_init")

from kernel_harness import check_layer, rand  # noqa: E402

CF = {"data_format": "channels_first"}

ROWS: list[tuple[str, dict[str, Any], tuple[int, ...]]] = [
    ("Reshape", {"target_shape": [3, 4]}, (2, 12)),
    ("Reshape", {"target_shape": [-1, 2]}, (2, 3, 4)),
    ("Permute", {"dims": [2, 1]}, (2, 3, 4)),
    ("Permute", {"dims": [3, 1, 2]}, (2, 3, 4, 5)),
    ("Flatten", {}, (2, 3, 4, 5)),
    ("Flatten", CF, (2, 3, 4, 5)),
    ("Flatten", {}, (2, 3)),
    ("RepeatVector", {"n": 3}, (2, 4)),
    ("ZeroPadding1D", {"padding": 2}, (2, 5, 3)),
    ("ZeroPadding1D", {"padding": [1, 3]}, (2, 5, 3)),
    ("ZeroPadding1D", {"padding": [1, 3], **CF}, (2, 3, 5)),
    ("ZeroPadding2D", {"padding": 1}, (2, 4, 5, 3)),
    ("ZeroPadding2D", {"padding": [[1, 2], [0, 3]]}, (2, 4, 5, 3)),
    ("ZeroPadding2D", {"padding": [[1, 2], [0, 3]], **CF}, (2, 3, 4, 5)),
    ("ZeroPadding3D", {"padding": [[1, 0], [0, 2], [1, 1]]}, (2, 3, 4, 2, 3)),
    ("ZeroPadding3D", {"padding": 1, **CF}, (2, 3, 3, 4, 2)),
    ("Cropping1D", {"cropping": [1, 2]}, (2, 6, 3)),
    ("Cropping1D", {"cropping": [0, 0]}, (2, 6, 3)),
    ("Cropping2D", {"cropping": [[1, 0], [2, 1]]}, (2, 5, 6, 3)),
    ("Cropping2D", {"cropping": [[1, 0], [2, 1]], **CF}, (2, 3, 5, 6)),
    ("Cropping3D", {"cropping": [[1, 1], [0, 2], [1, 0]]}, (2, 4, 5, 3, 2)),
    ("Cropping3D", {"cropping": [[1, 1], [0, 2], [1, 0]], **CF}, (2, 2, 4, 5, 3)),
    ("UpSampling1D", {"size": 3}, (2, 4, 3)),
    ("UpSampling2D", {"size": [2, 3]}, (2, 3, 4, 2)),
    ("UpSampling2D", {"size": [2, 3], **CF}, (2, 2, 3, 4)),
    ("UpSampling2D", {"size": [2, 2], "interpolation": "bilinear"}, (2, 3, 4, 2)),
    ("UpSampling2D", {"size": [3, 2], "interpolation": "bilinear", **CF}, (2, 2, 3, 5)),
    ("UpSampling3D", {"size": [2, 1, 3]}, (2, 2, 3, 2, 2)),
    ("UpSampling3D", {"size": [1, 2, 2], **CF}, (2, 2, 2, 3, 2)),
]


@pytest.mark.parametrize(("class_name", "config", "shape"), ROWS, ids=[f"{c}-{i}" for i, (c, _, _) in enumerate(ROWS)])
def test_reshaping_layer(class_name: str, config: dict[str, Any], shape: tuple[int, ...]) -> None:
    check_layer(class_name, config, rand(shape, seed=5))
