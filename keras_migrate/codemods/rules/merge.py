"""Rule ``merge``: Keras 1 ``merge(...)`` / ``Merge(...)`` to the Keras 2+ merge layers.

``merge([a, b], mode='sum')`` becomes ``keras.layers.add([a, b])`` (``mul`` -> multiply,
``ave`` -> average, ``max`` -> maximum, ``concat`` -> concatenate with ``axis``, ``dot``
-> dot with ``axes``, ``cos`` -> dot with ``normalize=True``); ``Merge(mode=...)`` used as
a layer becomes the matching class. A ``Merge`` of Sequential branches, or a callable
mode, needs the functional API and gets a follow-up comment.
"""

from __future__ import annotations

from typing import ClassVar

import libcst as cst

from keras_migrate.codemods.callargs import (
    add_kwarg,
    drop_kwargs,
    get_kwarg,
    literal_string,
    positional,
    rename_kwargs,
)
from keras_migrate.codemods.rule import Rule, RuleContext

__all__ = ["Merge"]

#: mode -> (function, class)
_MODES = {
    "sum": ("add", "Add"),
    "mul": ("multiply", "Multiply"),
    "ave": ("average", "Average"),
    "max": ("maximum", "Maximum"),
    "concat": ("concatenate", "Concatenate"),
    "dot": ("dot", "Dot"),
    "cos": ("dot", "Dot"),
}
_FUNCS = ("keras.layers.merge", "keras.merge")
_CLASSES = ("keras.layers.Merge", "keras.Merge")


class Merge(Rule):
    """Keras 1 merge to Keras 2+ merge layers (see module docstring)."""

    id = "merge"
    description = (
        "Keras 1 merge(..., mode=...) / Merge(...) to add/multiply/average/maximum/concatenate/dot"
    )
    symbols: ClassVar[frozenset[str]] = frozenset({*_FUNCS, *_CLASSES})

    def leave_Call(
        self, ctx: RuleContext, original: cst.Call, updated: cst.Call
    ) -> cst.BaseExpression:
        legacy = ctx.legacy_names(original.func)
        if any(n in _FUNCS for n in legacy):
            return self._convert(ctx, updated, functional=True)
        if any(n in _CLASSES for n in legacy):
            if positional(updated) or get_kwarg(updated, "layers") is not None:
                ctx.follow_up(
                    "Merge of Sequential branches was removed in Keras 2: rebuild "
                    "this model with the functional API and keras.layers.concatenate/add"
                )
                return updated
            return self._convert(ctx, updated, functional=False)
        return updated

    def _convert(self, ctx: RuleContext, call: cst.Call, *, functional: bool) -> cst.BaseExpression:
        mode_arg = get_kwarg(call, "mode")
        mode = "sum" if mode_arg is None else literal_string(mode_arg.value)
        if mode not in _MODES:
            ctx.follow_up(
                "merge with a callable mode: replace with keras.layers.Lambda(fn, "
                "output_shape=...) applied to the list of inputs"
            )
            return call
        function, cls = _MODES[mode]
        new = drop_kwargs(
            call,
            {"mode", "output_shape", "output_mask", "node_indices", "tensor_indices", "arguments"},
        )
        if mode == "concat":
            new = rename_kwargs(new, {"concat_axis": "axis"})
        elif mode in ("dot", "cos"):
            new = rename_kwargs(new, {"dot_axes": "axes"})
            if get_kwarg(new, "axes") is None:
                new = add_kwarg(new, "axes", "-1")
            if mode == "cos":
                new = add_kwarg(new, "normalize", "True")
                ctx.follow_up(
                    "merge mode='cos' became dot(normalize=True): its output shape "
                    "differs from Keras 1 (no trailing singleton axis); check downstream layers"
                )
        else:
            new = drop_kwargs(new, {"concat_axis", "dot_axes"})
        target = f"layers.{function}" if functional else f"layers.{cls}"
        ctx.change(f"merge mode={mode!r} -> keras.{target}")
        return new.with_changes(func=ctx.keras(target))
