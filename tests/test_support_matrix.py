"""The README's support matrix is rendered from code and covers every class the readers accept."""

from __future__ import annotations

from keras_migrate.formats.ruleset import supported_classes
from keras_migrate.support import IR_TYPES, LAYERS, render_markdown
from tests.conftest import ROOT


def test_every_translated_class_has_a_row() -> None:
    listed = {c for classes, formats, _ in LAYERS.values() if "keras2" in formats for c in classes}
    models = {"Sequential", "Model", "Functional"}
    assert supported_classes() == listed - models


def test_readme_table_matches_code() -> None:
    readme = (ROOT / "README.md").read_text()
    assert render_markdown() in readme, "README support matrix is stale: run python -m keras_migrate.support"


def test_ir_types_name_existing_rows() -> None:
    """An IR_TYPES key that drifted from its row's label would silently fall back to the
    legacy class names in the ONNX column."""
    assert set(IR_TYPES) <= set(LAYERS), sorted(set(IR_TYPES) - set(LAYERS))
