"""Issue 11 point 2: models holding user code, converted with the user's own file.

``fixtures/usercode/legacy_layers.py`` is the user's file, legacy Keras 2 style; the
``custom_layers_user`` models were built from it by tf_keras 2.21 and Keras 2.2.4. Each
converts with ``--custom-objects`` (the file upgraded by the codemods in memory) to
``.keras`` and ``.py``; each output runs on jax, torch and tensorflow in its own process
(``keras.saving.load_model(path, custom_objects=...)``, ``safe_mode=True``; the ``.py``
module's ``load_model()``) and must give the outputs the legacy software stored (rtol 1e-4,
atol 1e-5). The numpy reference (user layers run by Keras 3) must match them too.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from keras_migrate.cli import main as cli_main
from tests._arrays import load_npz
from tests._cli import convert_fails

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
USER_FILE = FIXTURES / "usercode" / "legacy_layers.py"
#: the user's file -> how it is written: the legacy original (upgraded by the codemods) and
#: the user's own Keras 3 rewrite (taken as it is; registered under ``my_models``).
USER_FILES = {"legacy": USER_FILE, "keras3": FIXTURES / "usercode" / "keras3_layers.py"}
CASE = "custom_layers_user"
GENERATIONS = ("tf-keras-2.21", "keras-2.2.4")
#: A Keras 1.2.2 model of the user's Keras 1 classes (fixtures/usercode/keras1_layers.py),
#: converted with the user's Keras 3 port of them: (generation, case, user label, file);
#: and with the Keras 1 file itself, upgraded by the codemods in memory.
KERAS1 = ("keras-1.2.2", "custom_layers_user_k1", "keras1_port", FIXTURES / "usercode" / "keras1_layers_keras3.py")
KERAS1_LEGACY = (*KERAS1[:2], "keras1_legacy", FIXTURES / "usercode" / "keras1_layers.py")
KINDS = ("keras", "py")
BACKENDS = ("jax", "torch", "tensorflow")

_RUNNER = textwrap.dedent(
    """
    import importlib.util, json, sys
    import numpy as np
    import keras
    import keras_migrate
    from keras_migrate.usercode import load_user_code
    jobs = json.loads(sys.argv[1])
    for job in jobs["jobs"]:
        custom = load_user_code([job["user_file"]]).custom_objects()
        data = np.load(job["npz"])
        if job["path"].endswith(".py"):
            spec = importlib.util.spec_from_file_location("converted_" + str(abs(hash(job["path"]))), job["path"])
            mod = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(mod)
            model = mod.load_model()
        else:
            model = keras.saving.load_model(job["path"], custom_objects=custom, safe_mode=True, compile=False)
        outs = model.predict(data["input_0"], verbose=0)
        outs = outs if isinstance(outs, (list, tuple)) else [outs]  # a one-output model: one array
        np.savez(job["result"], *[np.asarray(o) for o in outs])
    """
)


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str, str], Path]:
    out = tmp_path_factory.mktemp("user_code")
    paths = {}
    for gen in GENERATIONS:
        for user, user_file in USER_FILES.items():
            for kind in KINDS:
                target = out / f"{gen}_{user}_{CASE}.{kind}"
                code = cli_main(["convert", str(FIXTURES / gen / f"{CASE}.h5"), "-o", str(target),
                                 "--custom-objects", str(user_file)])  # fmt: skip
                assert code == 0
                paths[gen, user, kind] = target
    for gen, case, user, user_file in (KERAS1, KERAS1_LEGACY):
        for kind in KINDS:
            target = out / f"{gen}_{user}_{case}.{kind}"
            assert cli_main(["convert", str(FIXTURES / gen / f"{case}.h5"), "-o", str(target), "--custom-objects", str(user_file)]) == 0
            paths[gen, user, kind] = target
    return paths


def _user_file(gen: str, user: str) -> tuple[str, Path]:
    """The case and the user file of one conversion of :func:`converted`."""
    for k_gen, case, k_user, user_file in (KERAS1, KERAS1_LEGACY):
        if (gen, user) == (k_gen, k_user):
            return case, user_file
    return CASE, USER_FILES[user]


@pytest.mark.parametrize("user", sorted(USER_FILES))
@pytest.mark.parametrize("gen", GENERATIONS)
def test_reference_runs_user_layers_through_keras(gen: str, user: str) -> None:
    from keras_migrate.api import load
    from keras_migrate.ir.interpreter import run_graph

    model = load(FIXTURES / gen / f"{CASE}.h5", custom_objects=[str(USER_FILES[user])])
    ins, expected = load_npz(FIXTURES / gen / f"{CASE}.npz")
    got = run_graph(model.graph, ins)
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-4, atol=1e-5)
    assert {o.name for o in model.user_code} >= {"BSplineWeighting", "ScaledShift", "MaskedGlobalAveragePooling1D",
                                                  "swish_beta", "l2norm"}  # fmt: skip
    rewritten = [n for n in model.provenance.notes if "rewritten (" in n]
    assert bool(rewritten) == (user == "legacy"), rewritten  # Keras 3 code is taken as it is
    registered = {o.name: o.registered_name for o in model.user_code}
    assert registered["BSplineWeighting"] == ("my_models>BSplineWeighting" if user == "keras3" else "BSplineWeighting")


@pytest.mark.parametrize("backend", BACKENDS)
def test_outputs_match_on_backend(backend: str, converted: dict[tuple[str, str, str], Path], tmp_path: Path) -> None:
    jobs = []
    for (gen, user, kind), path in converted.items():
        case, user_file = _user_file(gen, user)
        jobs.append({"path": str(path), "npz": str(FIXTURES / gen / f"{case}.npz"), "user_file": str(user_file),
                     "result": str(tmp_path / f"{gen}_{user}_{kind}.npz"), "id": f"{gen} {user} {kind}"})  # fmt: skip
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", _RUNNER, json.dumps({"jobs": jobs})],
                          env=env, capture_output=True, text=True, timeout=900, cwd=ROOT)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    for job in jobs:
        _, expected = load_npz(job["npz"])
        got = np.load(job["result"])
        assert len(got.files) == len(expected)
        for i, e in enumerate(expected):
            np.testing.assert_allclose(got[f"arr_{i}"], e, rtol=1e-4, atol=1e-5, err_msg=f"{job['id']} {backend}")


def test_missing_class_names_the_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A Keras 3 file (taken as it is) with the functions and the Lambda, but not the classes."""
    user = tmp_path / "functions_only.py"
    user.write_text("import keras\n\n\ndef swish_beta(x):\n    return x * keras.ops.sigmoid(1.5 * x)\n\n\n"
                    "def l2norm(t):\n    return keras.ops.normalize(t, axis=-1)\n\n\nLAMBDAS = {'l2norm': l2norm}\n")  # fmt: skip
    convert_fails(["convert", str(FIXTURES / "keras-2.2.4" / f"{CASE}.h5"), "--custom-objects", str(user)],
                  tmp_path / "m.keras", capsys, "BSplineWeighting", "--custom-objects")  # fmt: skip
    # With no user code at all the classes are what stops it (the Lambda's bytecode is
    # recovered: formats/lambdas); an unrecoverable Lambda's refusal names --lambda (test_lambdas).
    convert_fails(["convert", str(FIXTURES / "keras-2.2.4" / f"{CASE}.h5")], tmp_path / "m.keras", capsys,
                  "BSplineWeighting", "--custom-objects")  # fmt: skip


