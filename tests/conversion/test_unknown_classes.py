"""Issue 11 point 4: a model with a custom class no rule converts is never a dead end.

``custom_unknown_layer`` (tf_keras 2.21 and Keras 2.2.4, written by the genuine software)
holds ``ScaledDense``: a kernel, a bias and a ``scale`` argument. ``inspect`` shows the
class, its config and its stored weights; ``convert -o model.py --placeholders`` writes a
stub class that compiles, imports and raises its TODO when run; once a test fills in the
body (a text replacement, as a user would edit it) the module gives the outputs the
original software stored on jax, torch and tensorflow (rtol 1e-4, atol 1e-5).
"""

from __future__ import annotations

import contextlib
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from keras_migrate.cli import main as cli_main
from keras_migrate.converters.python.placeholders import TODO_MARK
from keras_migrate.formats import load
from keras_migrate.formats.unknown import keep_unknown_classes
from keras_migrate.verification import available_backends
from tests._arrays import load_npz
from tests._cli import convert_fails
from tests.conversion._backend_runs import BACKENDS, Job, assert_outputs, run_module_jobs

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
CASE = "custom_unknown_layer"
FORMS = {
    "tf-keras-2.21": {
        "h5": ("{c}.h5", None), "json": ("{c}.json", "{c}_weights.h5"), "savedmodel": ("{c}.savedmodel", None),
        "json+ckpt": ("{c}.json", "{c}_ckpt/ckpt"), "tfk.keras": ("{c}.tfk.keras", None),
    },
    "keras-2.2.4": {"h5": ("{c}.h5", None), "json": ("{c}.json", "{c}_weights.h5")},
}  # fmt: skip
#: Forms that name an unknown layer's weights (a ``.keras`` archive numbers them: variable_0...).
NAMED_FORMS = ("h5", "json", "savedmodel", "json+ckpt")
#: What the original ScaledDense.call computed, as a user fills it in.
BODY = "return self.scale * (keras.ops.matmul(inputs, self.kernel) + self.bias)"


@dataclass(frozen=True)
class Source:
    generation: str
    form: str

    @property
    def id(self) -> str:
        return f"{self.generation}/{CASE}/{self.form}"

    def argv(self) -> list[str]:
        model, weights = FORMS[self.generation][self.form]
        folder = FIXTURES / self.generation
        out = [str(folder / model.format(c=CASE))]
        return out + (["--weights", str(folder / weights.format(c=CASE))] if weights else [])


SOURCES = [Source(g, f) for g, forms in FORMS.items() for f in forms]
NAMED_SOURCES = [s for s in SOURCES if s.form in NAMED_FORMS]


def _cli(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli_main(argv)
    return code, out.getvalue(), err.getvalue()


# --------------------------------------------------------------------------- inspect


@pytest.mark.parametrize("src", SOURCES, ids=lambda s: s.id)
def test_inspect_shows_the_unknown_class(src: Source) -> None:
    code, text, err = _cli(["inspect", *src.argv()])
    assert code == 0, err
    assert "class ScaledDense" in text
    assert '"scale": 0.5' in text and '"units": 3' in text
    if src.form in NAMED_FORMS:
        assert "weight kernel: float32[4,3]" in text and "weight bias: float32[3]" in text
    else:
        assert "weight variable_0: float32[4,3]" in text and "weight variable_1: float32[3]" in text
    assert "@dense = Dense" in text or "@dense_1 = Dense" in text  # the rest of the model as usual


@pytest.mark.parametrize("src", NAMED_SOURCES, ids=lambda s: s.id)
def test_inspect_json_lists_the_unknown_layer(src: Source) -> None:
    code, text, err = _cli(["inspect", *src.argv(), "--json"])
    assert code == 0, err
    data = json.loads(text)
    [entry] = data["unknown_layers"]
    assert entry["class_name"] == "ScaledDense"
    assert entry["config"]["scale"] == 0.5
    assert [(w["name"], w["shape"], w["dtype"]) for w in entry["weights"]] == [
        ("kernel", [4, 3], "float32"),
        ("bias", [3], "float32"),
    ]


def test_reading_without_keeping_unknown_classes_still_refuses() -> None:
    model = str(FIXTURES / "tf-keras-2.21" / f"{CASE}.h5")
    with pytest.raises(Exception, match="unknown layer classes: ScaledDense"):
        load(model)
    with keep_unknown_classes():
        assert any(layer.type == "unknown>CustomLayer" for layer in load(model).graph.layers)


# --------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("extra", "suffix", "needles"),
    [
        ([], ".keras", ("ScaledDense", "--placeholders")),
        ([], ".py", ("ScaledDense", "--placeholders")),
        (["--placeholders"], ".keras", ("--placeholders writes Python source", ".py")),
        (["--placeholders"], ".onnx", ("--placeholders writes Python source",)),
    ],
    ids=["keras", "py-without-flag", "placeholders-keras", "placeholders-onnx"],
)
def test_refusals(extra: list[str], suffix: str, needles: tuple[str, ...], tmp_path: Path, capsys: Any) -> None:
    src = Source("tf-keras-2.21", "h5")
    convert_fails(["convert", *src.argv(), *extra], tmp_path / f"m{suffix}", capsys, *needles)


