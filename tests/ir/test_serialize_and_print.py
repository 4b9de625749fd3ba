"""The .kmir serialization round-trips exactly; the printer's text form is stable."""

from __future__ import annotations

import json

import numpy as np
import pytest

from keras_migrate.formats import load
from keras_migrate.ir import serialize
from keras_migrate.ir.graph import flatten_structure
from keras_migrate.ir.interpreter import run_graph
from keras_migrate.ir.printer import format_model
from tests._arrays import load_npz
from tests.conftest import FIXTURES, ROOT

ROUND_TRIP = [
    "keras-2.2.4/shared_dense",
    "keras-2.2.4/nested_functional_in_functional",
    "keras-2.2.4/bidirectional_merge_modes",
    "keras-2.0.8/stacked_lstm_sequential",
    "tf-keras-2.21/dict_io",
    "keras-2.2.4/conv2d_channels_first",
]


def _outputs(model, ins):
    out = run_graph(model.graph, ins)
    return flatten_structure(out) if not isinstance(out, np.ndarray) else [out]


@pytest.mark.parametrize("case", ROUND_TRIP)
def test_kmir_round_trip_is_exact(case: str, tmp_path) -> None:
    model = load(str(FIXTURES / f"{case}.h5"))
    path = tmp_path / "m.kmir"
    serialize.save(model, str(path))
    back = serialize.load(str(path))
    a = serialize.to_dict(model, weight_refs=False)
    b = serialize.to_dict(back, weight_refs=False)
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    assert back.provenance == model.provenance
    for (ka, wa), (kb, wb) in zip(model.iter_weights(), back.iter_weights()):
        assert ka == kb
        np.testing.assert_array_equal(wa.numpy(), wb.numpy())
    ins, _ = load_npz(FIXTURES / f"{case}.npz")
    for x, y in zip(_outputs(model, ins), _outputs(back, ins)):
        np.testing.assert_array_equal(x, y)


def test_unknown_schema_version_is_refused(tmp_path) -> None:
    model = load(str(FIXTURES / "keras-2.2.4/shared_dense.h5"))
    doc = serialize.to_dict(model, weight_refs=False)
    doc["version"] = 999
    with pytest.raises(Exception, match="schema version 999"):
        serialize.from_dict(doc)


GOLDEN = ["keras-2.2.4/shared_dense", "keras-2.2.4/nested_sequential_in_functional"]


@pytest.mark.parametrize("case", GOLDEN)
def test_printer_golden(case: str) -> None:
    text = format_model(load(str(FIXTURES / f"{case}.h5")))
    text = text.replace(str(FIXTURES), "<fixtures>").replace(str(ROOT), "<root>")
    golden = ROOT / "tests" / "ir" / "golden" / (case.replace("/", "__") + ".txt")
    if not golden.exists():  # first run writes the golden file for review
        golden.write_text(text + "\n")
    assert text + "\n" == golden.read_text()