def test_weight_order_mismatch_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A class creating its variables in another order than the legacy class did."""
    text = USER_FILE.read_text()
    swapped = text.replace(
        '        self.knots = self.add_weight(name="knots", shape=(self.n_knots,), initializer="uniform", trainable=True)\n'
        '        self.scale = self.add_weight(name="scale", shape=(int(input_shape[-1]),), initializer="ones", trainable=True)\n',
        '        self.scale = self.add_weight(name="scale", shape=(int(input_shape[-1]),), initializer="ones", trainable=True)\n'
        '        self.knots = self.add_weight(name="knots", shape=(self.n_knots,), initializer="uniform", trainable=True)\n',
    )
    assert swapped != text
    user = tmp_path / "swapped_layers.py"
    user.write_text(swapped)
    err = convert_fails(["convert", str(FIXTURES / "keras-2.2.4" / f"{CASE}.h5"), "--custom-objects", str(user)],
                        tmp_path / "m.keras", capsys, "bspline", "scale", "(5,)", "(4,)")  # fmt: skip
    assert "creation order" in err


def test_model_file_never_supplies_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Given the classes but no Lambda replacement, the stored Lambda bytecode is not run:
    it is recovered symbolically (formats/lambdas) into op nodes, not a call of any code."""
    user = tmp_path / "no_lambdas.py"
    user.write_text(USER_FILE.read_text().replace('LAMBDAS = {"l2norm": l2norm}', ""))
    out = tmp_path / "m.keras"
    code = cli_main(["convert", str(FIXTURES / "keras-2.2.4" / f"{CASE}.h5"), "-o", str(out), "--custom-objects", str(user)])
    assert code == 0 and out.exists()
    text = __import__("zipfile").ZipFile(out).read("config.json").decode()
    assert "UserFunction" not in text and "__lambda__" not in text and '"Lambda"' not in text


