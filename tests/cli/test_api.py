"""The library API (`keras_migrate.load/convert/verify`) is what the CLI runs.

No backend runs here: ``verify_model`` is replaced where a test only needs to see which
model a verification compares with (docs/api.md's examples run a real one).
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from keras_migrate import ConversionReport, convert, load
from keras_migrate.cli import main
from keras_migrate.errors import KerasMigrateError
from keras_migrate.ir import Model
from tests.conftest import FIXTURES, ROOT

DENSE = FIXTURES / "keras-2.2.4" / "dense_activations.h5"
CHANNELS_FIRST = FIXTURES / "keras-2.2.4" / "conv2d_channels_first.h5"
KERAS1 = FIXTURES / "keras-1.2.2" / "batchnorm_modes.h5"


def test_import_is_cheap_and_exposes_the_api() -> None:
    probe = (
        "import sys, keras_migrate as k\n"
        "print(all(callable(f) for f in (k.load, k.convert, k.verify)), k.ConversionReport.__name__)\n"
        "print(','.join(m for m in ('numpy', 'keras', 'tensorflow', 'torch', 'jax') if m in sys.modules))\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True)
    assert proc.stdout.splitlines() == ["True ConversionReport", ""]


def test_load_reads_every_kind_including_kmir(tmp_path: Path) -> None:
    model = load(DENSE)
    assert isinstance(model, Model)
    kmir = tmp_path / "m.kmir"
    convert(DENSE, kmir)
    back = load(kmir)
    assert [lay.name for lay in back.graph.layers] == [lay.name for lay in model.graph.layers]


def test_load_takes_the_keras1_reader_options() -> None:
    inferred = load(KERAS1).provenance.notes
    assert any("source backend inferred as tensorflow" in n for n in inferred)
    given = load(KERAS1, source_backend="theano", bn_running_std="std").provenance.notes
    assert "source backend theano (from --source-backend)" in given
    assert "BatchNormalization running_std read as std (from --bn-running-std)" in given


def test_convert_report_is_what_the_cli_prints(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["convert", str(DENSE), "-o", str(tmp_path / "cli.py"), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    report = convert(DENSE, tmp_path / "api.py")
    assert isinstance(report, ConversionReport)
    assert report.files == (str(tmp_path / "api.py"), str(tmp_path / "api.weights.h5"))
    assert all(Path(f).exists() for f in report.files)
    assert report.ok and report.verification is None
    assert json.dumps(report.to_dict()).replace("api.", "cli.") == json.dumps(printed)
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.kind = "keras"  # type: ignore[misc]


def test_convert_protects_outputs_like_the_cli(tmp_path: Path) -> None:
    (tmp_path / "m.weights.h5").write_text("keep me")
    with pytest.raises(KerasMigrateError, match="output already exists"):
        convert(DENSE, tmp_path / "m.py")
    assert not (tmp_path / "m.py").exists()
    assert (tmp_path / "m.weights.h5").read_text() == "keep me"
    with pytest.raises(KerasMigrateError, match="suffix"):
        convert(DENSE, tmp_path / "m.xyz")
    with pytest.raises(ValueError, match="data_format"):
        convert(DENSE, tmp_path / "m.keras", data_format="channels_first")  # type: ignore[arg-type]


def test_convert_takes_a_model(tmp_path: Path) -> None:
    model = load(DENSE)
    report = convert(model, tmp_path / "m.keras")
    assert report.source == model.provenance.source_path
    assert report.kind == "keras"
    with pytest.raises(ValueError, match="weights"):
        convert(model, tmp_path / "n.keras", weights=str(DENSE))


class _Recorder:
    """Stands in for ``verify_model``: records which models a verification was given."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def __call__(self, model: Model, converted: str, **kwargs: Any) -> Any:
        from keras_migrate.verification import VerifyReport

        self.calls.append({"model": model, **kwargs})
        return VerifyReport(converted, ())


def _after_layout_pass(model: Model) -> bool:
    """The layout pass notes what it did in the model's provenance."""
    return any("channels_last" in note for note in model.provenance.notes)


@pytest.mark.parametrize("data_format", ["internal", "keep", "channels_last"])
def test_convert_verifies_against_the_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data_format: str) -> None:
    import keras_migrate.verification

    recorder = _Recorder()
    monkeypatch.setattr(keras_migrate.verification, "verify_model", recorder)
    report = convert(CHANNELS_FIRST, tmp_path / "m.keras", data_format=data_format, verify=True, backends=["jax"])  # type: ignore[arg-type]
    (call,) = recorder.calls
    assert call["backends"] == ["jax"]
    assert not _after_layout_pass(call["model"])  # outputs are judged against the source itself
    if data_format != "keep":  # per-layer values come from the model as written
        assert _after_layout_pass(call["layers_reference"])
    # --channels-last: the source's inputs and outputs are re-laid out, not the reference swapped
    layout = call["io_layout"]
    assert (layout is not None and layout.changed) == (data_format == "channels_last")
    assert report.verification is not None and not report.ok  # no backend ran: not a pass


def test_cli_verify_is_the_api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import keras_migrate.verification

    recorder = _Recorder()
    monkeypatch.setattr(keras_migrate.verification, "verify_model", recorder)
    out = tmp_path / "m.keras"
    convert(KERAS1, out)
    code = main(["verify", str(KERAS1), str(out), "--source-backend", "theano", "--backends", "jax", "--json"])
    assert code == 1  # the recorder's report has no backend: not ok
    assert json.loads(capsys.readouterr().out)["backends"] == []
    (call,) = recorder.calls
    assert "source backend theano (from --source-backend)" in call["model"].provenance.notes
    assert keras_migrate.verify is keras_migrate.api.verify  # the function, not a package


@pytest.mark.backends
def test_convert_verify_compares_with_the_source_on_a_backend(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from keras_migrate.verification import available_backends

    if "jax" not in available_backends():
        pytest.skip("jax backend not installed")
    out = tmp_path / "m.keras"
    assert main(["convert", str(CHANNELS_FIRST), "-o", str(out), "--verify", "--backends", "jax", "--json"]) == 0
    (jax,) = json.loads(capsys.readouterr().out)["verify"]["backends"]
    assert jax["ok"] and len(jax["outputs"]) == 2
    # per-layer values are taken from the model as written, so none diverges spuriously
    assert jax["first_divergence"] is None and jax["layers"]
    # `verify` told how the file was written compares per layer the same way; --channels-last
    # feeds the source's inputs transposed and compares with the source's outputs transposed
    assert main(["verify", str(CHANNELS_FIRST), str(out), "--backends", "jax", "--json"]) == 0
    (jax,) = json.loads(capsys.readouterr().out)["backends"]
    assert jax["ok"] and jax["first_divergence"] is None and jax["layers"]
    last = tmp_path / "last.keras"
    assert main(["convert", str(CHANNELS_FIRST), "-o", str(last), "--channels-last", "--verify", "--backends", "jax", "--json"]) == 0
    (jax,) = json.loads(capsys.readouterr().out)["verify"]["backends"]
    assert jax["ok"] and jax["first_divergence"] is None
    assert main(["verify", str(CHANNELS_FIRST), str(last), "--channels-last", "--backends", "jax", "--json"]) == 0
    capsys.readouterr()
    assert main(["verify", str(CHANNELS_FIRST), str(last), "--backends", "jax", "--json"]) == 1  # told the wrong layout
