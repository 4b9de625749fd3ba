"""Damaged and hostile HDF5 files: one clean error naming the file, never a traceback (issue 16).

Each case edits a copy of a genuine fixture through h5py (so the file stays valid HDF5) the
way the fuzzer's ``h5-replace`` / ``h5-attr`` / ``h5-link`` mutators do, and runs the CLI.
The crash guard is checked in a subprocess (pytest's capture disables the fork).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import h5py
import numpy as np
import pytest

from keras_migrate.cli import main
from keras_migrate.errors import KerasMigrateError
from keras_migrate.ir.weights import check_array_declaration, close_open_files
from tests.conftest import FIXTURES

ROOT = Path(__file__).resolve().parents[2]
CONV = FIXTURES / "keras-2.2.4" / "conv.h5"
DENSE = FIXTURES / "keras-2.2.4" / "dense_activations.h5"


def _first_weight(f: h5py.File) -> tuple[h5py.Group, str]:
    g = f["model_weights"]
    for lname in g.attrs["layer_names"]:
        lg = g[lname.decode() if isinstance(lname, bytes) else lname]
        names = lg.attrs.get("weight_names")
        if names is not None and len(names):
            wn = names[0].decode() if isinstance(names[0], bytes) else names[0]
            return lg, wn
    raise AssertionError("no weights")


def _replace(f: h5py.File, make: Callable[[h5py.Group, str, h5py.Dataset], None]) -> None:
    lg, wn = _first_weight(f)
    parent, leaf = lg[wn].parent, wn.rsplit("/", 1)[-1]
    old = parent[leaf]
    data_shape, data_dtype = old.shape, old.dtype
    del parent[leaf]
    make(parent, leaf, np.zeros(data_shape, data_dtype))


def _group(parent, leaf, old) -> None:
    parent.create_group(leaf)


def _dangling(parent, leaf, old) -> None:
    parent[leaf] = h5py.SoftLink("/no/such/object")


def _external(parent, leaf, old) -> None:
    parent[leaf] = h5py.ExternalLink("secret.h5", "stolen")


def _virtual(parent, leaf, old) -> None:
    layout = h5py.VirtualLayout(shape=old.shape, dtype=old.dtype)
    layout[...] = h5py.VirtualSource("secret.h5", "stolen", shape=old.shape)
    parent.create_virtual_dataset(leaf, layout)


def _dtype(kind: str) -> Callable[..., None]:
    def make(parent, leaf, old) -> None:
        if kind == "vlen":
            parent.create_dataset(leaf, shape=old.shape, dtype=h5py.vlen_dtype(np.float32))
        elif kind == "compound":
            parent.create_dataset(leaf, data=np.zeros(old.shape, dtype=[("a", "<f4"), ("b", "<i4")]))
        else:
            parent.create_dataset(leaf, data=np.ones(old.shape, dtype={"string": "S8", "complex": "c8", "bool": "?"}[kind]))

    return make


def _huge(parent, leaf, old) -> None:
    parent.create_dataset(leaf, shape=(1 << 50,), dtype="f4", chunks=(16,))


def _overflow(parent, leaf, old) -> None:
    parent.create_dataset(leaf, shape=(1 << 40, 1 << 40), dtype="f4", chunks=(1, 16))


def _shape(parent, leaf, old) -> None:
    parent.create_dataset(leaf, data=np.zeros((*old.shape, 2), old.dtype))


def _empty(parent, leaf, old) -> None:
    parent.create_dataset(leaf, data=h5py.Empty("f4"))


def _relink(f: h5py.File, how: str) -> None:
    """Links met on the way to a weight, not at the weight itself."""
    lg, wn = _first_weight(f)
    if how == "external-parent":  # the weight's name is 'conv/kernel:0': its first part becomes external
        head = wn.split("/")[0]
        del lg[head]
        lg[head] = h5py.ExternalLink("secret.h5", "/")
    elif how == "soft-to-external":
        f["elsewhere"] = h5py.ExternalLink("secret.h5", "/stolen")
        del lg[wn]
        lg[wn] = h5py.SoftLink("/elsewhere")
    else:
        f["loop_a"] = h5py.SoftLink("/loop_b")
        f["loop_b"] = h5py.SoftLink("/loop_a")
        del lg[wn]
        lg[wn] = h5py.SoftLink("/loop_a")


CASES = [
    ("group", _group, "is a group, not a dataset"),
    ("dangling", _dangling, "a soft link points to '/no/such/object', which does not exist"),
    ("external", _external, "is an external link into another file ('secret.h5'); refused"),
    ("external-parent", None, "is an external link into another file ('secret.h5'); refused"),
    ("soft-to-external", None, "is an external link into another file ('secret.h5'); refused"),
    ("soft-cycle", None, "nested too deep"),
    ("virtual", _virtual, "virtual dataset"),
    ("string", _dtype("string"), "not a float or integer type"),
    ("complex", _dtype("complex"), "not a float or integer type"),
    ("bool", _dtype("bool"), "not a float or integer type"),
    ("vlen", _dtype("vlen"), "not a float or integer type"),
    ("compound", _dtype("compound"), "not a float or integer type"),
    ("huge", _huge, "over the limit of"),
    ("overflow", _overflow, "over the limit of"),
    ("shape", _shape, "the layer's config needs"),
    ("empty", _empty, "is empty"),
]


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(argv)
    close_open_files()
    return code, capsys.readouterr().err


@pytest.mark.parametrize(("name", "make", "needle"), CASES, ids=[c[0] for c in CASES])
def test_damaged_weight_is_one_clean_line(tmp_path: Path, capsys, name: str, make, needle: str) -> None:
    src = tmp_path / "model.h5"
    shutil.copy(CONV, src)
    with h5py.File(src, "r+") as f:
        if make is not None:
            _replace(f, make)
        else:
            _relink(f, name)
    before = src.read_bytes()
    out = tmp_path / "out.keras"
    code, err = _run(["convert", str(src), "-o", str(out)], capsys)
    assert code == 2, err
    assert not out.exists()
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith(f"keras-migrate: error: {src}: layer '"), err
    assert needle in err, err
    assert src.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.h5"]


@pytest.mark.parametrize(
    ("attr", "value", "needle"),
    [
        ("layer_names", np.array([b"\xff\xfe"]), "'layer_names' is not UTF-8 text"),
        ("layer_names", np.array([[b"a"], [b"b"]]), "2-D array"),
        ("keras_version", 3, "'keras_version' holds int64, not text"),
        ("backend", b"\xc3\x28", "'backend' is not UTF-8 text"),
        ("model_config", 1.5, "'model_config' holds float64, not text"),
    ],
)
def test_mistyped_attribute(tmp_path: Path, capsys, attr: str, value, needle: str) -> None:
    src = tmp_path / "model.h5"
    shutil.copy(DENSE, src)
    with h5py.File(src, "r+") as f:
        node = f if attr in ("model_config", "keras_version", "backend") else f["model_weights"]
        if attr in ("keras_version", "backend"):
            for n in (f, f["model_weights"]):
                n.attrs.pop(attr, None)
        node.attrs[attr] = value
    code, err = _run(["inspect", str(src)], capsys)
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1, err
    assert f"{src}: " in err and needle in err, err


def test_weight_names_not_utf8(tmp_path: Path, capsys) -> None:
    src = tmp_path / "model.h5"
    shutil.copy(DENSE, src)
    with h5py.File(src, "r+") as f:
        lg, _ = _first_weight(f)
        lg.attrs["weight_names"] = np.array([b"kernel\xff"])
    code, err = _run(["inspect", str(src)], capsys)
    assert code == 2 and "'weight_names' is not UTF-8 text" in err, err


def test_limit_can_be_raised(monkeypatch) -> None:
    with pytest.raises(KerasMigrateError, match="over the limit"):
        check_array_declaration((8 << 30,), "f4", path="x.h5", what="weight 'w'")  # 32 GiB
    monkeypatch.setenv("KERAS_MIGRATE_MAX_WEIGHT_BYTES", str(64 << 30))
    check_array_declaration((8 << 30,), "f4", path="x.h5", what="weight 'w'")
    monkeypatch.setenv("KERAS_MIGRATE_MAX_WEIGHT_BYTES", "1024")
    with pytest.raises(KerasMigrateError, match="--max-weight-bytes"):
        check_array_declaration((1 << 20,), "f4", path="x.h5", what="weight 'w'")


def test_default_limit_is_16_gib() -> None:
    check_array_declaration((4 << 30,), "f4", path="x.h5", what="w")  # exactly 16 GiB
    with pytest.raises(KerasMigrateError):
        check_array_declaration((4 << 30, 1 << 40), "f4", path="x.h5", what="w")


def test_max_weight_bytes_option(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.delenv("KERAS_MIGRATE_MAX_WEIGHT_BYTES", raising=False)
    code, err = _run(["inspect", str(DENSE), "--max-weight-bytes", "16"], capsys)
    assert code == 2 and "over the limit of 16 bytes" in err, err
    assert "KERAS_MIGRATE_MAX_WEIGHT_BYTES" not in os.environ  # the option does not outlive the command


def test_error_without_a_path_names_the_model() -> None:
    err = KerasMigrateError("something is off\nacross lines", hint="do this")
    assert err.one_line(default_path="m.h5") == "m.h5: something is off across lines; do this"
    assert KerasMigrateError("x", path="a.h5", layer="d", hint="h").one_line("m.h5") == "a.h5: layer 'd': x; h"


_CRASH = textwrap.dedent(
    """
    import ctypes, os, sys
    from keras_migrate.cli._isolate import run_isolated

    out = sys.argv[2]

    def work():
        open(os.path.join(os.path.dirname(out), ".keras-migrate-abc.keras"), "w").write("partial")
        if sys.argv[3] == "segv":
            ctypes.string_at(0)
        if sys.argv[3] == "kill":
            os.kill(os.getpid(), 9)
        return 0

    sys.exit(run_isolated(work, input_path=sys.argv[1], output=out))
    """
)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX only")
def test_crash_in_native_code_is_one_line(tmp_path: Path) -> None:
    src = tmp_path / "model.h5"
    shutil.copy(DENSE, src)
    out = tmp_path / "out" / "model.keras"
    out.parent.mkdir()
    proc = subprocess.run(
        [sys.executable, "-c", _CRASH, str(src), str(out), "segv"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"keras-migrate: error: {src}: the file crashed the HDF5 library"), proc.stderr
    assert "SIGSEGV" in lines[0]
    assert list(out.parent.iterdir()) == []  # the child's temp output is gone


@pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX only")
def test_killed_child_ends_the_cli_the_same_way(tmp_path: Path) -> None:
    out = tmp_path / "model.keras"
    proc = subprocess.run(
        [sys.executable, "-c", _CRASH, str(DENSE), str(out), "kill"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == -9, proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_keras1_gate_of_another_shape_is_refused(tmp_path: Path, capsys) -> None:
    """Keras 1 RNN weights are concatenated per gate: parts that do not fit are refused at
    read time, not inside numpy while writing."""
    src = tmp_path / "w.h5"
    shutil.copy(FIXTURES / "keras-1.2.2" / "rnn_consume_less_mem_weights.h5", src)
    with h5py.File(src, "r+") as f:
        g = f["lstm_1"]
        old = g["lstm_1_U_f:0"][()]
        del g["lstm_1_U_f:0"]
        g["lstm_1_U_f:0"] = np.zeros((*old.shape, 2), old.dtype)
    arch = FIXTURES / "keras-1.2.2" / "rnn_consume_less_mem.json"
    code, err = _run(["inspect", str(arch), "--weights", str(src)], capsys)
    assert code == 2, err
    assert "layer 'lstm_1'" in err and "concatenated parts have shapes" in err, err


_LOOP = textwrap.dedent(
    """
    import sys, time
    from keras_migrate.cli._isolate import run_isolated
    from keras_migrate.formats.hdf5 import guarded

    def work():
        with guarded(sys.argv[1], "attribute 'x'"):
            while True:  # what HDF5 does inside one C call on some corrupt attributes
                pass
        return 0

    sys.exit(run_isolated(work, input_path=sys.argv[1]))
    """
)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX only")
def test_hdf5_read_that_never_ends_is_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "KERAS_MIGRATE_HDF5_READ_SECONDS": "1"}
    proc = subprocess.run(
        [sys.executable, "-c", _LOOP, str(DENSE)], cwd=ROOT, capture_output=True, text=True, timeout=60, env=env
    )
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "did not finish within 1 s of CPU time" in lines[0], proc.stderr
    assert lines[0].startswith(f"keras-migrate: error: {DENSE}: ")


def _unread_external(f: h5py.File) -> None:  # a group no reader looks at
    f.create_group("optimizer_weights")["stolen"] = h5py.ExternalLink("secret.h5", "/stolen")


def _unread_virtual(f: h5py.File) -> None:
    layout = h5py.VirtualLayout(shape=(4,), dtype="f4")
    layout[:] = h5py.VirtualSource("secret.h5", "data", shape=(4,))
    f.create_group("extra").create_virtual_dataset("copy", layout)


def _unread_external_storage(f: h5py.File) -> None:
    f.create_group("extra").create_dataset("raw", shape=(4,), dtype="f4", external=[("secret.bin", 0, 16)])


@pytest.mark.parametrize(
    ("make", "needle"),
    [
        (_unread_external, "'optimizer_weights/stolen' is an external link into another file ('secret.h5'); refused"),
        (_unread_virtual, "'extra/copy' is a virtual dataset"),
        (_unread_external_storage, "'extra/raw' keeps its data in external files"),
    ],
    ids=["external-link", "virtual-dataset", "external-storage"],
)
def test_foreign_links_are_refused_anywhere(tmp_path: Path, capsys, make, needle: str) -> None:
    """The contract: external links and virtual datasets are refused wherever they are,
    even in groups the converter never reads."""
    src = tmp_path / "model.h5"
    shutil.copy(CONV, src)
    with h5py.File(src, "r+") as f:
        make(f)
    out = tmp_path / "out.keras"
    code, err = _run(["convert", str(src), "-o", str(out)], capsys)
    assert code == 2, err
    assert not out.exists()
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith(f"keras-migrate: error: {src}: "), err
    assert needle in err, err


def test_link_scan_is_bounded(tmp_path: Path, capsys, monkeypatch) -> None:
    src = tmp_path / "model.h5"
    shutil.copy(CONV, src)
    monkeypatch.setenv("KERAS_MIGRATE_MAX_H5_LINKS", "5")
    code, err = _run(["inspect", str(src)], capsys)
    assert code == 2, err
    assert "holds more than 5 HDF5 links" in err and "KERAS_MIGRATE_MAX_H5_LINKS" in err, err


@pytest.mark.parametrize(
    ("value", "fast"),
    [
        (np.array([b"kernel:0", b"bias:0"]), ["kernel:0", "bias:0"]),  # fixed-length bytes (Keras 2)
        (np.array(["kernel:0", "bias:0"], dtype=h5py.string_dtype()), ["kernel:0", "bias:0"]),  # variable length
        (np.array([], dtype="float32"), []),  # a layer without weights, as Keras writes it
        (np.bytes_(b"kernel:0"), ["kernel:0"]),  # a scalar
        (np.array([b"kernel\xff"]), None),  # not UTF-8: the checked path says so
        (np.array([1, 2]), None),  # not text: the checked path refuses it
        (np.array([[b"a"], [b"b"]]), None),  # 2-D
        (h5py.Empty("S1"), None),  # an empty dataspace
    ],
    ids=["fixed", "vlen", "empty", "scalar", "not-utf8", "ints", "2d", "null-space"],
)
def test_member_names_fast_path_matches_the_checked_path(tmp_path: Path, value, fast) -> None:
    """The weights walk of a clean file reads each layer's ``weight_names`` with one
    low-level read (``member_names``); it answers exactly what the checked path reads, or
    None (then the checked path runs and raises its message)."""
    from keras_migrate.formats.hdf5 import attr_names, member_names

    path = tmp_path / "w.h5"
    with h5py.File(path, "w") as f:
        f.create_group("layer").attrs["weight_names"] = value
        f.create_group("chunked").attrs["weight_names0"] = np.array([b"kernel:0"])
        f.create_dataset("data", data=np.zeros(2))
    with h5py.File(path, "r") as f:
        assert member_names(f, "layer", "weight_names") == fast
        if fast is not None:
            assert attr_names(f["layer"], "weight_names", str(path)) == fast
        assert member_names(f, "chunked", "weight_names") is None  # split in chunks: the checked path joins them
        assert attr_names(f["chunked"], "weight_names", str(path)) == ["kernel:0"]
        assert member_names(f, "data", "weight_names") is None  # not a group
        assert member_names(f, "missing", "weight_names") is None
