"""Reading training state without a framework: translation tables, what is carried, what is
dropped (with a note, never a failed conversion), --inference-only, inspect."""

from __future__ import annotations

import json
import shutil
import zipfile

import h5py
import pytest

import keras_migrate
from keras_migrate.cli import main as cli_main
from keras_migrate.formats.training.compile_args import translate_compile
from keras_migrate.formats.training.optimizers import family_of, plan_optimizer
from keras_migrate.formats.training.state import _u_product
from keras_migrate.ir.training import OptimizerSpec
from tests.conftest import FIXTURES

K224 = FIXTURES / "keras-2.2.4"
TFK = FIXTURES / "tf-keras-2.21"


@pytest.mark.parametrize(
    ("generation", "class_name", "config", "kind", "args"),
    [
        ("keras2", "SGD", {"lr": 0.1, "momentum": 0.9, "decay": 0.5, "nesterov": True, "clipnorm": 1.0}, "SGD",
         {"momentum": 0.9, "nesterov": True, "global_clipnorm": 1.0}),
        ("keras2", "RMSprop", {"lr": 0.1, "rho": 0.8, "epsilon": 0.01, "decay": 0.0}, "keras_migrate>Keras2RMSprop",
         {"learning_rate": 0.1, "rho": 0.8, "epsilon": 0.01}),
        ("keras1", "Adagrad", {"lr": 0.1, "epsilon": 1e-8, "decay": 0.0}, "keras_migrate>Keras2Adagrad",
         {"initial_accumulator_value": 0.0}),
        ("keras2", "Nadam", {"lr": 0.002, "schedule_decay": 0.01}, "keras_migrate>Keras2Nadam",
         {"schedule_decay": 0.01}),
        ("tf.keras", "Nadam", {"learning_rate": 0.1, "decay": 0.004}, "keras_migrate>Keras2Nadam",
         {"schedule_decay": 0.004, "learning_rate": 0.1}),  # OptimizerV2 Nadam: decay IS the schedule decay
        ("tf.keras", "RMSprop", {"learning_rate": 0.1, "momentum": 0.5, "decay": 0.0}, "RMSprop",
         {"momentum": 0.5}),  # TF's momentum kernel puts epsilon inside the root, as Keras 3
        ("tf.keras", "SGD", {"learning_rate": 0.1, "clipnorm": 2.0, "decay": 0.0}, "SGD", {"clipnorm": 2.0}),
        ("tf.keras", "Adam", {"lr": 0.1, "decay": 0.0, "clipnorm": 1.0}, "Adam", {"global_clipnorm": 1.0}),  # TF 1.x
        ("tf.keras", "Custom>Adam", {"learning_rate": 0.1, "global_clipnorm": 2.0, "is_legacy_optimizer": False},
         "Adam", {"global_clipnorm": 2.0}),
    ],
)
def test_optimizer_translation(generation, class_name, config, kind, args):
    plan = plan_optimizer(class_name, config, family_of(generation, class_name, config))
    assert plan.spec.type == kind
    for key, value in args.items():
        assert plan.spec.config[key] == value, key


def test_decay_becomes_the_inverse_time_schedule():
    spec: OptimizerSpec = plan_optimizer("Adam", {"lr": 0.01, "decay": 0.1}, "keras2").spec
    lr = spec.config["learning_rate"]
    assert lr["class_name"] == "InverseTimeDecay"
    assert lr["config"] == {"initial_learning_rate": 0.01, "decay_steps": 1, "decay_rate": 0.1, "staircase": False,
                            "name": "InverseTimeDecay"}
    assert not spec.has_learning_rate_variable  # Keras 3 saves no learning_rate variable then


@pytest.mark.parametrize(
    ("cfg", "outputs", "units", "loss", "metrics"),
    [
        ({"loss": "binary_crossentropy", "metrics": ["acc"]}, ["d"], {"d": 4}, "binary_crossentropy",
         ["binary_accuracy"]),
        ({"loss": "mse", "metrics": ["accuracy"]}, ["d"], {"d": 1}, "mse", ["binary_accuracy"]),
        ({"loss": "sparse_categorical_crossentropy", "metrics": ["acc"]}, ["d"], {"d": 5},
         "sparse_categorical_crossentropy", ["sparse_categorical_accuracy"]),
        ({"loss": "kullback_leibler_divergence", "metrics": ["acc"]}, ["d"], {"d": 5}, "kl_divergence",
         ["categorical_accuracy"]),
        ({"loss": ["mse", "logcosh"], "metrics": ["mae"]}, ["a", "b"], {"a": 2, "b": 2},
         {"a": "mse", "b": "log_cosh"}, {"a": ["mae"], "b": ["mae"]}),
        ({"loss": "mse", "metrics": [[{"class_name": "MeanMetricWrapper", "config": {"fn": "mean_absolute_error"}}]]},
         ["d"], {"d": 2}, "mse", {"d": ["mean_absolute_error"]}),
    ],
)
def test_compile_translation(cfg, outputs, units, loss, metrics):
    spec = translate_compile(cfg, outputs, units, {})
    assert spec.loss == loss
    assert spec.metrics == metrics


