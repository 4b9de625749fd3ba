"""Notebook round trip: code cells rewritten, everything else untouched, still valid."""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from keras_migrate.codemods.notebook import mask, unmask
from tests.codemods.conftest import run_cli


def _notebook(path: Path) -> nbformat.NotebookNode:
    nb = new_notebook(
        cells=[
            new_markdown_cell("# Title\nUses `tf.keras.layers.Dense` in prose."),
            new_code_cell("%matplotlib inline\n!pip install keras==2.2.4\nimport tensorflow as tf"),
            new_code_cell(
                "model = tf.keras.Sequential([tf.keras.layers.Dense(2)])\nmodel.fit?",
                execution_count=3,
                outputs=[new_output("stream", name="stdout", text="fitting\n")],
                metadata={"tags": ["keep-me"]},
            ),
            new_code_cell("%%bash\necho tf.keras.layers.Dense"),
            new_code_cell("files = !ls\nhist = model.fit(x, y, nb_epoch=1)"),
        ],
        metadata={"kernelspec": {"name": "python3", "language": "python", "display_name": "P3"}},
    )
    nbformat.write(nb, path)
    return nb


def test_notebook_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "nb.ipynb"
    before = _notebook(path)
    code, _ = run_cli(str(path), "--write", "--jobs", "1")
    assert code == 0
    after = nbformat.read(path, as_version=nbformat.NO_CONVERT)
    nbformat.validate(after)
    assert after.metadata == before.metadata
    assert after.cells[0] == before.cells[0]  # markdown untouched
    assert after.cells[1].source == "%matplotlib inline\n!pip install keras==2.2.4\nimport keras"
    assert after.cells[2].source == "model = keras.Sequential([keras.layers.Dense(2)])\nmodel.fit?"
    assert after.cells[2].outputs == before.cells[2].outputs
    assert after.cells[2].metadata == before.cells[2].metadata
    assert after.cells[2].execution_count == 3
    assert after.cells[3].source == before.cells[3].source  # cell magic skipped
    assert after.cells[4].source == "files = !ls\nhist = model.fit(x, y, epochs=1)"
    # idempotent
    assert run_cli(str(path), "--check", "--jobs", "1")[0] == 0


def test_notebook_diff_names_cells(tmp_path: Path) -> None:
    path = tmp_path / "nb.ipynb"
    _notebook(path)
    code, out = run_cli(str(path), "--diff", "--jobs", "1")
    assert code == 1
    assert f"a/{path}:cell[2]" in out


def test_no_notebooks_flag(tmp_path: Path) -> None:
    path = tmp_path / "nb.ipynb"
    _notebook(path)
    assert run_cli(str(tmp_path), "--check", "--no-notebooks", "--jobs", "1")[0] == 0


def test_mask_round_trip() -> None:
    source = "  !ls \\\n   -la\nx = 1\n%time y = 2\nz?\n"
    masked = mask(source)
    assert masked is not None
    assert unmask(masked) == source
    assert mask("%%time\nx = 1") is None


#: Cells whose line magics or shell lines sit inside blocks (the only statement of a
#: ``try:`` or ``if`` body, or among others): upgraded, magics kept byte for byte.
MAGIC_CELLS = [
    pytest.param(
        "try:\n    %tensorflow_version 2.x\nexcept Exception:\n    pass\nimport tensorflow as tf\nm = tf.keras.Sequential()",
        "try:\n    %tensorflow_version 2.x\nexcept Exception:\n    pass\nimport keras\nm = keras.Sequential()",
        id="try-only-magic",
    ),
    pytest.param(
        "if IN_COLAB:\n    %pip install keras==2.2.4\nfrom tensorflow.keras.layers import Dense\nd = Dense(3)",
        "if IN_COLAB:\n    %pip install keras==2.2.4\nfrom keras.layers import Dense\nd = Dense(3)",
        id="if-only-pip-magic",
    ),
    pytest.param(
        "if IN_COLAB:\n    !pip install -q h5py \\\n        keras==2.3.1\n    x = 1\nfrom keras.layers import LeakyReLU\nl = LeakyReLU(alpha=0.1)",
        "if IN_COLAB:\n    !pip install -q h5py \\\n        keras==2.3.1\n    x = 1\nfrom keras.layers import LeakyReLU\nl = LeakyReLU(negative_slope=0.1)",
        id="shell-continuation-in-block",
    ),
    pytest.param(
        "import tensorflow as tf\nfor i in range(2):\n    %time h = model.fit(x, y, nb_epoch=1)\n    files = !ls\nm = tf.keras.Model()",
        "import keras\nfor i in range(2):\n    %time h = model.fit(x, y, nb_epoch=1)\n    files = !ls\nm = keras.Model()",
        id="magics-in-loop-body",
    ),
]


def _one_cell(path: Path, source: str) -> None:
    nb = new_notebook(
        cells=[new_code_cell(source)],
        metadata={"kernelspec": {"name": "python3", "language": "python", "display_name": "P"}},
    )
    nbformat.write(nb, path)


@pytest.mark.parametrize(("before", "after"), MAGIC_CELLS)
def test_magics_inside_blocks(tmp_path: Path, before: str, after: str) -> None:
    path = tmp_path / "nb.ipynb"
    _one_cell(path, before)
    assert run_cli(str(path), "--write", "--jobs", "1")[0] == 0
    assert nbformat.read(path, as_version=nbformat.NO_CONVERT).cells[0].source == after
    assert run_cli(str(path), "--check", "--jobs", "1")[0] == 0  # a second run changes nothing


@pytest.mark.parametrize(
    "source",
    [
        "try:\n    %tensorflow_version 2.x\nexcept Exception:\n    pass\n",
        "if c:\n\t!ls \\\n   -la\nx = 1\n",
        "x = (1,\n  2)\n%time y = 2\nz?\n",
        "  !ls\nx = 1\n",  # indented magic at top level: falls back to comments
    ],
)
def test_mask_round_trip_parses(source: str) -> None:
    masked = mask(source)
    assert masked is not None
    ast.parse(masked)
    assert unmask(masked) == source
