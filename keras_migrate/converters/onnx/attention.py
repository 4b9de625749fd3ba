"""Attention layers: MultiHeadAttention (Keras 3's and the tf.keras compat one), Attention
and AdditiveAttention.

The arithmetic follows the numpy kernels (:mod:`keras_migrate.ir.interpreter.kernels.attention`):
projections and attention products are ``Einsum`` nodes on the projected
``(batch, ..., heads, channels)`` tensors, masks are bool tensors and-ed together (query
rows, value/key columns, a causal ``row >= column`` built from the dynamic lengths, the
explicit ``attention_mask``), and masked scores get -1e9 the way each layer type does.
"""

from __future__ import annotations

import math
import string

import numpy as np

from keras_migrate.converters.onnx.builder import Builder
from keras_migrate.converters.onnx.registry import Call, lowering
from keras_migrate.converters.onnx.tensors import Tensor
from keras_migrate.ir.ops.attention import LEGACY_MHA, attention_equations

__all__: list[str] = []

_BOOL = 9


def _and(b: Builder, x: str | None, y: str | None) -> str | None:
    if x is None:
        return y
    return x if y is None else str(b.op("And", [x, y]))


def _as_bool(b: Builder, t: Tensor) -> str:
    if t.type is not None and t.type.dtype == "bool":
        return t.name
    return str(b.op("Cast", [t.name], to=_BOOL))


def _causal(b: Builder, rows: tuple[str, int], cols: tuple[str, int]) -> str:
    """``(1, T, S)``: position ``i`` (``T`` = ``rows[0]``'s axis ``rows[1]``) sees positions
    ``j <= i`` (``S`` = ``cols[0]``'s axis ``cols[1]``)."""
    zero, one = b.const(np.asarray(0, dtype=np.int64), "zero_i64"), b.const(np.asarray(1, dtype=np.int64), "one_i64")

    def positions(x: str, axis: int) -> str:
        n = b.squeeze(b.shape(x, axis, axis + 1 if axis != -1 else None), [0])
        return str(b.op("Range", [zero, n, one]))

    grid = b.op("GreaterOrEqual", [b.unsqueeze(positions(*rows), [1]), b.unsqueeze(positions(*cols), [0])])
    return b.unsqueeze(grid, [0])


def _softmax_last(b: Builder, x: str, n_axes: int, rank: int) -> str:
    if n_axes == 1:
        return str(b.op("Softmax", [x], axis=-1))
    axes = list(range(rank - n_axes, rank))
    top = b.reduce("ReduceMax", x, axes)
    shifted = b.op("Sub", [x, top])
    lse = b.op("Log", [b.reduce("ReduceSum", b.op("Exp", [shifted]), axes)])
    return str(b.op("Exp", [b.op("Sub", [shifted, lse])]))


def _project(c: Call, x: Tensor, part: str) -> str:
    """``(..., dim) -> (..., heads, size)`` with the ``<part>_dense`` kernel and bias."""
    letters = string.ascii_lowercase
    free = letters[: x.rank - 1]
    bound, heads, size = (letters[i] for i in range(x.rank - 1, x.rank + 2))
    y = c.b.op("Einsum", [x.name, c.weight(f"{part}_dense/kernel")], equation=f"{free}{bound},{bound}{heads}{size}->{free}{heads}{size}")
    if c.has_weight(f"{part}_dense/bias"):
        y = c.b.op("Add", [y, c.weight(f"{part}_dense/bias")])
    return str(y)


