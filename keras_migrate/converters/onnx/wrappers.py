"""``TimeDistributed`` and ``Bidirectional``: lower the inner layer through its own lowering.

The inner layer is rebuilt from the wrapper's ``layer`` config with the wrapper's weights
(prefix stripped: ``forward_layer/``, ``backward_layer/``; none for TimeDistributed), as the
interpreter does, so any layer with a lowering can be wrapped. TimeDistributed folds time
into the batch (``(B, T, ...) -> (B*T, ...)``) with dynamic reshapes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from keras_migrate.converters.onnx.emit import flat_tensors
from keras_migrate.converters.onnx.recurrent import lower_rnn
from keras_migrate.converters.onnx.registry import Call, find_lowering, lower_call, lowering
from keras_migrate.converters.onnx.tensors import Tensor
from keras_migrate.ir.graph import TensorType, inner_layer

__all__ = ["inner_layer"]

_RNN_TYPES = frozenset({"SimpleRNN", "LSTM", "GRU", "RNN", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"})




def _drop_time(t: TensorType | None) -> TensorType | None:
    if t is None or t.rank < 2:
        return None
    return TensorType((None, *t.shape[2:]), t.dtype)


@lowering("TimeDistributed", uses_mask=True)
def _time_distributed(c: Call) -> Tensor:
    spec = c.cfg.get("layer")
    if not isinstance(spec, Mapping):
        raise c.unsupported("TimeDistributed without an inner layer config")
    inner = inner_layer(c.layer, spec)
    mask = c.input_mask()
    entry = find_lowering(inner.type, c.b.opset)
    if mask is not None and entry is not None and entry.uses_mask:
        raise c.unsupported(f"TimeDistributed({inner.type}) with a mask has no ONNX lowering")
    b = c.b
    x = c.x.name
    flat = b.reshape_dynamic(x, [[-1], b.shape(x, 2)])
    inner_call = Call(
        b.with_scope(f"{b.scope}/{inner.type}"), inner, (Tensor(flat, _drop_time(c.x.type)),), {},
        [_drop_time(t) for t in c.out_types], c.path,
    )  # fmt: skip
    outs = lower_call(inner_call)
    if len(outs) != 1:
        raise c.unsupported("TimeDistributed over a multi-output layer")
    y = b.reshape_dynamic(outs[0].name, [b.shape(x, 0, 2), b.shape(outs[0].name, 1)])
    return Tensor(y, mask=mask if mask is not None else c.x.mask)


@lowering("Bidirectional", uses_mask=True)
def _bidirectional(c: Call) -> list[Tensor]:
    b, cfg = c.b, c.cfg
    spec = cfg.get("layer")
    if not isinstance(spec, Mapping):
        raise c.unsupported("Bidirectional without an inner layer config")
    back_spec = cfg.get("backward_layer")
    if not isinstance(back_spec, Mapping):
        back_spec = {**spec, "config": {**dict(spec.get("config") or {}), "go_backwards": True}}
    subs = [inner_layer(c.layer, spec, "forward_layer/", "forward_layer"), inner_layer(c.layer, back_spec, "backward_layer/", "backward_layer")]
    for i, sub in enumerate(subs):
        if sub.type not in _RNN_TYPES:
            raise c.unsupported(f"Bidirectional({sub.type}) has no ONNX lowering")
        subs[i] = sub.with_config(zero_output_for_mask=bool(sub.config.get("return_sequences", False)))
    mask = c.input_mask()
    initial = c.kwargs.get("initial_state", c.args[1] if len(c.args) > 1 else None)
    halves: list[list[Tensor] | None] = [None, None]
    if initial is not None:
        states = flat_tensors(initial)
        half = len(states) // 2
        halves = [states[:half], states[half:]]
    results = []
    for sub, state, tag in zip(subs, halves, ("forward_layer", "backward_layer")):
        kwargs: dict[str, Any] = {} if state is None else {"initial_state": state}
        sub_call = Call(b.with_scope(f"{b.scope}/{tag}"), sub, (c.x,), kwargs, [], f"{c.path}/{tag}")
        results.append(lower_rnn(sub_call, mask))
    (y, *fw_states), (y_rev, *bw_states) = results
    return_sequences = bool(subs[0].config.get("return_sequences", False))
    yr = y_rev.name
    if return_sequences:
        yr = b.slice(yr, [-1], [int(np.iinfo(np.int64).min)], [1], [-1])
    mode = cfg.get("merge_mode", "concat")
    if mode == "concat":
        outputs = [b.op("Concat", [y.name, yr], axis=-1)]
    elif mode == "sum":
        outputs = [b.op("Add", [y.name, yr])]
    elif mode == "ave":
        outputs = [b.op("Div", [b.op("Add", [y.name, yr]), b.scalar(2.0)])]
    elif mode == "mul":
        outputs = [b.op("Mul", [y.name, yr])]
    elif mode is None:
        outputs = [y.name, yr]
    else:
        raise c.unsupported(f"unknown Bidirectional merge_mode {mode!r}")
    out_mask = (mask if mask is not None else c.x.mask) if return_sequences else None
    tensors = [Tensor(o, mask=out_mask) for o in outputs]
    states = [Tensor(s.name) for s in fw_states + bw_states]
    return tensors + states
