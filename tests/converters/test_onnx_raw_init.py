"""ONNX initializers taken from the source file's bytes (``converters/onnx/raw_init.py``).

* Which weights qualify: plain contiguous datasets in the initializer's dtype, taken as they
  are or as a convolution kernel's re-layout; not a narrowed float64, a chunked or compressed
  dataset, a weight with IR transforms or a re-layout the writer does not know.
* The re-layout from a map equals :class:`KernelLayout` applied to the array, for every rank,
  depthwise kernels, and blocks and windows down to one channel and one source row.
* Whole models: the file written from raw bytes equals the one read through HDF5, byte for
  byte, embedded and with external data, with block, window and in-line sizes small enough
  that every path runs many times; the kernels are not read through HDF5 at all.
* A source that shrank after planning is refused in one line; a file that cannot be mapped
  is read instead.
* Peak memory: writing a model with a 36 MiB kernel grows the process by a block and a
  window (under 16 MB), not by the kernel as the HDF5 path does.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

import keras_migrate.converters.onnx as onnx_pkg
from keras_migrate.converters.onnx import raw_init, write_onnx, writer
from keras_migrate.converters.onnx.lazy import KernelLayout, LazyWeight, lazy_weight
from keras_migrate.errors import KerasMigrateError, UnsupportedError
from keras_migrate.formats import load
from keras_migrate.ir import weights as ir_weights
from keras_migrate.ir.passes import prepare_for_output
from keras_migrate.ir.weights import H5Dataset, Weight, close_open_files
from tests.conftest import FIXTURES


@pytest.fixture(autouse=True)
def _close() -> object:
    yield
    close_open_files()


def _h5(path: Path, data: np.ndarray, **kwargs: object) -> Weight:
    with h5py.File(path, "w") as f:
        f.create_dataset("w", data=data, **kwargs)
    return Weight("kernel", H5Dataset(str(path), "w", tuple(data.shape), str(data.dtype)))


def _relaid(raw: raw_init.RawSource, dtype: str, block: int, window: int) -> tuple[bytes, list[int]]:
    out = bytearray()
    sizes: list[int] = []

    def write(view: memoryview) -> None:
        out.extend(view)
        sizes.append(view.nbytes)

    relayout = raw_init.Relayout(block, window)
    try:
        relayout.write(raw, dtype, write)
    finally:
        relayout.close()
    return bytes(out), sizes


@pytest.mark.parametrize(
    ("shape", "rank", "merge"),
    [
        ((3, 5, 7), 1, False),
        ((3, 3, 16, 24), 2, False),
        ((1, 1, 40, 8), 2, False),
        ((2, 3, 2, 6, 5), 3, False),
        ((3, 3, 6, 2), 2, True),
        ((5, 4, 3), 1, True),
    ],
)
@pytest.mark.parametrize(("block", "window"), [(1 << 20, 1 << 20), (1, 1), (100, 64)])
def test_relayout_from_a_map_equals_the_array_relayout(
    tmp_path: Path, shape: tuple[int, ...], rank: int, merge: bool, block: int, window: int
) -> None:
    data = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    layout = KernelLayout(rank, merge)
    lazy = lazy_weight(_h5(tmp_path / "k.h5", data), layout)
    assert lazy is not None
    raw = raw_init.raw_source(lazy)
    assert raw is not None and raw.kio is not None
    got, sizes = _relaid(raw, lazy.dtype, block, window)
    expected = np.ascontiguousarray(layout(data))
    assert expected.shape == lazy.shape
    assert got == expected.tobytes()
    k, i, _ = raw.kio
    assert max(sizes) <= max(block, i * k * 4)  # one output channel at least, else the block


def test_relayout_map_starts_anywhere_in_the_file(tmp_path: Path) -> None:
    """Kernels past the first allocation granule and at unaligned offsets map correctly."""
    rng = np.random.default_rng(1)
    path = tmp_path / "many.h5"
    arrays = [rng.standard_normal((3, 3, 4 + n, 5)).astype(np.float32) for n in range(6)]
    with h5py.File(path, "w") as f:
        f.create_dataset("pad", data=np.zeros(70_001, np.uint8))
        for n, a in enumerate(arrays):
            f.create_dataset(f"w{n}", data=a)
    for n, a in enumerate(arrays):
        lazy = lazy_weight(Weight("kernel", H5Dataset(str(path), f"w{n}", a.shape, "float32")), KernelLayout(2))
        assert lazy is not None
        raw = raw_init.raw_source(lazy)
        assert raw is not None
        assert _relaid(raw, "float32", 64, 32)[0] == np.ascontiguousarray(KernelLayout(2)(a)).tobytes()


def test_relayout_reads_the_kernel_when_the_file_cannot_be_mapped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = np.random.default_rng(2).standard_normal((3, 3, 5, 7)).astype(np.float32)
    lazy = lazy_weight(_h5(tmp_path / "k.h5", data), KernelLayout(2))
    assert lazy is not None
    raw = raw_init.raw_source(lazy)
    assert raw is not None

    def unmappable(*args: object, **kwargs: object) -> None:
        raise OSError("no mmap here")

    monkeypatch.setattr(raw_init.mmap, "mmap", unmappable)
    assert _relaid(raw, "float32", 64, 32)[0] == np.ascontiguousarray(KernelLayout(2)(data)).tobytes()


def _plain(tmp_path: Path, **kwargs: object) -> Weight:
    return _h5(tmp_path / "w.h5", np.arange(24, dtype=np.float32).reshape(1, 1, 4, 6), **kwargs)


@pytest.mark.parametrize(
    ("case", "qualifies"),
    [
        ("as stored", True),
        ("kernel layout", True),
        ("depthwise kernel layout", True),
        ("another re-layout", False),
        ("IR transform", False),
        ("float64, narrowed", False),
        ("chunked", False),
        ("gzip", False),
    ],
)
def test_which_weights_are_taken_from_their_bytes(tmp_path: Path, case: str, qualifies: bool) -> None:
    transform = None
    if case == "chunked":
        weight = _plain(tmp_path, chunks=(1, 1, 2, 6))
    elif case == "gzip":
        weight = _plain(tmp_path, compression="gzip")
    elif case == "float64, narrowed":
        weight = _h5(tmp_path / "w.h5", np.ones((4, 6)))
    else:
        weight = _plain(tmp_path)
    if case == "kernel layout":
        transform = KernelLayout(2)
    elif case == "depthwise kernel layout":
        transform = KernelLayout(2, merge=True)
    elif case == "another re-layout":
        transform = lambda a: np.transpose(a, (3, 2, 0, 1))  # noqa: E731 (a closure: opaque)
    elif case == "IR transform":
        weight = weight.then(ir_weights.Transpose((3, 2, 0, 1)))
    lazy = lazy_weight(weight, transform)
    assert isinstance(lazy, LazyWeight)
    raw = raw_init.raw_source(lazy)
    assert (raw is not None) == qualifies
    if raw is not None:
        assert raw.nbytes == lazy.nbytes and (raw.kio is not None) == (transform is not None)


@pytest.mark.parametrize(
    ("case", "direct"),
    [("as stored", True), ("float64", True), ("IR transform", False), ("chunked", False), ("shrunk", False)],
)
def test_stored_array_equals_the_hdf5_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str, direct: bool) -> None:
    data = np.random.default_rng(4).standard_normal((6, 5))
    if case != "float64":
        data = data.astype(np.float32)
    weight = _h5(tmp_path / "w.h5", data, **({"chunks": (2, 5)} if case == "chunked" else {}))
    if case == "IR transform":
        weight = weight.then(ir_weights.Transpose((1, 0)))
    expected = np.asarray(weight.numpy())
    reads: list[str] = []
    read = H5Dataset.read

    def counted(self: H5Dataset) -> np.ndarray:
        reads.append(self.dataset)
        return read(self)

    monkeypatch.setattr(H5Dataset, "read", counted)
    if case == "shrunk":  # the extent is known, the bytes are gone: HDF5 says what is wrong
        monkeypatch.setattr(H5Dataset, "raw_extent", lambda self: (1 << 30, data.nbytes))
    got = raw_init.stored_array(weight)
    assert got.dtype == expected.dtype and got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)
    assert (reads == []) == direct


#: Fixtures with every kind of raw-taken initializer: conv kernels of each rank, depthwise,
#: separable, transposed, grouped, Dense kernels and biases.
MODELS = [
    "tf-keras-2.21/conv",
    "tf-keras-2.21/conv1d_transpose",
    "tf-keras-2.21/conv3d_transpose",
    "tf-keras-2.21/depthwise_conv2d",
    "tf-keras-2.21/separable_conv",
    "tf-keras-2.21/group_conv2d",
    "tf-keras-2.21/convnet_channels_last",
    "keras-2.2.4/dense_activations",
    "keras-1.2.2/conv3d_tf",
]


def _model(name: str) -> object:
    return prepare_for_output(load(str(FIXTURES / f"{name}.h5")))


@pytest.mark.parametrize("external", [False, True], ids=["embedded", "external"])
@pytest.mark.parametrize("name", MODELS)
def test_model_from_raw_bytes_equals_the_hdf5_path(
    name: str, external: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = _model(name)
    threshold = 1 if external else writer.PROTO_LIMIT
    monkeypatch.setattr(writer, "EXTERNAL_MIN_BYTES", 64)
    monkeypatch.setattr(writer, "RAW", False)
    (tmp_path / "hdf5").mkdir()
    (tmp_path / "raw").mkdir()
    try:
        write_onnx(model, str(tmp_path / "hdf5" / "m.onnx"), external_threshold=threshold)  # type: ignore[arg-type]
    except UnsupportedError as exc:
        pytest.skip(f"not lowered: {exc}")
    monkeypatch.setattr(writer, "RAW", True)
    monkeypatch.setattr(raw_init, "BLOCK_BYTES", 256)  # many blocks, windows, copies
    monkeypatch.setattr(raw_init, "WINDOW_BYTES", 64)
    monkeypatch.setattr(writer, "INLINE_BYTES", 16)
    taken: dict[str, int] = {"copy": 0, "relayout": 0, "inline": 0}
    real_copy, real_write, real_read = writer._copy_ranges, raw_init.Relayout.write, raw_init.Relayout.read

    def copies(out: str, ranges: list[tuple[raw_init.RawSource, int]]) -> None:
        taken["copy"] += len(ranges)
        real_copy(out, ranges)

    def relayout(self: raw_init.Relayout, *args: object) -> None:
        taken["relayout"] += 1
        real_write(self, *args)  # type: ignore[arg-type]

    def inline(self: raw_init.Relayout, raw: raw_init.RawSource) -> bytes:
        taken["inline"] += 1
        return real_read(self, raw)

    read_while_writing: list[str] = []
    writing = [False]
    real_h5_read, real_h5_rows, real_write_model = H5Dataset.read, H5Dataset.read_rows, onnx_pkg.write_model

    def counted_read(self: H5Dataset) -> np.ndarray:
        if writing[0]:
            read_while_writing.append(self.dataset)
        return real_h5_read(self)

    def counted_rows(self: H5Dataset, start: int, stop: int) -> np.ndarray:
        if writing[0]:
            read_while_writing.append(self.dataset)
        return real_h5_rows(self, start, stop)

    def write_model(*args: object, **kwargs: object) -> object:
        writing[0] = True
        try:
            return real_write_model(*args, **kwargs)  # type: ignore[arg-type]
        finally:
            writing[0] = False

    monkeypatch.setattr(writer, "_copy_ranges", copies)
    monkeypatch.setattr(raw_init.Relayout, "write", relayout)
    monkeypatch.setattr(raw_init.Relayout, "read", inline)
    monkeypatch.setattr(H5Dataset, "read", counted_read)
    monkeypatch.setattr(H5Dataset, "read_rows", counted_rows)
    monkeypatch.setattr(onnx_pkg, "write_model", write_model)
    write_onnx(model, str(tmp_path / "raw" / "m.onnx"), external_threshold=threshold)  # type: ignore[arg-type]
    assert read_while_writing == []  # every weight written is taken from its bytes
    assert taken["copy"] + taken["inline"] > 0
    if "dense" not in name:
        assert taken["relayout"] > 0
    names = sorted(p.name for p in (tmp_path / "hdf5").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "raw").iterdir())
    assert names == (["m.onnx", "m.onnx.data"] if external else ["m.onnx"])
    for n in names:
        assert (tmp_path / "raw" / n).read_bytes() == (tmp_path / "hdf5" / n).read_bytes(), n


@pytest.mark.parametrize("how", ["relayout", "inline"])
def test_a_source_that_shrank_is_refused(tmp_path: Path, how: str) -> None:
    data = np.ones((3, 3, 8, 8), np.float32)
    lazy = lazy_weight(_h5(tmp_path / "k.h5", data), KernelLayout(2) if how == "relayout" else None)
    assert lazy is not None
    raw = raw_init.raw_source(lazy)
    assert raw is not None
    close_open_files()
    with open(tmp_path / "k.h5", "r+b") as f:
        f.truncate(raw.offset + 10)
    relayout = raw_init.Relayout()
    try:
        with pytest.raises(KerasMigrateError, match="ended inside a weight's data") as info:
            if how == "relayout":
                relayout.write(raw, "float32", lambda view: None)
            else:
                relayout.read(raw)
    finally:
        relayout.close()
    assert "\n" not in str(info.value) and str(tmp_path / "k.h5") in str(info.value)


_PEAK_PROBE = """
import sys
import h5py  # imported by every reader before a conversion writes
import numpy as np
from keras_migrate.converters.onnx import write_onnx, writer
from keras_migrate.ir.graph import GraphBuilder, Layer, Model, TensorType
from keras_migrate.ir.weights import H5Dataset, Weight

