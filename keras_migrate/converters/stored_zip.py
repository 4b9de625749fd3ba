"""A zip writer for stored (uncompressed) members, the first of which HDF5 writes itself.

``zipfile`` can only stream a member forwards, but HDF5 seeks back to patch its metadata, so
the weights of a ``.keras`` archive used to be written to a temporary ``.h5`` and copied in
(every weight byte written twice), and then through a Python file-like window onto the
archive (every HDF5 write going C -> Python -> file). Now HDF5 writes the whole output file
with its native driver, leaving its first :data:`HEAD_ROOM` bytes free (an HDF5
*userblock*); :meth:`StoredZipWriter.adopt_head_member` writes the member's local header
there once HDF5 has closed the file, and the other members and the central directory are
appended after. The member's CRC-32 comes from :class:`RawCrc`: the CRC of each raw data
block, taken from the array HDF5 was handed, at the block's file offset; only the bytes
between blocks (HDF5's metadata) are read back. Every member's local header carries a zip64
extra field so a member may exceed 4 GiB; the central directory uses zip64 records only when
needed, as ``zipfile`` does.
"""

from __future__ import annotations

import os
import struct
import time
from dataclasses import dataclass
from typing import BinaryIO

from keras_migrate.converters.crc32 import WriteLog, crc32, crc32_of_range

__all__ = ["HEAD_ROOM", "ZIP64_LIMIT", "RawCrc", "StoredZipWriter"]

_LOCAL = struct.Struct("<IHHHHHIIIHH")
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
_END = struct.Struct("<IHHHHIIH")
_END64 = struct.Struct("<IQHHIIQQQQ")
_LOCATOR64 = struct.Struct("<IIQI")
_MAX32 = 0xFFFFFFFF
#: Sizes and offsets from here on need zip64 records (a module constant so tests can lower it).
ZIP64_LIMIT = _MAX32
_VERSION_ZIP64 = 45
_VERSION_MADE_BY = (3 << 8) | _VERSION_ZIP64  # unix
#: Room for the first member's local header in a file HDF5 writes with a userblock: the
#: smallest userblock HDF5 allows (512 * 2**k bytes), padded to size with an extra field.
HEAD_ROOM = 512
#: The extra-field id of that padding (the id Android's zipalign/apksigner use for padding).
_PADDING_ID = 0xD935


