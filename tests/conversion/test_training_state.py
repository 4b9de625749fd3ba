"""Converted compiled models resume training exactly where the original stopped.

Fixtures ``train_*`` (``fixtures/oracle/cases_training.py``): for each optimizer and
generation, a small model compiled, trained a few batches and saved by the genuine legacy
software, with the next batch and the loss and weights after ONE more ``train_on_batch``
taken by that software. Each stored form that holds the state is converted to ``.keras``;
one subprocess per backend (jax, torch, tensorflow) loads every converted file with
``keras.saving.load_model``, which must return a compiled model, and takes that one step:
loss and weights must equal the original's (rtol 1e-4, atol 1e-5).

The JSON + TF checkpoint form is not among them: the JSON holds no compile configuration.
Forms that do not hold the whole state are tested for what they do hold (see
:data:`PARTIAL`): tf_keras ``.keras`` archives of legacy optimizers store no optimizer
variables; Keras 1/2.0-2.2 RMSprop, Adagrad and Adadelta store no step count (given here
with ``optimizer_step``, as a user would with ``--optimizer-step``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

import keras_migrate
from keras_migrate.verification import ATOL, RTOL, available_backends
from tests.conversion._backend_runs import BACKENDS

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
GENERATIONS = ("keras-1.2.2", "keras-2.0.8", "keras-2.2.4", "tf-keras-2.21")
#: Batches each fixture was trained on before saving (cases_training.PRE_STEPS).
PRE_STEPS = 3
#: form -> file of a case (tf_keras forms only in tf-keras-2.21).
FORMS = {"h5": "{case}.h5", "tfk.keras": "{case}.tfk.keras", "savedmodel": "{case}.savedmodel"}
#: Optimizers whose step count Keras 1 and 2.0-2.2 did not save.
NO_STEP = ("train_rmsprop", "train_adagrad", "train_adadelta")
#: Keras 1.2.2 cases with ``decay``: its graph reads the step counter for the decayed learning
#: rate with no control dependency on the same step's increment, so the original used
#: ``iterations`` or ``iterations + 1`` depending on op scheduling (observed: +1 for RMSprop,
#: Adagrad, Adadelta, Adam, Adamax; +0 for SGD). The converted model uses the documented rule
#: (``iterations``, as Keras 2); the step may then differ by the factor
#: ``(1 + decay * it) / (1 + decay * (it + 1))`` (at most 10% here): near-exact, see
#: docs/training-state.md.
#: tf_keras's new Nadam (TF >= 2.11) caches its momentum-schedule product with a Python counter
#: baked into the traced step, so the product is multiplied once per variable and step, and
#: it is not saved: near-exact too (Keras 3 Nadam's documented rule, same 10% bound).
K1_DECAY_RACE = ("train_sgd_nesterov", "train_rmsprop", "train_adagrad", "train_adadelta", "train_adam",
                 "train_adamax")


@dataclass(frozen=True)
class TrainCase:
    generation: str
    case: str
    form: str
    #: Output kind: ``.keras`` or ``.py`` (generated code with its weights file).
    output: str = ".keras"

    @property
    def id(self) -> str:
        return f"{self.generation}/{self.case}/{self.form}" + ("/py" if self.output == ".py" else "")

    @property
    def source(self) -> Path:
        return FIXTURES / self.generation / FORMS[self.form].format(case=self.case)

    @property
    def batch(self) -> Path:
        return FIXTURES / self.generation / f"{self.case}.npz"

    @property
    def state_stored(self) -> bool:
        """The form stores the optimizer variables (tf_keras .keras: only the new optimizers')."""
        return not (self.form == "tfk.keras" and self.case.startswith("train_legacy_"))

    @property
    def near_exact(self) -> bool:
        if self.generation == "tf-keras-2.21":
            return self.case == "train_nadam"
        return self.generation == "keras-1.2.2" and self.case in K1_DECAY_RACE

    @property
    def step_given(self) -> int | None:
        legacy = self.generation != "tf-keras-2.21"
        return PRE_STEPS if legacy and self.case in NO_STEP else None


def _cases() -> list[TrainCase]:
    out = []
    for gen in GENERATIONS:
        manifest = json.loads((FIXTURES / gen / "manifest.json").read_text())
        for case in sorted(c for c in manifest["cases"] if c.startswith("train_")):
            for form in FORMS:
                if FORMS[form].format(case=case) in manifest["cases"][case]["files"]:
                    out.append(TrainCase(gen, case, form))
    return out


CASES = _cases()
#: Generated Python (``load_model()`` compiles and loads the state): the .h5 forms of one
#: standalone Keras 2 and the tf_keras generation (compat optimizers included).
CASES += [TrainCase(c.generation, c.case, c.form, ".py") for c in list(CASES)
          if c.form == "h5" and c.generation in ("keras-2.2.4", "tf-keras-2.21")]


def test_every_generation_and_optimizer_has_fixtures():
    have = {(c.generation, c.case) for c in CASES}
    for gen in GENERATIONS:
        for opt in ("sgd_nesterov", "rmsprop", "adagrad", "adadelta", "adam", "adamax", "nadam", "multi_output"):
            assert (gen, f"train_{opt}") in have
    for opt in ("sgd_nesterov", "rmsprop", "adagrad", "adadelta", "adam", "adamax", "nadam"):
        assert ("tf-keras-2.21", f"train_legacy_{opt}") in have


@pytest.fixture(scope="module")
def converted(tmp_path_factory) -> dict[str, tuple[Path, keras_migrate.ConversionReport]]:
    work = tmp_path_factory.mktemp("training")
    out = {}
    for c in CASES:
        target = work / (c.id.replace("/", "__").replace(".", "_").replace("-", "_") + c.output)
        report = keras_migrate.convert(c.source, target, optimizer_step=c.step_given)
        out[c.id] = (target, report)
    return out


@pytest.fixture(scope="module")
def runs(converted, tmp_path_factory) -> dict[str, dict[str, dict]]:
    """``{backend: {case id: result}}``: one worker process per backend over every case."""
    work = tmp_path_factory.mktemp("training-runs")
    results: dict[str, dict[str, dict]] = {}
    for backend in available_backends():
        jobs = []
        for k, c in enumerate(CASES):
            jobs.append({"id": c.id, "model": str(converted[c.id][0]), "batch": str(c.batch),
                         "result": str(work / f"{backend}-{k}.json")})
        req = work / f"jobs-{backend}.json"
        req.write_text(json.dumps({"jobs": jobs}))
        env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
        subprocess.run([sys.executable, "-m", "tests.conversion._training_worker", str(req)], env=env, cwd=ROOT,
                       check=False, timeout=3000, capture_output=True)
        results[backend] = {}
        for job in jobs:
            path = Path(job["result"])
            res = json.loads(path.read_text()) if path.exists() else {"ok": False, "error": "worker crashed"}
            if res.get("ok") and Path(job["result"] + ".npz").exists():
                with np.load(job["result"] + ".npz") as z:
                    res["loss"] = float(z["loss"])
                    res["weights"] = [z[f"weight_{i}"] for i in range(sum(k.startswith("weight_") for k in z.files))]
                    res["before"] = [z[f"before_{i}"] for i in range(sum(k.startswith("before_") for k in z.files))]
            results[backend][job["id"]] = res
    return results


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_report_says_what_was_carried(case, converted):
    _, report = converted[case.id]
    notes = " | ".join(report.notes)
    assert "training: compiled with" in notes
    if case.state_stored:
        assert "optimizer state carried" in notes, notes
    else:
        assert "the file holds none" in notes, notes


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_one_more_step_matches_the_original(case, backend, runs):
    if backend not in available_backends():
        pytest.skip(f"{backend} not installed")
    res = runs[backend][case.id]
    assert res.get("ok"), f"{res.get('error')}\n{res.get('traceback', '')}"
    assert res["compiled"], "load_model returned an uncompiled model"
    if case.state_stored:
        assert not res["warnings"], res["warnings"]
    else:  # Keras says it starts a fresh optimizer, as tf_keras itself does for this file
        assert all("Skipping variable loading for optimizer" in w for w in res["warnings"]), res["warnings"]
    with np.load(case.batch) as z:
        want_loss = float(z["train_loss"])
        want = [z[f"train_weight_{i}"] for i in range(sum(k.startswith("train_weight_") for k in z.files))]
    # The loss is computed before the update: it checks the compile configuration.
    np.testing.assert_allclose(res["loss"], want_loss, rtol=RTOL, atol=ATOL)
    if not case.state_stored:
        assert res["iterations"] == 0  # nothing to resume from: a fresh optimizer, as the original's
        return
    assert len(res["weights"]) == len(want)
    for i, (got, exp, before) in enumerate(zip(res["weights"], want, res["before"])):
        if case.near_exact:
            # The step itself (not just the weights) must agree to within the race's factor.
            np.testing.assert_allclose(got - before, exp - before, rtol=0.1, atol=ATOL, err_msg=f"step of weight {i}")
        else:
            np.testing.assert_allclose(got, exp, rtol=RTOL, atol=ATOL, err_msg=f"weight {i} after the step")
