"""tf.keras / Keras 3 ``.keras`` zips made hostile.

Bombs (a member that inflates to ``mb`` MiB from a file of about ``mb`` KiB), unsupported
compression method ids, the encrypted flag, zip-slip member names, duplicate members,
declared sizes that lie, damaged inner members and damaged container bytes.
"""

from __future__ import annotations

import functools
import io
import random
import struct
import warnings
import zipfile
import zlib
from pathlib import Path

from fuzz.mutators import Case, Mutator, register
from fuzz.mutators._bytes import BYTE_OPS, damage_bytes
from fuzz.mutators._stage import stage
from fuzz.mutators.config import mutate_config_text
from fuzz.recipe import Recipe

__all__ = ["FAMILY", "patch_member"]

FAMILY = "zip"
_SEEDS = ("tf-keras-*/*.keras",)
_MEMBERS = ("config.json", "model.weights.h5", "metadata.json")
_SLIP_NAMES = ("../../evil.json", "/tmp/evil.json", "assets/../../../evil", "C:\\evil.json", "config.json/../../x")
_OPS = ("bomb", "method", "encrypted", "slip", "dup", "bytes", "inner-config", "inner-h5", "declared-size")


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {i.filename: z.read(i) for i in z.infolist()}


def _write(entries: list[tuple[str, bytes]], method: int = zipfile.ZIP_STORED) -> bytes:
    buf = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buf, "w", method) as z:
        warnings.simplefilter("ignore", UserWarning)  # duplicate names are the point
        for name, payload in entries:
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = method
            z.writestr(info, payload)
    return buf.getvalue()


def _deflate_run(byte: bytes, mb: int) -> tuple[bytes, int]:
    """Raw deflate of ``mb`` MiB of ``byte`` and its CRC, in well under a second.

    After a full flush the compressor's output for a chunk no longer depends on what came
    before, so one compressed MiB repeated ``mb`` times is the compressed ``mb`` MiB.
    """
    chunk = byte * (1 << 20)
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = comp.compress(chunk) + comp.flush(zlib.Z_FULL_FLUSH)
    second = comp.compress(chunk) + comp.flush(zlib.Z_FULL_FLUSH)
    if first != second:
        raise RuntimeError("deflate full-flush output is not periodic")
    crc = 0
    for _ in range(mb):
        crc = zlib.crc32(chunk, crc)
    return first * mb, crc


def _zip_raw(entries: list[tuple[str, int, int, int, bytes]]) -> bytes:
    """A zip from ``(name, method, crc, uncompressed size, stored bytes)`` entries (< 4 GiB)."""
    out, central = bytearray(), bytearray()
    for name, method, crc, usize, data in entries:
        raw = name.encode("utf-8")
        offset = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0x5021, crc, len(data), usize, len(raw), 0)
        out += raw + data
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, 0x5021, crc,
                               len(data), usize, len(raw), 0, 0, 0, 0, 0, offset) + raw
    n = len(entries)
    eocd = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, n, n, len(central), len(out), 0)
    return bytes(out + central + eocd)


@functools.lru_cache(maxsize=8)
def _bomb(seed_bytes: bytes, member: str, mb: int) -> bytes:
    """A zip whose ``member`` inflates to ``mb`` MiB: the file itself stays near ``mb`` KiB.

    A JSON member gets ``mb`` MiB of leading spaces (still a valid config), an HDF5 member
    ``mb`` MiB of trailing zeros (HDF5 ignores them): only the size is hostile.
    """
    entries = []
    for name, payload in _members(seed_bytes).items():
        if name != member:
            entries.append((name, 0, zlib.crc32(payload), len(payload), payload))
            continue
        run, run_crc = _deflate_run(b" " if name.endswith(".json") else b"\0", mb)
        tail = zlib.compressobj(9, zlib.DEFLATED, -15)
        tail_data = tail.compress(payload) + tail.flush()
        if name.endswith(".json"):
            data, crc = run + tail_data, zlib.crc32(payload, run_crc)
        else:  # payload first, then the zeros: recompress in that order
            head = zlib.compressobj(9, zlib.DEFLATED, -15)
            lead = head.compress(payload) + head.flush(zlib.Z_FULL_FLUSH)
            end = zlib.compressobj(9, zlib.DEFLATED, -15).flush()
            run_crc = zlib.crc32(payload)
            chunk = b"\0" * (1 << 20)
            for _ in range(mb):
                run_crc = zlib.crc32(chunk, run_crc)
            data, crc = lead + run + end, run_crc
        entries.append((name, 8, crc, (mb << 20) + len(payload), data))
    return _zip_raw(entries)