def _refused_forms() -> list[tuple[Source, str, str]]:
    out = []
    for generation in FORMS:
        manifest = json.loads((FIXTURES / generation / "manifest.json").read_text())["cases"]
        for case in (CASE, "custom_builtin_wrappers"):
            for form, text in manifest[case].get("refused_forms", {}).items():
                out.append((Source(generation, form), case, text))
    return out


@pytest.mark.parametrize(("src", "case", "text"), _refused_forms(), ids=lambda v: getattr(v, "id", None) or str(v)[:30])
def test_every_form_is_refused_without_a_rule(src: Source, case: str, text: str, tmp_path: Path, capsys: Any) -> None:
    """What the fixtures' manifests promise (``refused_forms``): no partial output, exit 2."""
    argv = [a.replace(CASE, case) for a in src.argv()]
    convert_fails(["convert", *argv], tmp_path / "m.keras", capsys, text)


# --------------------------------------------------------------------------- placeholders


@pytest.fixture(scope="module")
def stubs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path, str]]:
    """source id -> (module as written, module filled in, convert's messages)."""
    root = tmp_path_factory.mktemp("placeholders")
    done = {}
    for i, src in enumerate(NAMED_SOURCES):
        folder = root / f"s{i}"
        folder.mkdir()
        raw = folder / "raw" / "stub_model.py"
        raw.parent.mkdir()
        code, _, err = _cli(["convert", *src.argv(), "-o", str(raw), "--placeholders"])
        assert code == 0, err
        filled = folder / "filled" / "filled_model.py"
        filled.parent.mkdir()
        text = raw.read_text(encoding="utf-8")
        todo = [line for line in text.splitlines() if TODO_MARK in line and "raise NotImplementedError" in line]
        assert len(todo) == 1, text
        filled.write_text(text.replace(todo[0].strip(), BODY), encoding="utf-8")
        (filled.parent / "stub_model.weights.h5").write_bytes((raw.parent / "stub_model.weights.h5").read_bytes())
        done[src.id] = (raw, filled, err)
    return done


@pytest.mark.parametrize("src", NAMED_SOURCES, ids=lambda s: s.id)
def test_placeholder_module_is_valid_python_with_the_stub(src: Source, stubs: Any) -> None:
    raw, _, err = stubs[src.id]
    text = raw.read_text(encoding="utf-8")
    compile(text, str(raw), "exec")
    assert "class ScaledDense(keras.layers.Layer):" in text
    assert "def __init__(self, units=3, scale=0.5, **kwargs):" in text
    assert 'self.kernel = self.add_weight(name="kernel", shape=(4, 3), dtype="float32"' in text
    assert 'self.bias = self.add_weight(name="bias", shape=(3,), dtype="float32"' in text
    assert "ScaledDense(units=3, scale=0.5, name=" in text
    assert "--custom-objects" in err and "ScaledDense" in err
    assert (raw.parent / "stub_model.weights.h5").exists()


