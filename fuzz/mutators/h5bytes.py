"""HDF5 files damaged byte by byte: truncation, bit flips, overwritten runs.

Seeds are full-model ``.h5`` files and the ``_weights.h5`` files that go with an
architecture ``.json`` (both Keras 1/2 and tf.keras layouts).
"""

from __future__ import annotations

import random
from pathlib import Path

from fuzz.mutators import Case, Mutator, register
from fuzz.mutators._bytes import BYTE_OPS, byte_params, damage_file
from fuzz.mutators._stage import stage
from fuzz.recipe import Recipe

__all__ = ["FAMILY"]

FAMILY = "h5-bytes"
_SEEDS = ("keras-*/*.h5", "tf-keras-*/*.h5")


def _make(op: str) -> Mutator:
    def apply(root: Path, recipe: Recipe, dest: Path, rng: random.Random) -> Case:
        case = stage(root, recipe.seed_path, dest)
        damage_file(dest.parent / case.target, op, rng, dict(recipe.params))
        return case

    return Mutator(f"h5-{op}", FAMILY, _SEEDS, lambda rng: byte_params(rng, op), apply)


for _op in BYTE_OPS:
    register(_make(_op))