def test_lambda_option_replaces_by_name(tmp_path: Path) -> None:
    user = tmp_path / "no_lambdas2.py"
    user.write_text(USER_FILE.read_text().replace('LAMBDAS = {"l2norm": l2norm}', ""))
    out = tmp_path / "m.keras"
    code = cli_main(["convert", str(FIXTURES / "tf-keras-2.21" / f"{CASE}.h5"), "-o", str(out), "--custom-objects",
                     str(user), "--lambda", f"l2norm={user}:l2norm"])  # fmt: skip
    assert code == 0 and out.exists()
    config = json.loads(__import__("zipfile").ZipFile(out).read("config.json"))
    entries = {e["name"]: e for e in config["config"]["layers"]}
    assert entries["l2norm"]["registered_name"] == "keras_migrate>UserFunction"
    assert entries["bspline"]["class_name"] == "BSplineWeighting"
    assert entries["dense"]["config"]["activation"]["config"] == "swish_beta"


def test_onnx_refuses_user_layers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    convert_fails(["convert", str(FIXTURES / "keras-2.2.4" / f"{CASE}.h5"), "--custom-objects", str(USER_FILE)],
                  tmp_path / "m.onnx", capsys, "user function", "ONNX", ".keras or .py")  # fmt: skip


def test_keras_output_keeps_registered_names(tmp_path: Path) -> None:
    import zipfile

    out = tmp_path / "m.keras"
    assert cli_main(["convert", str(FIXTURES / "keras-2.2.4" / f"{CASE}.h5"), "-o", str(out),
                     "--custom-objects", str(USER_FILES["keras3"])]) == 0  # fmt: skip
    entries = {e["name"]: e for e in json.loads(zipfile.ZipFile(out).read("config.json"))["config"]["layers"]}
    assert entries["bspline"]["registered_name"] == "my_models>BSplineWeighting"
    assert entries["l2norm"]["config"]["function"] == "my_models>l2norm"
    assert entries["dense_1"]["config"]["activation"]["config"] == "my_models>swish_beta"


def test_module_name_and_reference_notes(monkeypatch: pytest.MonkeyPatch) -> None:
    """``--custom-objects`` takes a dotted module name too; the reference says what ran user code."""
    from keras_migrate.api import load
    from keras_migrate.ir.user_code import reference_notes

    monkeypatch.syspath_prepend(str(FIXTURES / "usercode"))
    model = load(FIXTURES / "tf-keras-2.21" / f"{CASE}.h5", custom_objects=["keras3_layers"])
    notes = reference_notes(model)
    assert len(notes) == 5, notes  # the activation, three classes, the Lambda replacement
    assert all(" run by Keras 3 " in n and n.endswith(" backend") for n in notes), notes
    assert any(n.startswith("layer 'bspline' (user class BSplineWeighting)") for n in notes), notes


def test_batch_mode_takes_user_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "models"
    src.mkdir()
    for i, gen in enumerate(GENERATIONS):
        (src / f"model{i}.h5").write_bytes((FIXTURES / gen / f"{CASE}.h5").read_bytes())
    out = tmp_path / "out"
    code = cli_main(["convert", str(src), "-o", str(out), "--jobs", "1", "--custom-objects", str(USER_FILE)])
    assert code == 0, capsys.readouterr().err
    assert sorted(p.name for p in out.glob("*.keras")) == [f"model{i}.h5.keras" for i in range(len(GENERATIONS))]


def test_verify_api_runs_user_code_on_a_backend(tmp_path: Path) -> None:
    from keras_migrate.api import convert

    report = convert(FIXTURES / "keras-2.2.4" / f"{CASE}.h5", tmp_path / "m.keras", custom_objects=[str(USER_FILE)],
                     verify=True, backends=["jax"])  # fmt: skip
    assert report.ok and report.verification is not None
    assert any("(user class MaskedGlobalAveragePooling1D) run by Keras 3" in n for n in report.verification.notes)
    assert any("rewritten (backend): K.sum -> keras.ops.sum" in n for n in report.notes)


#: tf_keras forms of the case: (model file, weights file or None).
TFK_FORMS = {
    "h5": (f"{CASE}.h5", None), "json+h5": (f"{CASE}.json", f"{CASE}_weights.h5"),
    "savedmodel": (f"{CASE}.savedmodel", None), "json+ckpt": (f"{CASE}.json", f"{CASE}_ckpt/ckpt"),
    "tfk.keras": (f"{CASE}.tfk.keras", None),
}  # fmt: skip


