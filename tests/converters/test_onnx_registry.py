"""The ONNX lowering registry loads lowering modules lazily from one table: the table must
say exactly which module registers each layer type, and a conversion must import only the
lowering modules its layer types need."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from keras_migrate.converters.onnx import registry

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "keras_migrate.converters.onnx"


def _registered_by() -> dict[str, set[str]]:
    """Each registered layer type -> the modules that define its lowerings (all loaded)."""
    registry.load_all()
    return {t: {e.fn.__module__.rsplit(".", 1)[1] for e in entries} for t, entries in registry._REGISTRY.items() if entries}


def test_every_registered_type_is_in_the_table_under_its_module() -> None:
    wrong = {t: (mods, registry.lowering_module(t)) for t, mods in _registered_by().items() if mods != {registry.lowering_module(t)}}
    assert not wrong, f"registry.LOWERING_MODULES disagrees with the modules (type: (defined in, table says)): {wrong}"


def test_every_table_entry_is_registered() -> None:
    registered = _registered_by()
    missing = [t for types in registry.LOWERING_MODULES.values() for t in types if t not in registered]
    assert not missing, f"registry.LOWERING_MODULES lists types no module registers: {missing}"


def test_table_lists_each_type_once() -> None:
    types = [t for ts in registry.LOWERING_MODULES.values() for t in ts]
    assert len(types) == len(set(types))


@pytest.mark.parametrize(
    ("probe_type", "module", "absent"),
    [
        ("Conv2D", "conv", ("recurrent", "keras3_ops", "compat", "attention")),
        ("LSTM", "recurrent", ("keras3_ops", "compat", "attention", "augment")),
        ("keras.ops>Add", "keras3_ops", ("recurrent", "attention", "augment")),
    ],
)
def test_lookup_imports_only_the_module_needed(probe_type: str, module: str, absent: tuple[str, ...]) -> None:
    probe = (
        "import sys\n"
        f"from {PACKAGE} import registry\n"
        f"assert registry.find_lowering({probe_type!r}, registry.DEFAULT_OPSET) is not None\n"
        f"print('LOADED', ' '.join(m.rsplit('.', 1)[1] for m in sys.modules if m.startswith('{PACKAGE}.')))\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=False)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("LOADED")]
    assert proc.returncode == 0 and lines, proc.stderr
    loaded = set(lines[0].split()[1:])
    assert module in loaded
    assert not loaded & set(absent), loaded & set(absent)


def test_unknown_type_has_no_module_and_no_lowering() -> None:
    assert registry.lowering_module("NoSuchLayer") is None
    assert registry.find_lowering("NoSuchLayer", registry.DEFAULT_OPSET) is None


def test_same_padding_agrees_with_the_interpreter() -> None:
    """The ONNX lowering's copy of the ``same`` padding rule (it avoids importing every
    interpreter kernel) is the interpreter's, on a grid of sizes, kernels, strides, dilations."""
    from keras_migrate.converters.onnx.conv import same_padding
    from keras_migrate.ir.interpreter.kernels.conv import same_padding as oracle

    grid = [(n, k, s, d) for n in range(1, 12) for k in range(1, 6) for s in range(1, 4) for d in range(1, 3)]
    assert all(same_padding(*g) == oracle(*g) for g in grid)


def test_producer_version_is_the_distribution_metadata_version() -> None:
    from importlib.metadata import PackageNotFoundError, version

    from keras_migrate.converters.onnx.writer import producer_version

    try:
        expected = version("keras-migrate")
    except PackageNotFoundError:
        expected = ""
    assert producer_version() == expected


@pytest.mark.parametrize(
    ("shape", "axes"),
    [
        ((3, 3, 256, 256), (3, 2, 0, 1)),  # Conv2D kernel HWIO -> OIHW
        ((1, 1, 1024, 200), (3, 2, 0, 1)),  # 1x1 kernel, a size that is no multiple of the tile
        ((5, 130, 70), (2, 1, 0)),  # Conv1D
        ((3, 3, 3, 40, 33), (4, 3, 0, 1, 2)),  # Conv3D
        ((300, 70), (1, 0)),  # a plain matrix transpose
        ((4, 4, 20, 1), (2, 3, 0, 1)),  # depthwise: the output's inner axis is small
        ((70, 3, 80), (0, 2, 1)),  # source-innermost axis is already the output's inner one
    ],
)
def test_tiled_relayout_copy_equals_numpys(shape: tuple[int, ...], axes: tuple[int, ...]) -> None:
    """The tiled copy of a re-laid-out weight (lazy._contiguous) has numpy's bytes, also
    into a reused buffer and in the row blocks the writer streams."""
    import numpy as np

    from keras_migrate.converters.onnx.lazy import _contiguous

    src = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    view = src.transpose(axes)
    expected = np.ascontiguousarray(view)
    got = _contiguous(view)
    assert got.flags.c_contiguous and got.tobytes() == expected.tobytes()
    buffer = np.full(view.shape, -1, np.float32)
    assert _contiguous(view[:7], out=buffer[:7]).tobytes() == expected[:7].tobytes()
