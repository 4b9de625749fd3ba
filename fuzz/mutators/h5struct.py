"""HDF5 files damaged in their structure through h5py, so the file itself stays valid.

Weight entries replaced by groups, dangling soft links, hard-link cycles, datasets of the
wrong shape or dtype, huge declared shapes with no data behind them (chunked, never
allocated), and corrupted attributes. External links and virtual datasets that reach for
another file are hostile by construction: a successful conversion is a contract violation.
"""

from __future__ import annotations

import random
from pathlib import Path

import h5py
import numpy as np

from fuzz.mutators import Case, Mutator, register
from fuzz.mutators._stage import stage
from fuzz.recipe import Recipe

__all__ = ["FAMILY"]

FAMILY = "h5-struct"
_SEEDS = ("keras-*/*.h5", "tf-keras-*/*.h5")
_REPLACE_OPS = ("group", "dangling", "shape", "dtype", "huge", "overflow", "empty", "scalar", "cycle")
_DTYPES = ("string", "complex", "bool", "int8", "float16", "vlen", "compound")
_ATTRS = ("model_config", "layer_names", "weight_names", "keras_version", "backend", "training_config")
_ATTR_OPS = ("nonutf8", "int", "intarray", "empty", "delete", "dangling-name", "float", "nested")
#: Where the file outside the input folder lives, relative to the case directory.
ELSEWHERE = "elsewhere/secret.h5"


def _datasets(f: h5py.File) -> list[str]:
    found: list[str] = []
    f.visititems(lambda name, obj: found.append(name) if isinstance(obj, h5py.Dataset) else None)
    return sorted(found)


def _has_datasets(path: Path) -> bool:
    with h5py.File(path, "r") as f:
        return bool(_datasets(f))


def _pick(f: h5py.File, rng: random.Random) -> tuple[str, h5py.Dataset]:
    names = _datasets(f)
    if not names:
        raise ValueError("seed has no datasets")
    name = rng.choice(names)
    return name, f[name]


def _wrong_dtype(kind: str, shape: tuple[int, ...]) -> tuple[np.ndarray | None, object]:
    if kind == "string":
        return np.full(shape, b"weights", dtype="S8"), None
    if kind == "complex":
        return np.ones(shape, dtype=np.complex64), None
    if kind == "bool":
        return np.ones(shape, dtype=bool), None
    if kind == "int8":
        return np.ones(shape, dtype=np.int8), None
    if kind == "float16":
        return np.ones(shape, dtype=np.float16), None
    if kind == "vlen":
        return None, h5py.vlen_dtype(np.float32)
    return np.zeros(shape, dtype=[("a", "<f4"), ("b", "<i4")]), None


def _replace(f: h5py.File, rng: random.Random, op: str, kind: str) -> None:
    name, ds = _pick(f, rng)
    shape, dtype = tuple(ds.shape), ds.dtype
    parent, leaf = f[name].parent, name.rsplit("/", 1)[-1]
    del f[name]
    if op == "group":
        g = parent.create_group(leaf)
        g.create_dataset("kernel", data=np.zeros((2, 2), "f4"))
    elif op == "dangling":
        parent[leaf] = h5py.SoftLink("/no/such/object")
    elif op == "shape":
        new = (*shape, 2) if rng.random() < 0.4 or not shape else tuple(reversed((*shape[:-1], shape[-1] + 1)))
        parent.create_dataset(leaf, data=np.zeros(new, dtype=dtype))
    elif op == "dtype":
        data, vlen = _wrong_dtype(kind, shape)
        if vlen is not None:
            parent.create_dataset(leaf, shape=shape or (1,), dtype=vlen)
        else:
            parent.create_dataset(leaf, data=data)
    elif op == "huge":
        # ~4 PB declared, chunked: HDF5 allocates nothing until a chunk is written.
        big = (1 << 40, 1 << 10) if len(shape) != 1 else (1 << 50,)
        parent.create_dataset(leaf, shape=big, dtype=dtype, chunks=(1,) * (len(big) - 1) + (16,))
    elif op == "overflow":
        # element count 2^80 overflows every 64-bit size computation
        parent.create_dataset(leaf, shape=(1 << 40, 1 << 40), dtype=dtype, chunks=(1, 16))
    elif op == "empty":
        parent.create_dataset(leaf, data=h5py.Empty(dtype))
    elif op == "scalar":
        parent.create_dataset(leaf, data=np.array(1.0, dtype=dtype))
    elif op == "cycle":
        parent.create_dataset(leaf, data=np.zeros(shape, dtype=dtype))
        # a hard link from inside a layer group back to the root: walkers that recurse loop
        parent["loop"] = f["/"]
    else:
        raise ValueError(f"unknown op {op!r}")