def _dos_time(t: float) -> tuple[int, int]:
    lt = time.localtime(t)
    year = max(lt.tm_year, 1980)
    return (lt.tm_hour << 11) | (lt.tm_min << 5) | (lt.tm_sec // 2), ((year - 1980) << 9) | (lt.tm_mon << 5) | lt.tm_mday


@dataclass(frozen=True, slots=True)
class _Entry:
    name: bytes
    offset: int
    crc: int
    size: int
    dos_time: int
    dos_date: int


class RawCrc:
    """CRC-32s of the raw-data blocks a writer hands to HDF5, recorded at their offsets in
    the file HDF5 writes, so the file's CRC-32 needs only the bytes between them (HDF5's
    metadata) read back. A contiguous, unfiltered dataset's raw data is the array's bytes
    as they are, so a block's CRC is taken from the array just written, in the calling
    thread: zlib-ng checksums ~19 GB/s here (VGG16's 553 MB in ~0.03 s), less than a
    thread hand-off per block costs when HDF5 holds the GIL through its reads and writes."""

    def __init__(self, base: int = 0) -> None:
        #: Offset in the file of the log's position 0 (the zip member's first byte).
        self._base = base
        self.log = WriteLog()

    def add(self, offset: int, data: memoryview) -> None:
        """``data`` (a contiguous byte view) is what the file holds from ``offset`` on."""
        if data.nbytes:
            self.log.record_crc(offset - self._base, data.nbytes, crc32(data))

    def add_crc(self, offset: int, nbytes: int, crc: int) -> None:
        """The file holds ``nbytes`` bytes whose CRC-32 is ``crc`` from ``offset`` on (bytes
        copied file to file, :mod:`~keras_migrate.converters.raw_copy`)."""
        self.log.record_crc(offset - self._base, nbytes, crc)


class StoredZipWriter:
    """Write a zip archive of stored members to ``raw`` (an open, seekable binary file)."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self._entries: list[_Entry] = []

    def _local_header(
        self, name: bytes, crc: int, size: int, dos_time: int, dos_date: int, room: int = 0
    ) -> bytes:
        """A local header (with a zip64 extra); ``room``: padded to exactly that many bytes."""
        extra = struct.pack("<HHQQ", 1, 16, size, size)
        if room:
            pad = room - (_LOCAL.size + len(name) + len(extra) + 4)
            if pad < 0:
                raise ValueError(f"a local header for {name!r} does not fit in {room} bytes")
            extra += struct.pack("<HH", _PADDING_ID, pad) + bytes(pad)
        head = _LOCAL.pack(
            0x04034B50, _VERSION_ZIP64, 0, 0, dos_time, dos_date, crc, _MAX32, _MAX32, len(name), len(extra)
        )
        return head + name + extra

    def writestr(self, name: str, data: bytes) -> None:
        """Append a member whose bytes are known now."""
        raw_name = name.encode("ascii")
        dos_time, dos_date = _dos_time(time.time())
        offset = self._raw.seek(0, os.SEEK_END)
        crc = crc32(data)
        self._raw.write(self._local_header(raw_name, crc, len(data), dos_time, dos_date))
        self._raw.write(data)
        self._entries.append(_Entry(raw_name, offset, crc, len(data), dos_time, dos_date))

    def adopt_head_member(self, name: str, room: int, log: WriteLog) -> None:
        """Make the file's bytes from ``room`` to its end (written already, e.g. by HDF5 with
        a ``room``-byte userblock) the archive's first member: take its CRC-32 from ``log``
        (positions counted from the member's first byte; what it does not know is read back)
        and write its local header into the first ``room`` bytes. Call before any other member."""
        if self._entries:
            raise RuntimeError("the head member must be the archive's first")
        raw_name = name.encode("ascii")
        dos_time, dos_date = _dos_time(time.time())
        end = self._raw.seek(0, os.SEEK_END)
        size = end - room
        if size < 0:
            raise ValueError("the file is shorter than the head member's header room")
        crc = log.crc(size, lambda start, stop, crc: self._read_crc(room + start, stop - start, crc))
        self._raw.seek(0)
        self._raw.write(self._local_header(raw_name, crc, size, dos_time, dos_date, room))
        self._raw.seek(end)
        self._entries.append(_Entry(raw_name, 0, crc, size, dos_time, dos_date))

    def _read_crc(self, start: int, size: int, crc: int) -> int:
        """Continue ``crc`` over ``size`` bytes of the file read back from ``start``."""
        self._raw.flush()
        try:
            return crc32_of_range(self._raw.fileno(), start, size, crc)
        except EOFError:
            raise OSError("zip member shorter than written") from None

    def close(self) -> None:
        """Write the central directory and the end records."""
        start = self._raw.seek(0, os.SEEK_END)
        for e in self._entries:
            fields: list[int] = []
            size32 = e.size
            offset32 = e.offset
            if e.size >= ZIP64_LIMIT:
                fields += [e.size, e.size]
                size32 = _MAX32
            if e.offset >= ZIP64_LIMIT:
                fields.append(e.offset)
                offset32 = _MAX32
            extra = struct.pack(f"<HH{len(fields)}Q", 1, 8 * len(fields), *fields) if fields else b""
            self._raw.write(
                _CENTRAL.pack(
                    0x02014B50,
                    _VERSION_MADE_BY,
                    _VERSION_ZIP64,
                    0,
                    0,
                    e.dos_time,
                    e.dos_date,
                    e.crc,
                    size32,
                    size32,
                    len(e.name),
                    len(extra),
                    0,
                    0,
                    0,
                    0o600 << 16,
                    offset32,
                )
                + e.name
                + extra
            )
        end = self._raw.tell()
        count, cd_size = len(self._entries), end - start
        if count > 0xFFFF or cd_size >= ZIP64_LIMIT or start >= ZIP64_LIMIT:
            self._raw.write(
                _END64.pack(0x06064B50, _END64.size - 12, _VERSION_MADE_BY, _VERSION_ZIP64, 0, 0, count, count, cd_size, start)
            )
            self._raw.write(_LOCATOR64.pack(0x07064B50, 0, end, 1))
            count16 = min(count, 0xFFFF)
            cd_size32 = _MAX32 if cd_size >= ZIP64_LIMIT else cd_size
            start32 = _MAX32 if start >= ZIP64_LIMIT else start
        else:
            count16, cd_size32, start32 = count, cd_size, start
        self._raw.write(_END.pack(0x06054B50, 0, 0, count16, count16, cd_size32, start32, 0))
        self._raw.flush()
