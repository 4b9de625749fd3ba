"""Malformed input gets one clear line, exit code 2, and no output file behind."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import h5py
import pytest

from keras_migrate.cli import main
from tests.conftest import FIXTURES

GOOD = FIXTURES / "keras-2.2.4" / "dense_activations.h5"
GOOD_JSON = FIXTURES / "keras-2.2.4" / "dense_activations.json"
OTHER_WEIGHTS = FIXTURES / "keras-2.2.4" / "conv2d_transpose_weights.h5"


def _truncated(tmp: Path) -> Path:
    p = tmp / "truncated.h5"
    data = GOOD.read_bytes()
    p.write_bytes(data[: len(data) // 3])
    return p


def _not_hdf5(tmp: Path) -> Path:
    p = tmp / "model.h5"
    p.write_bytes(b"this is not an HDF5 file at all\n" * 10)
    return p


def _json_not_keras(tmp: Path) -> Path:
    p = tmp / "arch.json"
    p.write_text(json.dumps({"hello": "world"}))
    return p


def _json_broken(tmp: Path) -> Path:
    p = tmp / "arch.json"
    p.write_text('{"class_name": "Sequential", "config": ')
    return p


def _unknown_layer(tmp: Path) -> Path:
    p = tmp / "unknown.h5"
    shutil.copy(GOOD, p)
    with h5py.File(p, "r+") as f:
        cfg = json.loads(f.attrs["model_config"])
        cfg["config"]["layers"][1]["class_name"] = "MyFancyLayer"
        f.attrs["model_config"] = json.dumps(cfg)
    return p


CASES = [
    ("truncated file", _truncated, None, "truncated or corrupt"),
    ("not HDF5", _not_hdf5, None, "not an HDF5 file"),
    ("JSON that is not a Keras config", _json_not_keras, None, "not a Keras model config"),
    ("broken JSON", _json_broken, None, "not valid JSON"),
    ("unknown layer class", _unknown_layer, None, "unknown layer classes: MyFancyLayer"),
    ("weights that don't fit", lambda tmp: GOOD_JSON, OTHER_WEIGHTS, "do not fit the architecture"),
]


@pytest.mark.parametrize(("what", "make", "weights", "message"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_exits_2_without_output(tmp_path, capsys, what, make, weights, message) -> None:
    src = make(tmp_path)
    out = tmp_path / "out.keras"
    argv = ["convert", str(src), "-o", str(out)]
    if weights is not None:
        argv += ["--weights", str(weights)]
    code = main(argv)
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".keras-migrate-")], "temporary file left behind"
    assert message in err
    assert len(err.splitlines()) == 1, err
    assert err.startswith("keras-migrate: error: ")


def test_never_overwrites_input(tmp_path, capsys) -> None:
    src = tmp_path / "m.keras"
    shutil.copy(GOOD, src)
    code = main(["convert", str(src), "-o", str(src), "--force"])
    assert code == 2
    assert src.read_bytes() == GOOD.read_bytes()
    assert "overwrite an input" in capsys.readouterr().err


def test_refuses_existing_output_without_force(tmp_path, capsys) -> None:
    out = tmp_path / "out.keras"
    out.write_text("keep me")
    assert main(["convert", str(GOOD), "-o", str(out)]) == 2
    assert out.read_text() == "keep me"
    assert "--force" in capsys.readouterr().err
    assert main(["convert", str(GOOD), "-o", str(out), "--force"]) == 0
    assert out.read_bytes()[:2] == b"PK"


def test_unknown_output_suffix(tmp_path, capsys) -> None:
    assert main(["convert", str(GOOD), "-o", str(tmp_path / "out.xyz")]) == 2
    assert "suffix" in capsys.readouterr().err
