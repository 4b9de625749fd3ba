"""JSON and YAML architecture configs with wrong types, hostile nesting and resource bombs.

Seeds are the architecture ``.json`` files (staged with their ``_weights.h5`` when
``weights=1``); ``fmt=yaml`` rewrites the config as YAML first; ``fmt=h5attr`` edits the
``model_config`` attribute of the matching full-model ``.h5`` instead. Values that cannot be
produced by a serializer (a 10^5-deep list, a 5000-digit integer, a YAML alias bomb) are
spliced into the text in place of a marker string.
"""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path
from typing import Any

import h5py
import yaml

from fuzz.mutators import Case, Mutator, register
from fuzz.recipe import Recipe

__all__ = ["FAMILY", "mutate_config_text"]

FAMILY = "config"
_SEEDS = ("keras-*/*.json", "tf-keras-*/*.json")
_OPS = ("typeswap", "typeswap", "typeswap", "deep", "dupname", "hugeint", "bigdim", "drop", "nan")
_YAML_OPS = ("yamldate", "bomb", "cycle")
_MARK = "@@FUZZ-MARK@@"
_DIM_KEYS = ("units", "output_dim", "input_dim", "filters", "nb_filter", "batch_input_shape",
             "batch_shape", "target_shape", "n", "size", "kernel_size", "input_length")


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into the config tree (iteratively: configs can be deep)."""
    out: list[tuple[Any, ...]] = []
    stack = [(node, prefix)]
    while stack:
        cur, path = stack.pop()
        items = cur.items() if isinstance(cur, dict) else enumerate(cur) if isinstance(cur, list) else ()
        for key, child in items:
            out.append((*path, key))
            stack.append((child, (*path, key)))
    return out


def _get(node: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        node = node[key]
    return node


def _set(node: Any, path: tuple[Any, ...], value: Any) -> None:
    _get(node, path[:-1])[path[-1]] = value


def _other_type(value: Any, rng: random.Random) -> Any:
    choices: list[Any] = ["oops", [1, "two", None], {"class_name": 3}, None, True, -1, 1.5, {}]
    choices = [c for c in choices if type(c) is not type(value)]
    return rng.choice(choices)


def _layers(cfg: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for path in _paths(cfg):
        node = _get(cfg, path)
        if isinstance(node, dict) and "class_name" in node and isinstance(node.get("config"), dict):
            found.append(node)
    return found


def _mutate_tree(cfg: Any, op: str, rng: random.Random) -> tuple[Any, str | None]:
    """Edit ``cfg`` in place; return it and the text to splice at the marker, if any."""
    paths = _paths(cfg)
    if op == "typeswap":
        path = rng.choice(paths)
        _set(cfg, path, _other_type(_get(cfg, path), rng))
        return cfg, None
    if op == "drop":
        path = rng.choice([p for p in paths if isinstance(_get(cfg, p[:-1]), dict)])
        del _get(cfg, path[:-1])[path[-1]]
        return cfg, None
    if op == "nan":
        nums = [p for p in paths if isinstance(_get(cfg, p), (int, float)) and not isinstance(_get(cfg, p), bool)]
        if nums:
            _set(cfg, rng.choice(nums), rng.choice([float("nan"), float("inf"), -float("inf"), -7, 0]))
        return cfg, None
    if op == "dupname":
        layers = _layers(cfg)
        if len(layers) >= 2:
            a, b = rng.sample(layers, 2)
            name = a["config"].get("name", a.get("name"))
            b["config"]["name"] = name
            if "name" in b:
                b["name"] = name
        return cfg, None
    if op == "bigdim":
        keyed = [p for p in paths if p[-1] in _DIM_KEYS] or paths
        path = rng.choice(keyed)
        old = _get(cfg, path)
        huge = 1 << 40
        _set(cfg, path, [None if v is None else huge for v in old] if isinstance(old, list) else huge)
        return cfg, None
    path = rng.choice(paths)
    _set(cfg, path, _MARK)
    if op == "deep":
        depth = 100_000
        return cfg, "[" * depth + "]" * depth
    if op == "hugeint":
        return cfg, "9" * 5000
    if op == "yamldate":
        return cfg, "2001-12-14"
    if op == "cycle":
        return cfg, "&cyc [*cyc, {a: *cyc}]"
    if op == "bomb":
        return cfg, "*l8"
    raise ValueError(f"unknown op {op!r}")


_BOMB = "a_bomb: [" + ", ".join(
    ["&l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    + [f"&l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, 9)]
) + "]\n"


def mutate_config_text(text: str, op: str, rng: random.Random, *, fmt: str) -> str:
    """Mutate the JSON config ``text``; return JSON (``fmt=json``) or YAML text."""
    cfg, splice = _mutate_tree(json.loads(text), op, rng)
    if fmt == "yaml":
        out = yaml.safe_dump(cfg, sort_keys=True, default_flow_style=None, width=1 << 30)
        if splice is not None:
            out = out.replace(f"'{_MARK}'", splice).replace(_MARK, splice)
        if op == "bomb":
            out = _BOMB + out
        return out
    out = json.dumps(cfg)
    if splice is not None:
        out = out.replace(f'"{_MARK}"', splice)
    return out


def _params(rng: random.Random) -> dict[str, object]:
    fmt = rng.choice(("json", "json", "yaml", "h5attr"))
    ops = _OPS + _YAML_OPS if fmt == "yaml" else _OPS
    return {"op": rng.choice(ops), "fmt": fmt, "weights": rng.choice((0, 1))}


def _apply(root: Path, recipe: Recipe, dest: Path, rng: random.Random) -> Case:
    src = root / recipe.seed_path
    fmt = recipe.get("fmt") or "json"
    op = recipe.get("op") or "typeswap"
    dest.mkdir(parents=True, exist_ok=True)
    stem = src.name[: -len(".json")]
    rel = Path(dest.name)
    full = src.with_name(stem + ".h5")
    if fmt == "h5attr" and full.exists():
        shutil.copyfile(full, dest / full.name)
        with h5py.File(dest / full.name, "r+") as f:
            raw = f.attrs["model_config"]
            text = raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)
            f.attrs["model_config"] = mutate_config_text(text, op, rng, fmt="json").encode("utf-8")
        return Case(str(rel / full.name), None, str(rel / full.name))
    name = stem + (".yaml" if fmt == "yaml" else ".json")
    (dest / name).write_text(mutate_config_text(src.read_text(), op, rng, fmt=fmt), encoding="utf-8")
    weights = src.with_name(stem + "_weights.h5")
    if recipe.number("weights") and weights.exists():
        shutil.copyfile(weights, dest / weights.name)
        return Case(str(rel / name), str(rel / weights.name), str(rel / name))
    return Case(str(rel / name), None, str(rel / name))


register(Mutator("cfg-mutate", FAMILY, _SEEDS, _params, _apply))
