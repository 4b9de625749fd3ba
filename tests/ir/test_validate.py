"""The validator reports each structural problem precisely."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from keras_migrate.ir.graph import GraphBuilder, Layer, Model, Node, TensorType, ValueRef
from keras_migrate.ir.validate import IRValidationError, problems, validate
from keras_migrate.ir.weights import Weight


def _model() -> Model:
    b = GraphBuilder("m")
    x = b.add_input("x", TensorType((None, 3)))
    b.add_layer(Layer("d", "Dense", {"units": 2}, (Weight.of("kernel", np.ones((3, 2))), Weight.of("bias", np.zeros(2)))))
    (y,) = b.call("d", (x,))
    b.input_structure, b.output_structure = "x", y.name
    return Model(b.build())


def test_valid_model_has_no_problems() -> None:
    assert problems(_model()) == []


BREAKAGES = [
    ("unknown layer", lambda g: replace(g, nodes=(replace(g.nodes[0], layer="nope"),)), "calls unknown layer 'nope'"),
    ("undeclared value", lambda g: replace(g, nodes=(replace(g.nodes[0], args=(ValueRef("ghost"),)),)), "reads undeclared value 'ghost'"),
    ("missing output", lambda g: replace(g, output_structure="ghost"), "model output is never computed"),
    (
        "wrong weights",
        lambda g: replace(g, layers=(g.layers[0].with_weights(g.layers[0].weights[:1]),)),
        "Dense weights are ['kernel'], expected ['kernel', 'bias']",
    ),
    ("duplicate node", lambda g: replace(g, nodes=(g.nodes[0], Node("d", "d", (ValueRef("x"),), {}, ("d2",)))), "node name is not unique"),
]


@pytest.mark.parametrize(("name", "breaker", "message"), BREAKAGES, ids=[b[0] for b in BREAKAGES])
def test_problems_are_reported(name, breaker, message) -> None:
    m = _model()
    broken = m.with_graph(breaker(m.graph))
    found = [str(p) for p in problems(broken)]
    assert any(message in p for p in found), found
    with pytest.raises(IRValidationError):
        validate(broken)
