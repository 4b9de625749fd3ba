"""Byte-level damage shared by every family: truncation, bit flips, overwritten runs."""

from __future__ import annotations

import random
from pathlib import Path

__all__ = ["BYTE_OPS", "byte_params", "damage_bytes", "damage_file"]

BYTE_OPS = ("truncate", "bitflip", "byterun")
_RUN_FILLS = ("zero", "ff", "random", "repeat")


def byte_params(rng: random.Random, op: str) -> dict[str, object]:
    """Parameters for byte operation ``op`` (positions are drawn at apply time from ``seed``)."""
    if op == "truncate":
        return {"keep": rng.choice([0, 1, 8, 64, 512, 2048]) if rng.random() < 0.3 else -1}
    # span=N keeps the damage in the first N bytes, where HDF5's superblock, root object
    # header and the zip/protobuf headers live, rather than in bulk weight data
    if op == "bitflip":
        return {"n": rng.choice([1, 1, 2, 4, 8, 32]), "span": rng.choice([0, 0, 4096])}
    return {"len": rng.choice([1, 4, 8, 16, 64, 256]), "fill": rng.choice(_RUN_FILLS), "span": rng.choice([0, 0, 4096])}


def damage_bytes(data: bytes, op: str, rng: random.Random, params: dict[str, str]) -> bytes:
    """Apply ``op`` to ``data``; ``keep=-1`` truncates at a random point."""
    if not data:
        return data
    if op == "truncate":
        keep = int(params.get("keep", -1))
        return data[: rng.randrange(len(data)) if keep < 0 else min(keep, len(data) - 1)]
    buf = bytearray(data)
    span = int(params.get("span", 0))
    limit = min(span, len(buf)) if span > 0 else len(buf)
    if op == "bitflip":
        for _ in range(int(params.get("n", 1))):
            buf[rng.randrange(limit)] ^= 1 << rng.randrange(8)
        return bytes(buf)
    if op == "byterun":
        length = min(int(params.get("len", 8)), limit)
        start = rng.randrange(limit - length + 1)
        fill = params.get("fill", "random")
        if fill == "zero":
            run = bytes(length)
        elif fill == "ff":
            run = b"\xff" * length
        elif fill == "repeat":
            run = bytes(buf[start : start + 1]) * length
        else:
            run = bytes(rng.randrange(256) for _ in range(length))
        buf[start : start + length] = run
        return bytes(buf)
    raise ValueError(f"unknown byte operation {op!r}")


def damage_file(path: Path, op: str, rng: random.Random, params: dict[str, str]) -> None:
    """Rewrite ``path`` with ``op`` applied to its bytes."""
    path.write_bytes(damage_bytes(path.read_bytes(), op, rng, params))
