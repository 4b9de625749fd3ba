"""Rule ``saving``: file names and formats Keras 3 insists on.

Keras 3 saves whole models only to ``.keras`` (or legacy ``.h5``) files and weights only
to ``*.weights.h5``; ``save_format`` is gone and a TF SavedModel directory can no longer
be saved or loaded as a model. Path literals (plain strings, the last part of an f-string
or of ``os.path.join(...)``) are given the extension Keras 3 needs; anything that cannot
be seen statically, and every place a SavedModel changes meaning, gets a follow-up.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import ClassVar

import libcst as cst

from keras_migrate.codemods.callargs import (
    drop_kwargs,
    get_kwarg,
    literal_string,
    positional,
)
from keras_migrate.codemods.codegen import code_of
from keras_migrate.codemods.rule import Rule, RuleContext, dotted

__all__ = ["Saving"]

_MODEL_HINT = re.compile(
    r"model|net|autoencoder|encoder|decoder|discriminator|generator|classifier", re.I
)
_H5 = (".h5", ".hdf5")
_CONVERT_HINT = (
    "convert it once with `keras-migrate convert PATH` or load it for inference "
    "with keras.layers.TFSMLayer(PATH, call_endpoint='serving_default')"
)


def _edit_path(
    node: cst.BaseExpression, fn: Callable[[str], str | None]
) -> cst.BaseExpression | None:
    """Apply ``fn`` to the literal tail of a path expression; ``None`` if not literal."""
    if isinstance(node, cst.SimpleString):
        if "b" in node.prefix.lower():
            return None
        new = fn(node.raw_value)
        if new is None:
            return node
        return node.with_changes(value=f"{node.prefix}{node.quote}{new}{node.quote}")
    if isinstance(node, cst.FormattedString) and node.parts:
        last = node.parts[-1]
        if isinstance(last, cst.FormattedStringText):
            new = fn(last.value)
            if new is None:
                return node
            return node.with_changes(parts=[*node.parts[:-1], last.with_changes(value=new)])
        return None
    if isinstance(node, cst.Call) and (dotted(node.func) or "").endswith("path.join") and node.args:
        last_arg = node.args[-1]
        edited = _edit_path(last_arg.value, fn)
        if edited is None:
            return None
        return node.with_changes(args=[*node.args[:-1], last_arg.with_changes(value=edited)])
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
        edited = _edit_path(node.right, fn)
        return None if edited is None else node.with_changes(right=edited)
    return None


def _weights_name(path: str) -> str | None:
    if path.endswith(".weights.h5"):
        return None
    for ext in _H5:
        if path.endswith(ext):
            return path[: -len(ext)] + ".weights.h5"
    return path + ".weights.h5"


def _path_arg(call: cst.Call, keyword: str) -> cst.Arg | None:
    arg = get_kwarg(call, keyword)
    if arg is not None:
        return arg
    args = positional(call)
    return args[0] if args else None


def _set_arg(call: cst.Call, arg: cst.Arg, value: cst.BaseExpression) -> cst.Call:
    return call.with_changes(
        args=[a.with_changes(value=value) if a is arg else a for a in call.args]
    )


def _known_extension(ctx: RuleContext, node: cst.BaseExpression, allowed: tuple[str, ...]) -> bool:
    """True when ``node`` is a variable only ever assigned paths with an allowed extension."""
    if not isinstance(node, cst.Name):
        return False
    extensions = ctx.facts.path_variables.get(node.value)
    return bool(extensions) and all(e in allowed for e in extensions or ())


def _receiver_is_model(ctx: RuleContext, func: cst.Attribute) -> bool:
    name = dotted(func.value)
    if name is None:
        return isinstance(func.value, cst.Call)
    return bool(_MODEL_HINT.search(name.rsplit(".", 1)[-1]))


def _code(node: cst.CSTNode) -> str:
    return code_of(node)


class Saving(Rule):
    """Saving/loading file formats (see module docstring)."""

    id = "saving"
    description = (
        "model.save()/save_weights()/ModelCheckpoint paths and save_format to .keras / "
        ".weights.h5; SavedModel loads point to `keras-migrate convert`"
    )
    tokens: ClassVar[tuple[str, ...]] = (
        r"\.save\s*\(",
        r"\b(?:save_weights|load_weights|ModelCheckpoint|load_model|save_format)\b",
    )

    def leave_Call(
        self, ctx: RuleContext, original: cst.Call, updated: cst.Call
    ) -> cst.BaseExpression:
        func = original.func
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            if method == "save" and _receiver_is_model(ctx, func):
                return self._save(ctx, updated)
            if method == "save_weights":
                return self._save_weights(ctx, updated)
            if method == "load_weights":
                return self._load_weights(ctx, updated)
        if ctx.matches(func, "keras.callbacks.ModelCheckpoint"):
            return self._checkpoint(ctx, updated)
        if ctx.matches(func, "keras.models.load_model", "keras.saving.load_model"):
            return self._load_model(ctx, updated)
        return updated

    def _save(self, ctx: RuleContext, call: cst.Call) -> cst.Call:
        fmt_arg = get_kwarg(call, "save_format")
        fmt = literal_string(fmt_arg.value) if fmt_arg else None
        if fmt_arg is not None:
            call = drop_kwargs(call, {"save_format"})
            ctx.change(
                "model.save: dropped save_format (Keras 3 picks the format from the extension)"
            )
        arg = _path_arg(call, "filepath")
        if arg is None:
            return call
        savedmodel = fmt in ("tf", "tensorflow") or (fmt is None and ctx.facts.tf_keras)
        target_ext = ".h5" if fmt in ("h5", "keras_h5") or not savedmodel else ".keras"

        def fix(path: str) -> str | None:
            if path.endswith((".keras", *_H5)):
                return None
            return path + target_ext

        edited = _edit_path(arg.value, fix)
        if edited is None:
            if not _known_extension(ctx, arg.value, (".keras", ".h5", ".weights.h5")):
                ctx.follow_up("model.save needs a path ending in .keras (or .h5) in Keras 3")
            return call
        if edited is arg.value:
            return call
        call = _set_arg(call, arg, edited)
        ctx.change(f"model.save path -> {target_ext} file")
        if target_ext == ".keras":
            ctx.follow_up(
                "this saved a TF SavedModel directory; it now writes a .keras file - "
                "use model.export(dir) for TF Serving and update the code that loads it"
            )
        return call

    def _save_weights(self, ctx: RuleContext, call: cst.Call) -> cst.Call:
        if get_kwarg(call, "save_format") is not None:
            call = drop_kwargs(call, {"save_format"})
            ctx.change("save_weights: dropped save_format")
        arg = _path_arg(call, "filepath")
        if arg is None:
            return call
        checkpoint = False

        def fix(path: str) -> str | None:
            nonlocal checkpoint
            checkpoint = not path.endswith(_H5)
            return _weights_name(path)

        edited = _edit_path(arg.value, fix)
        if edited is None:
            if not _known_extension(ctx, arg.value, (".weights.h5",)):
                ctx.follow_up("save_weights needs a path ending in .weights.h5 in Keras 3")
            return call
        if edited is arg.value:
            return call
        ctx.change("save_weights path -> .weights.h5")
        if checkpoint:
            ctx.follow_up(
                "this wrote a TF checkpoint prefix; Keras 3 writes one .weights.h5 "
                "file - update the code that reads it"
            )
        return _set_arg(call, arg, edited)

    def _load_weights(self, ctx: RuleContext, call: cst.Call) -> cst.Call:
        arg = _path_arg(call, "filepath")
        if arg is None:
            return call
        path = literal_string(arg.value)
        if path is None or path not in ctx.facts.save_weights_paths:
            return call  # Keras 3 still reads legacy .h5 weight files
        new = _weights_name(path)
        if new is None or not isinstance(arg.value, cst.SimpleString):
            return call
        ctx.change("load_weights path follows the renamed save_weights file")
        node = arg.value
        return _set_arg(
            call, arg, node.with_changes(value=f"{node.prefix}{node.quote}{new}{node.quote}")
        )

    def _checkpoint(self, ctx: RuleContext, call: cst.Call) -> cst.Call:
        weights_only_arg = get_kwarg(call, "save_weights_only")
        weights_only = weights_only_arg is not None and not (
            isinstance(weights_only_arg.value, cst.Name) and weights_only_arg.value.value == "False"
        )
        if get_kwarg(call, "period") is not None:
            period = get_kwarg(call, "period")
            call = drop_kwargs(call, {"period"})
            ctx.change("ModelCheckpoint: dropped period")
            if period is not None and not (
                isinstance(period.value, cst.Integer) and period.value.value == "1"
            ):
                ctx.follow_up(
                    "ModelCheckpoint(period=N) was removed: save_freq counts batches; "
                    "use save_freq=N * steps_per_epoch"
                )
        if get_kwarg(call, "save_format") is not None:
            call = drop_kwargs(call, {"save_format"})
        arg = _path_arg(call, "filepath")
        if arg is None:
            return call

        def fix(path: str) -> str | None:
            if weights_only:
                return _weights_name(path)
            if path.endswith(".keras") or path.endswith(".h5"):
                return None
            if path.endswith(".hdf5"):
                return path[: -len(".hdf5")] + ".h5"
            return path + ".keras"

        edited = _edit_path(arg.value, fix)
        if edited is None:
            ctx.follow_up(
                "ModelCheckpoint needs a path ending in .keras/.h5 (or .weights.h5 "
                "with save_weights_only=True) in Keras 3"
            )
            return call
        if edited is arg.value:
            return call
        ctx.change("ModelCheckpoint file pattern -> Keras 3 extension")
        before, after = _code(arg.value), _code(edited)
        ctx.follow_up(
            f"ModelCheckpoint now writes {after} instead of {before} (Keras 3 needs this "
            "extension): update any code that lists, globs or parses these file names"
        )
        return _set_arg(call, arg, edited)

    def _load_model(self, ctx: RuleContext, call: cst.Call) -> cst.Call:
        arg = _path_arg(call, "filepath")
        if arg is None:
            return call
        path = literal_string(arg.value)
        if (
            path is not None
            and path in ctx.facts.save_paths
            and isinstance(arg.value, cst.SimpleString)
        ):
            if not path.endswith((".keras", *_H5)):
                new = path + (".keras" if ctx.facts.tf_keras else ".h5")
                node = arg.value
                ctx.change("load_model path follows the renamed model.save file")
                return _set_arg(
                    call,
                    arg,
                    node.with_changes(value=f"{node.prefix}{node.quote}{new}{node.quote}"),
                )
            return call
        if path is not None and not path.endswith((".keras", *_H5)):
            ctx.follow_up(
                f"{path!r} looks like a TF SavedModel, which Keras 3 cannot load as a "
                f"model: {_CONVERT_HINT}"
            )
        return call
