"""Weights copied file to file: the byte ranges, their CRC-32s, and when a dataset qualifies."""

from __future__ import annotations

import errno
import os
import zipfile
import zlib
from pathlib import Path

import h5py
import numpy as np
import pytest

from keras_migrate.converters import crc32, keras3_weights, raw_copy
from keras_migrate.converters.keras_file import write_keras
from keras_migrate.errors import KerasMigrateError
from keras_migrate.formats import load
from keras_migrate.formats.hdf5 import scan_links
from keras_migrate.ir import weights
from keras_migrate.ir.weights import H5Dataset, close_open_files, open_shared
from tests.conftest import FIXTURES
from tests.converters.test_keras_file_streaming import _member_weights

CONV = FIXTURES / "tf-keras-2.21" / "conv.h5"


class _Crcs:
    """Stands in for ``RawCrc``: keeps what ``copy_ranges`` records."""

    def __init__(self) -> None:
        self.seen: list[tuple[int, int, int]] = []

    def add_crc(self, offset: int, nbytes: int, crc: int) -> None:
        self.seen.append((offset, nbytes, crc))


def _unsupported(*_args: object) -> int:
    raise OSError(errno.EXDEV, "cross-device")


def _force(path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Leave only ``path`` of the three copy strategies usable."""
    if path != "copy_file_range":
        monkeypatch.setattr(os, "copy_file_range", _unsupported, raising=False)
    if path == "pread":
        monkeypatch.setattr(os, "sendfile", _unsupported, raising=False)


@pytest.mark.parametrize("crc_thread", [False, True], ids=["crc-inline", "crc-thread"])
@pytest.mark.parametrize("path", ["copy_file_range", "sendfile", "pread"])
def test_copy_ranges_bytes_and_crcs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, path: str, crc_thread: bool) -> None:
    rng = np.random.default_rng(0)
    source = tmp_path / "src.bin"
    data = rng.integers(0, 256, 5 << 20, dtype=np.uint8).tobytes()
    source.write_bytes(data)
    out = tmp_path / "out.bin"
    out.write_bytes(bytes(6 << 20))
    monkeypatch.setattr(crc32, "MAP_WINDOW", 1 << 20)  # several windows per mapped range
    monkeypatch.setattr(raw_copy, "_WINDOW", 1 << 20)  # several buffers per copied range
    monkeypatch.setattr(raw_copy, "PARALLEL_CRC_BYTES", 0 if crc_thread else 1 << 62)
    copies = [
        raw_copy.DirectCopy(str(source), 12_345, 100, 3 << 20),  # mapped for its CRC, unaligned
        raw_copy.DirectCopy(str(source), 7, (4 << 20) + 3, 1000),  # read whole for its CRC
    ]
    _force(path, monkeypatch)
    crcs = _Crcs()
    raw_copy.copy_ranges(str(out), copies, crcs)  # type: ignore[arg-type]
    got = out.read_bytes()
    assert len(got) == 6 << 20
    for c in copies:
        assert got[c.offset : c.offset + c.nbytes] == data[c.source_offset : c.source_offset + c.nbytes]
    assert crcs.seen == [(c.offset, c.nbytes, zlib.crc32(data[c.source_offset : c.source_offset + c.nbytes])) for c in copies]
    assert got[:100] == bytes(100)  # nothing outside the ranges is touched


def test_an_unsupported_kernel_copy_is_tried_once_per_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``copy_file_range`` refused as unsupported between two files is not tried again for
    every range (one failing system call per weight), and the ranges still arrive."""
    source = tmp_path / "src.bin"
    data = bytes(range(256)) * 64
    source.write_bytes(data)
    out = tmp_path / "out.bin"
    out.write_bytes(bytes(len(data)))
    calls: list[int] = []

    def refused(*_args: object) -> int:
        calls.append(1)
        raise OSError(errno.EXDEV, "cross-device")

    monkeypatch.setattr(os, "copy_file_range", refused, raising=False)
    copies = [raw_copy.DirectCopy(str(source), i * 1024, i * 1024, 1024) for i in range(16)]
    raw_copy.copy_ranges(str(out), copies)
    assert out.read_bytes() == data
    assert len(calls) == 1


@pytest.mark.parametrize("crc_thread", [False, True], ids=["crc-inline", "crc-thread"])
@pytest.mark.parametrize("path", ["copy_file_range", "sendfile", "pread"])
def test_a_source_that_shrank_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, path: str, crc_thread: bool) -> None:
    source = tmp_path / "src.bin"
    source.write_bytes(bytes(1000))
    out = tmp_path / "out.bin"
    out.write_bytes(bytes(4000))
    _force(path, monkeypatch)
    monkeypatch.setattr(raw_copy, "PARALLEL_CRC_BYTES", 0 if crc_thread else 1 << 62)
    with pytest.raises(KerasMigrateError, match="ended inside a weight's data") as info:
        raw_copy.copy_ranges(str(out), [raw_copy.DirectCopy(str(source), 500, 0, 2000)], _Crcs())  # type: ignore[arg-type]
    assert "\n" not in str(info.value) and str(source) in str(info.value)


