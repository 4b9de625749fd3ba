"""The streaming ONNX writer (``converters/onnx/writer.py`` + ``wire.py``) against ``onnx``.

* Byte for byte: the file ``write_onnx`` encodes itself equals ``onnx``'s serialization of
  the proto ``build_onnx`` makes with ``onnx.helper`` from the same records, on every
  fixture that lowers; ``onnx.checker`` (full) passes on its weightless copy.
* Every weight is read once (no probe, no second read), large ones in row blocks; or its
  bytes are taken from the source file once (copied, or re-laid out from a map).
* Past the external-data threshold (lowered here), weights go to ``<out>.data`` beside the
  model: onnxruntime loads it and gives the embedded model's outputs; nothing else is left
  in the folder; a failure leaves no file at all.
* The CLI path imports no ``onnx``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from keras_migrate.converters.onnx import build_onnx, write_onnx, writer  # noqa: E402
from keras_migrate.converters.onnx.check import check_with_onnx, read_layout, weightless_copy  # noqa: E402
from keras_migrate.converters.onnx.lazy import LazyWeight  # noqa: E402
from keras_migrate.errors import UnsupportedError  # noqa: E402
from keras_migrate.formats import load  # noqa: E402
from keras_migrate.ir import weights as ir_weights  # noqa: E402
from keras_migrate.ir.graph import Model  # noqa: E402
from keras_migrate.ir.passes import prepare_for_output  # noqa: E402
from tests.conftest import FIXTURES, ROOT  # noqa: E402
from tests.conversion._fixture_cases import Case, discover  # noqa: E402

GENERATIONS = ("keras-1.2.2", "keras-2.0.8", "keras-2.2.4", "tf-keras-2.21")
CASES = [c for c in discover(GENERATIONS) if c.form == "h5"]  # Lambda models included


def _load(path: Path) -> Model:
    try:
        model = load(str(path))
    except Exception as exc:  # refused fixtures are the loaders' business
        pytest.skip(f"does not load: {exc}")
    return prepare_for_output(model)


def _session(path: Path) -> object:
    options = ort.SessionOptions()
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_written_bytes_equal_onnx_serialization(case: Case, tmp_path: Path) -> None:
    model = _load(case.model)
    out = tmp_path / "m.onnx"
    try:
        write_onnx(model, str(out))
    except UnsupportedError as exc:
        pytest.skip(f"not lowered: {exc}")
    proto = build_onnx(model)
    assert out.read_bytes() == proto.SerializeToString()
    check_with_onnx(str(out))
    layout = read_layout(str(out))
    assert (layout.nodes, layout.initializers, layout.inputs, layout.outputs) == (
        len(proto.graph.node), len(proto.graph.initializer), len(proto.graph.input), len(proto.graph.output)
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.onnx"]


def test_weightless_copy_holds_no_weight(tmp_path: Path) -> None:
    model = _load(FIXTURES / "keras-2.2.4" / "conv.h5")
    out = tmp_path / "m.onnx"
    write_onnx(model, str(out))
    skeleton = onnx.load_model_from_string(weightless_copy(str(out)))
    full = onnx.load(str(out))
    assert len(skeleton.graph.initializer) == len(full.graph.initializer)
    for small, big in zip(skeleton.graph.initializer, full.graph.initializer, strict=True):
        assert list(small.dims) == list(big.dims) and small.data_type == big.data_type
        if len(big.raw_data) >= 1024:
            assert small.data_location == onnx.TensorProto.EXTERNAL and not small.raw_data
            entries = {e.key: e.value for e in small.external_data}
            assert entries["location"] == "m.onnx"
            with open(out, "rb") as f:
                f.seek(int(entries["offset"]))
                assert f.read(int(entries["length"])) == big.raw_data
        else:
            assert small.raw_data == big.raw_data


def _count_reads(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Count, per dataset, the reads through HDF5 and the takes of its raw bytes (copied
    file to file or re-laid out from a map of the file: :mod:`.raw_init`)."""
    reads: dict[str, int] = {}
    read, read_rows = ir_weights.H5Dataset.read, ir_weights.H5Dataset.read_rows
    raw_source = writer.raw_source

    def count(dataset: str) -> None:
        reads[dataset] = reads.get(dataset, 0) + 1

    def counted_read(self: ir_weights.H5Dataset) -> np.ndarray:
        count(self.dataset)
        return read(self)

    def counted_rows(self: ir_weights.H5Dataset, start: int, stop: int) -> np.ndarray:
        if start == 0:
            count(self.dataset)
        return read_rows(self, start, stop)

    def counted_raw(value: LazyWeight) -> object:
        raw = raw_source(value)
        if raw is not None:
            assert isinstance(value.weight.source, ir_weights.H5Dataset)
            count(value.weight.source.dataset)
        return raw

    monkeypatch.setattr(ir_weights.H5Dataset, "read", counted_read)
    monkeypatch.setattr(ir_weights.H5Dataset, "read_rows", counted_rows)
    monkeypatch.setattr(writer, "raw_source", counted_raw)
    return reads


