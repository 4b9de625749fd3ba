"""Recurrent layers: SimpleRNN, LSTM, GRU, ConvLSTM1D/2D/3D and generic ``RNN`` (cells,
``StackedRNNCells``), all run by one time loop with Keras 3 (JAX backend) semantics:

* a masked step keeps the previous states and outputs the previous *output state*
  (the initial state for leading masked steps), or zeros when ``zero_output_for_mask``;
  ``unroll=True`` differs: leading masked steps output zeros and ``zero_output_for_mask``
  is ignored (JAX backend's unrolled loop);
* ``go_backwards`` returns the sequence in processing order (reversed time);
* ``stateful`` layers start from zeros (the interpreter never carries state between runs);
* the mask is only applied when Keras would pass it: an explicit ``mask=`` or the input's
  mask when the call has a single tensor argument (so not with ``initial_state``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from keras_migrate.ir.graph import Layer, flatten_structure
from keras_migrate.ir.interpreter.kernels._common import (
    first_arg_mask,
    float_array,
    input_mask,
    int_tuple,
    unsupported,
)
from keras_migrate.ir.interpreter.kernels.activations import get_activation
from keras_migrate.ir.interpreter.kernels.conv import conv_nd
from keras_migrate.ir.interpreter.registry import Context, KernelResult, kernel

__all__ = ["Cell", "make_cell", "rnn", "run_rnn"]

States = list[np.ndarray]


@dataclass
class Cell:
    """One recurrent cell, reduced to what the time loop needs.

    ``prepare`` maps the whole input sequence ``(B, T, ...)`` to per-step features once
    (the input projection is hoisted out of the loop); ``step`` consumes one step's
    features; ``zeros`` builds the initial state from the prepared features.
    """

    prepare: Callable[[np.ndarray], np.ndarray]
    step: Callable[[np.ndarray, States], tuple[np.ndarray, States]]
    zeros: Callable[[np.ndarray], States]
    #: Index (in the flat state list) of the state that equals the previous output.
    output_state: int = 0
    n_states: int = 1
    #: Layouts of each state (channels-first ConvLSTM transposes states in and out).
    state_transform: Callable[[np.ndarray, bool], np.ndarray] = field(default=lambda s, _: s)


def _w(weights: Mapping[str, np.ndarray], name: str) -> np.ndarray:
    return np.asarray(weights[name]).astype(np.float32, copy=False)


def _bias(config: Mapping[str, Any], weights: Mapping[str, np.ndarray]) -> np.ndarray | None:
    if not config.get("use_bias", True) or "bias" not in weights:
        return None
    return _w(weights, "bias")


def _dense_zeros(units: int, n: int) -> Callable[[np.ndarray], States]:
    return lambda feats: [np.zeros((feats.shape[0], units), dtype=np.float32) for _ in range(n)]


def _simple_rnn_cell(config: Mapping[str, Any], weights: Mapping[str, np.ndarray]) -> Cell:
    kernel_w, rec = _w(weights, "kernel"), _w(weights, "recurrent_kernel")
    bias = _bias(config, weights)
    act = get_activation(config.get("activation", "tanh"))

    def prepare(x: np.ndarray) -> np.ndarray:
        y = x @ kernel_w
        return y if bias is None else y + bias

    def step(feat: np.ndarray, states: States) -> tuple[np.ndarray, States]:
        h = act(feat + states[0] @ rec)
        return h, [h]

    return Cell(prepare, step, _dense_zeros(rec.shape[0], 1))


def _lstm_cell(config: Mapping[str, Any], weights: Mapping[str, np.ndarray]) -> Cell:
    kernel_w, rec = _w(weights, "kernel"), _w(weights, "recurrent_kernel")
    bias = _bias(config, weights)
    act = get_activation(config.get("activation", "tanh"))
    rec_act = get_activation(config.get("recurrent_activation", "sigmoid"))
    units = rec.shape[0]

    def prepare(x: np.ndarray) -> np.ndarray:
        y = x @ kernel_w
        return y if bias is None else y + bias

    def step(feat: np.ndarray, states: States) -> tuple[np.ndarray, States]:
        h_prev, c_prev = states
        z = feat + h_prev @ rec
        i = rec_act(z[:, :units])
        f = rec_act(z[:, units : 2 * units])
        c = f * c_prev + i * act(z[:, 2 * units : 3 * units])
        o = rec_act(z[:, 3 * units :])
        h = o * act(c)
        return h, [h, c]

    return Cell(prepare, step, _dense_zeros(units, 2), n_states=2)


def _gru_cell(config: Mapping[str, Any], weights: Mapping[str, np.ndarray]) -> Cell:
    """``reset_after=True`` (Keras 3 default, cuDNN style) applies the reset gate after the
    recurrent matmul and has a second (recurrent) bias row; ``False`` applies it before."""
    kernel_w, rec = _w(weights, "kernel"), _w(weights, "recurrent_kernel")
    bias = _bias(config, weights)
    act = get_activation(config.get("activation", "tanh"))
    rec_act = get_activation(config.get("recurrent_activation", "sigmoid"))
    reset_after = bool(config.get("reset_after", True))
    units = rec.shape[0]
    in_bias: np.ndarray | None = None
    rec_bias: np.ndarray | None = None
    if bias is not None:
        if reset_after:
            in_bias, rec_bias = bias[0], bias[1]
        else:
            in_bias = bias.reshape(-1)

    def prepare(x: np.ndarray) -> np.ndarray:
        y = x @ kernel_w
        return y if in_bias is None else y + in_bias

    def step(feat: np.ndarray, states: States) -> tuple[np.ndarray, States]:
        h_prev = states[0]
        x_z, x_r, x_h = feat[:, :units], feat[:, units : 2 * units], feat[:, 2 * units :]
        if reset_after:
            inner = h_prev @ rec
            if rec_bias is not None:
                inner = inner + rec_bias
        else:
            inner = h_prev @ rec[:, : 2 * units]
        z = rec_act(x_z + inner[:, :units])
        r = rec_act(x_r + inner[:, units : 2 * units])
        rec_h = r * inner[:, 2 * units :] if reset_after else (r * h_prev) @ rec[:, 2 * units :]
        hh = act(x_h + rec_h)
        h = z * h_prev + (1 - z) * hh
        return h, [h]

    return Cell(prepare, step, _dense_zeros(units, 1))


def _conv_lstm_cell(config: Mapping[str, Any], weights: Mapping[str, np.ndarray], rank: int) -> Cell:
    """Gates are convolutions: input conv with the layer's geometry, recurrent conv ``same``
    with stride 1. Computed channels-last; channels-first layers transpose at the edges."""
    kernel_w, rec = _w(weights, "kernel"), _w(weights, "recurrent_kernel")
    bias = _bias(config, weights)
    act = get_activation(config.get("activation", "tanh"))
    rec_act = get_activation(config.get("recurrent_activation", "sigmoid"))
    strides = int_tuple(config.get("strides", 1), rank)
    dilation = int_tuple(config.get("dilation_rate", 1), rank)
    padding = str(config.get("padding", "valid")).lower()
    filters = rec.shape[-1] // 4
    ones = (1,) * rank
    first = config.get("data_format") == "channels_first"

    def prepare(x: np.ndarray) -> np.ndarray:
        if first:
            x = np.moveaxis(x, 2, -1)
        batch, steps = x.shape[:2]
        y = conv_nd(np.ascontiguousarray(x.reshape((batch * steps, *x.shape[2:]))), kernel_w, strides, dilation, padding)
        if bias is not None:
            y = y + bias
        return y.reshape((batch, steps, *y.shape[1:]))

    def step(feat: np.ndarray, states: States) -> tuple[np.ndarray, States]:
        h_prev, c_prev = states
        z = feat + conv_nd(h_prev, rec, ones, ones, "same")
        i = rec_act(z[..., :filters])
        f = rec_act(z[..., filters : 2 * filters])
        c = f * c_prev + i * act(z[..., 2 * filters : 3 * filters])
        o = rec_act(z[..., 3 * filters :])
        h = o * act(c)
        return h, [h, c]

    def zeros(feats: np.ndarray) -> States:
        shape = (feats.shape[0], *feats.shape[2:-1], filters)
        return [np.zeros(shape, dtype=np.float32) for _ in range(2)]

    def transform(state: np.ndarray, to_keras: bool) -> np.ndarray:
        if not first:
            return state
        return np.ascontiguousarray(np.moveaxis(state, -1, 1) if to_keras else np.moveaxis(state, 1, -1))

    return Cell(prepare, step, zeros, n_states=2, state_transform=transform)


_CELLS: dict[str, Callable[[Mapping[str, Any], Mapping[str, np.ndarray]], Cell]] = {
    "SimpleRNNCell": _simple_rnn_cell,
    "SimpleRNN": _simple_rnn_cell,
    "LSTMCell": _lstm_cell,
    "LSTM": _lstm_cell,
    "GRUCell": _gru_cell,
    "GRU": _gru_cell,
    "ConvLSTM1D": lambda c, w: _conv_lstm_cell(c, w, 1),
    "ConvLSTM2D": lambda c, w: _conv_lstm_cell(c, w, 2),
    "ConvLSTM3D": lambda c, w: _conv_lstm_cell(c, w, 3),
}


def _stacked(cells: list[Cell]) -> Cell:
    """Cells run in sequence within a step; states are the cells' states concatenated."""
    offsets = [0]
    for c in cells:
        offsets.append(offsets[-1] + c.n_states)

    def prepare(x: np.ndarray) -> np.ndarray:
        return cells[0].prepare(x)

    def step(feat: np.ndarray, states: States) -> tuple[np.ndarray, States]:
        new: States = []
        out = feat
        for i, c in enumerate(cells):
            if i > 0:
                out = c.prepare(out[:, np.newaxis])[:, 0]
            out, s = c.step(out, states[offsets[i] : offsets[i + 1]])
            new.extend(s)
        return out, new

    def zeros(feats: np.ndarray) -> States:
        batch = feats.shape[0]
        out: States = []
        for c in cells:
            # dense cells' zero states only need the batch size
            out.extend(c.zeros(np.zeros((batch, 1, 1), dtype=np.float32)))
        return out

    return Cell(prepare, step, zeros, output_state=offsets[-2], n_states=offsets[-1])