def _attr(f: h5py.File, rng: random.Random, attr: str, op: str) -> None:
    holders: list[h5py.Group] = [f]
    f.visititems(lambda _n, obj: holders.append(obj) if attr in obj.attrs else None)
    owners = [h for h in holders if attr in h.attrs] or [f]
    obj = rng.choice(owners)
    attrs = obj.attrs
    if op == "nonutf8":
        attrs[attr] = np.bytes_(b"\xff\xfe{\x80\xc3(")
    elif op == "int":
        attrs[attr] = 7
    elif op == "intarray":
        attrs[attr] = np.arange(3)
    elif op == "empty":
        attrs[attr] = h5py.Empty("S1")
    elif op == "delete":
        if attr in attrs:
            del attrs[attr]
    elif op == "dangling-name":
        attrs[attr] = np.array([b"no_such_layer", b"kernel:0/../.."])
    elif op == "float":
        attrs[attr] = np.float64("nan")
    else:
        attrs[attr] = np.array([[b"a", b"b"], [b"c", b"d"]])


def _apply_replace(root: Path, recipe: Recipe, dest: Path, rng: random.Random) -> Case:
    case = stage(root, recipe.seed_path, dest)
    with h5py.File(dest.parent / case.target, "r+") as f:
        _replace(f, rng, recipe.get("op") or "group", recipe.get("dtype") or "string")
    return case


def _apply_attr(root: Path, recipe: Recipe, dest: Path, rng: random.Random) -> Case:
    case = stage(root, recipe.seed_path, dest)
    with h5py.File(dest.parent / case.target, "r+") as f:
        _attr(f, rng, recipe.get("attr") or "layer_names", recipe.get("op") or "nonutf8")
    return case


def _secret(dest: Path, name: str, shape: tuple[int, ...], dtype: np.dtype) -> str:
    """Write the other file a hostile link points at; return its path relative to ``dest``."""
    secret = dest.parent / ELSEWHERE
    secret.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(secret, "a") as g:
        if name not in g:
            g.create_dataset(name, data=np.full(shape, 0.5, dtype=dtype))
    return str(Path("..") / ELSEWHERE)


def _apply_link(root: Path, recipe: Recipe, dest: Path, rng: random.Random) -> Case:
    case = stage(root, recipe.seed_path, dest)
    with h5py.File(dest.parent / case.target, "r+") as f:
        name, ds = _pick(f, rng)
        shape, dtype = tuple(ds.shape), ds.dtype
        parent, leaf = f[name].parent, name.rsplit("/", 1)[-1]
        del f[name]
        other = _secret(dest, "stolen", shape, dtype)
        if recipe.get("kind") == "vds":
            layout = h5py.VirtualLayout(shape=shape, dtype=dtype)
            layout[...] = h5py.VirtualSource(other, "stolen", shape=shape)
            parent.create_virtual_dataset(leaf, layout)
        else:
            parent[leaf] = h5py.ExternalLink(other, "/stolen")
    return case


def _replace_params(rng: random.Random) -> dict[str, object]:
    op = rng.choice(_REPLACE_OPS)
    return {"op": op, "dtype": rng.choice(_DTYPES)} if op == "dtype" else {"op": op}


register(
    Mutator(
        "h5-replace",
        FAMILY,
        _SEEDS,
        _replace_params,
        _apply_replace,
        seed_filter=_has_datasets,
    )
)
register(
    Mutator(
        "h5-attr",
        FAMILY,
        _SEEDS,
        lambda rng: {"attr": rng.choice(_ATTRS), "op": rng.choice(_ATTR_OPS)},
        _apply_attr,
    )
)
register(
    Mutator(
        "h5-link",
        FAMILY,
        _SEEDS,
        lambda rng: {"kind": rng.choice(("external", "vds"))},
        _apply_link,
        must_refuse=True,
        seed_filter=_has_datasets,
    )
)
