"""SavedModel protobufs damaged at the wire level: truncation, bit flips, varints set huge,
tags given the wrong wire type, length prefixes that overrun (``keras_metadata.pb`` and
``saved_model.pb``; the ``variables/`` checkpoint is the checkpoint family's)."""

from __future__ import annotations

import random
from pathlib import Path

from fuzz.mutators import Case, Mutator, register
from fuzz.mutators._bytes import BYTE_OPS, damage_bytes
from fuzz.mutators._stage import stage
from fuzz.mutators._wire import encode_varint, spots
from fuzz.recipe import Recipe

__all__ = ["FAMILY", "damage_protobuf"]

FAMILY = "savedmodel"
_SEEDS = ("tf-keras-*/*.savedmodel",)
_FILES = ("keras_metadata.pb", "saved_model.pb")
_WIRE_OPS = ("varint", "wiretype", "length")
_HUGE = (1 << 31, (1 << 32) + 1, 1 << 62, (1 << 64) - 1)


def damage_protobuf(data: bytes, op: str, rng: random.Random) -> bytes:
    """Replace one varint of ``data`` chosen by ``op``; the rest of the bytes are unchanged."""
    kind = {"varint": "value", "wiretype": "tag", "length": "length"}[op]
    candidates = [s for s in spots(data) if s.kind == kind]
    if not candidates:
        return damage_bytes(data, "bitflip", rng, {"n": "4"})
    spot = rng.choice(candidates)
    if op == "wiretype":
        wire = rng.choice([w for w in range(8) if w != spot.value & 7])
        new = encode_varint((spot.value >> 3) << 3 | wire)
    elif op == "length" and rng.random() < 0.3:
        new = encode_varint(spot.value + rng.choice((1, -1 if spot.value else 1)))
    else:
        new = encode_varint(rng.choice(_HUGE))
    return data[: spot.start] + new + data[spot.end :]


def _params(rng: random.Random) -> dict[str, object]:
    return {"file": rng.choice(_FILES), "op": rng.choice(_WIRE_OPS + BYTE_OPS)}


def _apply(root: Path, recipe: Recipe, dest: Path, rng: random.Random) -> Case:
    case = stage(root, recipe.seed_path, dest, inner=recipe.get("file") or "saved_model.pb")
    target = dest.parent / case.target
    if not target.exists():  # SavedModels written before TF 2.5 have no keras_metadata.pb
        target = target.with_name("saved_model.pb")
        case = Case(case.model, case.weights, str(target.relative_to(dest.parent)))
    op = recipe.get("op") or "varint"
    data = target.read_bytes()
    if op in BYTE_OPS:
        target.write_bytes(damage_bytes(data, op, rng, {"n": "4", "len": "16"}))
    else:
        target.write_bytes(damage_protobuf(data, op, rng))
    return case


register(Mutator("pb-mutate", FAMILY, _SEEDS, _params, _apply))