def patch_member(data: bytes, member: str, *, method: int | None = None, flags: int | None = None,
                 size: int | None = None) -> bytes:
    """Overwrite header fields of ``member`` in both its local and central directory entries."""
    buf = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        info = z.getinfo(member)
    local = info.header_offset
    pos = bytes(buf).find(b"PK\x01\x02")
    central = []
    while pos != -1:
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", buf, pos + 28)
        if bytes(buf[pos + 46 : pos + 46 + name_len]).decode("utf-8", "replace") == member:
            central.append(pos)
        pos = bytes(buf).find(b"PK\x01\x02", pos + 46 + name_len + extra_len + comment_len)
    if method is not None:
        struct.pack_into("<H", buf, local + 8, method)
        for c in central:
            struct.pack_into("<H", buf, c + 10, method)
    if flags is not None:
        struct.pack_into("<H", buf, local + 6, flags)
        for c in central:
            struct.pack_into("<H", buf, c + 8, flags)
    if size is not None:
        struct.pack_into("<I", buf, local + 22, size)
        for c in central:
            struct.pack_into("<I", buf, c + 24, size)
    return bytes(buf)


def _mutate(data: bytes, recipe: Recipe, rng: random.Random) -> bytes:
    op = recipe.get("op") or "bytes"
    member = recipe.get("member") or "config.json"
    members = _members(data)
    if member not in members:
        member = sorted(members)[0]
    if op == "bomb":
        return _bomb(data, member, recipe.number("mb", 1024))
    if op == "method":
        return patch_member(data, member, method=recipe.number("id", 99))
    if op == "encrypted":
        return patch_member(data, member, flags=0x1)
    if op == "declared-size":
        return patch_member(data, member, size=recipe.number("size", 0xFFFFFFFF))
    if op == "slip":
        name = rng.choice(_SLIP_NAMES)
        return _write([*members.items(), (name, members[member])])
    if op == "dup":
        altered = damage_bytes(members[member], "bitflip", rng, {"n": "4"})
        if member.endswith(".json"):
            altered = mutate_config_text(members[member].decode("utf-8"), "typeswap", rng, fmt="json").encode()
        return _write([*members.items(), (member, altered)])
    if op == "inner-config":
        text = members["config.json"].decode("utf-8")
        sub = rng.choice(("typeswap", "typeswap", "drop", "dupname", "deep", "hugeint", "bigdim"))
        members["config.json"] = mutate_config_text(text, sub, rng, fmt="json").encode("utf-8")
        return _write(list(members.items()))
    if op == "inner-h5":
        members["model.weights.h5"] = damage_bytes(
            members["model.weights.h5"], rng.choice(BYTE_OPS), rng, {"n": "8", "len": "64"}
        )
        return _write(list(members.items()))
    return damage_bytes(data, rng.choice(BYTE_OPS), rng, {"n": "4", "len": "32"})


def _params(rng: random.Random) -> dict[str, object]:
    op = rng.choice(_OPS)
    params: dict[str, object] = {"op": op}
    if op in ("bomb", "method", "encrypted", "dup", "declared-size"):
        params["member"] = rng.choice(_MEMBERS)
    if op == "bomb":
        params["mb"] = rng.choice((64, 1024))
    if op == "method":
        params["id"] = rng.choice((1, 6, 9, 12, 14, 93, 95, 98, 99, 0xFFFF))
    if op == "declared-size":
        params["size"] = rng.choice((0, 1, 0x7FFFFFFF, 0xFFFFFFFF))
    return params


def _apply(root: Path, recipe: Recipe, dest: Path, rng: random.Random) -> Case:
    case = stage(root, recipe.seed_path, dest)
    target = dest.parent / case.target
    target.write_bytes(_mutate(target.read_bytes(), recipe, rng))
    return case


register(Mutator("zip-mutate", FAMILY, _SEEDS, _params, _apply))
