"""A ``.kmir`` handed to the CLI is untrusted input: the readers' link scan and bounds apply.

Each row saves a genuine fixture as ``.kmir``, damages it with h5py, and expects one clean
line naming the file from :func:`keras_migrate.formats.load` (the CLI's path).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest

from keras_migrate.errors import KerasMigrateError
from keras_migrate.formats import load
from keras_migrate.ir import serialize
from keras_migrate.ir.weights import close_open_files

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "fixtures" / "keras-2.2.4" / "dense_activations.h5"


def _external(f: Any, tmp: Path) -> None:
    other = tmp / "other.h5"
    with h5py.File(other, "w") as g:
        g["x"] = np.zeros(3)
    f["stray"] = h5py.ExternalLink(str(other), "/x")  # in a group no reader looks at


def _virtual(f: Any, tmp: Path) -> None:
    other = tmp / "other.h5"
    with h5py.File(other, "w") as g:
        g["x"] = np.zeros(3)
    layout = h5py.VirtualLayout(shape=(3,), dtype="f8")
    layout[:] = h5py.VirtualSource(str(other), "x", shape=(3,))
    f.create_virtual_dataset("extra/v", layout)


def _reshaped(f: Any, tmp: Path) -> None:
    name = "weights/dense_relu/kernel"
    del f[name]
    f[name] = np.zeros((7, 4), "float32")


def _missing(f: Any, tmp: Path) -> None:
    del f["weights/dense_relu/bias"]


def _grouped(f: Any, tmp: Path) -> None:
    del f["weights/dense_relu/bias"]
    f.create_group("weights/dense_relu/bias")


def _document(change: Callable[[dict[str, Any]], Any]) -> Callable[[Any, Path], None]:
    def damage(f: Any, tmp: Path) -> None:
        doc = json.loads(f.attrs["ir_json"])
        f.attrs["ir_json"] = json.dumps(change(doc))

    return damage


def _nested(depth: int) -> Callable[[Any, Path], None]:
    def damage(f: Any, tmp: Path) -> None:
        doc = json.loads(f.attrs["ir_json"])
        doc["renamed"] = {"x": json.loads("[" * depth + "]" * depth)} if depth < 500 else {}
        f.attrs["ir_json"] = json.dumps(doc) if depth < 500 else "[" * depth + "]" * depth

    return damage


def _input_misfit(doc: dict[str, Any]) -> dict[str, Any]:
    # the model's input says 7 features; every Dense kernel has 6 rows
    for v in doc["graph"]["values"]:
        if v["name"] in doc["graph"]["inputs"]:
            v["shape"] = [None, 7]
    return doc


def _not_utf8(f: Any, tmp: Path) -> None:
    f.attrs["ir_json"] = np.void(b"\xff\xfe{")


ROWS = [
    ("external link", _external, "external link into another file"),
    ("virtual dataset", _virtual, "virtual dataset"),
    ("stored shape differs", _reshaped, "the IR document declares"),
    ("dataset missing", _missing, "has no dataset in the file"),
    ("group for a dataset", _grouped, "not a dataset"),
    ("document nested 300 deep", _nested(300), "nested deeper than 200 levels"),
    ("document nested 10^5 deep", _nested(100_000), "the IR document is not JSON"),
    ("input shape misfit", _document(_input_misfit), "implies"),
    ("not text", _not_utf8, "ir_json"),
]


@pytest.mark.parametrize(("damage", "expected"), [(r[1], r[2]) for r in ROWS], ids=[r[0] for r in ROWS])
def test_damaged_kmir_is_refused_in_one_line(tmp_path: Path, damage: Callable[[Any, Path], None], expected: str) -> None:
    path = tmp_path / "m.kmir"
    serialize.save(load(str(FIXTURE)), str(path))
    load(str(path))  # undamaged: reads
    close_open_files()  # load keeps its input open for lazy weight reads
    with h5py.File(path, "r+") as f:
        damage(f, tmp_path)
    with pytest.raises(KerasMigrateError) as info:
        load(str(path))
    text = info.value.one_line()
    assert "\n" not in text and text.startswith(f"{path}:")
    assert expected in text