def hwm_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM"):
            return int(line.split()[1]) / 1024

src, out, raw = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
writer.RAW = raw
def w(name, shape):
    return Weight(name, H5Dataset(src, name, shape, "float32"))
conv = Layer("conv", "Conv2D", {"filters": 1024, "kernel_size": [3, 3], "padding": "same"},
             (w("kernel", (3, 3, 1024, 1024)), w("bias", (1024,))))
dense = Layer("dense", "Dense", {"units": 4096}, (w("dense_kernel", (1024, 4096)).renamed("kernel"),))
gb = GraphBuilder("m")
x = gb.add_input("x", TensorType((None, 4, 4, 1024)))
gb.add_layer(conv)
gb.add_layer(dense)
(y,) = gb.call("conv", (x,))
(z,) = gb.call("dense", (y,))
gb.input_structure, gb.output_structure = x.name, z.name
model = Model(gb.build())
before = hwm_mb()
write_onnx(model, out)
print("GROWTH", hwm_mb() - before)
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads VmHWM from /proc")
def test_peak_memory_does_not_grow_with_the_largest_weight(tmp_path: Path) -> None:
    """A 36 MiB kernel and a 16 MiB Dense kernel: read through HDF5, the process's peak
    grows by at least the kernel; taken from the file's bytes, by a block and a window."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    src = tmp_path / "big.h5"
    rng = np.random.default_rng(3)
    with h5py.File(src, "w") as f:
        f["kernel"] = rng.standard_normal((3, 3, 1024, 1024)).astype(np.float32)
        f["bias"] = np.zeros(1024, np.float32)
        f["dense_kernel"] = rng.standard_normal((1024, 4096)).astype(np.float32)
    growth = {}
    for raw in (True, False):
        out = tmp_path / f"m{int(raw)}.onnx"
        proc = subprocess.run(
            [sys.executable, "-c", _PEAK_PROBE, str(src), str(out), str(int(raw))],
            capture_output=True, text=True, cwd=ROOT, check=False,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        growth[raw] = float(proc.stdout.split("GROWTH")[1])
    assert (tmp_path / "m1.onnx").read_bytes() == (tmp_path / "m0.onnx").read_bytes()
    kernel_mb = 3 * 3 * 1024 * 1024 * 4 / (1 << 20)
    assert growth[False] >= kernel_mb, growth  # the whole kernel was held, as before
    assert growth[True] < 16, growth  # a block, a window, the records (~8 MB here)
