"""IR conveniences for tooling: indexed look-ups, the graph rewriter, typed value sets,
and the interpreter's public entry points."""

from __future__ import annotations

import pickle
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from keras_migrate import ir
from keras_migrate.formats import load
from keras_migrate.ir.graph import (
    Graph,
    GraphBuilder,
    Layer,
    Model,
    Node,
    Provenance,
    TensorType,
    ValueRef,
)
from keras_migrate.ir.interpreter import registered_types, run_graph, run_layer
from keras_migrate.ir.kinds import GENERATIONS, GRAPH_KINDS, OUTPUT_DATA_FORMATS
from keras_migrate.ir.rewrite import INSERTED, Rewriter
from keras_migrate.ir.serialize import load as load_kmir
from keras_migrate.ir.serialize import save as save_kmir
from keras_migrate.ir.validate import problems
from keras_migrate.ir.weights import Weight

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def _shared() -> Graph:
    """x -> d -> d (shared) -> act, with a second reader of d's first output."""
    b = GraphBuilder("g")
    x = b.add_input("x", TensorType((None, 3)))
    b.add_layer(Layer("d", "Dense", {"units": 3}, (Weight.of("kernel", np.eye(3) * 2), Weight.of("bias", np.ones(3)))))
    b.add_layer(Layer("add", "Add"))
    (y,) = b.call("d", (x,))
    (z,) = b.call("d", (y,))
    (s,) = b.call("add", ([y, z],))
    b.input_structure, b.output_structure = "x", [s.name, z.name]
    return b.build()


# --------------------------------------------------------------------------- look-ups


def test_lookups_agree_with_a_scan() -> None:
    graph = load(str(FIXTURES / "keras-2.2.4" / "nested_sequential_in_functional.h5")).graph
    for layer in graph.layers:
        assert graph.layer(layer.name) is layer
        assert graph.has_layer(layer.name)
        assert graph.nodes_of(layer.name) == [n for n in graph.nodes if n.layer == layer.name]
    for node in graph.nodes:
        assert graph.node(node.name) is node
    for value in graph.values:
        assert graph.consumers(value) == [n for n in graph.nodes if value in n.inputs]


def test_lookups_of_a_shared_layer() -> None:
    g = _shared()
    assert [n.name for n in g.nodes_of("d")] == ["d", "d@1"]
    assert [n.name for n in g.consumers("d")] == ["d@1", "add"]  # each reader once, in order
    assert g.consumers("add") == [] and g.nodes_of("nope") == []
    assert g.producer("d@1") == g.node("d@1")
    with pytest.raises(KeyError, match="graph 'g' has no layer 'nope'"):
        g.layer("nope")
    with pytest.raises(KeyError, match="graph 'g' has no node 'nope'"):
        g.node("nope")
    assert not g.has_layer("nope")


def test_index_is_invisible(tmp_path: Path) -> None:
    """The index changes no equality, repr, pickle or .kmir file, and edits rebuild it."""
    used = _shared()
    fresh = replace(used)  # same records, no index yet
    used.layer("d")
    assert fresh == used and repr(fresh) == repr(used)
    assert pickle.loads(pickle.dumps(used)).layer("d").name == "d"
    save_kmir(Model(fresh), tmp_path / "a.kmir")
    save_kmir(Model(used), tmp_path / "b.kmir")
    assert (tmp_path / "a.kmir").read_bytes() == (tmp_path / "b.kmir").read_bytes()
    loaded = load_kmir(tmp_path / "b.kmir").graph
    assert loaded.nodes == fresh.nodes and loaded.layer("d").weight("kernel").numpy().tolist() == np.eye(3).dot(2).tolist()
    renamed = replace(used, layers=(replace(used.layers[0], name="e"), *used.layers[1:]))
    assert renamed.has_layer("e") and not renamed.has_layer("d")


# --------------------------------------------------------------------------- rewriter


def test_replaying_unchanged_gives_an_equal_graph() -> None:
    g = _shared()
    assert Rewriter.rewrite(g, lambda rw, node: False) == g


def test_rewriter_replaces_one_node_by_several() -> None:
    """Put an inserted Identity in front of every call of ``d``: names stay, results too."""
    g = _shared()

    def guard(rw: Rewriter, node: Node) -> bool:
        if node.layer != "d":
            return False
        (src,) = node.inputs
        # a name already taken by a value gets a suffix
        guarded = rw.insert("d" if src == "x" else f"{src}_guard", "Identity", {}, (rw.ref(src),))
        rw.replay(node, args=(guarded,))
        return True

    new = Rewriter.rewrite(g, guard)
    assert [lay.name for lay in new.layers] == ["d_1", "d", "d_guard", "add"]
    assert new.layer("d_1").origin.class_name == INSERTED
    assert [n.name for n in new.nodes] == ["d_1", "d", "d_guard", "d@1", "add"]
    assert new.node("d@1").args == (ValueRef("d_guard"),)
    assert new.node("d").args == (ValueRef("d_1"),)
    assert new.output_structure == ["add", "d@1"]
    assert problems(new) == []
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    for a, b in zip(run_graph(g, x), run_graph(new, x), strict=True):
        np.testing.assert_array_equal(a, b)


def test_rewriter_declares_layers_in_source_order() -> None:
    g = _shared()
    lower = Rewriter.rewrite(g, lambda rw, node: False, declare=lambda lay: lay.with_config(name_hint="x") if lay.name == "add" else lay)
    assert [lay.name for lay in lower.layers] == ["d", "add"]
    assert lower.layer("add").config == {"name_hint": "x"}


def test_rewriter_remaps_nested_arguments_and_outputs() -> None:
    g = _shared()
    rw = Rewriter(g)
    rw.input("x", TensorType((None, 3), "float32"))
    for node in g.nodes:
        rw.replay(node)
    rw.bind("d@1", rw.ref("d"))  # the second output now reads the first call's value
    assert rw.remap(([ValueRef("d@1")], {"k": ValueRef("x")}, 3)) == ([ValueRef("d")], {"k": ValueRef("x")}, 3)
    new = rw.build()
    assert new.output_structure == ["add", "d"]
    assert rw.fresh_name("add") == "add_1" and rw.fresh_name("add") == "add_2"


# --------------------------------------------------------------------------- typed value sets


def test_closed_value_sets() -> None:
    assert GENERATIONS == ("keras1", "keras2", "tf.keras", "keras3")
    assert GRAPH_KINDS == ("functional", "sequential")
    assert OUTPUT_DATA_FORMATS == ("internal", "keep", "channels_last")
    g = _shared()
    found = problems(replace(g, kind="chain"))  # type: ignore[arg-type]
    assert [str(p) for p in found] == ["g: graph kind 'chain' is not one of functional, sequential"]
    bad = Model(g, Provenance(generation="keras4"))
    assert [str(p) for p in problems(bad)] == ["provenance: generation 'keras4' is not one of keras1, keras2, tf.keras, keras3"]
    assert problems(Model(g, Provenance(generation="tf.keras"))) == []


def test_ir_exports() -> None:
    for name in ("Rewriter", "GraphIndex", "ValueStructure", "Generation", "GraphKind", "DataFormat", "OutputDataFormat"):
        assert name in ir.__all__ and hasattr(ir, name)


# --------------------------------------------------------------------------- interpreter API


def test_run_layer_runs_one_kernel() -> None:
    layer = _shared().layer("d")
    x = np.ones((2, 3), dtype=np.float32)
    result = run_layer(layer, (x,))
    np.testing.assert_array_equal(result.outputs, x * 2 + 1)
    assert result.masks is None
    assert "Dense" in registered_types()
