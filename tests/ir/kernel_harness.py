"""Test harness: run a Keras 3 layer/model and the numpy interpreter side by side.

Keras objects are turned into IR the way readers will: ``layer.get_config()`` (minus
name/trainable/dtype) and Keras 3 variable names, with wrapper prefixes
(``forward_layer/``, ``cells/<i>/``). Weights are randomized first (positive variances)
so a kernel that ignores a weight cannot pass by accident.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from keras_migrate.ir.graph import Graph, GraphBuilder, Layer, TensorType, ValueRef  # noqa: E402
from keras_migrate.ir.interpreter import run_graph  # noqa: E402
from keras_migrate.ir.weights import Weight  # noqa: E402
from keras_migrate.verification import ATOL, RTOL  # noqa: E402

__all__ = [
    "assert_close",
    "check_layer",
    "check_model",
    "graph_from_keras",
    "ir_layer",
    "rand",
    "randomize",
]

_DROP = ("name", "trainable", "dtype")


def rand(shape: tuple[int, ...], seed: int = 0, scale: float = 1.0) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(np.float32)


def randomize(obj: Any, seed: int = 1) -> None:
    """Give every variable of a layer/model random values (variances stay positive)."""
    rng = np.random.default_rng(seed)
    for v in obj.weights:
        shape = tuple(v.shape)
        if "variance" in v.name:
            value = rng.uniform(0.5, 1.5, shape)
        else:
            value = rng.standard_normal(shape) * 0.5
        v.assign(value.astype(v.dtype))


def _weight_names(layer: Any) -> list[tuple[str, Any]]:
    """(IR name, variable) pairs following the IR's naming of wrapper weights."""
    cls = type(layer).__name__
    if cls == "Bidirectional":
        return [(f"forward_layer/{n}", v) for n, v in _weight_names(layer.forward_layer)] + [
            (f"backward_layer/{n}", v) for n, v in _weight_names(layer.backward_layer)
        ]
    if cls == "TimeDistributed":
        return _weight_names(layer.layer)
    if cls == "RNN" and type(layer.cell).__name__ == "StackedRNNCells":
        return [
            (f"cells/{i}/{n}", v) for i, cell in enumerate(layer.cell.cells) for n, v in _weight_names(cell)
        ]
    return [(v.name, v) for v in layer.weights]


def ir_layer(layer: Any, name: str | None = None) -> Layer:
    """The IR record a reader would produce for a built Keras 3 layer (or nested model)."""
    cls = type(layer).__name__
    if cls in ("Functional", "Sequential"):
        return Layer(name=name or layer.name, type=cls, subgraph=graph_from_keras(layer))
    config = {k: v for k, v in layer.get_config().items() if k not in _DROP}
    weights = tuple(Weight.of(n, np.asarray(v.numpy())) for n, v in _weight_names(layer))
    return Layer(name=name or layer.name, type=cls, config=config, weights=weights)


def graph_from_keras(model: Any) -> Graph:
    """Translate a built Keras 3 functional/sequential model into an IR graph."""
    if type(model).__name__ == "Sequential":
        model = model._functional
    builder = GraphBuilder(model.name)
    names: dict[int, str] = {}
    for i, t in enumerate(model.inputs):
        names[id(t)] = builder.add_input(f"input_{i}", TensorType(tuple(t.shape), str(t.dtype))).name

    def refs(x: Any) -> Any:
        if isinstance(x, (list, tuple)):
            return type(x)(refs(v) for v in x)
        if isinstance(x, dict):
            return {k: refs(v) for k, v in x.items()}
        if isinstance(x, keras.KerasTensor):
            return ValueRef(names[id(x)])
        return x

    # Keras 3 records mask computations (e.g. Embedding's ``not_equal``) as op nodes and
    # passes their result as ``mask=``; legacy models have neither, so both are dropped
    # here and the interpreter's own mask propagation is what gets tested.
    op_outputs: set[int] = set()

    def uses_op_output(x: Any) -> bool:
        if isinstance(x, (list, tuple)):
            return any(uses_op_output(v) for v in x)
        return id(x) in op_outputs

    for depth in sorted(model._nodes_by_depth, reverse=True):
        for node in model._nodes_by_depth[depth]:
            if node.is_input or not node.operation:
                continue
            op = node.operation
            if not isinstance(op, keras.layers.Layer):
                op_outputs.update(id(t) for t in node.outputs)
                continue
            kwargs = {k: v for k, v in node.arguments.kwargs.items() if not uses_op_output(v)}
            assert set(node.arguments.kwargs) - set(kwargs) <= {"mask"}, "only masks may come from ops"
            if not builder.has_layer(op.name):
                builder.add_layer(ir_layer(op))
            outs = builder.call(op.name, refs(tuple(node.arguments.args)), refs(kwargs), num_outputs=len(node.outputs))
            for t, r in zip(node.outputs, outs, strict=True):
                names[id(t)] = r.name
    flat_out = [names[id(t)] for t in model.outputs]
    builder.input_structure = [names[id(t)] for t in model.inputs] if len(model.inputs) > 1 else names[id(model.inputs[0])]
    builder.output_structure = flat_out if isinstance(model.output, (list, tuple)) else flat_out[0]
    return builder.build()


