"""tf.keras SavedModel directories: metadata, variables, errors, TensorFlow never needed.

The tf_keras applications saved as SavedModels are built at test time (slow).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from keras_migrate.cli import main as cli_main
from keras_migrate.formats import detect_format, load
from keras_migrate.formats.tensorflow.savedmodel import decode_metadata_json, read_keras_metadata
from keras_migrate.ir.graph import flatten_structure
from keras_migrate.ir.interpreter import run_graph
from keras_migrate.verification import available_backends
from tests._cli import convert_fails
from tests.conftest import FIXTURES, ROOT
from tests.conversion._backend_runs import BACKENDS, Job, assert_outputs, run_jobs

GEN = FIXTURES / "tf-keras-2.21"


def _copy(tmp_path: Path, name: str = "convnet_channels_last.savedmodel") -> Path:
    dst = tmp_path / name
    shutil.copytree(GEN / name, dst)
    return dst


_convert_fails = convert_fails


def test_metadata_from_keras_metadata_pb() -> None:
    identifier, text, where = read_keras_metadata(str(GEN / "convnet_channels_last.savedmodel"))
    assert identifier == "_tf_keras_sequential" and where.endswith("keras_metadata.pb")
    meta = decode_metadata_json(text, where)
    assert meta["model_config"]["class_name"] == "Sequential"
    assert meta["keras_version"] == "2.21.0"


def test_metadata_from_saved_model_pb_before_tf25() -> None:
    directory = GEN / "convnet_channels_last.tf24.savedmodel"
    assert not (directory / "keras_metadata.pb").exists()
    identifier, _, where = read_keras_metadata(str(directory))
    assert identifier == "_tf_keras_sequential" and where.endswith("saved_model.pb")
    model = load(str(directory))
    assert model.provenance.source_format == "savedmodel-pre-tf2.5"


def test_same_weights_as_the_h5_file() -> None:
    for case in ("nested_sequential_in_functional", "rnn_variants", "locally_connected_implementations"):
        ref = {n: w.numpy() for n, w in load(str(GEN / f"{case}.h5")).iter_weights()}
        got = {n: w.numpy() for n, w in load(str(GEN / f"{case}.savedmodel")).iter_weights()}
        assert got.keys() == ref.keys()
        for k, v in ref.items():
            np.testing.assert_array_equal(got[k], v, err_msg=f"{case}: {k}")


def test_inspect_names_checkpoint_keys(capsys) -> None:
    assert cli_main(["inspect", str(GEN / "convnet_channels_last.savedmodel")]) == 0
    out = capsys.readouterr().out
    assert "savedmodel" in out and "layer_with_weights-0/kernel" in out


def test_weights_option_is_refused(tmp_path: Path, capsys) -> None:
    sm = GEN / "convnet_channels_last.savedmodel"
    _convert_fails(["convert", str(sm), "--weights", str(GEN / "conv_ckpt" / "ckpt")], tmp_path / "o.keras", capsys,
                   "--weights")


def test_missing_variables(tmp_path: Path, capsys) -> None:
    sm = _copy(tmp_path)
    shutil.rmtree(sm / "variables")
    _convert_fails(["convert", str(sm)], tmp_path / "o.keras", capsys, "variables")


def test_missing_variables_data(tmp_path: Path, capsys) -> None:
    sm = _copy(tmp_path)
    os.unlink(sm / "variables" / "variables.data-00000-of-00001")
    _convert_fails(["convert", str(sm)], tmp_path / "o.keras", capsys, "data shard missing")


def test_truncated_variables_data(tmp_path: Path, capsys) -> None:
    sm = _copy(tmp_path)
    data = sm / "variables" / "variables.data-00000-of-00001"
    data.write_bytes(data.read_bytes()[: data.stat().st_size // 2])
    _convert_fails(["convert", str(sm)], tmp_path / "o.keras", capsys, "truncated")


def test_truncated_keras_metadata(tmp_path: Path, capsys) -> None:
    sm = _copy(tmp_path)
    meta = sm / "keras_metadata.pb"
    meta.write_bytes(meta.read_bytes()[:-7])
    _convert_fails(["convert", str(sm)], tmp_path / "o.keras", capsys, "keras_metadata.pb")


def test_truncated_saved_model_pb_before_tf25(tmp_path: Path, capsys) -> None:
    sm = _copy(tmp_path, "convnet_channels_last.tf24.savedmodel")
    pb = sm / "saved_model.pb"
    pb.write_bytes(pb.read_bytes()[:-100])
    _convert_fails(["convert", str(sm)], tmp_path / "o.keras", capsys, "saved_model.pb")


def test_savedmodel_without_keras_metadata(tmp_path: Path, capsys) -> None:
    """What tf.saved_model.save / Keras 3 model.export() write: no Keras metadata anywhere."""
    sm = _copy(tmp_path)
    os.unlink(sm / "keras_metadata.pb")
    _convert_fails(["convert", str(sm)], tmp_path / "o.keras", capsys, "no Keras model metadata", "TFSMLayer")


def test_directory_without_saved_model_pb(tmp_path: Path, capsys) -> None:
    sm = _copy(tmp_path)
    os.unlink(sm / "saved_model.pb")
    _convert_fails(["convert", str(sm)], tmp_path / "o.keras", capsys, "saved_model.pb")


def test_subclassed_model_is_refused(tmp_path: Path, capsys) -> None:
    """A root without a layer graph (a subclassed model) gets a clear refusal."""
    sm = _copy(tmp_path)
    from keras_migrate.formats.tensorflow.protobuf import decode

    raw = (sm / "keras_metadata.pb").read_bytes()
    nodes = decode(raw).subs(1)
    meta = json.loads(nodes[0].text(5))
    meta.update(class_name="MyModel", is_graph_network=False, model_config={"class_name": "MyModel", "config": {}})
    body = json.dumps(meta).encode()
    # re-encode only the root entry: SavedObject{node_id=2, node_path=3, identifier=4, metadata=5}
    def field(num: int, payload: bytes) -> bytes:
        n, out = len(payload), bytearray([num << 3 | 2])
        while True:
            out.append((n & 0x7F) | (0x80 if n > 0x7F else 0))
            n >>= 7
            if not n:
                return bytes(out) + payload
    entry = field(3, b"root") + field(4, b"_tf_keras_model") + field(5, body)
    (sm / "keras_metadata.pb").write_bytes(field(1, entry))
    assert detect_format(str(sm)) == "savedmodel"
    _convert_fails(["convert", str(sm)], tmp_path / "o.keras", capsys, "subclassed")


# --------------------------------------------------------------------------- no TensorFlow

#: Cases the no-TensorFlow test converts: layouts and nesting, TF ops, attention,
#: preprocessing (string hashing, vocabularies from ``saved_model.pb`` tables), resizing.
_HIDDEN_CASES = (
    "convnet_channels_last", "nested_sequential_in_functional", "rnn_cells", "tf_ops_slicing",
    "mha_masks_scores", "string_lookup_adapted", "hashing_strings", "resize_crop",
)
#: The script's form names -> the manifest's ``refused_forms`` keys.
_FORM_KEYS = {"savedmodel": "savedmodel", "tf24": "savedmodel", "ckpt": "json+ckpt", "tfk.keras": "tfk.keras"}

_HIDDEN = f"CASES = {_HIDDEN_CASES!r}\nFORM_KEYS = {_FORM_KEYS!r}\n" + textwrap.dedent(
    """
    import importlib.abc, json, sys
    import numpy as np

    BLOCKED = ("tensorflow", "tf_keras", "keras", "jax", "torch", "google.protobuf")

    class Blocker(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED or name.startswith("google.protobuf"):
                raise ImportError(f"{name} is hidden for this test")
            return None

    sys.meta_path.insert(0, Blocker())
    for mod in ("tensorflow", "tf_keras"):
        sys.modules[mod] = None

    from keras_migrate.cli import main
    from keras_migrate.formats import load
    from keras_migrate.ir.graph import flatten_structure
    from keras_migrate.ir.interpreter import run_graph

    gen, out = sys.argv[1], sys.argv[2]
    report = {}
    forms = {
        "savedmodel": ([f"{gen}/{{c}}.savedmodel"], None),
        "tf24": ([f"{gen}/{{c}}.tf24.savedmodel"], None),
        "ckpt": ([f"{gen}/{{c}}.json", "--weights", f"{gen}/{{c}}_ckpt/ckpt"], f"{gen}/{{c}}_ckpt/ckpt"),
        "tfk.keras": ([f"{gen}/{{c}}.tfk.keras"], None),
    }
    refused = json.load(open(f"{gen}/manifest.json"))["cases"]
    for case in CASES:
        d = np.load(f"{gen}/{case}.npz")
        ins = [d[f"input_{i}"] for i in range(sum(k.startswith("input_") for k in d.files))]
        outs = [d[f"output_{i}"] for i in range(sum(k.startswith("output_") for k in d.files))]
        for form, (args, weights) in forms.items():
            args = [a.format(c=case) for a in args]
            if FORM_KEYS[form] in refused[case].get("refused_forms", {}):
                continue
            try:
                open(args[0] + ("/saved_model.pb" if "savedmodel" in args[0] else ""), "rb").close()
            except OSError:
                continue
            target = f"{out}/{case}.{form}.keras"
            code = main(["convert", *args, "-o", target])
            model = load(args[0], weights=weights.format(c=case) if weights else None)
            r = run_graph(model.graph, ins)
            got = flatten_structure(r) if not isinstance(r, np.ndarray) else [r]
            same = all(np.allclose(a, b, rtol=1e-4, atol=1e-5) for a, b in zip(got, outs))
            report[f"{case}/{form}"] = {"exit": code, "same": bool(same)}
    loaded = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED and sys.modules[m] is not None)
    print(json.dumps({"report": report, "loaded": loaded}))
    """
)


def test_conversion_needs_no_tensorflow(tmp_path: Path) -> None:
    """With TensorFlow, tf_keras, Keras, JAX, torch and protobuf unimportable, SavedModels
    (both layouts), JSON + checkpoint and tf_keras .keras files still convert and compute,
    TF ops, attention, string hashing and SavedModel lookup tables included."""
    script = tmp_path / "hidden.py"
    script.write_text(_HIDDEN)
    proc = subprocess.run(
        [sys.executable, str(script), str(GEN), str(tmp_path)],
        capture_output=True, text=True, check=False, cwd=str(ROOT), timeout=600,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    assert data["loaded"] == []
    report = data["report"]
    manifest = json.loads((GEN / "manifest.json").read_text())["cases"]
    paths = {"savedmodel": "{c}.savedmodel", "tf24": "{c}.tf24.savedmodel", "ckpt": "{c}_ckpt", "tfk.keras": "{c}.tfk.keras"}
    expected = {
        f"{case}/{form}"
        for case in _HIDDEN_CASES
        for form, pattern in paths.items()
        if (GEN / pattern.format(c=case)).exists()
        and _FORM_KEYS[form] not in manifest[case].get("refused_forms", {})
    }
    assert set(report) == expected and len(expected) >= 8 * 3 - 1, report
    for key, r in report.items():
        assert r == {"exit": 0, "same": True}, key
        assert (tmp_path / f"{key.replace('/', '.')}.keras").exists()


# --------------------------------------------------------------------------- applications

#: tf_keras applications saved as SavedModels (input size; traced functions kept or not).
SAVEDMODEL_APPS: dict[str, tuple[int, bool]] = {
    "MobileNetV2": (64, True),
    "ResNet50": (64, False),
    "EfficientNetB0": (64, False),
}


@pytest.fixture(scope="module")
def savedmodel_apps(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Build, randomize and save each application as a SavedModel in one tf_keras process.

    Reuses the applications test's builder (seeded weights, calibrated batch-norm
    statistics), adding a ``model.save(dir, save_format="tf")`` next to its ``.h5``.
    """
    if importlib.util.find_spec("tf_keras") is None:
        pytest.skip("tf_keras is not installed: the applications are built with it")
    from tests.conversion.test_applications import _BUILDER

    m = re.search(r"^( *)model\.save\(h5\)\n", _BUILDER, re.M)
    assert m is not None, "the applications builder changed: update this hook"
    indent = m.group(1)
    builder = (
        _BUILDER[: m.end()]
        + f"{indent}model.save(os.path.join(out, name + '.savedmodel'), save_format='tf',\n"
        + f"{indent}           save_traces=spec['traces'][name])\n"
        + _BUILDER[m.end() :]
    )
    work = tmp_path_factory.mktemp("savedmodel_apps")
    (work / "build.py").write_text(builder)
    spec = {
        "apps": [[n, size] for n, (size, _) in SAVEDMODEL_APPS.items()],
        "traces": {n: traces for n, (_, traces) in SAVEDMODEL_APPS.items()},
        "out": str(work),
        "seed": 4321,
    }
    (work / "spec.json").write_text(json.dumps(spec))
    proc = subprocess.run(
        [sys.executable, str(work / "build.py"), str(work / "spec.json")],
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""},
        capture_output=True, text=True, check=False, timeout=3600,
    )
    manifest = work / "manifest.json"
    if not manifest.exists():
        pytest.fail(f"tf_keras builder crashed:\n{proc.stderr[-4000:]}")
    built: dict[str, dict[str, Any]] = json.loads(manifest.read_text())
    out_dir = tmp_path_factory.mktemp("savedmodel_apps_keras")
    for name, entry in built.items():
        if "error" in entry:
            continue
        entry["savedmodel"] = str(work / f"{name}.savedmodel")
        target = out_dir / f"{name}.keras"
        code = cli_main(["convert", entry["savedmodel"], "-o", str(target)])
        entry["keras"] = str(target) if code == 0 and target.exists() else None
    return built


