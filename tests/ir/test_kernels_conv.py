"""Convolutions against Keras 3: padding splits, strides, dilation, groups, layouts and
transposed-convolution output sizes."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

keras = pytest.importorskip("keras")
pytestmark = pytest.mark.usefixtures("cheap_keras_init")

from kernel_harness import check_layer, rand  # noqa: E402

from keras_migrate.ir.interpreter.kernels.conv import conv_nd  # noqa: E402

CF = {"data_format": "channels_first"}

ROWS: list[tuple[str, dict[str, Any], tuple[int, ...]]] = [
    ("Conv1D", {"filters": 4, "kernel_size": 3}, (2, 9, 3)),
    ("Conv1D", {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same"}, (2, 8, 3)),
    ("Conv1D", {"filters": 4, "kernel_size": 4, "strides": 3, "padding": "same"}, (2, 9, 3)),
    ("Conv1D", {"filters": 4, "kernel_size": 3, "padding": "causal", "dilation_rate": 2}, (2, 9, 3)),
    ("Conv1D", {"filters": 4, "kernel_size": 2, "padding": "same", **CF}, (2, 3, 7)),
    ("Conv1D", {"filters": 6, "kernel_size": 3, "groups": 3, "activation": "relu"}, (2, 9, 6)),
    ("Conv2D", {"filters": 5, "kernel_size": 3}, (2, 7, 6, 3)),
    ("Conv2D", {"filters": 5, "kernel_size": 3, "strides": 2, "padding": "same"}, (2, 8, 7, 3)),
    ("Conv2D", {"filters": 5, "kernel_size": [2, 4], "strides": [1, 2], "padding": "same"}, (2, 6, 8, 3)),
    ("Conv2D", {"filters": 5, "kernel_size": 3, "dilation_rate": 2, "padding": "same"}, (2, 7, 8, 3)),
    ("Conv2D", {"filters": 5, "kernel_size": 3, "strides": 2, "use_bias": False, **CF}, (2, 3, 9, 8)),
    ("Conv2D", {"filters": 4, "kernel_size": 3, "groups": 2, "padding": "same", **CF}, (2, 4, 6, 5)),
    ("Conv3D", {"filters": 3, "kernel_size": 2}, (2, 4, 5, 4, 2)),
    ("Conv3D", {"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same"}, (2, 5, 4, 6, 2)),
    ("Conv3D", {"filters": 3, "kernel_size": [1, 2, 3], "padding": "same", **CF}, (2, 2, 4, 5, 6)),
    ("SeparableConv1D", {"filters": 4, "kernel_size": 3, "depth_multiplier": 2}, (2, 9, 3)),
    ("SeparableConv1D", {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same", **CF}, (2, 3, 8)),
    ("SeparableConv2D", {"filters": 5, "kernel_size": 3, "padding": "same", "activation": "relu"}, (2, 6, 7, 3)),
    ("SeparableConv2D", {"filters": 5, "kernel_size": 3, "depth_multiplier": 2, "strides": 2}, (2, 8, 9, 3)),
    ("SeparableConv2D", {"filters": 5, "kernel_size": 2, "dilation_rate": 2, "padding": "same", **CF}, (2, 3, 6, 7)),
    ("DepthwiseConv1D", {"kernel_size": 3, "depth_multiplier": 2}, (2, 9, 3)),
    ("DepthwiseConv1D", {"kernel_size": 4, "strides": 2, "padding": "same"}, (2, 9, 3)),
    ("DepthwiseConv2D", {"kernel_size": 3, "padding": "same"}, (2, 6, 7, 4)),
    ("DepthwiseConv2D", {"kernel_size": 3, "strides": 2, "depth_multiplier": 3, "padding": "same"}, (2, 8, 7, 2)),
    ("DepthwiseConv2D", {"kernel_size": 2, "dilation_rate": 2, **CF}, (2, 3, 6, 7)),
    ("Conv1DTranspose", {"filters": 4, "kernel_size": 3}, (2, 5, 3)),
    ("Conv1DTranspose", {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same"}, (2, 5, 3)),
    ("Conv1DTranspose", {"filters": 4, "kernel_size": 4, "strides": 2, "padding": "same"}, (2, 5, 3)),
    ("Conv1DTranspose", {"filters": 4, "kernel_size": 2, "strides": 3}, (2, 5, 3)),
    ("Conv1DTranspose", {"filters": 4, "kernel_size": 3, "strides": 2, "output_padding": 1}, (2, 5, 3)),
    ("Conv1DTranspose", {"filters": 4, "kernel_size": 3, "dilation_rate": 2, "padding": "same", **CF}, (2, 3, 5)),
    ("Conv2DTranspose", {"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same"}, (2, 4, 5, 2)),
    ("Conv2DTranspose", {"filters": 3, "kernel_size": [2, 3], "strides": [2, 1], "padding": "valid"}, (2, 4, 5, 2)),
    ("Conv2DTranspose", {"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same", "output_padding": 1}, (2, 4, 5, 2)),
    ("Conv2DTranspose", {"filters": 3, "kernel_size": 4, "strides": 2, "padding": "same", "output_padding": 0}, (2, 4, 5, 2)),
    ("Conv2DTranspose", {"filters": 3, "kernel_size": 3, "strides": 3, "padding": "valid", "output_padding": 2}, (2, 3, 4, 2)),
    ("Conv2DTranspose", {"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same", **CF}, (2, 2, 4, 5)),
    ("Conv2DTranspose", {"filters": 3, "kernel_size": 3, "dilation_rate": 2, "activation": "relu"}, (2, 4, 5, 2)),
    ("Conv3DTranspose", {"filters": 2, "kernel_size": 2, "strides": 2}, (2, 2, 3, 2, 3)),
    ("Conv3DTranspose", {"filters": 2, "kernel_size": 3, "strides": [1, 2, 2], "padding": "same", **CF}, (2, 3, 2, 3, 2)),
]


@pytest.mark.parametrize(("class_name", "config", "shape"), ROWS, ids=[f"{c}-{i}" for i, (c, _, _) in enumerate(ROWS)])
def test_conv_layer(class_name: str, config: dict[str, Any], shape: tuple[int, ...]) -> None:
    check_layer(class_name, config, rand(shape, seed=6))


def test_vgg_sized_conv_matches_direct_sum() -> None:
    """The vectorized path at VGG scale agrees with a plain sum over kernel taps.

    (Its speed, about 0.06 s for this layer, is a benchmark matter, not a timed test.)
    """
    x = rand((1, 224, 224, 64), seed=1)
    w = rand((3, 3, 64, 64), seed=2, scale=0.05)
    out = conv_nd(x, w, (1, 1), (1, 1), "same")
    assert out.shape == (1, 224, 224, 64)
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    direct = sum(padded[:, i : i + 224, j : j + 224, :] @ w[i, j] for i in range(3) for j in range(3))
    np.testing.assert_allclose(out, direct, rtol=1e-4, atol=1e-4)