def make_cell(class_name: str, config: Mapping[str, Any], weights: Mapping[str, np.ndarray]) -> Cell:
    """A cell from a Keras 3 class name (layer or cell), its config and unprefixed weights."""
    if class_name == "StackedRNNCells":
        cells = []
        for i, spec in enumerate(config.get("cells", [])):
            prefix = f"cells/{i}/"
            sub = {k[len(prefix) :]: v for k, v in weights.items() if k.startswith(prefix)}
            cells.append(make_cell(spec["class_name"], spec.get("config", {}), sub))
        if not cells:
            raise ValueError("StackedRNNCells without cells")
        return _stacked(cells)
    factory = _CELLS.get(class_name)
    if factory is None:
        raise KeyError(class_name)
    return factory(config, weights)


def run_rnn(
    cell: Cell,
    x: np.ndarray,
    initial: States | None,
    mask: np.ndarray | None,
    *,
    go_backwards: bool = False,
    zero_output_for_mask: bool = False,
    unroll: bool = False,
) -> tuple[np.ndarray, np.ndarray, States]:
    """Run ``cell`` over ``x`` (B, T, ...); returns (last output, outputs (B, T, ...), states).

    Outputs are in processing order, so reversed in time when ``go_backwards``.
    """
    feats = cell.prepare(x)
    states = [np.asarray(s, dtype=np.float32) for s in initial] if initial is not None else cell.zeros(feats)
    steps = range(feats.shape[1] - 1, -1, -1) if go_backwards else range(feats.shape[1])
    keep = None if mask is None else np.asarray(mask).astype(bool)
    if keep is not None and keep.ndim > 2:
        # a per-feature mask: a step is masked only where every entry is masked
        keep = np.asarray(keep.reshape((*keep.shape[:2], -1)).any(axis=-1))
    outputs: list[np.ndarray] = []
    for t in steps:
        out, new_states = cell.step(feats[:, t], states)
        if keep is not None:
            k = keep[:, t]
            k = k.reshape(k.shape + (1,) * (out.ndim - k.ndim))
            if unroll:
                prev = outputs[-1] if outputs else np.zeros_like(out)
            elif zero_output_for_mask:
                prev = np.zeros_like(out)
            else:
                prev = states[cell.output_state]
            out = np.where(k, out, prev)
            new_states = [np.where(k.reshape(k.shape[:1] + (1,) * (n.ndim - 1)), n, s) for n, s in zip(new_states, states, strict=True)]
        states = [s.astype(np.float32, copy=False) for s in new_states]
        outputs.append(out.astype(np.float32, copy=False))
    return outputs[-1], np.stack(outputs, axis=1), states


