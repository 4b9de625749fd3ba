"""Vocabulary files the user names explicitly: ``--vocabulary LAYER=FILE`` /
``load(..., vocabularies={"layer": "file.txt"})``.

A lookup layer whose vocabulary was a file path, or was adapted, carries no tokens in most
saved forms (see :mod:`keras_migrate.formats.tfkeras.preprocessing`). A path recorded in a
model file is never opened; a file the *user* names is their explicit choice, so it is
read here, before any reader runs (a missing or unreadable file fails first, naming it).

Readers wrap their own :class:`VocabularySource` in :meth:`VocabularyFiles.over`, which
answers from the user's files first and from the form second. How the lines become
tokens depends on what the layer recorded, and :func:`resolve_vocabularies` already
makes that split:

* a **path-recorded** vocabulary: the file is read as TF's ``TextFileInitializer`` read
  the original (one token per line, ``\\r\\n`` accepted, no final empty line) and every
  line is a token, indexed from the layer's first token index -- as tf.keras did;
* an **adapted** vocabulary: the same lines are taken like a list given to the
  constructor, so leading mask/OOV tokens (as ``layer.get_vocabulary()`` returns them)
  are dropped when they are all there in order, and kept otherwise.

Every name must end up used: one that matches no lookup layer, or a lookup layer that
already holds its vocabulary, is an error naming it (a silently ignored file would mean
the user believes a vocabulary was applied that was not).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from keras_migrate.errors import KerasMigrateError
from keras_migrate.ir.graph import Layer, Model
from keras_migrate.ir.specs import LOOKUP_TYPES

if TYPE_CHECKING:
    from keras_migrate.formats.tfkeras.preprocessing import VocabularySource

__all__ = ["VocabularyFiles", "overlay", "parse_vocabulary_option"]


def parse_vocabulary_option(values: list[str] | None) -> dict[str, str]:
    """``["LAYER=FILE", ...]`` (the repeatable CLI option) as a mapping; the first ``=``
    splits, so a file path may contain one."""
    out: dict[str, str] = {}
    for value in values or ():
        name, sep, file = value.partition("=")
        if not sep or not name or not file:
            raise KerasMigrateError(f"--vocabulary {value!r} is not LAYER=FILE", hint="e.g. --vocabulary string_lookup=vocab.txt")
        if name in out:
            raise KerasMigrateError(f"--vocabulary names layer {name!r} twice", layer=name)
        out[name] = file
    return out


class VocabularyFiles:
    """The user's vocabulary files by legacy layer name, read up front, and which names a
    reader consulted (so :meth:`check_used` can refuse names that matched nothing)."""

    def __init__(self, files: Mapping[str, str | os.PathLike[str]]) -> None:
        self.files = {str(name): os.fspath(file) for name, file in files.items()}
        self._texts = {name: _read(file, name) for name, file in self.files.items()}
        self.used: set[str] = set()

    def tokens(self, layer: Layer) -> list[Any] | None:
        """The tokens the user gave for ``layer`` (file lines, in order), or None."""
        from keras_migrate.formats.tfkeras.preprocessing import parse_vocabulary_lines

        name = layer.origin.name or layer.name
        text = self._texts.get(name)
        if text is None:
            return None
        self.used.add(name)
        file = self.files[name]
        try:
            tokens = parse_vocabulary_lines(text, strings=LOOKUP_TYPES[layer.type], file=True)
        except ValueError as exc:
            raise KerasMigrateError(f"vocabulary file of IntegerLookup {name!r} holds a line that is not an integer ({exc})",
                                    path=file, layer=name) from exc
        if not tokens:
            raise KerasMigrateError("vocabulary file holds no tokens", path=file, layer=name)
        return tokens

    def checked(self, layer: Layer, tokens: list[Any], *, adapted: bool) -> list[Any]:
        """``tokens`` as the layer will hold them, refusing what Keras 3 would refuse on
        loading the converted model (a repeated token, the mask token among the tokens)."""
        from keras_migrate.formats.tfkeras.preprocessing import lookup_view, strip_special_tokens

        name = layer.origin.name or layer.name
        cfg = lookup_view(layer)
        kept = strip_special_tokens(cfg, tokens)[0] if adapted else tokens
        seen: set[Any] = set()
        for token in kept:
            if token in seen:
                raise KerasMigrateError(f"vocabulary file repeats the token {token!r}", path=self.files[name], layer=name)
            seen.add(token)
        mask = cfg.get("mask_token")
        if mask is not None and mask in seen:
            where = "after the special tokens" if adapted else "(a file's lines are all tokens)"
            raise KerasMigrateError(f"vocabulary file holds the mask token {mask!r} {where}",
                                    path=self.files[name], layer=name)
        return kept

    def over(self, own: VocabularySource | None, what: str) -> VocabularySource:
        """A :class:`VocabularySource` answering from these files, then from ``own`` (the
        form's source, or None); ``what`` names the form when ``own`` is None."""
        return _Overlay(self, own, own.what if own is not None else what)

    def check_used(self, model: Model, *, path: str) -> None:
        """Refuse every name no reader asked for, saying why it matched nothing."""
        unused = [n for n in self.files if n not in self.used]
        if not unused:
            return
        lookups = {lay.origin.name or lay.name: lay for _, lay in model.graph.walk_layers() if lay.type in LOOKUP_TYPES}
        name = unused[0]
        if name in lookups:
            raise KerasMigrateError(
                f"--vocabulary {name}: {lookups[name].type} {name!r} already has its vocabulary in the model, so the "
                f"file {self.files[name]!r} would not be used",
                path=path, layer=name,
                hint="pass --vocabulary only for lookup layers whose vocabulary was a file path or adapted",
            )
        known = ", ".join(sorted(lookups)) or "none"
        raise KerasMigrateError(
            f"--vocabulary {name}: the model has no lookup layer named {name!r} (its lookup layers: {known})",
            path=path, layer=name,
        )


class _Overlay:
    """The user's files first, then the form's own source."""

    def __init__(self, files: VocabularyFiles, own: VocabularySource | None, what: str) -> None:
        self._files = files
        self._own = own
        self.what = what

    def adapted(self, layer: Layer) -> list[Any] | None:
        tokens = self._files.tokens(layer)
        if tokens is None:
            return None if self._own is None else self._own.adapted(layer)
        return self._files.checked(layer, tokens, adapted=True)

    def vocabulary_file(self, layer: Layer, path: str) -> list[Any] | None:
        tokens = self._files.tokens(layer)
        if tokens is None:
            return None if self._own is None else self._own.vocabulary_file(layer, path)
        return self._files.checked(layer, tokens, adapted=False)


def overlay(
    files: VocabularyFiles | None, own: VocabularySource | None, source_format: str
) -> VocabularySource | None:
    """The vocabularies the pipeline resolves lookup layers from: ``own`` (the form's) alone when
    the user named no files, else the user's files over it."""
    if files is None:
        return own
    from keras_migrate.formats.tfkeras.preprocessing import describe_form

    return files.over(own, describe_form(source_format))


def _read(file: str, name: str) -> str:
    try:
        with open(file, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise KerasMigrateError(f"cannot read the vocabulary file given for layer {name!r} ({exc.strerror or exc})",
                                path=file, layer=name) from exc
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise KerasMigrateError(f"vocabulary file given for layer {name!r} is not UTF-8 ({exc})", path=file, layer=name) from exc
