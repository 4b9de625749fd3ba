"""Lazy weights: transforms compose like numpy, shapes cost no I/O, data is read on demand."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from keras_migrate.ir.weights import Cast, Flip, H5Dataset, Map, Reshape, Take, Transpose, Weight

RNG = np.random.default_rng(0)
BASE = RNG.standard_normal((2, 3, 4, 5)).astype(np.float32)

CASES = [
    ("transpose", (Transpose((3, 2, 0, 1)),), np.transpose(BASE, (3, 2, 0, 1))),
    ("flip", (Flip((0, 1)),), BASE[::-1, ::-1]),
    ("reshape", (Reshape((6, 20)),), BASE.reshape(6, 20)),
    ("take", (Take((2, 0, 1), axis=1),), BASE[:, [2, 0, 1]]),
    ("square", (Map("square"),), BASE**2),
    ("add", (Map("add", 1e-3),), BASE + np.float32(1e-3)),
    ("cast", (Cast("float16"),), BASE.astype(np.float16)),
    ("chain", (Transpose((2, 3, 1, 0)), Flip((0, 1)), Reshape((20, 6))), np.flip(np.transpose(BASE, (2, 3, 1, 0)), (0, 1)).reshape(20, 6)),
]


@pytest.mark.parametrize(("name", "transforms", "expected"), CASES, ids=[c[0] for c in CASES])
def test_transforms_match_numpy(name, transforms, expected) -> None:
    w = Weight.of("w", BASE).then(*transforms)
    assert w.shape == expected.shape
    assert w.dtype == str(expected.dtype)
    np.testing.assert_array_equal(w.numpy(), expected)


def test_concat_of_weights() -> None:
    parts = [Weight.of(f"p{i}", BASE[..., i : i + 1]) for i in range(5)]
    w = Weight.concat("c", parts[::-1], axis=-1)
    assert w.shape == BASE.shape
    np.testing.assert_array_equal(w.numpy(), BASE[..., ::-1])


def test_shape_needs_no_io_and_data_is_read_on_demand(tmp_path) -> None:
    path = tmp_path / "w.h5"
    with h5py.File(path, "w") as f:
        f["g/kernel"] = BASE
    w = Weight("kernel", H5Dataset(str(path), "/g/kernel", BASE.shape, "float32")).then(Transpose((1, 0, 2, 3)))
    missing = Weight("x", H5Dataset(str(tmp_path / "absent.h5"), "/x", (3,), "float32"))
    assert missing.shape == (3,)  # no file access
    with pytest.raises(OSError):
        missing.numpy()
    np.testing.assert_array_equal(w.numpy(), np.transpose(BASE, (1, 0, 2, 3)))
    assert w.nbytes == BASE.nbytes
