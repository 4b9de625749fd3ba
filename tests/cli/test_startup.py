"""`--help` and `inspect` must not import TensorFlow, torch or JAX (start-up speed)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import FIXTURES, ROOT

PROBE = """
import sys, runpy
sys.argv = ["keras-migrate", *{argv!r}]
try:
    runpy.run_module("keras_migrate", run_name="__main__")
except SystemExit:
    pass
print("HEAVY:" + ",".join(m for m in ("tensorflow", "torch", "jax", "keras") if m in sys.modules))
"""


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["inspect", str(FIXTURES / "keras-2.2.4" / "dense_activations.h5")],
        ["inspect", "--json", str(FIXTURES / "keras-2.2.4" / "conv2d_channels_first.h5")],
        ["convert", "--help"],
        ["upgrade", "--help"],
    ],
    ids=["help", "inspect", "inspect-json", "convert-help", "upgrade-help"],
)
def test_no_framework_imported(argv: list[str]) -> None:
    proc = subprocess.run([sys.executable, "-c", PROBE.format(argv=argv)], capture_output=True, text=True, cwd=ROOT, check=False)
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("HEAVY:")]
    assert line, proc.stderr
    assert line[-1] == "HEAVY:", f"imported {line[-1][6:]}"


def test_module_and_console_script_agree() -> None:
    proc = subprocess.run([sys.executable, "-m", "keras_migrate", "--version"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0
    assert proc.stdout.startswith("keras-migrate ")
