"""``.keras`` / ``.weights.h5`` output in one write pass with bounded memory.

The weights member is written in place inside the archive (no staged ``.h5``), large tensors
are copied in row blocks, and the archive is a valid zip (CRC, zip64) that Keras reads.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
import zlib
from pathlib import Path

import h5py
import numpy as np
import pytest

from keras_migrate.converters import keras3_weights, stored_zip
from keras_migrate.converters.crc32 import SMALL_WRITE, WriteLog, crc32_combine
from keras_migrate.converters.keras_file import write_keras, write_weights
from keras_migrate.formats import load
from keras_migrate.ir.weights import H5Dataset, Map, Take, Transpose, Weight, close_open_files
from tests.conftest import FIXTURES

CONV = FIXTURES / "tf-keras-2.21" / "conv.h5"


@pytest.fixture
def source(tmp_path: Path) -> H5Dataset:
    path = tmp_path / "src.h5"
    data = np.arange(7 * 5 * 3, dtype=np.float64).reshape(7, 5, 3)
    with h5py.File(path, "w") as f:
        f["x"] = data
    yield H5Dataset(str(path), "x", (7, 5, 3), "float64")
    close_open_files()


@pytest.mark.parametrize(
    "transforms",
    [(), (Transpose((0, 2, 1)),), (Take((4, 0, 2), axis=1), Map("negate")), (Transpose((0, 2, 1)),)],
)
def test_read_chunks_row_local_matches_numpy(source: H5Dataset, transforms: tuple) -> None:
    w = Weight("w", source, transforms)
    blocks = list(w.read_chunks(max_bytes=2 * 5 * 3 * 8))
    assert len(blocks) == 4  # 2 rows a block, 7 rows
    assert [start for start, _ in blocks] == [0, 2, 4, 6]
    np.testing.assert_array_equal(np.concatenate([b for _, b in blocks]), w.numpy())


def test_read_chunks_cross_row_transform_is_one_block(source: H5Dataset) -> None:
    w = Weight("w", source, (Transpose((1, 0, 2)),))
    blocks = list(w.read_chunks(max_bytes=64))
    assert len(blocks) == 1
    np.testing.assert_array_equal(blocks[0][1], w.numpy())


def _member_weights(path: str) -> dict[str, np.ndarray]:
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("model.weights.h5")
        assert info.compress_type == zipfile.ZIP_STORED
        assert zf.testzip() is None
        with zf.open(info) as member, h5py.File(io.BytesIO(member.read()), "r") as f:
            out: dict[str, np.ndarray] = {}
            f.visititems(lambda n, o: out.__setitem__(n, o[()]) if isinstance(o, h5py.Dataset) else None)
            return out


def test_keras_archive_chunked_equals_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = load(str(CONV))
    whole = tmp_path / "whole.keras"
    write_keras(model, str(whole))
    monkeypatch.setattr(keras3_weights, "CHUNK_BYTES", 64)
    chunked = tmp_path / "chunked.keras"
    write_keras(model, str(chunked))
    a, b = _member_weights(str(whole)), _member_weights(str(chunked))
    assert a.keys() == b.keys() and a
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
        assert a[k].dtype == b[k].dtype
    with zipfile.ZipFile(chunked) as zf:
        # the weights member is the file HDF5 wrote, its header in the userblock: first
        assert zf.namelist() == ["model.weights.h5", "metadata.json", "config.json"]
        info = zf.getinfo("model.weights.h5")
        assert info.header_offset == 0
    with open(chunked, "rb") as raw:
        raw.seek(stored_zip.HEAD_ROOM)
        assert raw.read(8) == b"\x89HDF\r\n\x1a\n"  # the member's data starts at the userblock's end
    bare = tmp_path / "m.weights.h5"
    write_weights(model, str(bare))
    with h5py.File(bare, "r") as f:
        got: dict[str, np.ndarray] = {}
        f.visititems(lambda n, o: got.__setitem__(n, o[()]) if isinstance(o, h5py.Dataset) else None)
    assert got.keys() == a.keys()
    assert [p for p in os.listdir(tmp_path) if p.startswith(".keras-migrate-")] == []


def test_zip64_records_read_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stored_zip, "ZIP64_LIMIT", 100)
    path = tmp_path / "z.zip"
    payload = bytes(range(256)) * 3
    with open(path, "w+b") as raw:
        raw.write(bytes(stored_zip.HEAD_ROOM) + payload)
        zf = stored_zip.StoredZipWriter(raw)
        log = WriteLog()
        log.record(10, payload[10:400])  # part known from the writes, the rest read back
        zf.adopt_head_member("b.bin", stored_zip.HEAD_ROOM, log)
        zf.writestr("a.json", b"{}")
        zf.writestr("c.bin", payload)
        zf.close()
    with zipfile.ZipFile(path) as zf:
        assert zf.testzip() is None
        assert zf.read("a.json") == b"{}"
        assert zf.read("b.bin") == payload and zf.read("c.bin") == payload
        assert zf.getinfo("c.bin").header_offset > 100  # its offset needs the zip64 extra


def test_failed_write_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = load(str(CONV))

    def boom(_n: int) -> None:
        raise RuntimeError("stop")

    out = tmp_path / "m.keras"
    with pytest.raises(RuntimeError):
        write_keras(model, str(out), on_weight=boom)
    assert os.listdir(tmp_path) == []


def test_crc32_combine_matches_zlib() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.bytes(1000), rng.bytes(70_000)
    assert crc32_combine(zlib.crc32(a), zlib.crc32(b), len(b)) == zlib.crc32(a + b)
    assert crc32_combine(zlib.crc32(a), zlib.crc32(b""), 0) == zlib.crc32(a)


def test_write_log_crc_with_overwrites_and_holes() -> None:
    """Random writes (small, large, overlapping, past the end, truncation) against the bytes."""
    rng = np.random.default_rng(1)
    for trial in range(20):
        buf = bytearray()
        log = WriteLog()
        for _ in range(30):
            n = int(rng.choice([10, 1000, SMALL_WRITE + 1, 3 * SMALL_WRITE]))
            pos = int(rng.integers(0, len(buf) + 2000))
            data = rng.bytes(n)
            if len(buf) < pos + n:
                buf.extend(bytes(pos + n - len(buf)))
            buf[pos : pos + n] = data
            log.record(pos, data)
            if trial % 5 == 0 and rng.random() < 0.1:
                size = int(rng.integers(0, len(buf) + 100))
                buf = buf[:size] + bytes(max(0, size - len(buf)))
                log.truncate(size)
        final = bytes(buf)

        def read(start: int, stop: int, crc: int, final: bytes = final) -> int:
            return zlib.crc32(final[start:stop], crc)

        assert log.crc(len(final), read) == zlib.crc32(final)


@pytest.mark.parametrize("chunk_bytes", [None, 64], ids=["whole", "row-blocks"])
def test_raw_crc_knows_every_raw_byte(tmp_path: Path, chunk_bytes: int | None) -> None:
    """The CRC-32s taken from the arrays cover all raw data (only HDF5's metadata is left to
    read back), and folded with the read-back gaps they give the file's true CRC-32."""
    model = load(str(CONV))
    path = tmp_path / "w.h5"
    raw_crc = stored_zip.RawCrc(stored_zip.HEAD_ROOM)
    n = keras3_weights.write_weights_h5(
        model.graph, str(path), chunk_bytes=chunk_bytes, userblock_size=stored_zip.HEAD_ROOM, raw_crc=raw_crc
    )
    member = path.read_bytes()[stored_zip.HEAD_ROOM :]
    assert n > 0 and raw_crc.log.known_bytes() == n  # every raw byte written has its CRC from the array
    gaps: list[int] = []

    def read(start: int, stop: int, crc: int) -> int:
        gaps.append(stop - start)
        return zlib.crc32(member[start:stop], crc)

    assert raw_crc.log.crc(len(member), read) == zlib.crc32(member)
    assert sum(gaps) == len(member) - n  # the metadata, and nothing more, is read back
    with h5py.File(io.BytesIO(member), "r") as f:  # the userblock stripped: a valid HDF5 file
        assert f.userblock_size == 0 and len(f.keys()) > 0