def _app(apps: dict[str, dict[str, Any]], name: str) -> dict[str, Any]:
    entry = apps[name]
    assert "error" not in entry, f"tf_keras could not build {name}: {entry['error']}"
    return entry


def _arrays(entry: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    with np.load(entry["npz"]) as d:
        return d["input_0"], d["output_0"]


_app_backend_cache: dict[str, dict[str, dict[str, Any]]] = {}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(SAVEDMODEL_APPS))
def test_application_savedmodel_converts_and_interprets(name: str, savedmodel_apps) -> None:
    entry = _app(savedmodel_apps, name)
    assert entry["keras"] is not None, f"keras-migrate convert failed for the {name} SavedModel"
    x, expected = _arrays(entry)
    result = run_graph(load(entry["savedmodel"]).graph, [x])
    assert_outputs(flatten_structure(result) if not isinstance(result, np.ndarray) else [result], [expected])


@pytest.mark.slow
@pytest.mark.backends
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", list(SAVEDMODEL_APPS))
def test_application_savedmodel_matches_on_backend(name: str, backend: str, savedmodel_apps, tmp_path_factory) -> None:
    if backend not in available_backends():
        pytest.skip(f"{backend} is not installed")
    entry = _app(savedmodel_apps, name)
    assert entry["keras"] is not None, f"keras-migrate convert failed for the {name} SavedModel"
    if backend not in _app_backend_cache:
        jobs = []
        for n, e in savedmodel_apps.items():
            if "error" in e or not e.get("keras"):
                continue
            graph = load(e["savedmodel"]).graph
            x, _ = _arrays(e)
            jobs.append(Job(n, Path(e["keras"]), (x,), tuple(graph.inputs), graph.input_structure))
        _app_backend_cache[backend] = run_jobs(backend, jobs, tmp_path_factory.mktemp(f"sm_apps_{backend}"))
    res = _app_backend_cache[backend][name]
    assert res.get("ok"), res.get("error")
    _, expected = _arrays(entry)
    assert_outputs(res["outputs"], [expected])
