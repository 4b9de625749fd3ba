"""Attention layers: ``MultiHeadAttention`` (Keras 3's and the tf.keras compat one),
``Attention`` and ``AdditiveAttention``.

Masks follow Keras: the query's mask marks rows of the attention scores, the value's (and
an explicit key's) mask columns, ``use_causal_mask`` keeps ``key <= query`` positions and
``attention_mask`` is and-ed in; the output carries the query's mask. What differs between
the two MultiHeadAttention types is a score row with every entry masked:

* tf.keras (``keras_migrate>LegacyMultiHeadAttention``) adds ``-1e9`` to masked scores (or,
  with ``softmax_robust_masking``, replaces them), so the row's softmax is uniform;
* Keras 3's fused ``dot_product_attention`` path (rank-3 query, no dropout, scores not
  returned) also gives a uniform row; its other path replaces masked scores by ``-1e9``
  and then zeroes them after the softmax, so the row is all zeros.

Keras 3's own layer also clears the Keras masks of its input tensors for every later
reader; a kernel sees only its own node, so that side effect is not reproduced (tf.keras
files never convert to that type, see :mod:`keras_migrate.formats.tfkeras.attention`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from keras_migrate.ir.graph import Layer
from keras_migrate.ir.interpreter.kernels._common import (
    float_array,
    input_mask,
    unsupported,
    weight_or_none,
)
from keras_migrate.ir.interpreter.kernels.activations import softmax
from keras_migrate.ir.interpreter.registry import Context, KernelResult, kernel
from keras_migrate.ir.ops.attention import LEGACY_MHA, attention_equations

__all__ = ["additive_attention", "attention", "dot_attention", "multi_head_attention"]

_NEG = np.float32(-1e9)


def _as_bool(mask: Any) -> np.ndarray | None:
    """A Keras mask as bools (float masks: ``> 0.5``, as Keras reads them)."""
    if mask is None:
        return None
    m = np.asarray(mask)
    if m.dtype == np.bool_:
        return m
    return m > 0.5 if m.dtype.kind == "f" else m.astype(bool)


def _and(a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
    if a is None:
        return b
    return a if b is None else a & b


def _causal(t: int, s: int) -> np.ndarray:
    """Position ``i`` of the query sees positions ``j <= i`` of the key: shape ``(1, t, s)``."""
    return (np.arange(t)[:, None] >= np.arange(s)[None, :])[None]


def _mha_axes(layer: Layer, rank: int) -> tuple[int, ...]:
    axes = layer.config.get("attention_axes")
    if axes is None:
        return tuple(range(1, rank - 2))
    items = [int(a) for a in axes] if isinstance(axes, (list, tuple)) else [int(axes)]
    # Keras 3 counts negative axes from the input's rank (the rule made tf.keras' ones positive)
    return tuple(a if a >= 0 else (rank - 1) + a for a in items)


def _project(x: np.ndarray, layer: Layer, part: str) -> np.ndarray:
    """An input projection ``(..., dim) -> (..., heads, size)`` (EinsumDense)."""
    y = np.tensordot(x, layer.weight(f"{part}_dense/kernel").numpy(), axes=([-1], [0]))
    bias = weight_or_none(layer, f"{part}_dense/bias")
    return (y if bias is None else y + bias).astype(np.float32, copy=False)


def _mha_masked_softmax(scores: np.ndarray, mask: np.ndarray | None, n_axes: int, mode: str) -> np.ndarray:
    """Softmax over the last ``n_axes`` axes with masked scores handled per ``mode``:
    ``additive`` (tf.keras), ``where`` (tf.keras robust masking, Keras 3's fused path) or
    ``zero_masked`` (Keras 3's Softmax layer)."""
    axes = tuple(range(scores.ndim - n_axes, scores.ndim))
    if mask is None:
        return softmax(scores, axes)
    while mask.ndim < scores.ndim:
        mask = np.expand_dims(mask, axis=-2 * n_axes - 1)
    if mode == "additive":  # tf.keras: scores + (1 - mask) * -1e9, in float32 (mask bool or numeric)
        scores = (scores + (np.float32(1.0) - mask.astype(np.float32)) * _NEG).astype(np.float32)
    else:
        scores = np.where(mask, scores, _NEG)
    probs = softmax(scores, axes)
    if mode == "zero_masked":
        probs = np.where(mask, probs, np.float32(0.0))
    return probs.astype(np.float32, copy=False)


@kernel("MultiHeadAttention", LEGACY_MHA)
def multi_head_attention(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> KernelResult:
    cfg = layer.config
    if cfg.get("use_gate") or cfg.get("sliding_window") is not None:
        raise unsupported(layer, "MultiHeadAttention use_gate/sliding_window is not supported")
    positional = list(args)
    for name in ("value", "key"):
        if kwargs.get(name) is not None:
            positional.append(kwargs[name])
    if len(positional) < 2:
        raise unsupported(layer, "MultiHeadAttention needs a query and a value")
    query, value = float_array(positional[0]), float_array(positional[1])
    key = float_array(positional[2]) if len(positional) > 2 else None
    masks = list(ctx.masks) if isinstance(ctx.masks, tuple) else []
    masks += [None] * (3 - len(masks))
    q_mask, v_mask, k_mask = (_as_bool(m) for m in masks[:3])

    rank = query.ndim + 1
    axes = _mha_axes(layer, rank)
    scores_wanted = bool(kwargs.get("return_attention_scores", False))
    legacy = layer.type == LEGACY_MHA
    fused = not legacy and rank == 4 and float(cfg.get("dropout") or 0.0) == 0.0 and not scores_wanted
    mode = ("where" if cfg.get("softmax_robust_masking") else "additive") if legacy else ("where" if fused else "zero_masked")

    t, s = query.shape[1], value.shape[1]
    mask = None
    if q_mask is not None:
        mask = q_mask[..., None]
    if v_mask is not None:
        mask = _and(mask, np.expand_dims(v_mask, -2))
    if key is not None and k_mask is not None:
        mask = _and(mask, np.expand_dims(k_mask, -2))
    if kwargs.get("use_causal_mask"):
        mask = _and(mask, _causal(t, s))
    explicit = kwargs.get("attention_mask")
    if explicit is not None:
        explicit = np.asarray(explicit)
        if legacy and mask is None and explicit.dtype != np.bool_:
            # tf.keras hands a lone non-bool attention_mask to its softmax as it is
            mask = explicit > 0.5 if mode == "where" else explicit.astype(np.float32)
        else:
            mask = explicit.astype(bool) if mask is None else explicit.astype(bool) & mask

    q = _project(query, layer, "query")
    k = _project(value if key is None else key, layer, "key")
    v = _project(value, layer, "value")
    key_dim = int(cfg["key_dim"])
    q = (q * np.float32(1.0 / math.sqrt(float(key_dim)))).astype(np.float32)
    dot_eq, combine_eq = attention_equations(rank, axes)
    scores = np.einsum(dot_eq, k, q).astype(np.float32)
    probs = _mha_masked_softmax(scores, mask, len(axes), mode)
    attended = np.einsum(combine_eq, probs, v).astype(np.float32)

    out = np.tensordot(attended, layer.weight("output_dense/kernel").numpy(), axes=([-2, -1], [0, 1]))
    bias = weight_or_none(layer, "output_dense/bias")
    out = (out if bias is None else out + bias).astype(np.float32, copy=False)
    if scores_wanted:
        return KernelResult([out, probs], [q_mask, None])
    return KernelResult(out, q_mask)


def _inputs_and_masks(
    layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
    items = args[0]
    if not isinstance(items, (list, tuple)) or len(items) not in (2, 3):
        raise unsupported(layer, f"{layer.type} takes a list [query, value] or [query, value, key]")
    q, v = float_array(items[0]), float_array(items[1])
    k = float_array(items[2]) if len(items) > 2 else v
    masks = input_mask(args, kwargs, ctx)
    q_mask = v_mask = None
    if isinstance(masks, (list, tuple)) and masks:
        q_mask = _as_bool(masks[0])
        v_mask = _as_bool(masks[1]) if len(masks) > 1 else None
    return q, v, k, q_mask, v_mask


def dot_attention(
    scores: np.ndarray,
    value: np.ndarray,
    q_mask: np.ndarray | None,
    v_mask: np.ndarray | None,
    causal: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Keras' dense attention after the scores: ``-1e9`` on masked keys, softmax, weighted
    sum of values, zeros at masked queries. Returns ``(output, attention weights)``."""
    keep = None if v_mask is None else np.expand_dims(v_mask, -2)
    if causal:
        keep = _and(keep, _causal(scores.shape[-2], scores.shape[-1]))
    if keep is not None:
        scores = np.where(keep, scores, (scores - np.float32(1e9)).astype(np.float32))
    weights = softmax(scores.astype(np.float32), -1)
    out = np.matmul(weights, value).astype(np.float32)
    if q_mask is not None:
        out = np.where(q_mask[..., None], out, np.float32(0.0))
    return out, weights


def _finish(out: np.ndarray, weights: np.ndarray, q_mask: np.ndarray | None, kwargs: dict[str, Any]) -> KernelResult:
    if kwargs.get("return_attention_scores"):
        return KernelResult([out, weights], [q_mask, None])
    return KernelResult(out, q_mask)


@kernel("Attention")
def attention(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> KernelResult:
    q, v, k, q_mask, v_mask = _inputs_and_masks(layer, args, kwargs, ctx)
    scale = weight_or_none(layer, "scale") if layer.config.get("use_scale") else None
    if layer.config.get("score_mode", "dot") == "concat":
        summed = q[..., :, None, :] + k[..., None, :, :]
        if scale is not None:
            summed = summed * scale
        scores = layer.weight("concat_score_weight").numpy() * np.sum(np.tanh(summed), axis=-1)
    else:
        scores = np.matmul(q, np.swapaxes(k, -1, -2))
        if scale is not None:
            scores = scores * scale
    out, weights = dot_attention(scores.astype(np.float32), v, q_mask, v_mask, bool(kwargs.get("use_causal_mask")))
    return _finish(out, weights, q_mask, kwargs)


@kernel("AdditiveAttention")
def additive_attention(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> KernelResult:
    q, v, k, q_mask, v_mask = _inputs_and_masks(layer, args, kwargs, ctx)
    tanh = np.tanh(q[..., :, None, :] + k[..., None, :, :])
    if layer.config.get("use_scale", True):
        tanh = layer.weight("scale").numpy() * tanh
    scores = np.sum(tanh, axis=-1).astype(np.float32)
    out, weights = dot_attention(scores, v, q_mask, v_mask, bool(kwargs.get("use_causal_mask")))
    return _finish(out, weights, q_mask, kwargs)
