"""The tensor-bundle reader (TF checkpoints without TensorFlow) and JSON + checkpoint conversion."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from keras_migrate.cli import main as cli_main
from keras_migrate.errors import KerasMigrateError
from keras_migrate.formats import detect_format, load
from keras_migrate.formats.tensorflow.bundle import (
    TensorBundle,
    _snappy_decompress,
    crc32c,
)
from keras_migrate.formats.tensorflow.checkpoint import find_checkpoint_prefix
from tests._cli import convert_fails
from tests.conftest import FIXTURES

GEN = FIXTURES / "tf-keras-2.21"


def _ckpt(tmp_path: Path, case: str = "convnet_channels_last") -> tuple[Path, Path]:
    """A private copy of a case's architecture and checkpoint: (json, prefix)."""
    shutil.copy(GEN / f"{case}.json", tmp_path / "arch.json")
    shutil.copytree(GEN / f"{case}_ckpt", tmp_path / "ckpt")
    return tmp_path / "arch.json", tmp_path / "ckpt" / "ckpt"


def _bitwise_crc32c(data: bytes) -> int:
    """The definition (reflected polynomial 0x82F63B78, bit by bit): the oracle for the library."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
    return crc ^ 0xFFFFFFFF


@pytest.mark.parametrize("n", [0, 1, 7, 64, 4097, 30_001])
def test_crc32c_is_the_castagnoli_crc(n: int) -> None:
    assert crc32c(b"123456789") == 0xE3069283
    data = np.random.default_rng(n).integers(0, 256, n, dtype=np.uint8).tobytes()
    assert crc32c(data) == crc32c(memoryview(data)) == _bitwise_crc32c(data)


def test_snappy_block() -> None:
    # literal "abc", then a 9-byte copy from offset 3 (overlapping itself)
    assert _snappy_decompress(b"\x0c\x08abc\x15\x03") == b"abcabcabcabc"


def test_bundle_entries_and_object_graph() -> None:
    bundle = TensorBundle(str(GEN / "convnet_channels_last_ckpt" / "ckpt"))
    keys = bundle.keys()
    assert "_CHECKPOINTABLE_OBJECT_GRAPH" in keys
    kernel = bundle.tensor("layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE")
    assert kernel.dtype == "float32" and len(kernel.shape) == 4
    assert kernel.read().shape == kernel.shape
    graph = bundle.object_graph()
    root = graph.nodes[0].children
    assert root["layer_with_weights-0"] == root["layer-0"]  # a Sequential: layer-0 is its first layer
    variables = graph.variables_under(root["layer_with_weights-0"])
    assert set(variables) == {"kernel", "bias"}


def test_weights_only_is_not_a_model(tmp_path: Path, capsys) -> None:
    _, prefix = _ckpt(tmp_path)
    assert detect_format(str(prefix)) == "tf-checkpoint"
    out = tmp_path / "out.keras"
    assert cli_main(["convert", str(prefix), "-o", str(out)]) == 2
    assert not out.exists()
    assert "weights only" in capsys.readouterr().err


def test_prefix_index_file_and_directory_name_the_same_checkpoint(tmp_path: Path) -> None:
    arch, prefix = _ckpt(tmp_path)
    assert find_checkpoint_prefix(str(prefix) + ".index") == str(prefix)
    assert find_checkpoint_prefix(str(prefix.parent)) == str(prefix)  # via the `checkpoint` state file
    reference = {n: w.numpy() for n, w in load(str(GEN / "convnet_channels_last.h5")).iter_weights()}
    for weights in (prefix, str(prefix) + ".index", prefix.parent):
        model = load(str(arch), weights=str(weights))
        assert model.provenance.source_format == "keras-json+tf-checkpoint"
        got = {n: w.numpy() for n, w in model.iter_weights()}
        assert got.keys() == reference.keys()
        for k, v in reference.items():
            np.testing.assert_array_equal(got[k], v)


def test_weight_origins_name_checkpoint_keys() -> None:
    model = load(str(GEN / "rnn_cells.json"), weights=str(GEN / "rnn_cells_ckpt" / "ckpt"))
    origins = [w.origin for _, w in model.iter_weights()]
    assert origins and all(o.endswith("/.ATTRIBUTES/VARIABLE_VALUE") for o in origins)
    assert any("/cell/" in o for o in origins)  # RNN cells live under the layer's `cell`


_convert_fails = convert_fails


def test_truncated_index(tmp_path: Path, capsys) -> None:
    arch, prefix = _ckpt(tmp_path)
    index = Path(str(prefix) + ".index")
    index.write_bytes(index.read_bytes()[:-20])
    _convert_fails(["convert", str(arch), "--weights", str(prefix)], tmp_path / "o.keras", capsys, "index is corrupt")


def test_corrupt_index_block(tmp_path: Path, capsys) -> None:
    arch, prefix = _ckpt(tmp_path)
    index = Path(str(prefix) + ".index")
    raw = bytearray(index.read_bytes())
    raw[30] ^= 0xFF
    index.write_bytes(bytes(raw))
    _convert_fails(["convert", str(arch), "--weights", str(prefix)], tmp_path / "o.keras", capsys, "checksum")


def test_missing_data_shard(tmp_path: Path, capsys) -> None:
    arch, prefix = _ckpt(tmp_path)
    os.unlink(str(prefix) + ".data-00000-of-00001")
    _convert_fails(["convert", str(arch), "--weights", str(prefix)], tmp_path / "o.keras", capsys, "data shard missing")


def test_truncated_data_shard(tmp_path: Path, capsys) -> None:
    arch, prefix = _ckpt(tmp_path)
    data = Path(str(prefix) + ".data-00000-of-00001")
    data.write_bytes(data.read_bytes()[:100])
    _convert_fails(["convert", str(arch), "--weights", str(prefix)], tmp_path / "o.keras", capsys, "truncated")


def test_corrupt_tensor_bytes_fail_when_read(tmp_path: Path, capsys) -> None:
    arch, prefix = _ckpt(tmp_path)
    bundle = TensorBundle(str(prefix))
    kernel = bundle.tensor("layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE")
    data = Path(kernel.file)
    raw = bytearray(data.read_bytes())
    raw[kernel.offset + 5] ^= 0x40
    data.write_bytes(bytes(raw))
    with pytest.raises(KerasMigrateError, match="checksum mismatch"):
        TensorBundle(str(prefix)).tensor(kernel.key).read()
    _convert_fails(["convert", str(arch), "--weights", str(prefix)], tmp_path / "o.keras", capsys, "checksum mismatch")


def test_checkpoint_of_another_model(tmp_path: Path, capsys) -> None:
    _convert_fails(
        ["convert", str(GEN / "convnet_channels_last.json"), "--weights", str(GEN / "conv_ckpt" / "ckpt")],
        tmp_path / "o.keras", capsys, "weights",
    )


def test_checkpoint_state_file_naming_a_missing_prefix(tmp_path: Path, capsys) -> None:
    arch, prefix = _ckpt(tmp_path)
    (prefix.parent / "checkpoint").write_text('model_checkpoint_path: "gone"\n')
    os.unlink(str(prefix) + ".index")
    _convert_fails(["convert", str(arch), "--weights", str(prefix.parent)], tmp_path / "o.keras", capsys)