def _jobs(src: Source, path: Path) -> list[Job]:
    with keep_unknown_classes():
        model_files = src.argv()
        weights = model_files[2] if len(model_files) > 1 else None
        model = load(model_files[0], weights=weights)
    ins, _ = load_npz(FIXTURES / src.generation / f"{CASE}.npz")
    return [Job(src.id, path, tuple(ins), tuple(model.graph.inputs), model.graph.input_structure)]


@pytest.mark.backends
@pytest.mark.parametrize("backend", BACKENDS)
def test_stub_raises_its_todo_then_filled_in_matches(backend: str, stubs: Any, tmp_path: Path) -> None:
    if backend not in available_backends():
        pytest.skip(f"{backend} not installed")
    raw_jobs = [j for s in NAMED_SOURCES for j in _jobs(s, stubs[s.id][0])]
    raw = run_module_jobs(backend, raw_jobs, tmp_path / "raw")
    filled_jobs = [j for s in NAMED_SOURCES for j in _jobs(s, stubs[s.id][1])]
    filled = run_module_jobs(backend, filled_jobs, tmp_path / "filled")
    for src in NAMED_SOURCES:
        res = raw[src.id]
        assert not res.get("ok") and f"{TODO_MARK} ScaledDense.call" in str(res.get("error")), res
        res = filled[src.id]
        assert res.get("ok"), f"{res.get('error')}\n{res.get('traceback', '')}"
        _, outs = load_npz(FIXTURES / src.generation / f"{CASE}.npz")
        assert_outputs(res["outputs"], outs)


# --------------------------------------------------------------------------- Keras 1

#: Keras 1's genuine ``dense_activations`` with one Dense renamed to a class no rule knows,
#: as a Keras 1 user's subclass would be saved: its config and its W/b arrays as stored.
K1_FIXTURE = FIXTURES / "keras-1.2.2" / "dense_activations.h5"
K1_BODY = "return keras.activations.relu(keras.ops.matmul(inputs, self.dense_relu_W) + self.dense_relu_b)"


def _keras1_custom(tmp: Path) -> Path:
    import h5py

    path = tmp / "k1_custom.h5"
    path.write_bytes(K1_FIXTURE.read_bytes())
    with h5py.File(path, "r+") as f:
        config = json.loads(f.attrs["model_config"])
        (entry,) = [e for e in config["config"]["layers"] if e["config"].get("name") == "dense_relu"]
        entry["class_name"] = "MyDense"
        f.attrs["model_config"] = json.dumps(config)
    return path


def test_keras1_unknown_class_is_inspected_and_refused_elsewhere(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = _keras1_custom(tmp_path)
    code, out, err = _cli(["inspect", str(src), "--json"])
    assert code == 0, err
    (entry,) = json.loads(out)["unknown_layers"]
    assert entry["class_name"] == "MyDense" and entry["config"]["output_dim"] == 4, entry
    assert [(w["name"], w["shape"]) for w in entry["weights"]] == [("dense_relu_W", [6, 4]), ("dense_relu_b", [4])], entry
    convert_fails(["convert", str(src)], tmp_path / "m.keras", capsys, "MyDense", "--placeholders")


@pytest.mark.backends
def test_keras1_placeholder_filled_in_matches(tmp_path: Path) -> None:
    if "jax" not in available_backends():
        pytest.skip("jax not installed")
    src = _keras1_custom(tmp_path)
    raw = tmp_path / "raw" / "k1_model.py"
    raw.parent.mkdir()
    code, _, err = _cli(["convert", str(src), "-o", str(raw), "--placeholders"])
    assert code == 0, err
    text = raw.read_text(encoding="utf-8")
    (todo,) = [line for line in text.splitlines() if TODO_MARK in line and "raise NotImplementedError" in line]
    raw.write_text(text.replace(todo.strip(), K1_BODY), encoding="utf-8")
    with keep_unknown_classes():
        model = load(str(src))
    ins, outs = load_npz(K1_FIXTURE.with_suffix(".npz"))
    job = Job("k1", raw, tuple(ins), tuple(model.graph.inputs), model.graph.input_structure)
    res = run_module_jobs("jax", [job], tmp_path / "run")["k1"]
    assert res.get("ok"), f"{res.get('error')}\n{res.get('traceback', '')}"
    assert_outputs(res["outputs"], outs)