def test_weights_member_is_a_standalone_hdf5_file(tmp_path: Path) -> None:
    model = load(str(CONV))
    out = tmp_path / "m.keras"
    write_keras(model, str(out))
    with zipfile.ZipFile(out) as zf:
        zf.extract("model.weights.h5", tmp_path / "x")
    expected = _member_weights(str(out))
    with h5py.File(tmp_path / "x" / "model.weights.h5", "r") as f:
        got: dict[str, np.ndarray] = {}
        f.visititems(lambda n, o: got.__setitem__(n, o[()]) if isinstance(o, h5py.Dataset) else None)
        assert f["vars"].attrs["name"] == model.graph.name
        for name in got:
            dcpl = f[name].id.get_create_plist()
            assert dcpl.get_fill_time() == h5py.h5d.FILL_TIME_NEVER
            assert dcpl.get_layout() == h5py.h5d.CONTIGUOUS
    assert got.keys() == expected.keys() and got
    for k in got:
        np.testing.assert_array_equal(got[k], expected[k])


def test_keras_archive_zip64(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the (lowered) zip64 limit the head member and the directory take zip64 records."""
    monkeypatch.setattr(stored_zip, "ZIP64_LIMIT", 100)
    model = load(str(CONV))
    out = tmp_path / "m.keras"
    write_keras(model, str(out))
    data = out.read_bytes()
    assert data.find(b"PK\x06\x06") > 0 and data.find(b"PK\x06\x07") > 0  # zip64 end record, locator
    with zipfile.ZipFile(out) as zf:
        assert zf.testzip() is None
        assert zf.getinfo("model.weights.h5").file_size > 100
        assert json.loads(zf.read("metadata.json"))["converted_by"] == "keras-migrate"
    assert _member_weights(str(out))


def test_head_member_header_fills_its_room(tmp_path: Path) -> None:
    path = tmp_path / "z.zip"
    payload = bytes(range(256)) * 5
    with open(path, "w+b") as raw:
        raw.write(bytes(stored_zip.HEAD_ROOM) + payload)
        zf = stored_zip.StoredZipWriter(raw)
        zf.adopt_head_member("p.bin", stored_zip.HEAD_ROOM, WriteLog())  # nothing known: all read back
        zf.writestr("a.json", b"{}")
        with pytest.raises(RuntimeError):
            zf.adopt_head_member("q.bin", stored_zip.HEAD_ROOM, WriteLog())
        zf.close()
    with zipfile.ZipFile(path) as zf:
        assert zf.testzip() is None
        assert zf.read("p.bin") == payload and zf.read("a.json") == b"{}"
    with open(path, "w+b") as raw:
        raw.write(bytes(64))
        with pytest.raises(ValueError, match="does not fit"):
            stored_zip.StoredZipWriter(raw).adopt_head_member("n" * 40, 64, WriteLog())


@pytest.mark.parametrize("fixture", ["conv.h5", "attention_layers.h5"])
def test_every_dataset_keeps_its_weight_shape(tmp_path: Path, fixture: str) -> None:
    """Scalars stay scalars (attention's ``scale``: a 0-d array must not become ``(1,)``)."""
    model = load(str(FIXTURES / "tf-keras-2.21" / fixture))
    out = tmp_path / "m.keras"
    write_keras(model, str(out))
    got = _member_weights(str(out))
    want = {
        f"{slot.path}/{slot.keys[i] if slot.keys else i}": w.shape
        for slot in keras3_weights.weight_slots(model.graph)
        for i, w in enumerate(slot.weights)
    }
    assert {k: v.shape for k, v in got.items()} == want and want