@pytest.mark.parametrize("raw", [True, False], ids=["raw", "hdf5"])
@pytest.mark.parametrize("name", ["keras-2.2.4/conv", "tf-keras-2.21/conv", "keras-2.2.4/dense_activations"])
def test_every_weight_is_read_once(name: str, raw: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = _load(FIXTURES / f"{name}.h5")
    monkeypatch.setattr(writer, "RAW", raw)
    reads = _count_reads(monkeypatch)
    write_onnx(model, str(tmp_path / "m.onnx"))
    assert reads and set(reads.values()) == {1}, reads


def test_large_weights_stream_in_row_blocks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = _load(FIXTURES / "keras-2.2.4" / "dense_activations.h5")
    monkeypatch.setattr(writer, "RAW", False)  # through HDF5, as a chunked or compressed weight goes
    whole = tmp_path / "whole.onnx"
    write_onnx(model, str(whole))
    blocks: list[int] = []
    read_rows = ir_weights.H5Dataset.read_rows

    def rows(self: ir_weights.H5Dataset, start: int, stop: int) -> np.ndarray:
        blocks.append(stop - start)
        return read_rows(self, start, stop)

    monkeypatch.setattr(ir_weights.H5Dataset, "read_rows", rows)
    monkeypatch.setattr(writer, "CHUNK_BYTES", 64)
    chunked = tmp_path / "chunked.onnx"
    write_onnx(model, str(chunked))
    assert blocks and max(blocks) < max(sum(blocks), 2)
    assert chunked.read_bytes() == whole.read_bytes()


@pytest.mark.parametrize("name", ["keras-2.2.4/conv", "tf-keras-2.21/bidirectional_merge_modes"])
def test_external_data_past_the_threshold(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = _load(FIXTURES / f"{name}.h5")
    monkeypatch.setattr(writer, "EXTERNAL_MIN_BYTES", 64)  # the fixtures' tensors are small
    inner = tmp_path / "inner.onnx"
    write_onnx(model, str(inner))
    ext_dir = tmp_path / "ext"
    ext_dir.mkdir()
    out = ext_dir / "model.onnx"
    n = write_onnx(model, str(out), external_threshold=1, checker=True)
    assert sorted(p.name for p in ext_dir.iterdir()) == ["model.onnx", "model.onnx.data"]
    proto = onnx.load(str(out), load_external_data=False)
    external = [t for t in proto.graph.initializer if t.data_location == onnx.TensorProto.EXTERNAL]
    assert external and len(external) < len(proto.graph.initializer)  # small ones stay inside
    data_size = (ext_dir / "model.onnx.data").stat().st_size
    for t in external:
        entries = {e.key: e.value for e in t.external_data}
        assert entries["location"] == "model.onnx.data"
        assert int(entries["offset"]) + int(entries["length"]) <= data_size
    assert sum(int({e.key: e.value for e in t.external_data}["length"]) for t in external) <= n
    # the same initializers as the embedded file, and the same outputs under onnxruntime
    loaded = onnx.load(str(out))
    embedded = onnx.load(str(inner))
    assert [t.raw_data for t in loaded.graph.initializer] == [t.raw_data for t in embedded.graph.initializer]
    sess_ext, sess_in = _session(out), _session(inner)
    rng = np.random.default_rng(0)
    feeds = {}
    for i in sess_in.get_inputs():  # type: ignore[attr-defined]
        shape = [2 if not isinstance(d, int) else d for d in i.shape]
        dtype = np.float32 if i.type == "tensor(float)" else np.int64
        feeds[i.name] = rng.standard_normal(shape).astype(dtype) if dtype == np.float32 else np.zeros(shape, dtype)
    for a, b in zip(sess_ext.run(None, feeds), sess_in.run(None, feeds), strict=True):  # type: ignore[attr-defined]
        np.testing.assert_array_equal(a, b)


def test_failure_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = _load(FIXTURES / "keras-2.2.4" / "conv.h5")

    def broken(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(writer, "_write_payload", broken)
    for threshold in (writer.PROTO_LIMIT, 1):
        with pytest.raises(OSError, match="disk full"):
            write_onnx(model, str(tmp_path / "m.onnx"), external_threshold=threshold)
        assert list(tmp_path.iterdir()) == []


def test_cli_path_imports_no_onnx(tmp_path: Path) -> None:
    probe = (
        "import sys\n"
        "from keras_migrate.cli import main\n"
        f"assert main(['convert', {str(FIXTURES / 'keras-2.2.4' / 'conv.h5')!r}, '-o', {str(tmp_path / 'm.onnx')!r}]) == 0\n"
        "print('ONNX:' + str('onnx' in sys.modules))\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=False)
    assert "ONNX:False" in proc.stdout, proc.stderr
    onnx.checker.check_model(str(tmp_path / "m.onnx"), full_check=True)


def test_self_checks_catch_broken_records_and_files(tmp_path: Path) -> None:
    from keras_migrate.converters.onnx.builder import Builder, OpNode
    from keras_migrate.converters.onnx.check import InvalidModelError, check_records

    b = Builder(17)
    b.inputs.append(("x", "float32", ("batch", 3)))
    b.nodes.append(OpNode("Add", ["x", "missing"], ["y"], "add"))
    b.outputs.append(("y", "float32", ("batch", 3)))
    with pytest.raises(InvalidModelError, match="'missing'"):
        check_records(b)
    b.nodes[0].inputs = ["x", "x"]
    check_records(b)
    b.nodes.append(OpNode("Relu", ["y"], ["y"], "relu"))
    with pytest.raises(InvalidModelError, match="defined twice"):
        check_records(b)

    model = _load(FIXTURES / "keras-2.2.4" / "conv.h5")
    out = tmp_path / "m.onnx"
    write_onnx(model, str(out))
    data = out.read_bytes()
    out.write_bytes(data[:-7])
    with pytest.raises(InvalidModelError):
        read_layout(str(out))


def test_checker_on_the_weightless_copy_still_catches_errors(tmp_path: Path) -> None:
    from keras_migrate.converters.onnx.builder import Builder, OpNode

    b = Builder(17)
    b.inputs.append(("x", "float32", ("batch", 300)))
    w = b.const(np.ones((300, 300), np.float32), "w")  # big enough to go external in the copy
    b.nodes.append(OpNode("NoSuchOp", ["x", w], ["y"], "n"))
    b.outputs.append(("y", "float32", ("batch", 300)))
    out = tmp_path / "bad.onnx"
    writer.write_model(b, str(out), "g", "", {})
    with pytest.raises(onnx.checker.ValidationError, match="NoSuchOp"):
        check_with_onnx(str(out))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.onnx"]


def test_ir_versions_follow_onnx_version_table() -> None:
    from onnx import helper

    def expected(opset: int) -> int:
        return next(int(r[1]) for r in helper.VERSION_TABLE if r[2] >= opset)

    newest = int(onnx.defs.onnx_opset_version())
    assert writer.max_known_opset() >= newest
    for opset in range(13, newest + 1):
        assert writer.ir_version(opset) == expected(opset), opset
