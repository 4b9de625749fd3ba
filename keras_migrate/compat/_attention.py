"""tf.keras' ``MultiHeadAttention`` as a Keras 3 layer, written with ``keras.ops``.

Keras 3's ``MultiHeadAttention`` computes differently from tf.keras in two ways that show
in the numbers of ordinary models:

* It clears the Keras masks of the tensors it is called on, in place. Another layer
  reading the same tensor afterwards (the residual ``Add`` of a Transformer block, a
  second attention layer, a masked pooling) then runs without the mask; tf.keras left
  masks alone.
* Off its fused ``dot_product_attention`` path (scores returned, ``dropout > 0``, inputs
  of rank > 3) it zeroes a row of attention weights whose every score is masked (a padded
  query position); tf.keras added ``-1e9`` to masked scores before the softmax, which
  makes such a row uniform.

This subclass keeps Keras 3's layer (arguments, build, sublayers, weights and the paths
they are saved under) and replaces ``call`` with tf.keras' computation. Imported (and so
registered) by :func:`keras_migrate.compat.register`.
"""

from __future__ import annotations

import math
from typing import Any

import keras
from keras import ops

from keras_migrate.compat._names import PACKAGE
from keras_migrate.ir.ops.attention import attention_equations

__all__ = ["LegacyMultiHeadAttention"]


def _and(a: Any, b: Any) -> Any:
    return b if a is None else a if b is None else ops.logical_and(a, b)


@keras.saving.register_keras_serializable(package=PACKAGE)
class LegacyMultiHeadAttention(keras.layers.MultiHeadAttention):
    """``MultiHeadAttention`` computing as tf.keras did (masks kept, -1e9 added to masked
    scores). ``softmax_robust_masking`` is tf.keras' option of that name: masked scores are
    replaced by -1e9 instead."""

    def __init__(self, *args: Any, softmax_robust_masking: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.softmax_robust_masking = bool(softmax_robust_masking)

    def _axes(self, rank: int) -> tuple[int, ...]:
        axes = self.attention_axes
        return tuple(axes) if axes is not None else tuple(range(1, rank - 2))

    def _legacy_mask(self, query: Any, value: Any, masks: tuple[Any, Any, Any], attention_mask: Any, causal: bool) -> Any:
        """tf.keras' attention mask: query rows, value/key columns, causal, and-ed together."""
        query_mask, value_mask, key_mask = masks
        auto = None
        if query_mask is not None:
            auto = ops.expand_dims(ops.cast(query_mask, "bool"), -1)
        for m in (value_mask, key_mask):
            if m is not None:
                auto = _and(auto, ops.expand_dims(ops.cast(m, "bool"), -2))
        if causal:
            rows = ops.expand_dims(ops.arange(ops.shape(query)[1]), -1)
            cols = ops.expand_dims(ops.arange(ops.shape(value)[1]), 0)
            auto = _and(auto, ops.expand_dims(ops.greater_equal(rows, cols), 0))
        if attention_mask is None:
            return auto
        if auto is None and keras.backend.standardize_dtype(attention_mask.dtype) != "bool":
            return attention_mask  # tf.keras hands a lone numeric mask to its softmax as it is
        return _and(ops.cast(attention_mask, "bool"), auto)

    def _masked_softmax(self, attention_scores: Any, attention_mask: Any = None) -> Any:
        rank = len(attention_scores.shape)
        n_axes = len(self._axes(rank))
        axes = tuple(range(rank - n_axes, rank))
        scores = attention_scores
        if attention_mask is not None:
            mask = attention_mask
            for _ in range(rank - len(mask.shape)):
                mask = ops.expand_dims(mask, axis=-2 * n_axes - 1)
            big = -65504.0 if keras.backend.standardize_dtype(scores.dtype) == "float16" else -1e9
            if self.softmax_robust_masking:
                if keras.backend.standardize_dtype(mask.dtype) != "bool":
                    mask = ops.greater(mask, ops.cast(0.5, mask.dtype))
                scores = ops.where(mask, scores, ops.cast(big, scores.dtype))
            else:
                scores = ops.add(scores, ops.multiply(ops.subtract(1.0, ops.cast(mask, scores.dtype)), big))
        if len(axes) == 1:
            return ops.softmax(scores, axis=axes[0])
        return ops.exp(ops.subtract(scores, ops.logsumexp(scores, axis=axes, keepdims=True)))

    def call(
        self,
        query: Any,
        value: Any,
        key: Any = None,
        query_mask: Any = None,
        value_mask: Any = None,
        key_mask: Any = None,
        attention_mask: Any = None,
        return_attention_scores: bool = False,
        training: Any = None,
        use_causal_mask: bool = False,
    ) -> Any:
        # Keras fills the *_mask arguments from the inputs' Keras masks; without an explicit
        # key, tf.keras read the value's mask twice, which changes nothing.
        mask = self._legacy_mask(
            query, value, (query_mask, value_mask, key_mask if key is not None else None), attention_mask, use_causal_mask
        )
        key = value if key is None else key
        # Copies carry no Keras mask, so the projections neither warn about nor drop it,
        # and the inputs keep theirs for the model's other layers.
        q = self.query_dense(ops.copy(query))
        k = self.key_dense(ops.copy(key))
        v = self.value_dense(ops.copy(value))
        rank = len(q.shape)
        dot, combine = attention_equations(rank, self._axes(rank))
        q = ops.multiply(q, ops.cast(1.0 / math.sqrt(float(self.key_dim)), q.dtype))
        scores = self._masked_softmax(ops.einsum(dot, k, q), mask)
        weights = self._dropout_layer(scores, training=training) if self.dropout > 0.0 else scores
        output = self.output_dense(ops.einsum(combine, weights, v))
        if return_attention_scores:
            return output, scores
        return output

    def compute_output_spec(
        self,
        query: Any,
        value: Any,
        key: Any = None,
        query_mask: Any = None,
        value_mask: Any = None,
        key_mask: Any = None,
        attention_mask: Any = None,
        return_attention_scores: bool = False,
        training: Any = None,
        use_causal_mask: bool = False,
    ) -> Any:
        output = super().compute_output_spec(query, value, key)
        if not return_attention_scores:
            return output
        rank = len(query.shape) + 1
        axes = self._axes(rank)
        q_shape = (*query.shape[:-1], self.num_heads)
        k_shape = (key if key is not None else value).shape
        batch = [q_shape[i] for i in range(rank - 1) if i not in axes]
        shape = (*batch, *(q_shape[i] for i in axes), *(k_shape[i] for i in axes))
        return output, keras.KerasTensor(shape, dtype=self.compute_dtype)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "softmax_robust_masking": self.softmax_robust_masking}
