"""Notebook round trip: code cells rewritten, everything else untouched, still valid."""

from __future__ import annotations

from pathlib import Path

import nbformat
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
