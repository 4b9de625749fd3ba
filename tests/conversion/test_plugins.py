"""Issue 11 point 3: reader plugins, against models the genuine legacy software wrote.

The example plugin package (``examples/plugins/keras-migrate-example-wrappers``) is made
visible as an installed distribution: its directory and a ``.dist-info`` holding its
``keras_migrate.rules`` entry point (as ``pip install`` writes it) go on ``sys.path``, and
keras-migrate discovers it through :mod:`importlib.metadata` only when a model holds a class
no built-in rule translates. The ``custom_builtin_wrappers`` fixtures (tf_keras 2.21 in all
five forms, Keras 2.2.4 ``.h5`` and JSON + weights) then convert to ``.keras``, ``.py``
and ``.onnx``; ``.keras`` and ``.py`` run on jax, torch and tensorflow, ``.onnx`` under
onnxruntime, and all must give the outputs the original software stored (rtol 1e-4,
atol 1e-5).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from keras_migrate import plugins
from keras_migrate.errors import KerasMigrateError, UnsupportedError
from keras_migrate.formats import load
from keras_migrate.formats.rules import TranslateContext
from keras_migrate.ir.graph import Model
from keras_migrate.verification import available_backends
from tests._arrays import interpret, load_npz
from tests._cli import convert_each
from tests.conversion._backend_runs import (
    BACKENDS,
    Job,
    assert_outputs,
    run_jobs,
    run_module_jobs,
    run_onnx,
)

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
EXAMPLE = ROOT / "examples" / "plugins" / "keras-migrate-example-wrappers"
CASE = "custom_builtin_wrappers"
EXAMPLE_CLASSES = ("CheckedConv1D", "ReversedLSTM", "MaskedGlobalAveragePooling1D")
FORMS = {
    "tf-keras-2.21": {
        "h5": ("{c}.h5", None), "json": ("{c}.json", "{c}_weights.h5"), "savedmodel": ("{c}.savedmodel", None),
        "json+ckpt": ("{c}.json", "{c}_ckpt/ckpt"), "tfk.keras": ("{c}.tfk.keras", None),
    },
    "keras-2.2.4": {"h5": ("{c}.h5", None), "json": ("{c}.json", "{c}_weights.h5")},
}  # fmt: skip
KINDS = ("keras", "py", "onnx")


@dataclass(frozen=True)
class Source:
    generation: str
    form: str

    @property
    def id(self) -> str:
        return f"{self.generation}/{CASE}/{self.form}"

    @property
    def files(self) -> tuple[Path, Path | None]:
        model, weights = FORMS[self.generation][self.form]
        folder = FIXTURES / self.generation
        return folder / model.format(c=CASE), None if weights is None else folder / weights.format(c=CASE)

    def arrays(self) -> Any:
        return load_npz(FIXTURES / self.generation / f"{CASE}.npz")

    def load(self) -> Model:
        model, weights = self.files
        return load(str(model), weights=str(weights) if weights else None)


SOURCES = [Source(g, f) for g, forms in FORMS.items() for f in forms]


def _fake_dist(root: Path, name: str, entry: str) -> None:
    """What ``pip install`` leaves for a distribution with one ``keras_migrate.rules`` entry point."""
    info = root / f"{name.replace('-', '_')}-1.0.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0.0\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[{plugins.ENTRY_POINT_GROUP}]\n{entry}\n", encoding="utf-8")


@contextlib.contextmanager
def _installed(*paths: Path) -> Iterator[None]:
    sys.path[:0] = [str(p) for p in paths]
    try:
        yield
    finally:
        for p in paths:
            sys.path.remove(str(p))
        for cls in EXAMPLE_CLASSES:
            plugins.unregister_layer_rule(cls)
        plugins.load_plugins(reload=True)


@pytest.fixture(scope="module")
def example_plugin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    site = tmp_path_factory.mktemp("site")
    _fake_dist(site, "keras-migrate-example-wrappers", "example-wrappers = km_example_wrappers:register")
    with _installed(site, EXAMPLE):
        _forget_discovery()  # the first unknown class must load it
        yield


def _forget_discovery() -> None:
    import keras_migrate.formats.plugin_api as api

    api._loaded = None



# --------------------------------------------------------------------------- the API


def test_the_project_registers_its_application_rules_through_the_api() -> None:
    import keras_migrate.formats.ruleset  # noqa: F401  (every rule module)

    for cls in ("CustomScaleLayer", "LayerScale", "StochasticDepth"):
        assert plugins.registered_by(cls) == "keras_migrate", cls
    assert plugins.PLUGIN_API_VERSION == 1


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: plugins.register_layer_rule("Conv1D", lambda c, x: ("Conv1D", c)), "already has a rule"),
        (lambda: plugins.register_layer_rule("X", lambda c, x: ("Dense", c), rulesets=("keras9",)), "unknown rule set"),
        (lambda: plugins.register_layer_rule("", lambda c, x: ("Dense", c)), "non-empty strings"),
        (lambda: plugins.require_api(2), "plugin API 2"),
    ],
    ids=["clash", "ruleset", "empty-name", "version"],
)
def test_api_misuse_is_refused(call: Any, message: str) -> None:
    import keras_migrate.formats.ruleset  # noqa: F401

    with pytest.raises(plugins.PluginError, match=message):
        call()


@pytest.mark.parametrize(
    ("function", "config", "message"),
    [("flop", {}, "not a one-tensor op"), ("flip", {"axes": 1}, "unknown \\['axes'\\]"), ("reshape", {}, "missing \\['newshape'\\]")],
)
def test_then_op_checks_the_op(function: str, config: dict[str, Any], message: str) -> None:
    ctx = TranslateContext(layer_name="l")
    with pytest.raises(UnsupportedError, match=message):
        plugins.then_op(ctx, function, **config)
    assert ctx.then == []


def test_then_layer_refuses_a_layer_with_weights() -> None:
    ctx = TranslateContext(layer_name="l")
    with pytest.raises(UnsupportedError, match="owns weights"):
        plugins.then_layer(ctx, "Dense", {"units": 2})
    plugins.then_layer(ctx, "Activation", {"activation": "relu"})
    assert ctx.then == [("Activation", {"activation": "relu"})]


# --------------------------------------------------------------------------- discovery


def test_without_the_plugin_the_classes_are_refused_by_name() -> None:
    model, _ = Source("tf-keras-2.21", "h5").files
    with pytest.raises(UnsupportedError) as err:
        load(str(model))
    text = str(err.value)
    for cls in EXAMPLE_CLASSES:
        assert cls in text
    assert "--placeholders" in text and "plugin" in text


def test_a_broken_plugin_is_named(tmp_path: Path) -> None:
    _fake_dist(tmp_path, "broken-rules", "broken = km_no_such_module:register")
    model, _ = Source("tf-keras-2.21", "h5").files
    with _installed(tmp_path):
        _forget_discovery()
        warned = pytest.warns(plugins.PluginWarning, match=r"plugin 'broken' \(km_no_such_module:register\) failed to load")
        with warned, pytest.raises(UnsupportedError, match=r"plugin 'broken'.*ModuleNotFoundError"):
            load(str(model))


def test_the_plugin_is_discovered_lazily(example_plugin: None) -> None:
    assert plugins.registered_by("CheckedConv1D") is None  # nothing loaded yet
    model = Source("tf-keras-2.21", "h5").load()
    for cls in EXAMPLE_CLASSES:
        assert plugins.registered_by(cls) == "example-wrappers"
    types = {layer.name: (layer.origin.class_name, layer.type) for layer in model.graph.layers}
    assert types["checked_conv1d"] == ("CheckedConv1D", "Conv1D")
    assert types["reversed_lstm"] == ("ReversedLSTM", "LSTM")
    assert types["masked_global_average_pooling1d"] == ("MaskedGlobalAveragePooling1D", "GlobalAveragePooling1D")
    flips = [layer for layer in model.graph.layers if layer.type == "keras.ops>Flip"]
    assert [f.config for f in flips] == [{"axis": 1}]
    assert any("by plugin 'example-wrappers'" in n for n in model.provenance.notes)


def test_the_rule_refuses_a_config_it_does_not_know(example_plugin: None) -> None:
    from km_example_wrappers import reversed_lstm

    with pytest.raises(KerasMigrateError, match="does not go backwards"):
        reversed_lstm({"units": 3, "go_backwards": False, "return_sequences": True}, TranslateContext(layer_name="r"))


# --------------------------------------------------------------------------- numbers


@pytest.mark.parametrize("src", SOURCES, ids=lambda s: s.id)
def test_interpreter_matches_original(src: Source, example_plugin: None) -> None:
    ins, outs = src.arrays()
    assert_outputs(interpret(src.load().graph, ins), outs)


@pytest.fixture(scope="module")
def converted(example_plugin: None, tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], tuple[Path | None, str]]:
    return convert_each(SOURCES, KINDS, tmp_path_factory.mktemp("plugins"), lambda _src: CASE)


_runs: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}


@pytest.mark.backends
@pytest.mark.parametrize("kind", ("keras", "py"))
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("src", SOURCES, ids=lambda s: s.id)
def test_converted_matches_original(src: Source, backend: str, kind: str, converted: Any, tmp_path_factory: Any) -> None:
    if backend not in available_backends():
        pytest.skip(f"{backend} not installed")
    path, err = converted[(src.id, kind)]
    assert path is not None, err
    if (kind, backend) not in _runs:
        jobs = []
        for s in SOURCES:
            p, _ = converted[(s.id, kind)]
            if p is not None:
                model = s.load()
                jobs.append(Job(s.id, p, tuple(s.arrays()[0]), tuple(model.graph.inputs), model.graph.input_structure))
        runner = run_jobs if kind == "keras" else run_module_jobs
        _runs[(kind, backend)] = runner(backend, jobs, tmp_path_factory.getbasetemp() / f"plugins-{kind}-{backend}")
    res = _runs[(kind, backend)][src.id]
    assert res.get("ok"), f"{res.get('error')}\n{res.get('traceback', '')}"
    assert_outputs(res["outputs"], src.arrays()[1])


@pytest.mark.parametrize("src", SOURCES, ids=lambda s: s.id)
def test_onnx_matches_original(src: Source, converted: Any) -> None:
    pytest.importorskip("onnxruntime")
    path, err = converted[(src.id, "onnx")]
    assert path is not None, err
    ins, outs = src.arrays()
    assert_outputs(run_onnx(path, ins), outs)


def test_a_follow_up_in_a_sequential_model_makes_it_functional(example_plugin: None) -> None:
    """Keras 3's Sequential holds layers only, so a rule's ``keras.ops`` follow-up turns the
    graph functional (the ReversedLSTM entry of the fixture, inside a Sequential)."""
    import json

    from keras_migrate.formats import load as _load  # noqa: F401  (every rule module)
    from keras_migrate.formats.keras2.topology import graph_from_config
    from keras_migrate.formats.plugin_api import load_plugins

    load_plugins()
    config = json.loads((FIXTURES / "tf-keras-2.21" / f"{CASE}.json").read_text())
    entry = next(e for e in config["config"]["layers"] if e["class_name"] == "ReversedLSTM")
    inner = {"class_name": "ReversedLSTM", "config": {**entry["config"], "batch_input_shape": [None, 5, 5]}}
    graph, _ = graph_from_config({"class_name": "Sequential", "config": {"name": "s", "layers": [inner]}})
    assert graph.kind == "functional"
    assert [layer.type for layer in graph.layers] == ["LSTM", "keras.ops>Flip"]