def _layer_cell(layer: Layer) -> tuple[Cell, Mapping[str, Any]]:
    """The cell of an RNN layer, and the config holding its RNN options."""
    weights = {w.name: w.numpy() for w in layer.weights}
    if layer.type == "RNN":
        spec = layer.config.get("cell")
        if not isinstance(spec, Mapping):
            raise unsupported(layer, "RNN layer without a serialized cell")
        name = str(spec.get("class_name"))
        try:
            return make_cell(name, spec.get("config", {}), weights), layer.config
        except KeyError as exc:
            raise unsupported(layer, f"RNN cell {exc.args[0]!r} is not supported by the numpy interpreter") from exc
    return make_cell(layer.type, layer.config, weights), layer.config


@kernel("SimpleRNN", "LSTM", "GRU", "RNN", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D")
def rnn(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> KernelResult:
    cell, cfg = _layer_cell(layer)
    x = float_array(args[0])
    raw_initial = kwargs.get("initial_state", args[1] if len(args) > 1 else None)
    initial = None
    if raw_initial is not None:
        flat = flatten_structure(raw_initial) if isinstance(raw_initial, (list, tuple)) else [raw_initial]
        initial = [cell.state_transform(float_array(s), False) for s in flat]
    mask = input_mask(args, kwargs, ctx)
    last, seq, states = run_rnn(
        cell,
        x,
        initial,
        None if mask is None else np.asarray(mask),
        go_backwards=bool(cfg.get("go_backwards", False)),
        zero_output_for_mask=bool(cfg.get("zero_output_for_mask", False)),
        unroll=bool(cfg.get("unroll", False)),
    )
    return_sequences = bool(cfg.get("return_sequences", False))
    output = _seq_to_keras(cell, seq) if return_sequences else cell.state_transform(last, True)
    out_mask = (mask if mask is not None else first_arg_mask(ctx)) if return_sequences else None
    if cfg.get("return_state", False):
        outs = [output, *(cell.state_transform(s, True) for s in states)]
        return KernelResult(outs, [out_mask] + [None] * len(states))
    return KernelResult(output, out_mask)


def _seq_to_keras(cell: Cell, seq: np.ndarray) -> np.ndarray:
    """Apply the cell's state layout to every step of a (B, T, ...) sequence."""
    batch, steps = seq.shape[:2]
    flat = cell.state_transform(seq.reshape((batch * steps, *seq.shape[2:])), True)
    return flat.reshape((batch, steps, *flat.shape[1:]))