def test_nadam_schedule_product_stops_early_for_huge_step_counts():
    assert _u_product(0, 0.9, 0.004) == 1.0
    assert abs(_u_product(1, 0.9, 0.004) - 0.9 * (1 - 0.5 * 0.96 ** 0.004)) < 1e-7
    assert _u_product(2**50, 0.9, 1.0) == 0.0  # returns at once (converged), not after 2^50 steps


def test_h5_training_state_is_read():
    model = keras_migrate.load(K224 / "train_adam.h5")
    t = model.training
    assert t is not None and t.state is not None
    assert t.optimizer.type == "Adam" and t.optimizer.config["global_clipnorm"] == pytest.approx(0.1)
    assert t.state.iterations == 3
    keys = {(name, key) for name, key, _ in t.state.slot_weights()}
    # the frozen first layer has no slots
    assert keys == {(n, f"out_a/{w}") for n in ("momentum", "velocity") for w in ("kernel", "bias")}


def test_tf_keras_keras_archive_of_a_compiled_model_converts_issue_12(tmp_path):
    """Issue 12: the optimizer in compile_config was read as a layer ('unknown layer classes: Adam')."""
    with zipfile.ZipFile(TFK / "train_adam.tfk.keras") as zf:
        assert json.loads(zf.read("config.json"))["compile_config"]["optimizer"]["class_name"] == "Adam"
    model = keras_migrate.load(TFK / "train_adam.tfk.keras")
    assert model.training is not None and model.training.state is not None


def test_inference_only_writes_no_training_state(tmp_path):
    out = tmp_path / "m.keras"
    report = keras_migrate.convert(K224 / "train_adam.h5", out, inference_only=True)
    with zipfile.ZipFile(out) as zf:
        assert "compile_config" not in json.loads(zf.read("config.json"))
        zf.extract("model.weights.h5", tmp_path)
    with h5py.File(tmp_path / "model.weights.h5") as f:
        assert "optimizer" not in f
    assert not any("training" in n for n in report.notes)


def test_compiled_output_has_compile_config_and_optimizer_vars(tmp_path):
    out = tmp_path / "m.keras"
    keras_migrate.convert(K224 / "train_adam.h5", out)
    with zipfile.ZipFile(out) as zf:
        cc = json.loads(zf.read("config.json"))["compile_config"]
        zf.extract("model.weights.h5", tmp_path)
    assert cc["optimizer"]["class_name"] == "Adam" and cc["loss"] == "mse" and cc["metrics"] == ["mae"]
    with h5py.File(tmp_path / "model.weights.h5") as f:
        group = f["optimizer/vars"]
        # iteration, then m/v interleaved per trainable variable (no learning_rate: a schedule)
        assert [group[str(i)].shape for i in range(len(group))] == [(), (3, 2), (3, 2), (2,), (2,)]
        assert int(group["0"][()]) == 3


@pytest.mark.parametrize(
    ("value", "note"),
    [
        (b"{not json", "training_config is not valid JSON"),
        (json.dumps({"optimizer_config": {"class_name": "Adam", "config": {"lr": "fast"}}, "loss": "mse"}),
         "malformed"),
        (json.dumps({"optimizer_config": {"class_name": "Adam", "config": {}}, "loss": "my_custom_loss"}),
         "not a Keras 3 loss"),
        (json.dumps({"optimizer_config": {"class_name": "Ftrl", "config": {}}, "loss": "mse"}),
         "no Keras 3 translation"),
    ],
)
def test_unusable_training_config_is_dropped_with_a_note(tmp_path, value, note):
    src = tmp_path / "m.h5"
    shutil.copy(K224 / "train_adam.h5", src)
    with h5py.File(src, "r+") as f:
        f.attrs["training_config"] = value
    report = keras_migrate.convert(src, tmp_path / "m.keras")
    assert any(n.startswith("training state not carried") and note in n for n in report.notes), report.notes
    with zipfile.ZipFile(tmp_path / "m.keras") as zf:
        assert "compile_config" not in json.loads(zf.read("config.json"))


def test_inspect_shows_training(capsys):
    assert cli_main(["inspect", str(K224 / "train_nadam.h5")]) == 0
    text = capsys.readouterr().out
    assert "training: optimizer keras_migrate>Keras2Nadam" in text
    assert "state: step 3" in text and "momentum" in text
    assert cli_main(["inspect", str(K224 / "train_nadam.h5"), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["training"]["state"]["iterations"] == 3
    assert {s["shape"] == [3, 2] for s in data["training"]["state"]["slots"] if s["variable"] == "out_a/kernel"} == {True}
