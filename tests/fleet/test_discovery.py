"""Batch discovery, sharding and resume state (no framework, no conversion)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from keras_migrate.errors import KerasMigrateError
from keras_migrate.fleet.discover import discover
from keras_migrate.fleet.shard import in_shard, parse_shard
from keras_migrate.fleet.state import StateStore, content_hash, state_key
from tests.conftest import FIXTURES

TF = FIXTURES / "tf-keras-2.21"


def _tree(tmp_path: Path) -> Path:
    """A small registry: every form of one tf_keras case, a Keras 1 pair, and strays."""
    root = tmp_path / "registry"
    (root / "team-a").mkdir(parents=True)
    (root / "team-b" / "old").mkdir(parents=True)
    for name in ("advanced_activations.h5", "advanced_activations.json", "advanced_activations_weights.h5", "advanced_activations.tfk.keras"):
        shutil.copy(TF / name, root / "team-a" / name)
    shutil.copytree(TF / "advanced_activations.savedmodel", root / "team-a" / "aa.savedmodel")
    shutil.copytree(TF / "advanced_activations_ckpt", root / "team-a" / "advanced_activations_ckpt")
    for name in ("dense_activations.json", "dense_activations_weights.h5"):
        shutil.copy(FIXTURES / "keras-1.2.2" / name, root / "team-b" / "old" / name)
    shutil.copy(FIXTURES / "keras-1.2.2" / "dense_activations_weights.h5", root / "team-b" / "orphan_weights.h5")
    (root / "team-b" / "notes.json").write_text(json.dumps({"not": "a model"}))
    return root


def test_discovery_finds_every_form_once(tmp_path: Path) -> None:
    found = discover([str(_tree(tmp_path))])
    forms = {m.id: m.form for m in found.models}
    assert forms == {
        "team-a/aa.savedmodel": "savedmodel",
        "team-a/advanced_activations.h5": "h5",
        "team-a/advanced_activations.json+advanced_activations_weights.h5": "json+h5",
        "team-a/advanced_activations.json+advanced_activations_ckpt": "json+ckpt",
        "team-a/advanced_activations.tfk.keras": "keras",
        "team-b/old/dense_activations.json+dense_activations_weights.h5": "json+h5",
    }
    stems = [m.out_stem for m in found.models]
    assert len(set(stems)) == len(stems)  # no two models write the same output
    assert [s[0] for s in found.skipped] == ["team-b/orphan_weights.h5"]
    ckpt = next(m for m in found.models if m.form == "json+ckpt")
    assert ckpt.weights is not None and ckpt.weights.endswith("advanced_activations_ckpt/ckpt")


def test_discovery_over_the_fixture_tree_covers_each_generation() -> None:
    found = discover([str(FIXTURES)])
    generations = {m.id.split("/")[0] for m in found.models}
    assert generations == {"keras-1.2.2", "keras-1.2.2-theano", "keras-2.0.8", "keras-2.2.4", "tf-keras-2.21"}
    assert {m.form for m in found.models} == {"h5", "json+h5", "json+ckpt", "savedmodel", "keras"}
    assert not found.skipped


def test_missing_path_is_one_error(tmp_path: Path) -> None:
    with pytest.raises(KerasMigrateError, match="no such file"):
        discover([str(tmp_path / "nope")])


@pytest.mark.parametrize("n", [1, 2, 3, 7])
def test_shards_partition_the_models(n: int) -> None:
    ids = [m.id for m in discover([str(FIXTURES / "keras-2.2.4")]).models]
    owners = [[k for k in range(1, n + 1) if in_shard(i, k, n)] for i in ids]
    assert all(len(o) == 1 for o in owners)  # each model in exactly one shard
    if n > 1:
        assert len({o[0] for o in owners}) == n  # and every shard gets work (about 90 models)


@pytest.mark.parametrize("text", ["0/2", "3/2", "1", "a/b", "1/0"])
def test_bad_shard_refused(text: str) -> None:
    with pytest.raises(ValueError, match="--shard"):
        parse_shard(text)


def test_state_key_follows_content_and_options(tmp_path: Path) -> None:
    a = tmp_path / "m.h5"
    shutil.copy(FIXTURES / "keras-2.2.4" / "conv.h5", a)
    h = content_hash([str(a)])
    assert state_key(h, {"to": ["keras"]}) != state_key(h, {"to": ["onnx"]})
    with open(a, "r+b") as fh:  # one byte changed
        fh.seek(-1, 2)
        last = fh.read(1)
        fh.seek(-1, 2)
        fh.write(bytes([last[0] ^ 1]))
    assert content_hash([str(a)]) != h


def test_state_store_needs_key_and_outputs(tmp_path: Path) -> None:
    store = StateStore(str(tmp_path))
    (tmp_path / "x.keras").write_bytes(b"k")
    entry = {"id": "x.h5", "outputs": [{"path": "x.keras"}], "status": "ok"}
    store.put("x.h5", "k1", entry)
    assert store.get("x.h5", "k1") == entry
    assert store.get("x.h5", "k2") is None  # source or options changed
    (tmp_path / "x.keras").unlink()
    assert store.get("x.h5", "k1") is None  # output deleted: redo