@lowering("MultiHeadAttention", LEGACY_MHA, uses_mask=True)
def _multi_head_attention(c: Call) -> list[Tensor]:
    b, cfg = c.b, c.cfg
    if cfg.get("use_gate") or cfg.get("sliding_window") is not None:
        raise c.unsupported("MultiHeadAttention use_gate/sliding_window has no ONNX lowering")
    inputs = [a for a in c.args if isinstance(a, Tensor)]
    inputs += [c.kwargs[n] for n in ("value", "key") if isinstance(c.kwargs.get(n), Tensor)]
    if len(inputs) < 2:
        raise c.unsupported("MultiHeadAttention needs a query and a value")
    query, value = inputs[0], inputs[1]
    key = inputs[2] if len(inputs) > 2 else None
    rank = query.rank + 1
    raw_axes = cfg.get("attention_axes")
    if raw_axes is None:
        axes = tuple(range(1, rank - 2))
    else:
        items = [int(a) for a in raw_axes] if isinstance(raw_axes, (list, tuple)) else [int(raw_axes)]
        axes = tuple(a if a >= 0 else (rank - 1) + a for a in items)
    want_scores = bool(c.kwargs.get("return_attention_scores", False))
    legacy = c.layer.type == LEGACY_MHA
    fused = not legacy and rank == 4 and float(cfg.get("dropout") or 0.0) == 0.0 and not want_scores
    mode = ("where" if cfg.get("softmax_robust_masking") else "additive") if legacy else ("where" if fused else "zero_masked")

    mask = None
    if query.mask is not None:
        mask = b.unsqueeze(query.mask, [-1])
    if value.mask is not None:
        mask = _and(b, mask, b.unsqueeze(value.mask, [-2]))
    if key is not None and key.mask is not None:
        mask = _and(b, mask, b.unsqueeze(key.mask, [-2]))
    if c.kwargs.get("use_causal_mask"):
        mask = _and(b, mask, _causal(b, (query.name, 1), (value.name, 1)))
    explicit = c.kwargs.get("attention_mask")
    raw = None  # tf.keras hands a lone non-bool attention_mask to its softmax as it is
    if isinstance(explicit, Tensor):
        lone = legacy and mask is None and explicit.type is not None and explicit.type.dtype != "bool"
        if lone and mode == "additive":
            raw = str(b.op("Cast", [explicit.name], to=1))
        elif lone:
            mask = str(b.op("Greater", [b.op("Cast", [explicit.name], to=1), b.scalar(0.5)]))
        else:
            mask = _and(b, _as_bool(b, explicit), mask)

    q = _project(c, query, "query")
    k = _project(c, value if key is None else key, "key")
    v = _project(c, value, "value")
    q = b.op("Mul", [q, b.scalar(1.0 / math.sqrt(float(cfg["key_dim"])))])
    dot_eq, combine_eq = attention_equations(rank, axes)
    scores = b.op("Einsum", [k, q], equation=dot_eq)
    score_rank = len(dot_eq.split("->")[1])
    if raw is not None:
        mask = raw
    if mask is not None:
        for _ in range(score_rank - 3):  # masks are (batch, T, S); scores have more axes
            mask = b.unsqueeze(mask, [-2 * len(axes) - 1])
        if mode == "additive":
            keep = mask if raw is not None else b.op("Cast", [mask], to=1)
            scores = b.op("Add", [scores, b.op("Mul", [b.op("Sub", [b.scalar(1.0), keep]), b.scalar(-1e9)])])
        else:
            scores = b.op("Where", [mask, scores, b.scalar(-1e9)])
    probs = _softmax_last(b, scores, len(axes), score_rank)
    if mask is not None and mode == "zero_masked":
        probs = b.op("Where", [mask, probs, b.scalar(0.0)])
    attended = b.op("Einsum", [probs, v], equation=combine_eq)

    letters = string.ascii_lowercase
    free = letters[: rank - 2]
    n_out = len(c.layer.weight("output_dense/kernel").shape) - 2
    heads, size = letters[rank - 2], letters[rank - 1]
    outs = letters[rank : rank + n_out]
    out = b.op("Einsum", [attended, c.weight("output_dense/kernel")], equation=f"{free}{heads}{size},{heads}{size}{outs}->{free}{outs}")
    if c.has_weight("output_dense/bias"):
        out = b.op("Add", [out, c.weight("output_dense/bias")])
    result = Tensor(str(out), mask=query.mask)
    # the scores also feed the output: a node of their own lets them take the IR value's name
    return [result, Tensor(str(b.op("Identity", [probs])))] if want_scores else [result]


