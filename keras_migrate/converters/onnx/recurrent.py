"""Recurrent layers: SimpleRNN, LSTM, GRU, ConvLSTM1D/2D/3D and generic ``RNN`` (cells,
``StackedRNNCells``), lowered to one ONNX ``Scan`` whose body is the Keras cell.

ONNX's own LSTM/GRU/RNN ops cannot express everything Keras does (arbitrary masks that
hold the state at masked steps, the legacy hard sigmoid inside stacked cells, ConvLSTM,
stacked cells), so every recurrent layer uses the same lowering, with the interpreter's
(Keras 3's) semantics:

* the input projection (``x @ kernel + bias``, or the input convolution) is hoisted out of
  the loop and computed for every step at once; the Scan body does the recurrent part;
* gates follow Keras' order (LSTM ``i f c o``, GRU ``z r h``; GRU ``reset_after`` applies the
  reset gate after the recurrent matmul, with its own recurrent bias row);
* a masked step keeps the previous states and outputs the previous output state (or zeros
  with ``zero_output_for_mask``; the previous *output* when ``unroll``), as Keras does;
* ``go_backwards`` scans in reverse and returns the sequence in processing order;
* the sequence length may be dynamic (Scan iterates over whatever length arrives).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from keras_migrate.converters.onnx.activations import activation
from keras_migrate.converters.onnx.builder import Builder
from keras_migrate.converters.onnx.conv import int_tuple, spatial_pads
from keras_migrate.converters.onnx.emit import flat_tensors
from keras_migrate.converters.onnx.registry import Call, lowering
from keras_migrate.converters.onnx.tensors import Tensor, TensorAttr

__all__ = ["CellLowering", "make_cell", "run_rnn"]

WeightFn = Callable[..., str]


def _ident(b: Builder, x: str) -> str:
    return x


@dataclass
class CellLowering:
    """A Keras cell reduced to what the Scan needs (all builders passed in, no state kept)."""

    #: (B, T, ...) input -> per-step features (outer graph).
    prepare: Callable[[Builder, str], str]
    #: (body builder, step features, states) -> (output, new states).
    step: Callable[[Builder, str, list[str]], tuple[str, list[str]]]
    #: Zero initial states from the prepared features (outer graph).
    zeros: Callable[[Builder, str], list[str]]
    n_states: int = 1
    output_state: int = 0
    #: Rank of every state (and of the step output).
    state_rank: int = 2
    seq_to_keras: Callable[[Builder, str], str] = field(default=_ident)
    state_to_keras: Callable[[Builder, str], str] = field(default=_ident)
    state_from_keras: Callable[[Builder, str], str] = field(default=_ident)


def _dense_zeros(units: int, n: int) -> Callable[[Builder, str], list[str]]:
    def zeros(b: Builder, feats: str) -> list[str]:
        shape = b.concat([b.shape(feats, 0, 1), b.ints([units])], 0)
        z = b.op("ConstantOfShape", [shape], value=_zero_value())
        return [z] * n

    return zeros


def _zero_value() -> TensorAttr:
    return TensorAttr(np.zeros((1,), dtype=np.float32))


def _bias(config: Mapping[str, Any], has: Callable[[str], bool]) -> bool:
    return bool(config.get("use_bias", True)) and has("bias")


def _dense_prepare(w: WeightFn, use_bias: bool, bias_tag: str = "", bias_fn: Any = None) -> Callable[[Builder, str], str]:
    def prepare(b: Builder, x: str) -> str:
        y = b.op("MatMul", [x, w("kernel")])
        if use_bias:
            y = b.op("Add", [y, w("bias", bias_fn, bias_tag) if bias_fn is not None else w("bias")])
        return str(y)

    return prepare


def _simple_rnn(config: Mapping[str, Any], w: WeightFn, has: Callable[[str], bool], units: int) -> CellLowering:
    act = config.get("activation", "tanh")

    def step(b: Builder, feat: str, states: list[str]) -> tuple[str, list[str]]:
        h = activation(b, b.op("Add", [feat, b.op("MatMul", [states[0], w("recurrent_kernel")])]), act)
        return h, [h]

    return CellLowering(_dense_prepare(w, _bias(config, has)), step, _dense_zeros(units, 1))


def _lstm(config: Mapping[str, Any], w: WeightFn, has: Callable[[str], bool], units: int) -> CellLowering:
    act = config.get("activation", "tanh")
    rec_act = config.get("recurrent_activation", "sigmoid")

    def step(b: Builder, feat: str, states: list[str]) -> tuple[str, list[str]]:
        h_prev, c_prev = states
        z = b.op("Add", [feat, b.op("MatMul", [h_prev, w("recurrent_kernel")])])
        zi, zf, zc, zo = b.split(z, [units] * 4, -1)
        i, f, o = (activation(b, g, rec_act) for g in (zi, zf, zo))
        c = b.op("Add", [b.op("Mul", [f, c_prev]), b.op("Mul", [i, activation(b, zc, act)])])
        h = b.op("Mul", [o, activation(b, c, act)])
        return h, [h, c]

    return CellLowering(_dense_prepare(w, _bias(config, has)), step, _dense_zeros(units, 2), n_states=2)


def _gru(config: Mapping[str, Any], w: WeightFn, has: Callable[[str], bool], units: int) -> CellLowering:
    act = config.get("activation", "tanh")
    rec_act = config.get("recurrent_activation", "sigmoid")
    reset_after = bool(config.get("reset_after", True))
    use_bias = _bias(config, has)

    if use_bias and reset_after:
        prepare = _dense_prepare(w, True, "input", lambda a: a[0])
    else:
        prepare = _dense_prepare(w, use_bias, "flat", lambda a: a.reshape(-1))

    def step(b: Builder, feat: str, states: list[str]) -> tuple[str, list[str]]:
        h_prev = states[0]
        x_z, x_r, x_h = b.split(feat, [units] * 3, -1)
        if reset_after:
            inner = b.op("MatMul", [h_prev, w("recurrent_kernel")])
            if use_bias:
                inner = b.op("Add", [inner, w("bias", lambda a: a[1], "recurrent")])
            r_z, r_r, r_h = b.split(inner, [units] * 3, -1)
        else:
            inner = b.op("MatMul", [h_prev, w("recurrent_kernel", lambda a: a[:, : 2 * units], "zr")])
            r_z, r_r = b.split(inner, [units] * 2, -1)
        z = activation(b, b.op("Add", [x_z, r_z]), rec_act)
        r = activation(b, b.op("Add", [x_r, r_r]), rec_act)
        if reset_after:
            rec_h = b.op("Mul", [r, r_h])
        else:
            rec_h = b.op("MatMul", [b.op("Mul", [r, h_prev]), w("recurrent_kernel", lambda a: a[:, 2 * units :], "h")])
        hh = activation(b, b.op("Add", [x_h, rec_h]), act)
        # h = z * h_prev + (1 - z) * hh
        h = b.op("Add", [b.op("Mul", [z, h_prev]), b.op("Mul", [b.op("Sub", [b.scalar(1.0), z]), hh])])
        return h, [h]

    return CellLowering(prepare, step, _dense_zeros(units, 1))


def _conv_lstm(config: Mapping[str, Any], w: WeightFn, has: Callable[[str], bool], rank: int, kernel_shape: tuple[int, ...], in_type: Any) -> CellLowering:
    """Gates are convolutions (input conv with the layer's geometry, recurrent conv ``same``,
    stride 1), computed channels-first inside; states and outputs converted at the edges."""
    act = config.get("activation", "tanh")
    rec_act = config.get("recurrent_activation", "sigmoid")
    strides = int_tuple(config.get("strides", 1), rank)
    dilation = int_tuple(config.get("dilation_rate", 1), rank)
    padding = str(config.get("padding", "valid")).lower()
    ksize = kernel_shape[:rank]
    filters = int(kernel_shape[-1]) // 4
    first = config.get("data_format") == "channels_first"
    shape = tuple(in_type.shape) if in_type is not None else (None,) * (rank + 3)
    spatial = shape[3:] if first else shape[2:-1]
    channels = shape[2] if first else shape[-1]
    if channels is None or any(s is None for s in spatial):
        raise ValueError("ConvLSTM over an input of unknown size")
    pads = spatial_pads(spatial, ksize, strides, dilation, padding)

    def oihw(a: np.ndarray) -> np.ndarray:
        return np.transpose(a, (rank + 1, rank, *range(rank)))

    # recurrent conv: stride 1, 'same' -> total k - 1 split with the extra at the end
    rec_pads = [((k - 1) // 2, (k - 1) - (k - 1) // 2) for k in ksize]
    rec_attr = [p[0] for p in rec_pads] + [p[1] for p in rec_pads]
    use_bias = _bias(config, has)

    def prepare(b: Builder, x: str) -> str:
        xs = x if first else b.transpose(x, [0, 1, rank + 2, *range(2, rank + 2)])
        flat = b.op("Reshape", [xs, b.ints([-1, int(channels), *(int(s) for s in spatial)])])  # type: ignore[arg-type]
        ins = [flat, w("kernel", oihw, "oihw")] + ([w("bias")] if use_bias else [])
        y = b.op("Conv", ins, kernel_shape=list(ksize), strides=list(strides), dilations=list(dilation), **pads)
        return b.reshape_dynamic(y, [b.shape(x, 0, 1), [-1], b.shape(y, 1)])

    def step(b: Builder, feat: str, states: list[str]) -> tuple[str, list[str]]:
        h_prev, c_prev = states
        rec = b.op("Conv", [h_prev, w("recurrent_kernel", oihw, "oihw")], kernel_shape=list(ksize), pads=rec_attr)
        z = b.op("Add", [feat, rec])
        zi, zf, zc, zo = b.split(z, [filters] * 4, 1)
        i, f, o = (activation(b, g, rec_act) for g in (zi, zf, zo))
        c = b.op("Add", [b.op("Mul", [f, c_prev]), b.op("Mul", [i, activation(b, zc, act)])])
        h = b.op("Mul", [o, activation(b, c, act)])
        return h, [h, c]

    def zeros(b: Builder, feats: str) -> list[str]:
        shape = b.concat([b.shape(feats, 0, 1), b.ints([filters]), b.shape(feats, 3)], 0)
        z = b.op("ConstantOfShape", [shape], value=_zero_value())
        return [z, z]

    def seq_to_keras(b: Builder, s: str) -> str:
        return s if first else b.transpose(s, [0, 1, *range(3, rank + 3), 2])

    def state_to_keras(b: Builder, s: str) -> str:
        return s if first else b.transpose(s, [0, *range(2, rank + 2), 1])

    def state_from_keras(b: Builder, s: str) -> str:
        return s if first else b.transpose(s, [0, rank + 1, *range(1, rank + 1)])

    return CellLowering(
        prepare, step, zeros, n_states=2, state_rank=rank + 2,
        seq_to_keras=seq_to_keras, state_to_keras=state_to_keras, state_from_keras=state_from_keras,
    )  # fmt: skip


def _stacked(cells: list[CellLowering]) -> CellLowering:
    offsets = [0]
    for cell in cells:
        offsets.append(offsets[-1] + cell.n_states)

    def step(b: Builder, feat: str, states: list[str]) -> tuple[str, list[str]]:
        new: list[str] = []
        out = feat
        for i, cell in enumerate(cells):
            if i > 0:
                out = cell.prepare(b, out)
            out, s = cell.step(b, out, states[offsets[i] : offsets[i + 1]])
            new.extend(s)
        return out, new

    def zeros(b: Builder, feats: str) -> list[str]:
        return [z for cell in cells for z in cell.zeros(b, feats)]

    return CellLowering(cells[0].prepare, step, zeros, n_states=offsets[-1], output_state=offsets[-2])


_DENSE = {
    "SimpleRNNCell": _simple_rnn, "SimpleRNN": _simple_rnn, "LSTMCell": _lstm, "LSTM": _lstm,
    "GRUCell": _gru, "GRU": _gru,
}  # fmt: skip


def make_cell(c: Call, class_name: str, config: Mapping[str, Any], prefix: str = "") -> CellLowering:
    """The cell of a Keras 3 class (layer or cell) whose weights are ``prefix + name``."""

    def w(name: str, transform: Any = None, tag: str = "") -> str:
        return c.weight(prefix + name, transform, tag)

    def has(name: str) -> bool:
        return c.has_weight(prefix + name)

    if class_name == "StackedRNNCells":
        specs = list(config.get("cells", []))
        if not specs:
            raise c.unsupported("StackedRNNCells without cells")
        return _stacked(
            [make_cell(c, s["class_name"], s.get("config", {}), f"{prefix}cells/{i}/") for i, s in enumerate(specs)]
        )
    if class_name in _DENSE:
        units = int(c.layer.weight(prefix + "recurrent_kernel").shape[0])
        return _DENSE[class_name](config, w, has, units)
    if class_name in ("ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"):
        rank = int(class_name[-2])
        try:
            return _conv_lstm(config, w, has, rank, tuple(c.layer.weight(prefix + "kernel").shape), c.x.type)
        except ValueError as exc:
            raise c.unsupported(str(exc)) from None
    raise c.unsupported(f"RNN cell {class_name!r} has no ONNX lowering")


def run_rnn(
    c: Call,
    cell: CellLowering,
    x: str,
    initial: list[str] | None,
    mask: str | None,
    *,
    go_backwards: bool = False,
    zero_output_for_mask: bool = False,
    unroll: bool = False,
    return_sequences: bool = False,
) -> tuple[str, list[str]]:
    """Scan ``cell`` over ``x``; returns (output in Keras layout, final states in Keras layout)."""
    b = c.b
    feats = cell.prepare(b, x)
    states0 = [cell.state_from_keras(b, s) for s in initial] if initial else cell.zeros(b, feats)
    if len(states0) != cell.n_states:
        raise c.unsupported(f"expected {cell.n_states} initial states, got {len(states0)}")
    carry_prev = mask is not None and unroll
    body = b.child(f"{b.scope}/loop")
    state_in = [body.fresh(f"{body.scope}/state_{i}") for i in range(cell.n_states)]
    prev_in = body.fresh(f"{body.scope}/prev_output") if carry_prev else None
    feat_in = body.fresh(f"{body.scope}/step_input")
    mask_in = body.fresh(f"{body.scope}/step_mask") if mask is not None else None
    # ranks only (some runtimes want them on Scan bodies); sizes stay dynamic
    unknown: tuple[int | str | None, ...] = (None,) * cell.state_rank
    for name in [*state_in, *([prev_in] if prev_in else []), feat_in]:
        body.inputs.append((name, "float32", unknown))
    if mask_in is not None:
        body.inputs.append((mask_in, "bool", (None,)))

    out, new_states = cell.step(body, feat_in, list(state_in))
    if mask_in is not None:
        k = body.unsqueeze(mask_in, list(range(1, cell.state_rank)))
        if prev_in is not None:
            prev = prev_in
        elif zero_output_for_mask:
            prev = body.op("ConstantOfShape", [body.shape(out)], value=_zero_value())
        else:
            prev = state_in[cell.output_state]
        out = body.op("Where", [k, out, prev])
        new_states = [body.op("Where", [k, n, s]) for n, s in zip(new_states, state_in)]
    outs = [body.op("Identity", [s]) for s in new_states]
    if prev_in is not None:
        outs.append(body.op("Identity", [out]))
    outs.append(body.op("Identity", [out]))
    body.outputs = [(o, "float32", unknown) for o in outs]

    scan_inputs = [feats]
    if mask is not None:
        scan_inputs.append(mask)
    init = list(states0)
    if carry_prev:
        init.append(b.op("ConstantOfShape", [b.shape(states0[cell.output_state])], value=_zero_value()))
    direction = 1 if go_backwards else 0
    results = b.op(
        "Scan", [*init, *scan_inputs], len(init) + 1, hint="Scan",
        body=body, num_scan_inputs=len(scan_inputs),
        scan_input_axes=[1] * len(scan_inputs), scan_input_directions=[direction] * len(scan_inputs),
        scan_output_axes=[1],
    )  # fmt: skip
    finals, seq = list(results[: cell.n_states]), results[-1]
    if return_sequences:
        output = cell.seq_to_keras(b, seq)
    else:
        last = b.op("Gather", [seq, b.const(np.asarray(-1, dtype=np.int64), "last_index")], axis=1)
        output = cell.state_to_keras(b, last)
    return output, [cell.state_to_keras(b, s) for s in finals]


def layer_cell(c: Call) -> CellLowering:
    layer = c.layer
    if layer.type == "RNN":
        spec = layer.config.get("cell")
        if not isinstance(spec, Mapping):
            raise c.unsupported("RNN layer without a serialized cell")
        return make_cell(c, str(spec.get("class_name")), spec.get("config", {}))
    return make_cell(c, layer.type, layer.config)


def lower_rnn(c: Call, mask: str | None) -> list[Tensor]:
    """Lower an RNN layer call (also used by Bidirectional on its inner layers)."""
    cell = layer_cell(c)
    cfg = c.cfg
    raw_initial = c.kwargs.get("initial_state", c.args[1] if len(c.args) > 1 else None)
    initial = [t.name for t in flat_tensors(raw_initial)] if raw_initial is not None else None
    return_sequences = bool(cfg.get("return_sequences", False))
    output, states = run_rnn(
        c, cell, c.x.name, initial, mask,
        go_backwards=bool(cfg.get("go_backwards", False)),
        zero_output_for_mask=bool(cfg.get("zero_output_for_mask", False)),
        unroll=bool(cfg.get("unroll", False)),
        return_sequences=return_sequences,
    )  # fmt: skip
    out_mask = (mask if mask is not None else c.x.mask) if return_sequences else None
    if cfg.get("return_state", False):
        return [Tensor(output, mask=out_mask), *(Tensor(s) for s in states)]
    return [Tensor(output, mask=out_mask)]


@lowering("SimpleRNN", "LSTM", "GRU", "RNN", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D", uses_mask=True)
def _rnn(c: Call) -> list[Tensor]:
    return lower_rnn(c, c.input_mask())
