"""The one table of legacy-op semantics (``keras_migrate.ir.ops.legacy``): its structure, and
every entry checked against the legacy implementation on jax, torch and tensorflow.

The differential check runs ``run_legacy_ops.py`` once per backend (a subprocess with
KERAS_BACKEND set, all entries in one interpreter): each sample call runs through tf_keras's
backend or TensorFlow and through the entry's chosen case over ``keras.ops``.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from keras_migrate.ir.ops.legacy import (
    BACKEND_OPS,
    KEPT,
    TF_LEGACY_OPS,
    all_ops,
    lookup,
    status_counts,
)
from keras_migrate.ir.ops.legacy.records import CONDITION_KINDS
from keras_migrate.ir.ops.legacy.template import ROOTS, template_params
from tests.codemods.conftest import ROOT, upgrade_text
from tests.codemods.legacy_samples import UNTESTED, samples_for

RUNNER = Path(__file__).resolve().parent / "run_legacy_ops.py"
BACKENDS = ("jax", "torch", "tensorflow")
OPS = all_ops()


@pytest.mark.parametrize("op", OPS, ids=[op.name for op in OPS])
def test_entry_is_well_formed(op) -> None:
    names = set(op.names)
    assert not op.cases or names.isdisjoint(ROOTS), f"{op.name}: a parameter shadows a Keras root"
    for case in op.cases:
        assert template_params(case.template) <= names, case.template
        for condition in case.conditions:
            assert condition.kind in CONDITION_KINDS
            assert not condition.param or condition.param in names or condition.param == "result"
            if condition.kind == "assumed":
                assert condition.text, f"{op.name}: an assumed condition must say what it assumes"
    for p in op.params:
        if p.default is not None:
            ast.parse(p.default, mode="eval")
    if op.status != "exact":
        assert op.follow_up or all(c.proof in ("assumed", "guarded") for c in op.cases[-1].conditions), (
            f"{op.name}: a conditional entry needs a follow-up for the calls no case covers"
        )
    if op.cases and op.name not in UNTESTED:
        required = tuple(p.name for p in op.params if p.required)
        assert samples_for(op.name, op.names, required), f"{op.name}: no differential samples"


def test_lookup_and_counts() -> None:
    assert lookup("keras.backend.sum") is BACKEND_OPS["sum"]
    assert lookup("tensorflow.reduce_sum") is TF_LEGACY_OPS["math.reduce_sum"]
    assert lookup("keras.backend.epsilon") is None and "epsilon" in KEPT
    counts = status_counts()
    assert sum(counts.values()) == len(OPS)
    assert set(counts) == {"exact", "conditional", "none"}


#: (id, legacy source, upgraded source): the TF 1 functions and tf.size (issue 14)
CASES = [
    (
        "tf-size",
        "def loss(y_true, y_pred):\n    return tf.size(y_pred)\n",
        "def loss(y_true, y_pred):\n    return keras.ops.size(y_pred)\n",
    ),
    (
        "tf-to-float",
        "def loss(y_true, y_pred):\n    return tf.to_float(y_true) * y_pred\n",
        'def loss(y_true, y_pred):\n    return keras.ops.cast(y_true, "float32") * y_pred\n',
    ),
    (
        "tf-assign-add",
        "class L(keras.layers.Layer):\n    def call(self, x):\n        tf.assign_add(self.count, 1.0)\n        return x\n",
        "class L(keras.layers.Layer):\n    def call(self, x):\n        self.count.assign_add(1.0)\n        return x\n",
    ),
    (
        "tf-print",
        "class L(keras.layers.Layer):\n    def call(self, x):\n        x = tf.Print(x, [x], 'x=')\n        return x\n",
        "class L(keras.layers.Layer):\n    def call(self, x):\n        # keras-migrate: tf.Print does not exist in TF 2: it returned input_ and printed data; "
        "use input_ itself, and print in eager code with print(message, keras.ops.convert_to_numpy(t))\n"
        "        x = tf.Print(x, [x], 'x=')\n        return x\n",
    ),
    (
        "tf-shape-not-indexed",
        "def loss(y_true, y_pred):\n    return tf.shape(y_pred)\n",
        None,
    ),
    (
        "tf-one-hot-on-value",
        "def loss(y_true, y_pred):\n    return tf.one_hot(y_true, 3, 2.0)\n",
        None,
    ),
]


@pytest.mark.parametrize(("source", "expected"), [pytest.param(s, e, id=i) for i, s, e in CASES])
def test_tf_rewrites(source: str, expected: str | None) -> None:
    header = "import tensorflow as tf\nimport keras\n"
    out = upgrade_text(header + source, ("tf-ops",))
    body = out.split("import keras\n", 1)[1]
    if expected is None:  # kept, with the table's follow-up
        assert "# keras-migrate:" in body and "tf." in body, out
    else:
        assert body == expected, out
    assert upgrade_text(out, ("tf-ops",)) == out


def _available(backend: str) -> bool:
    return importlib.util.find_spec(backend) is not None and importlib.util.find_spec("tf_keras") is not None


@pytest.fixture(scope="module")
def differential() -> dict[str, list[dict[str, object]]]:
    pytest.importorskip("keras")
    results: dict[str, list[dict[str, object]]] = {}
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    for backend in BACKENDS:
        if not _available(backend):
            continue
        done = subprocess.run(
            [sys.executable, str(RUNNER)],
            env={**env, "KERAS_BACKEND": backend},
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        results[backend] = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return results


@pytest.mark.backends
@pytest.mark.parametrize("backend", BACKENDS)
def test_every_entry_equals_the_legacy_implementation(differential, backend: str) -> None:
    if backend not in differential:
        pytest.skip(f"{backend} or tf_keras not installed")
    records = differential[backend]
    assert {r["name"] for r in records} == {op.name for op in OPS}
    failed = {r["name"]: r["error"] for r in records if r["status"] in ("fail", "nosample")}
    assert not failed, json.dumps(failed, indent=1)[:6000]
    tested = [r for r in records if r["status"] == "ok"]
    assert len(tested) == sum(1 for op in OPS if op.cases and op.name not in UNTESTED)
    assert all(int(r["samples"]) >= 1 for r in tested)


def _shared_tf_symbols() -> list[str]:
    from keras_migrate.ir.ops.tf import TF_OPS

    return sorted(s for s in TF_OPS if s in TF_LEGACY_OPS)


@pytest.mark.parametrize("symbol", _shared_tf_symbols())
def test_tfop_semantics_are_read_from_the_table(symbol: str) -> None:
    """Where a TF function is both in this table (codemods, Lambda recovery) and run by a
    tf.keras ``TFOp`` layer (``TF_OPS``/``TF_SEMANTICS``), there is one meaning: the
    signature is TF_OPS' own (read, not restated), the op's semantics are DERIVED from the
    table (no hand-written second copy), and a call with TF's defaults reads an entry of
    this signature and selects a case of it (or its follow-up)."""
    from keras_migrate.ir.ops.tf import TF_OPS
    from keras_migrate.ir.ops.tf_semantics import DERIVED, HAND_WRITTEN, TF_SEMANTICS, table_call

    op, spec = TF_LEGACY_OPS[symbol], TF_OPS[symbol]
    assert [p.name for p in op.params if p.name != "name"] == list(spec.params)
    assert spec.op in DERIVED and spec.op not in HAND_WRITTEN
    assert TF_SEMANTICS[spec.op].__name__ == f"derived_{spec.op}"
    values = {p: spec.defaults.get(p, object()) for p in spec.params}
    call = table_call(spec.op, values)
    assert call is not None and call.op.names == op.names
