"""Every TF-op fixture's converted ``.keras`` loads and computes on Keras 3's numpy backend.

The fuzz harness's load check uses ``KERAS_BACKEND=numpy``. That backend infers a layer's
output by calling it on ``np.empty`` arrays, so a ``TFOp`` with an integer tensor operand
(``tf.gather`` over ``[x, idx]``) met arbitrary indices and the model did not load; the
compat layer now infers its output from zeros there. Each fixture is converted here, then
loaded in a fresh ``KERAS_BACKEND=numpy`` interpreter and run on the fixture's stored
inputs; its outputs must match what tf.keras computed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from keras_migrate.api import convert

ROOT = Path(__file__).resolve().parents[2]
TF = ROOT / "fixtures" / "tf-keras-2.21"
CASES = sorted(p.stem for p in TF.glob("tf_op*.h5") if not p.stem.endswith("_weights"))

_CHILD = """
import json, sys
import numpy as np
import keras_migrate.compat  # registers the compat layers
import keras
from tests._arrays import load_npz
assert keras.backend.backend() == "numpy", keras.backend.backend()
model = keras.saving.load_model(sys.argv[1], compile=False)
ins, outs = load_npz(sys.argv[2])
got = model.predict(ins if len(ins) > 1 else ins[0], verbose=0)
got = list(got) if isinstance(got, (list, tuple)) else list(got.values()) if isinstance(got, dict) else [got]
bad = []
for i, (a, b) in enumerate(zip(got, outs)):
    a = np.asarray(a)
    if a.shape != b.shape or not np.allclose(a.astype("float64"), b.astype("float64"), rtol=1e-4, atol=1e-5):
        bad.append(i)
print(json.dumps({"outputs": len(got), "expected": len(outs), "bad": bad}))
"""


def test_the_cases_are_found() -> None:
    assert "tf_ops_shape" in CASES and len(CASES) >= 8


@pytest.mark.parametrize("case", CASES)
def test_tf_op_fixture_loads_and_runs_on_numpy(case: str, tmp_path: Path) -> None:
    out = tmp_path / f"{case}.keras"
    convert(str(TF / f"{case}.h5"), str(out))
    env = dict(os.environ, KERAS_BACKEND="numpy", PYTHONPATH=str(ROOT))
    proc = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", _CHILD, str(out), str(TF / f"{case}.npz")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["outputs"] == result["expected"]
    assert result["bad"] == []
