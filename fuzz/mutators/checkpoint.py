"""TF checkpoints (tensor bundles) damaged in the index and the data shard.

The index is a LevelDB table of ``BundleEntryProto`` values under a ``BundleHeaderProto``
(key ``""``); structural edits re-encode it with correct block checksums so they reach the
reader's entry handling: billions of shards, shard ids and offsets past the end, sizes of
terabytes, unknown dtypes, shapes whose element count overflows 64 bits, entry CRCs that do
not match. Byte damage covers corrupted blocks and CRC mismatches of the raw files.
Seeds are the ``X_ckpt`` directories (with their ``X.json``) and SavedModels' ``variables/``.
"""

from __future__ import annotations

import random
import struct
from pathlib import Path

from fuzz.mutators import Case, Mutator, register
from fuzz.mutators._bytes import BYTE_OPS, damage_bytes
from fuzz.mutators._stage import stage
from fuzz.mutators._wire import Field, decode_fields, encode_fields, read_table, write_table
from fuzz.recipe import Recipe

__all__ = ["FAMILY"]

FAMILY = "checkpoint"
_SEEDS = ("tf-keras-*/*_ckpt", "tf-keras-*/*.savedmodel")
_ENTRY_OPS = ("shards", "shard-id", "offset", "size", "dtype", "shape-huge", "shape-overflow",
              "shape-negative", "crc", "drop", "missing-shard")


def _files(seed: str) -> tuple[str, str]:
    if seed.endswith(".savedmodel"):
        return "variables/variables.index", "variables/variables.data-00000-of-00001"
    return "ckpt.index", "ckpt.data-00000-of-00001"


def _shape(dims: list[int]) -> bytes:
    return encode_fields([Field(2, 2, encode_fields([Field(1, 0, d)])) for d in dims])


def _edit_entry(value: bytes, op: str, rng: random.Random) -> bytes:
    fields = decode_fields(value)
    if op == "crc":
        fields = [f for f in fields if f.number != 6] + [Field(6, 5, struct.pack("<I", rng.getrandbits(32)))]
    else:
        number, new = {
            "shard-id": (3, Field(3, 0, rng.choice((1, 7, 1 << 31)))),
            "offset": (4, Field(4, 0, rng.choice(((1 << 40), (1 << 63) - 1, 10**9)))),
            "size": (5, Field(5, 0, rng.choice(((1 << 40), (1 << 63) - 1, 10**12)))),
            "dtype": (1, Field(1, 0, rng.choice((0, 7, 20, 21, 99, 1 << 20)))),
            "shape-huge": (2, Field(2, 2, _shape([1 << 40, 1 << 20]))),
            "shape-overflow": (2, Field(2, 2, _shape([1 << 40, 1 << 40, 1 << 40]))),
            "shape-negative": (2, Field(2, 2, _shape([-1, 3]))),
        }[op]
        fields = [f for f in fields if f.number != number] + [new]
        fields.sort(key=lambda f: f.number)
    return encode_fields(fields)


def _mutate_index(data: bytes, op: str, rng: random.Random) -> bytes:
    entries = read_table(data)
    if op == "shards":
        header = dict(entries).get(b"", b"")
        fields = [f for f in decode_fields(header) if f.number != 1]
        fields.insert(0, Field(1, 0, rng.choice((2, 1 << 20, (1 << 31) - 1))))
        return write_table([(k, encode_fields(fields) if k == b"" else v) for k, v in entries])
    tensors = [i for i, (k, _) in enumerate(entries) if k]
    if not tensors:
        return data
    pick = rng.choice(tensors)
    if op == "drop":
        return write_table([e for i, e in enumerate(entries) if i != pick])
    key, value = entries[pick]
    entries[pick] = (key, _edit_entry(value, op, rng))
    return write_table(entries)


def _params(rng: random.Random) -> dict[str, object]:
    op = rng.choice(_ENTRY_OPS + BYTE_OPS + BYTE_OPS)
    params: dict[str, object] = {"op": op}
    if op in BYTE_OPS:
        params["file"] = rng.choice(("index", "data"))
    return params


def _apply(root: Path, recipe: Recipe, dest: Path, rng: random.Random) -> Case:
    index, shard = _files(recipe.seed_path)
    which = recipe.get("file") or "index"
    case = stage(root, recipe.seed_path, dest, inner=index if which == "index" else shard)
    target = dest.parent / case.target
    op = recipe.get("op") or "shards"
    if op in BYTE_OPS:
        target.write_bytes(damage_bytes(target.read_bytes(), op, rng, {"n": "4", "len": "16"}))
    elif op == "missing-shard":
        (target.parent / Path(shard).name).unlink()
    else:
        target.write_bytes(_mutate_index(target.read_bytes(), op, rng))
    return case


register(Mutator("ckpt-mutate", FAMILY, _SEEDS, _params, _apply))