def _as_list(x: Any) -> list[np.ndarray]:
    """Flatten nested outputs (stacked RNN cells return per-cell state lists)."""
    if isinstance(x, (list, tuple)):
        return [leaf for v in x for leaf in _as_list(v)]
    return [np.asarray(x)]


def assert_close(expected: Any, actual: Any) -> None:
    exp, act = _as_list(expected), _as_list(actual)
    assert len(exp) == len(act), f"{len(exp)} outputs expected, got {len(act)}"
    for e, a in zip(exp, act, strict=True):
        assert e.shape == a.shape, f"shape {a.shape} != keras {e.shape}"
        np.testing.assert_allclose(a, e, rtol=RTOL, atol=ATOL)


def check_layer(
    class_name: str | Any,
    config: dict[str, Any],
    inputs: Any,
    *,
    call_kwargs: dict[str, Any] | None = None,
    seed: int = 1,
) -> Any:
    """Deserialize a Keras layer, call it, and compare with a one-node IR graph.

    ``class_name`` may also be a ready layer instance (``config`` is then ignored), for
    layers whose config nests objects (RNN cells). ``inputs`` is one array or a list
    (merge layers take the list as one argument). ``call_kwargs`` may hold arrays
    (``initial_state``, ``mask``); they become graph inputs.
    """
    if isinstance(class_name, str):
        layer = getattr(keras.layers, class_name).from_config(dict(config))
    else:
        layer = class_name
    call_kwargs = dict(call_kwargs or {})
    layer(inputs, **call_kwargs)  # build
    randomize(layer, seed)
    if getattr(layer, "stateful", False):
        layer.reset_state()  # the build call above advanced the state
    expected = layer(inputs, **call_kwargs)
    expected = _as_list(expected) if isinstance(expected, (list, tuple)) else np.asarray(expected)

    builder = GraphBuilder("one_node")
    feed: list[np.ndarray] = []

    def add(x: Any) -> Any:
        if isinstance(x, (list, tuple)):
            return [add(v) for v in x]
        if isinstance(x, np.ndarray):
            ref = builder.add_input(f"in_{len(feed)}", TensorType(x.shape, str(x.dtype)))
            feed.append(x)
            return ref
        return x

    arg = add(inputs)
    kwargs = {k: add(v) for k, v in call_kwargs.items()}
    ir = ir_layer(layer, "layer")
    builder.add_layer(ir)
    n_out = len(expected) if isinstance(expected, list) else 1
    outs = builder.call("layer", (arg,), kwargs, num_outputs=n_out)
    builder.input_structure = [f"in_{i}" for i in range(len(feed))]
    builder.output_structure = [o.name for o in outs] if n_out > 1 else outs[0].name
    actual = run_graph(builder.build(), feed)
    assert_close(expected, actual)
    return actual


def check_model(model: Any, inputs: Any, *, seed: int = 1) -> Any:
    """Compare a whole Keras model with the IR graph translated from it."""
    randomize(model, seed)
    expected = model(inputs)
    actual = run_graph(graph_from_keras(model), inputs)
    assert_close(expected, actual)
    return actual
