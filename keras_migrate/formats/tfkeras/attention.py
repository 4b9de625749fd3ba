"""Rules for tf.keras' attention layers and ``EinsumDense``.

``Attention``, ``AdditiveAttention`` and ``EinsumDense`` compute in Keras 3 exactly as in
tf.keras; only arguments change (tf.keras < 2.10 stored a ``causal`` flag that later
moved to the call's ``use_causal_mask``; ``causal=True`` is refused).

A tf.keras ``MultiHeadAttention`` becomes the compat ``keras_migrate>LegacyMultiHeadAttention``,
a subclass of Keras 3's with the same arguments, weights and weight paths, because Keras
3's own computes differently wherever Keras masks are involved: it clears the masks of its
input tensors in place (so other layers reading those tensors lose them), and outside its
fused attention path it zeroes fully masked score rows that tf.keras made uniform. Whether
a layer's inputs carry masks depends on the whole graph, not on the layer's config, so
every tf.keras MultiHeadAttention is converted this way; one from a Keras 3 file stays
Keras 3's. tf.keras' negative ``attention_axes`` count from the projected query's rank,
Keras 3's from the input's, so they are made non-negative here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from keras_migrate.errors import UnsupportedError
from keras_migrate.formats.rules import (
    TranslateContext,
    clean_config,
    register,
    register_call_rewrite,
    with_activation,
)
from keras_migrate.ir.ops.attention import LEGACY_MHA

__all__: list[str] = []  # rules register themselves

#: tf.keras MultiHeadAttention config keys that only record build shapes.
_MHA_SHAPE_KEYS = ("query_shape", "key_shape", "value_shape")
#: Keras 3-only MultiHeadAttention arguments this package does not run.
_MHA_KERAS3_ONLY = {"use_gate": (False, None), "sliding_window": (None,), "flash_attention": (None, False)}


def _rank(shape: Any) -> int | None:
    return len(shape) if isinstance(shape, (list, tuple)) else None


def _attention_axes(axes: Any, query_rank: int | None, ctx: TranslateContext) -> list[int] | None:
    """tf.keras' attention axes as non-negative axes of the projected query.

    tf.keras indexes negative axes into the projected ``(batch, ..., heads, dim)`` query,
    one rank more than the input; Keras 3 counts them from the input's rank instead, so
    they are resolved here, where both agree.
    """
    if axes is None:
        return None
    items = [int(a) for a in axes] if isinstance(axes, (list, tuple)) else [int(axes)]
    if all(a >= 0 for a in items):
        return items
    if query_rank is None:
        raise ctx.fail(
            f"MultiHeadAttention attention_axes={axes!r} has negative axes, and the config does not record the query rank",
            hint="re-save the model after building it, or use non-negative attention_axes",
        )
    return [a + query_rank + 1 if a < 0 else a for a in items]


@register("MultiHeadAttention")
def _multi_head_attention(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    cfg = clean_config(config, _MHA_SHAPE_KEYS)
    for key, allowed in _MHA_KERAS3_ONLY.items():
        if cfg.get(key, allowed[0]) not in allowed:
            raise ctx.fail(f"MultiHeadAttention {key}={cfg[key]!r} is not supported")
        cfg.pop(key, None)
    robust = bool(cfg.pop("softmax_robust_masking", False))
    if ctx.generation == "keras3":
        return "MultiHeadAttention", cfg
    cfg["attention_axes"] = _attention_axes(cfg.get("attention_axes"), _rank(config.get("query_shape")), ctx)
    return LEGACY_MHA, {**cfg, "softmax_robust_masking": robust}


def _dense_attention(layer_type: str) -> Any:
    def rule(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
        if config.get("causal"):
            raise ctx.fail(
                f"{layer_type}(causal=True) is not supported: Keras 3 takes causal masking as a call argument",
                hint="rebuild the model calling the layer with use_causal_mask=True (tf.keras >= 2.10) and convert that",
            )
        return layer_type, clean_config(config, ("causal",))

    return rule


register("Attention")(_dense_attention("Attention"))
register("AdditiveAttention")(_dense_attention("AdditiveAttention"))


@register("EinsumDense")
def _einsum_dense(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    return "EinsumDense", with_activation(clean_config(config), ctx, "activation")


@register_call_rewrite("MultiHeadAttention")
def _mha_call(
    layer_type: str, config: Mapping[str, Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """``mha(query, value=v, key=k)`` -> ``mha(query, v, k)``.

    tf.keras records every argument after the query as a keyword. Passed positionally, the
    value and key keep their Keras masks in the IR (the interpreter reads the masks of
    positional arguments), and Keras 3 fills ``value_mask``/``key_mask`` from them just as
    tf.keras read them off the tensors.
    """
    kwargs = dict(kwargs)
    out = list(args)
    for position, name in ((1, "value"), (2, "key")):
        if name not in kwargs:
            continue
        value = kwargs.pop(name)
        if value is None:
            continue
        if len(out) != position:
            raise UnsupportedError(f"MultiHeadAttention call passes {name} both positionally and by keyword")
        out.append(value)
    return tuple(out), kwargs
