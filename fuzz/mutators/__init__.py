"""Deterministic mutators, one module per input family, and the registry the runner draws from.

A mutator turns ``(seed file, parameters)`` into a mutated input inside a case directory.
It is deterministic: the same recipe always builds byte-identical files, so a failure found
by ``python -m fuzz run`` replays with ``python -m fuzz replay 'RECIPE'``.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from fuzz.mutators._stage import Case, stage
from fuzz.recipe import Recipe

__all__ = ["FAMILIES", "MUTATORS", "Case", "Mutator", "build", "choose", "register"]


@dataclass(frozen=True, slots=True)
class Mutator:
    """One way of damaging a seed.

    ``seeds``: glob patterns (relative to ``fixtures/``) of the seeds it applies to.
    ``params``: draws the mutator's parameters (``seed`` is added by the runner).
    ``apply``: stages the seed under the case's ``in/`` folder and damages it.
    ``must_refuse``: the input is hostile by construction (external links, virtual datasets):
    converting it successfully is a contract violation, not a pass.
    ``seed_filter``: keeps only the seeds the mutator can work on (e.g. with a dataset).
    """

    name: str
    family: str
    seeds: tuple[str, ...]
    params: Callable[[random.Random], dict[str, object]]
    apply: Callable[[Path, Recipe, Path, random.Random], Case]
    must_refuse: bool = False
    seed_filter: Callable[[Path], bool] | None = None


MUTATORS: dict[str, Mutator] = {}


def register(mutator: Mutator) -> Mutator:
    """Add ``mutator`` to the registry (its name must be new)."""
    if mutator.name in MUTATORS:
        raise ValueError(f"duplicate mutator {mutator.name}")
    MUTATORS[mutator.name] = mutator
    return mutator


def build(root: Path, recipe: Recipe, case_dir: Path) -> Case:
    """Materialize ``recipe`` under ``case_dir/in`` and return the CLI arguments."""
    mutator = MUTATORS.get(recipe.mutator)
    if mutator is None:
        raise KeyError(f"unknown mutator {recipe.mutator!r}; known: {', '.join(sorted(MUTATORS))}")
    rng = random.Random(f"{recipe.mutator}:{recipe.seed_path}:{recipe.number('seed')}")
    return mutator.apply(root, recipe, case_dir / "in", rng)


@functools.cache
def seeds_for(root: Path, mutator: Mutator) -> list[str]:
    """Seed paths (relative to ``root``) that ``mutator`` applies to, sorted."""
    found: set[str] = set()
    for pattern in mutator.seeds:
        found.update(str(p.relative_to(root)) for p in (root / "fixtures").glob(pattern))
    keep = mutator.seed_filter or (lambda _p: True)
    return sorted(s for s in found if not s.endswith("manifest.json") and keep(root / s))


def choose(root: Path, rng: random.Random, family: str, *, cmd: str = "keras") -> Recipe:
    """Draw one recipe of ``family``: a mutator, a seed and parameters."""
    names = sorted(n for n, m in MUTATORS.items() if m.family == family)
    mutator = MUTATORS[rng.choice(names)]
    seeds = seeds_for(root, mutator)
    params: dict[str, object] = {"seed": rng.randrange(1 << 31), **mutator.params(rng)}
    if cmd != "keras":
        params["cmd"] = cmd
    return Recipe.make(mutator.name, rng.choice(seeds), **params)


def _load_all() -> tuple[str, ...]:
    from fuzz.mutators import checkpoint, config, h5bytes, h5struct, savedmodel, zips

    return tuple(m.FAMILY for m in (h5bytes, h5struct, config, zips, savedmodel, checkpoint))


#: Every input family, in report order.
FAMILIES = _load_all()


def _control(root: Path, recipe: Recipe, dest: Path, rng: random.Random) -> Case:
    return stage(root, recipe.seed_path, dest)


#: The undamaged seed: a control (the CLI must convert it), never drawn by :func:`choose`.
register(Mutator("control", "control", ("*/*",), lambda rng: {}, _control))
