"""``TimeDistributed`` and ``Bidirectional``: run an inner layer through its own kernel.

The inner layer comes from the wrapper's ``layer`` config (Keras 3 form) with the
wrapper's weights, prefix stripped (``forward_layer/``, ``backward_layer/``; none for
TimeDistributed), so any layer with a kernel can be wrapped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from keras_migrate.ir.graph import Layer
from keras_migrate.ir.interpreter.kernels._common import (
    call_layer,
    first_arg_mask,
    inner_layer,
    input_mask,
    unsupported,
)
from keras_migrate.ir.interpreter.registry import Context, KernelResult, kernel

__all__ = ["bidirectional", "time_distributed"]


#: Layers with ``zero_output_for_mask`` (Keras' RNN subclasses).
_RNN_TYPES = frozenset({"SimpleRNN", "LSTM", "GRU", "RNN", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"})


@kernel("TimeDistributed")
def time_distributed(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> KernelResult:
    """Without a mask, fold time into the batch (one inner call); with one, go step by step
    like Keras so the inner layer sees each step's mask."""
    spec = layer.config.get("layer")
    if not isinstance(spec, Mapping):
        raise unsupported(layer, "TimeDistributed without an inner layer config")
    inner = inner_layer(layer, spec)
    x = np.asarray(args[0])
    mask = input_mask(args, kwargs, ctx)
    batch, steps = x.shape[:2]
    if mask is None:
        res = call_layer(inner, (x.reshape((batch * steps, *x.shape[2:])),), {}, Context(masks=(None,)))
        if isinstance(res.outputs, (list, tuple)):
            raise unsupported(layer, "TimeDistributed over a multi-output layer")
        y = np.asarray(res.outputs)
        out = y.reshape((batch, steps, *y.shape[1:]))
    else:
        m = np.asarray(mask)
        ys = []
        for t in range(steps):
            res = call_layer(inner, (x[:, t],), {"mask": m[:, t]}, Context(masks=(None,)))
            if isinstance(res.outputs, (list, tuple)):
                raise unsupported(layer, "TimeDistributed over a multi-output layer")
            ys.append(np.asarray(res.outputs))
        out = np.stack(ys, axis=1)
    return KernelResult(out, mask if mask is not None else first_arg_mask(ctx))


def _sublayers(layer: Layer) -> tuple[Layer, Layer]:
    spec = layer.config.get("layer")
    if not isinstance(spec, Mapping):
        raise unsupported(layer, "Bidirectional without an inner layer config")
    back_spec = layer.config.get("backward_layer")
    if not isinstance(back_spec, Mapping):
        # Keras builds the backward layer as a copy of the forward one, going backwards
        back_spec = {**spec, "config": {**dict(spec.get("config") or {}), "go_backwards": True}}
    forward = inner_layer(layer, spec, "forward_layer/", "forward_layer")
    backward = inner_layer(layer, back_spec, "backward_layer/", "backward_layer")
    # Bidirectional forces zero outputs at masked steps whenever it returns sequences
    fixed = []
    for sub in (forward, backward):
        if sub.type in _RNN_TYPES:
            sub = sub.with_config(zero_output_for_mask=bool(sub.config.get("return_sequences", False)))
        fixed.append(sub)
    return fixed[0], fixed[1]


def _merge(mode: Any, y: np.ndarray, y_rev: np.ndarray) -> list[np.ndarray]:
    if mode == "concat":
        return [np.concatenate([y, y_rev], axis=-1)]
    if mode == "sum":
        return [y + y_rev]
    if mode == "ave":
        return [(y + y_rev) / np.float32(2.0)]
    if mode == "mul":
        return [y * y_rev]
    if mode is None:
        return [y, y_rev]
    raise ValueError(f"unknown Bidirectional merge_mode {mode!r}")


@kernel("Bidirectional")
def bidirectional(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> KernelResult:
    forward, backward = _sublayers(layer)
    x = np.asarray(args[0])
    mask = input_mask(args, kwargs, ctx)
    initial = kwargs.get("initial_state", args[1] if len(args) > 1 else None)
    fw_state = bw_state = None
    if initial is not None:
        states = list(initial) if isinstance(initial, (list, tuple)) else [initial]
        half = len(states) // 2
        fw_state, bw_state = states[:half], states[half:]
    results = []
    for sub, state in ((forward, fw_state), (backward, bw_state)):
        sub_kwargs: dict[str, Any] = {"mask": mask}
        if state is not None:
            sub_kwargs["initial_state"] = state
        res = call_layer(sub, (x,), sub_kwargs, Context(masks=(None,)))
        results.append(list(res.outputs) if isinstance(res.outputs, (list, tuple)) else [res.outputs])
    (y, *fw_states), (y_rev, *bw_states) = results
    return_sequences = bool(forward.config.get("return_sequences", False))
    if return_sequences:
        y_rev = np.flip(y_rev, axis=1)
    mode = layer.config.get("merge_mode", "concat")
    outputs = [np.asarray(o, dtype=np.float32) for o in _merge(mode, np.asarray(y), np.asarray(y_rev))]
    prev = mask if mask is not None else first_arg_mask(ctx)
    out_mask = prev if return_sequences else None
    masks: list[Any] = [out_mask] * len(outputs)
    states = fw_states + bw_states
    if states:
        return KernelResult([*outputs, *states], masks + [None] * len(states))
    if len(outputs) == 1:
        return KernelResult(outputs[0], out_mask)
    return KernelResult(outputs, masks)
