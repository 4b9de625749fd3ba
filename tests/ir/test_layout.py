"""The channels-last pass keeps outputs identical and leaves no channels_first computation."""

from __future__ import annotations

import numpy as np
import pytest

from keras_migrate.formats import load
from keras_migrate.ir.passes import prepare_for_output
from keras_migrate.ir.passes.layout import channels_last_io
from tests._arrays import interpret, load_npz
from tests.conversion._fixture_cases import discover

CF_CASES = sorted({(c.generation, c.name) for c in discover(("keras-2.0.8", "keras-2.2.4", "tf-keras-2.21")) if c.meta.get("channels_first")})


def _arrays(gen: str, name: str):
    from tests.conversion._fixture_cases import FIXTURES

    return load_npz(FIXTURES / gen / f"{name}.npz")


def _run(model, ins):
    return interpret(model.graph, ins)


def _cf_layers(model) -> list[str]:
    return [p for p, lay in model.graph.walk_layers() if lay.config.get("data_format") == "channels_first" and not lay.type.startswith("keras_migrate>")]


def test_there_are_channels_first_fixtures() -> None:
    assert len(CF_CASES) >= 5


@pytest.mark.parametrize(("gen", "name"), CF_CASES, ids=[f"{g}/{n}" for g, n in CF_CASES])
def test_internal_channels_last_keeps_io_and_outputs(gen: str, name: str) -> None:
    from tests.conversion._fixture_cases import FIXTURES

    model = load(str(FIXTURES / gen / f"{name}.h5"))
    assert _cf_layers(model)
    new = prepare_for_output(model)
    assert _cf_layers(new) == []
    assert [new.graph.values[n].type.shape for n in new.graph.inputs] == [model.graph.values[n].type.shape for n in model.graph.inputs]
    ins, outs = _arrays(gen, name)
    for got, want in zip(_run(new, ins), outs):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(("gen", "name"), CF_CASES, ids=[f"{g}/{n}" for g, n in CF_CASES])
def test_channels_last_io_after_documented_transpose(gen: str, name: str) -> None:
    from tests.conversion._fixture_cases import FIXTURES

    model = load(str(FIXTURES / gen / f"{name}.h5"))
    new = prepare_for_output(model, data_format="channels_last")
    notes = " ".join(new.provenance.notes)
    ins, outs = _arrays(gen, name)

    def to_last(x: np.ndarray) -> np.ndarray:
        return x.transpose(0, *range(2, x.ndim), 1)

    moved = [to_last(x) if f"input {n!r} is now channels_last" in notes else x for n, x in zip(model.graph.inputs, ins)]
    for n, got, want in zip(model.graph.outputs, _run(new, moved), outs):
        if f"output {n!r} is now channels_last" in notes:
            want = to_last(want)
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    # The structured record verification uses says the same as the notes.
    layout = channels_last_io(model.graph)
    assert layout.changed
    for x, m, n in zip(ins, moved, model.graph.inputs):
        if n in layout.inputs:
            np.testing.assert_array_equal(np.transpose(x, layout.inputs[n]), m)
        else:
            assert m is x
    for n, perm in zip(model.graph.outputs, layout.outputs):
        assert (perm is not None) == (f"output {n!r} is now channels_last" in notes)


def test_keep_data_format_changes_nothing() -> None:
    from tests.conversion._fixture_cases import FIXTURES

    model = load(str(FIXTURES / "keras-2.2.4" / "conv2d_channels_first.h5"))
    assert prepare_for_output(model, data_format="keep").graph is model.graph


def test_dense_after_flatten_gets_rows_permuted_not_a_transpose() -> None:
    from tests.conversion._fixture_cases import FIXTURES

    model = load(str(FIXTURES / "keras-2.2.4" / "conv2d_channels_first.h5"))
    new = prepare_for_output(model)
    g = new.graph
    flatten = g.nodes_of("flatten_1")[0]
    producer = g.producer(flatten.inputs[0])
    assert producer is not None and g.layer(producer.layer).type == "Conv2D"  # no transpose before Flatten
    kernel = g.layer("dense_1").weight("kernel")
    assert any(type(t).__name__ == "Take" for t in kernel.transforms)