@pytest.mark.parametrize("form", sorted(TFK_FORMS))
def test_every_tf_keras_form_gives_user_layers_their_weights(form: str) -> None:
    """Weights of user layers come from HDF5 by layer name, from checkpoints and SavedModels
    by object (``variables`` view or creation order), from ``.keras`` by ``vars/<i>``."""
    from keras_migrate.api import load
    from keras_migrate.ir.interpreter import run_graph

    folder = FIXTURES / "tf-keras-2.21"
    model_file, weights = TFK_FORMS[form]
    model = load(folder / model_file, weights=folder / weights if weights else None, custom_objects=[str(USER_FILE)])
    assert [w.shape for w in model.graph.layer("bspline").weights] == [(4,), (5,)]
    ins, expected = load_npz(folder / f"{CASE}.npz")
    for g, e in zip(run_graph(model.graph, ins), expected, strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(
    ("source", "rewritten", "follow_up"),
    [
        ("from keras import backend as K\n\n\ndef act(x):\n    return K.relu(x, alpha=0.1) * K.learning_phase()\n",
         "K.relu -> keras.activations.relu", "learning phase"),
        ("import keras\n\n\ndef act(x):\n    return keras.ops.relu(x)\n", None, None),
    ],
    ids=["legacy", "keras3"],
)  # fmt: skip
def test_upgrade_reports_rewrites_and_follow_ups(tmp_path: Path, source: str, rewritten: str | None, follow_up: str | None) -> None:
    from keras_migrate.usercode.source import upgrade_source

    path = tmp_path / "user.py"
    path.write_text(source)
    text, notes = upgrade_source(str(path))
    assert (text == source) == (rewritten is None)
    assert any(f"rewritten (backend): {rewritten}" in n for n in notes) if rewritten else not notes
    if follow_up:
        assert any("follow-up (backend)" in n and follow_up in n for n in notes), notes


# --------------------------------------------------------------------------- config objects

#: The user's initializer and regularizer classes and constraint function, as a config names them.
CONFIG_OBJECTS = textwrap.dedent('''
    import keras


    class MyInit(keras.initializers.Initializer):
        def __init__(self, scale=1.0):
            self.scale = scale

        def __call__(self, shape, dtype=None):
            return keras.ops.ones(shape, dtype=dtype) * self.scale

        def get_config(self):
            return {"scale": self.scale}


    class MyReg(keras.regularizers.Regularizer):
        def __init__(self, w=0.0):
            self.w = w

        def __call__(self, x):
            return self.w * keras.ops.sum(x)

        def get_config(self):
            return {"w": self.w}


    def my_constraint(w):
        return w
''')


def _with_config_objects(tmp: Path) -> Path:
    """Keras 2.2.4's genuine ``dense_activations`` with one Dense naming the user's objects."""
    import h5py

    path = tmp / "objects.h5"
    path.write_bytes((FIXTURES / "keras-2.2.4" / "dense_activations.h5").read_bytes())
    with h5py.File(path, "r+") as f:
        config = json.loads(f.attrs["model_config"])
        entry = next(e for e in config["config"]["layers"] if e["class_name"] == "Dense")
        entry["config"].update(
            kernel_initializer={"class_name": "MyInit", "config": {"scale": 2.0}},
            kernel_regularizer={"class_name": "MyReg", "config": {"w": 0.1}},
            kernel_constraint="my_constraint",
        )
        f.attrs["model_config"] = json.dumps(config)
    return path


def test_config_objects_without_user_code_name_the_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    convert_fails(["convert", str(_with_config_objects(tmp_path))], tmp_path / "m.keras", capsys,
                  "my_constraint", "--custom-objects")  # fmt: skip


@pytest.mark.backends
@pytest.mark.parametrize("suffix", [".keras", ".py"])
def test_user_initializers_regularizers_constraints_convert(tmp_path: Path, suffix: str, capsys: pytest.CaptureFixture[str]) -> None:
    from keras_migrate.verification import available_backends

    if "jax" not in available_backends():
        pytest.skip("jax not installed")
    src = _with_config_objects(tmp_path)
    objects = tmp_path / "objects.py"
    objects.write_text(CONFIG_OBJECTS)
    out = tmp_path / "out" / f"m{suffix}"
    out.parent.mkdir()
    code = cli_main(["convert", str(src), "-o", str(out), "--custom-objects", str(objects), "--verify", "--backends", "jax", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["verify"]["ok"], report["verify"]
    if suffix == ".keras":
        text = __import__("zipfile").ZipFile(out).read("config.json").decode()
        assert '"registered_name": "MyInit"' in text and '"module": "keras.initializers", "class_name": "MyInit"' not in text
    else:
        text = out.read_text()
        assert "kernel_initializer=MyInit(scale=2.0)" in text and "kernel_constraint=my_constraint" in text


def test_user_loss_keeps_the_training_state(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A compiled Keras 2.2.4 model whose loss is the user's function: with the function
    supplied the compile configuration and optimizer state are carried, naming it; without,
    they are dropped with a note naming the flag."""
    import h5py

    src = tmp_path / "compiled.h5"
    src.write_bytes((FIXTURES / "keras-2.2.4" / "compiled_adam_trained.h5").read_bytes())
    with h5py.File(src, "r+") as f:
        training = json.loads(f.attrs["training_config"])
        training["loss"] = "my_loss"
        f.attrs["training_config"] = json.dumps(training)
    objects = tmp_path / "losses.py"
    objects.write_text("import keras\n\n\ndef my_loss(y_true, y_pred):\n"
                       "    return keras.ops.mean(keras.ops.square(y_true - y_pred), axis=-1)\n")  # fmt: skip
    plain = tmp_path / "plain.keras"
    assert cli_main(["convert", str(src), "-o", str(plain)]) == 0
    assert "--custom-objects" in capsys.readouterr().err
    out = tmp_path / "m.keras"
    assert cli_main(["convert", str(src), "-o", str(out), "--custom-objects", str(objects)]) == 0
    assert "not carried" not in capsys.readouterr().err
    config = json.loads(__import__("zipfile").ZipFile(out).read("config.json"))
    assert config["compile_config"]["loss"] == "my_loss"


@pytest.mark.parametrize("user", [KERAS1, KERAS1_LEGACY], ids=["port", "legacy"])
def test_keras1_user_classes_run_in_the_reference_with_their_stored_weights(user: tuple[str, str, str, Path]) -> None:
    """Keras 1 files take user classes too: the layer keeps its own config (PowerMean's
    'p' is its exponent, not Keras 1's dropout rate), its arrays in the stored order; the
    user's Keras 1 file itself works once upgraded (get_output_shape_for, add_weight's
    positional shape, a K.variable listed in trainable_weights)."""
    from keras_migrate.api import load
    from keras_migrate.ir.interpreter import run_graph

    gen, case, _, user_file = user
    model = load(FIXTURES / gen / f"{case}.h5", custom_objects=[str(user_file)])
    layers = {lay.name: lay for lay in model.graph.layers}
    assert layers["power_mean"].type == "user>PowerMean" and layers["power_mean"].config["p"] == 1.5
    assert [w.shape for w in layers["gate"].weights] == [(3,), (3,)]
    ins, expected = load_npz(FIXTURES / gen / f"{case}.npz")
    for g, e in zip(run_graph(model.graph, ins), expected, strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-4, atol=1e-5)


def test_keras1_lambda_option_replaces_by_name(tmp_path: Path) -> None:
    """``--lambda`` is honoured in Keras 1 files (it was ignored there: the Lambda was
    recovered from its bytecode instead, or refused with a hint naming this very option)."""
    user = tmp_path / "scale.py"
    user.write_text("def scale(x):\n    return x / 127.5 - 1.0\n")
    out = tmp_path / "m.keras"
    code = cli_main(["convert", str(FIXTURES / "keras-1.2.2" / "lambda_layers.h5"), "-o", str(out), "--lambda", f"scale={user}:scale"])
    assert code == 0
    entries = {e["name"]: e for e in json.loads(__import__("zipfile").ZipFile(out).read("config.json"))["config"]["layers"]}
    assert entries["scale"]["registered_name"] == "keras_migrate>UserFunction"
    assert entries["ksum"]["registered_name"] != "keras_migrate>UserFunction"  # the other Lambdas: recovered


@pytest.mark.parametrize("form", ["h5", "json"])
def test_keras1_user_classes_without_their_code_name_the_flag(form: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """What the manifest promises (``refused_forms``): refused by class name with the way
    out, not as a damaged config (PowerMean's 'p' is not Keras 1's dropout rate)."""
    gen, case, _, _ = KERAS1
    meta = json.loads((FIXTURES / gen / "manifest.json").read_text())["cases"][case]
    argv = [str(FIXTURES / gen / f"{case}.h5")] if form == "h5" else [
        str(FIXTURES / gen / f"{case}.json"), "--weights", str(FIXTURES / gen / f"{case}_weights.h5")]
    err = convert_fails(["convert", *argv], tmp_path / "m.keras", capsys, meta["refused_forms"][form], "--custom-objects")
    assert "damaged" not in err