def _dense_inputs(c: Call) -> tuple[list[Tensor], str | None, str | None]:
    items = c.tensors()
    if len(items) not in (2, 3):
        raise c.unsupported(f"{c.layer.type} takes a list [query, value] or [query, value, key]")
    explicit = c.kwargs.get("mask")
    if isinstance(explicit, (list, tuple)):
        masks = [m.name if isinstance(m, Tensor) else None for m in explicit]
    elif explicit is None and not any(isinstance(v, Tensor) for k, v in c.kwargs.items() if k != "training"):
        masks = [t.mask for t in items]
    else:
        masks = []
    masks += [None, None]
    return items, masks[0], masks[1]


def _apply(c: Call, scores: str, value: str, q_mask: str | None, v_mask: str | None) -> list[Tensor]:
    """-1e9 on masked keys, softmax, weighted values, zeros at masked queries."""
    b = c.b
    keep = None if v_mask is None else b.unsqueeze(v_mask, [-2])
    if c.kwargs.get("use_causal_mask"):
        keep = _and(b, keep, _causal(b, (scores, -2), (scores, -1)))
    if keep is not None:
        scores = b.op("Where", [keep, scores, b.op("Sub", [scores, b.scalar(1e9)])])
    weights = b.op("Softmax", [scores], axis=-1)
    out = b.op("MatMul", [weights, value])
    if q_mask is not None:
        out = b.op("Where", [b.unsqueeze(q_mask, [-1]), out, b.scalar(0.0)])
    result = Tensor(str(out), mask=q_mask)
    return [result, Tensor(str(b.op("Identity", [weights])))] if c.kwargs.get("return_attention_scores") else [result]


def _pairwise(b: Builder, q: str, k: str) -> str:
    """``q[..., :, None, :] + k[..., None, :, :]``: shape ``(batch, Tq, Tv, dim)``."""
    return str(b.op("Add", [b.unsqueeze(q, [-2]), b.unsqueeze(k, [-3])]))


@lowering("Attention", uses_mask=True)
def _attention(c: Call) -> list[Tensor]:
    b = c.b
    items, q_mask, v_mask = _dense_inputs(c)
    q, v = items[0].name, items[1].name
    k = items[2].name if len(items) > 2 else v
    scale = c.weight("scale") if c.cfg.get("use_scale") else None
    if c.cfg.get("score_mode", "dot") == "concat":
        summed = _pairwise(b, q, k)
        if scale is not None:
            summed = b.op("Mul", [summed, scale])
        scores = b.op("Mul", [c.weight("concat_score_weight"), b.op("ReduceSum", [b.op("Tanh", [summed]), b.ints([-1])], keepdims=0)])
    else:
        rank = items[0].rank
        scores = b.op("MatMul", [q, b.transpose(k, [*range(rank - 2), rank - 1, rank - 2])])
        if scale is not None:
            scores = b.op("Mul", [scores, scale])
    return _apply(c, str(scores), v, q_mask, v_mask)


@lowering("AdditiveAttention", uses_mask=True)
def _additive_attention(c: Call) -> list[Tensor]:
    b = c.b
    items, q_mask, v_mask = _dense_inputs(c)
    q, v = items[0].name, items[1].name
    k = items[2].name if len(items) > 2 else v
    tanh = b.op("Tanh", [_pairwise(b, q, k)])
    if c.cfg.get("use_scale", True):
        tanh = b.op("Mul", [c.weight("scale"), tanh])
    scores = b.op("ReduceSum", [tanh, b.ints([-1])], keepdims=0)
    return _apply(c, str(scores), v, q_mask, v_mask)