def test_the_crc_thread_alone_finds_a_short_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The copy got its bytes (the source shrank between copying and checksumming, here by
    a copy that never reads): the CRC thread's short read is what is raised, in one line,
    and no CRC is recorded."""
    source = tmp_path / "src.bin"
    source.write_bytes(bytes(1000))
    out = tmp_path / "out.bin"
    out.write_bytes(bytes(4000))
    monkeypatch.setattr(raw_copy, "_copy", lambda *_args: None)
    monkeypatch.setattr(raw_copy, "PARALLEL_CRC_BYTES", 0)
    crcs = _Crcs()
    with pytest.raises(KerasMigrateError, match="ended inside a weight's data"):
        raw_copy.copy_ranges(str(out), [raw_copy.DirectCopy(str(source), 0, 0, 500), raw_copy.DirectCopy(str(source), 500, 500, 2000)], crcs)  # type: ignore[arg-type]
    assert crcs.seen == []


def _dataset(path: Path, kind: str) -> H5Dataset:
    data = np.arange(64 * 32, dtype=np.float32).reshape(64, 32)
    with h5py.File(path, "w") as f:
        if kind == "contiguous":
            f["w"] = data
        elif kind == "chunked":
            f.create_dataset("w", data=data, chunks=(8, 32))
        elif kind == "gzip":
            f.create_dataset("w", data=data, compression="gzip")
        elif kind == "big-endian":
            f.create_dataset("w", data=data.astype(">f4"))
        elif kind == "unwritten":
            f.create_dataset("w", shape=data.shape, dtype=data.dtype)
    dtype = ">f4" if kind == "big-endian" else "float32"
    return H5Dataset(str(path), "w", (64, 32), dtype)


@pytest.mark.parametrize(
    ("kind", "direct"),
    [("contiguous", True), ("chunked", False), ("gzip", False), ("big-endian", False), ("unwritten", False)],
)
def test_raw_extent_only_for_plain_contiguous_data(tmp_path: Path, kind: str, direct: bool) -> None:
    source = _dataset(tmp_path / f"{kind}.h5", kind)
    try:
        extent = source.raw_extent()
        assert (extent is not None) == direct
        if extent is not None:
            offset, nbytes = extent
            with open(source.file, "rb") as raw:
                raw.seek(offset)
                assert raw.read(nbytes) == np.asarray(source.read()).tobytes()
    finally:
        close_open_files()


@pytest.mark.parametrize(
    ("kind", "direct"),
    [("contiguous", True), ("chunked", False), ("gzip", False), ("big-endian", False), ("unwritten", False)],
)
def test_raw_extent_from_the_link_scan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str, direct: bool) -> None:
    """After a clean whole-file scan the extent comes from what the scan found, with the
    same answer as opening the dataset, and without opening it again."""
    source = _dataset(tmp_path / f"{kind}.h5", kind)
    try:
        handle = open_shared(source.file)
        scan = scan_links(handle, source.file)
        assert scan.clean and "/w" in scan.extents
        monkeypatch.setattr(H5Dataset, "_node", lambda *_: pytest.fail("opened the dataset again"))
        scanned = H5Dataset(source.file, "/w", source.shape, source.dtype)
        extent = scanned.raw_extent()
        assert (extent is not None) == direct
        if extent is not None:
            offset, nbytes = extent
            assert nbytes == 64 * 32 * 4
            with open(source.file, "rb") as raw:
                raw.seek(offset)
                assert raw.read(nbytes) == np.arange(64 * 32, dtype=np.float32).tobytes()
            # declared otherwise than the file holds it: not a copy of the declared array
            assert H5Dataset(source.file, "/w", (32, 64), source.dtype).raw_extent() is None
            assert H5Dataset(source.file, "/w", source.shape, "int32").raw_extent() is None
    finally:
        close_open_files()


def test_raw_extent_past_the_end_of_the_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A range the file (as opened) does not wholly hold is never copied."""
    declared = _dataset(tmp_path / "w.h5", "contiguous")
    source = H5Dataset(declared.file, "/w", declared.shape, declared.dtype)  # the path the scan saw
    try:
        scan_links(open_shared(source.file), source.file)
        key = os.path.abspath(source.file)
        offset, nbytes = source.raw_extent() or (0, 0)
        assert nbytes
        dev, ino, _size, mtime = weights._IDENTITY[key]
        monkeypatch.setitem(weights._IDENTITY, key, (dev, ino, offset + nbytes - 1, mtime))
        assert source.raw_extent() is None
    finally:
        close_open_files()


def test_archive_from_direct_copies_equals_the_hdf5_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Copied file to file or written through HDF5, the archive holds the same weights with a
    correct CRC; the fixture's plain datasets do take the direct copy."""
    model = load(str(CONV))
    copied: list[raw_copy.DirectCopy] = []
    real = keras3_weights.copy_ranges

    def counting(out: str, copies: list[raw_copy.DirectCopy], crc: object = None) -> None:
        copied.extend(copies)
        real(out, copies, crc)  # type: ignore[arg-type]

    monkeypatch.setattr(keras3_weights, "copy_ranges", counting)
    direct = tmp_path / "direct.keras"
    write_keras(model, str(direct))
    assert copied
    monkeypatch.setattr(H5Dataset, "raw_extent", lambda self: None)
    through = tmp_path / "through.keras"
    write_keras(model, str(through))
    a, b = _member_weights(str(direct)), _member_weights(str(through))  # testzip() included
    assert a.keys() == b.keys() and a
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
        assert a[k].dtype == b[k].dtype
    with zipfile.ZipFile(direct) as zf:
        assert zf.testzip() is None
    close_open_files()
