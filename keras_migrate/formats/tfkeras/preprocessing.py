"""Rules for tf.keras preprocessing layers with state: resizing and cropping, category
encoding, hashing, vocabulary lookups and text vectorization; and the recovery of their
vocabularies from wherever each saved form keeps them.

Keras 3 has every one of these classes with the same arguments and, where it runs TF
underneath (hashing, lookups, text), the same numbers. Two things need care:

* **Resizing**: Keras 3's bilinear and nearest equal TF's on every backend, its bicubic
  does not (jax samples the cubic kernel exactly where TF quantizes it to a 1024-entry
  table; torch uses a = -0.75), so bicubic becomes the ``keras_migrate>TFResizing``
  compat layer. Area, Lanczos, Gaussian and Mitchell-cubic are refused (Keras 3 lacks
  them on some backend).
* **Vocabularies** live in the config only when given to the constructor as a list. An
  adapted vocabulary, or one given as a file path, is elsewhere or nowhere:

  ==================  =========================================================
  form                adapted / file vocabulary
  ==================  =========================================================
  ``.h5``             tf.keras cannot write an adapted lookup layer to HDF5
                      (``NotImplementedError``); a file vocabulary is a path
  JSON + weights      same
  JSON + checkpoint   not stored: the checkpoint holds only the empty ``adapt``
                      accumulator (tf.keras itself reloads an empty vocabulary)
  SavedModel          the lookup table's initializer constants in
                      ``saved_model.pb``; a file vocabulary is copied to
                      ``assets/`` (:mod:`keras_migrate.formats.tensorflow.savedmodel_tables`)
  tf_keras ``.keras``  ``assets/<layer path>/vocabulary.txt`` (adapted); a file
                      vocabulary is a path
  ==================  =========================================================

  The rules leave ``vocabulary=None`` for these; :func:`resolve_vocabularies` fills it
  from a :class:`VocabularySource` the reader provides, or refuses naming the layer and
  what the form lacks. A path stored in a config is never opened: a model file must not
  make the converter read (and copy into its output) an arbitrary local file. The user may
  name a file explicitly instead (``--vocabulary LAYER=FILE``,
  :mod:`keras_migrate.formats.vocabulary_files`), which the readers consult first.

The converted layer always carries its vocabulary in its config, which Keras 3 accepts
for every form (its ``save_assets``/``load_assets`` do nothing when the config holds the
vocabulary) and which, unlike a one-token-per-line asset, keeps tokens containing line
breaks intact. ``tf_idf`` weights stay a weight (``idf_weights``), as Keras 3 saves them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, Protocol

from keras_migrate.errors import UnsupportedError
from keras_migrate.formats.rules import TranslateContext, clean_config, register
from keras_migrate.ir.graph import Graph, Layer
from keras_migrate.ir.ops.tf import TFRESIZING_TYPE
from keras_migrate.ir.specs import LOOKUP_TYPES  # re-exported: readers import it from here too

__all__ = [
    "LOOKUP_TYPES",
    "VocabularySource",
    "describe_form",
    "lookup_view",
    "parse_vocabulary_lines",
    "resolve_vocabularies",
    "strip_special_tokens",
]

_EXACT_RESIZE = ("bilinear", "nearest")
_STANDARDIZE = (None, "lower_and_strip_punctuation", "lower", "strip_punctuation")
_SPLIT = (None, "whitespace", "character")
_OUTPUT_MODES = {
    "CategoryEncoding": ("one_hot", "multi_hot", "count"),
    "Hashing": ("int", "one_hot", "multi_hot", "count"),
    "lookup": ("int", "one_hot", "multi_hot", "count", "tf_idf"),
    "TextVectorization": ("int", "multi_hot", "count", "tf_idf"),
}


def _mode(value: Any, kind: str, ctx: TranslateContext) -> str:
    mode = "multi_hot" if value == "binary" else value
    if mode not in _OUTPUT_MODES[kind]:
        raise ctx.fail(f"output_mode={value!r} is not supported here (supported: {', '.join(_OUTPUT_MODES[kind])})")
    return str(mode)


def _no_sparse(cfg: Mapping[str, Any], ctx: TranslateContext) -> None:
    if cfg.get("sparse"):
        raise ctx.fail("sparse=True outputs a tf.SparseTensor, which Keras 3 models do not pass between layers on every backend")


# --------------------------------------------------------------------------- images


@register("Resizing")
def _resizing(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    cfg = clean_config(config)
    method = cfg.get("interpolation", "bilinear")
    out = {
        "height": int(cfg["height"]),
        "width": int(cfg["width"]),
        "interpolation": method,
        "crop_to_aspect_ratio": bool(cfg.get("crop_to_aspect_ratio", False)),
        "data_format": "channels_last",  # tf.keras resized NHWC; Keras 3 would follow image_data_format()
    }
    if method in _EXACT_RESIZE:
        return "Resizing", out
    if method == "bicubic":
        ctx.notes.append(
            f"{ctx.layer_name}: bicubic resizing as TF computes it (compat:TFResizing); Keras 3's bicubic differs on jax and torch"
        )
        return TFRESIZING_TYPE, out
    raise ctx.fail(
        f"Resizing interpolation {method!r} has no exact Keras 3 equivalent on every backend",
        hint="bilinear, nearest and bicubic convert exactly",
    )


@register("CenterCrop")
def _center_crop(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    cfg = clean_config(config)
    return "CenterCrop", {"height": int(cfg["height"]), "width": int(cfg["width"]), "data_format": "channels_last"}


# --------------------------------------------------------------------------- categories


@register("CategoryEncoding")
def _category_encoding(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    cfg = clean_config(config)
    _no_sparse(cfg, ctx)
    if cfg.get("num_tokens") is None:
        raise ctx.fail("CategoryEncoding without num_tokens")
    return "CategoryEncoding", {"num_tokens": int(cfg["num_tokens"]), "output_mode": _mode(cfg.get("output_mode", "multi_hot"), "CategoryEncoding", ctx)}


@register("Hashing")
def _hashing(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    cfg = clean_config(config)
    _no_sparse(cfg, ctx)
    salt = cfg.get("salt")
    if isinstance(salt, int):
        salt = [salt, salt]
    if salt is not None and not (
        isinstance(salt, (list, tuple)) and len(salt) == 2 and all(type(s) is int for s in salt)
    ):
        raise ctx.fail(f"Hashing salt {salt!r} is not one integer or a pair of integers")
    return "Hashing", {
        "num_bins": int(cfg["num_bins"]),
        "mask_value": cfg.get("mask_value"),
        "salt": None if salt is None else [int(s) for s in salt],
        "output_mode": _mode(cfg.get("output_mode", "int"), "Hashing", ctx),
    }


# --------------------------------------------------------------------------- vocabularies


def _special_tokens(cfg: Mapping[str, Any]) -> list[Any]:
    oov_start = 1 if cfg.get("mask_token") is not None and cfg.get("output_mode", "int") == "int" else 0
    return [cfg.get("mask_token")] * oov_start + [cfg.get("oov_token")] * int(cfg.get("num_oov_indices", 1))


def strip_special_tokens(cfg: Mapping[str, Any], tokens: Sequence[Any], idf: Sequence[float] | None = None) -> tuple[list[Any], list[float] | None]:
    """Drop the mask/OOV tokens (and their idf weights) a vocabulary starts with, exactly as
    tf.keras' ``set_vocabulary`` does when they are all there in order."""
    special = _special_tokens(cfg)
    if special and list(tokens[: len(special)]) == special:
        return list(tokens[len(special) :]), None if idf is None else list(idf[len(special) :])
    return list(tokens), None if idf is None else list(idf)


def _lookup_config(cfg: dict[str, Any], ctx: TranslateContext, *, strings: bool) -> dict[str, Any]:
    _no_sparse(cfg, ctx)
    if cfg.get("encoding", "utf-8") not in (None, "utf-8", "UTF-8"):
        raise ctx.fail(f"encoding={cfg['encoding']!r} is not supported (only utf-8)")
    out: dict[str, Any] = {
        "max_tokens": cfg.get("max_tokens"),
        "num_oov_indices": int(cfg.get("num_oov_indices", 1)),
        "mask_token": cfg.get("mask_token"),
        "oov_token": cfg.get("oov_token", "[UNK]" if strings else -1),
        "output_mode": _mode(cfg.get("output_mode", "int"), "lookup", ctx),
        "pad_to_max_tokens": bool(cfg.get("pad_to_max_tokens", False)),
        "invert": bool(cfg.get("invert", False)),
    }
    if out["invert"] and out["output_mode"] != "int":
        raise ctx.fail("invert=True needs output_mode='int'")
    if not strings and cfg.get("vocabulary_dtype", "int64") != "int64":
        raise ctx.fail(f"IntegerLookup vocabulary_dtype={cfg['vocabulary_dtype']!r}: Keras 3 supports only int64")
    _set_vocabulary(out, cfg.get("vocabulary"), cfg.get("idf_weights"), strings=strings)
    if strings:
        out["encoding"] = "utf-8"
    else:
        out["vocabulary_dtype"] = "int64"
    return out


def _set_vocabulary(out: dict[str, Any], vocabulary: Any, idf: Any, *, strings: bool) -> None:
    if isinstance(vocabulary, (list, tuple)):
        tokens = [str(t) for t in vocabulary] if strings else [int(t) for t in vocabulary]
        tokens, idf_list = strip_special_tokens(out, tokens, list(idf) if isinstance(idf, (list, tuple)) else None)
        out["vocabulary"] = tokens
        out["idf_weights"] = idf_list if out["output_mode"] == "tf_idf" else None
    else:  # adapted (None) or a file path: filled in later by resolve_vocabularies
        out["vocabulary"] = None
        out["idf_weights"] = None


@register("StringLookup")
def _string_lookup(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    return "StringLookup", _lookup_config(clean_config(config, ("vocabulary_size", "has_input_vocabulary")), ctx, strings=True)


@register("IntegerLookup")
def _integer_lookup(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    return "IntegerLookup", _lookup_config(clean_config(config, ("vocabulary_size", "has_input_vocabulary")), ctx, strings=False)


@register("TextVectorization")
def _text_vectorization(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    cfg = clean_config(config, ("vocabulary_size", "has_input_vocabulary"))
    _no_sparse(cfg, ctx)
    cfg.setdefault("standardize", "lower_and_strip_punctuation")  # tf.keras' defaults
    cfg.setdefault("split", "whitespace")
    for key, allowed in (("standardize", _STANDARDIZE), ("split", _SPLIT)):
        if cfg.get(key) not in allowed:
            raise ctx.fail(
                f"TextVectorization {key}={cfg.get(key)!r} is a custom function, which is Python code the file does not hold",
                hint=f"supported: {', '.join(repr(a) for a in allowed)}",
            )
    if cfg.get("ragged"):
        raise ctx.fail("TextVectorization ragged=True outputs a tf.RaggedTensor, which Keras 3 cannot pass on every backend")
    ngrams = cfg.get("ngrams")
    out: dict[str, Any] = {
        "max_tokens": cfg.get("max_tokens"),
        "standardize": cfg.get("standardize"),
        "split": cfg.get("split"),
        "ngrams": list(ngrams) if isinstance(ngrams, (list, tuple)) else ngrams,
        "output_mode": _mode(cfg.get("output_mode", "int"), "TextVectorization", ctx),
        "output_sequence_length": cfg.get("output_sequence_length"),
        "pad_to_max_tokens": bool(cfg.get("pad_to_max_tokens", False)),
        "encoding": "utf-8",
        # TextVectorization's inner lookup: mask "", one OOV bucket "[UNK]".
        "mask_token": "",
        "oov_token": "[UNK]",
        "num_oov_indices": 1,
    }
    if cfg.get("encoding", "utf-8") not in ("utf-8", "UTF-8"):
        raise ctx.fail(f"encoding={cfg['encoding']!r} is not supported (only utf-8)")
    _set_vocabulary(out, cfg.get("vocabulary"), cfg.get("idf_weights"), strings=True)
    for key in ("mask_token", "oov_token", "num_oov_indices"):
        del out[key]
    return "TextVectorization", out


def lookup_view(layer: Layer) -> dict[str, Any]:
    """The lookup settings of a lookup-type layer (TextVectorization's inner StringLookup)."""
    cfg = dict(layer.config)
    if layer.type == "TextVectorization":
        cfg.update(mask_token="", oov_token="[UNK]", num_oov_indices=1)
    return cfg


# --------------------------------------------------------------------------- recovery


class VocabularySource(Protocol):
    """Where a reader finds vocabularies that are not in a layer's config."""

    #: How messages name the form, e.g. ``"this SavedModel"``.
    what: str

    def adapted(self, layer: Layer) -> list[Any] | None:
        """The adapted vocabulary of ``layer``, or None if the form does not hold one.

        May include the special tokens at the front (they are stripped as tf.keras does).
        """
        ...

    def vocabulary_file(self, layer: Layer, path: str) -> list[Any] | None:
        """The tokens of the vocabulary file ``path`` (as recorded in the config), one per
        line in file order, or None if the form holds no copy of it."""
        ...


def parse_vocabulary_lines(text: str, *, strings: bool, file: bool) -> list[Any]:
    """Tokens of a vocabulary text: tf.keras' ``vocabulary.txt`` asset (``"\\n".join``) or a
    user's vocabulary file (TF's ``TextFileInitializer``: one token per line, no final
    empty line)."""
    lines = text.split("\n")
    if file:
        lines = [ln[:-1] if ln.endswith("\r") else ln for ln in lines]
        if lines and lines[-1] == "":
            lines.pop()
    return lines if strings else [int(ln) for ln in lines]


def describe_form(source_format: str) -> str:
    """How refusals name a source form (``keras-json+tf-checkpoint`` -> "a TF checkpoint")."""
    if "tf-checkpoint" in source_format:
        return "a TF checkpoint"
    if source_format.startswith("savedmodel"):
        return "this SavedModel"
    if source_format.startswith("keras-zip"):
        return "this .keras archive"
    if source_format == "keras-h5":
        return "an .h5 file"
    return "an architecture file with HDF5 weights"


_FORM_HINTS = {
    "adapted": "convert the SavedModel or the tf_keras .keras file of this model, which store adapted vocabularies, "
    "or pass the vocabulary as --vocabulary {name}=FILE (one token per line)",
    "file": "convert the SavedModel of this model, which copies the vocabulary file into its assets/, "
    "or pass the file as --vocabulary {name}=FILE",
}


def resolve_vocabularies(graph: Graph, source: VocabularySource | None, *, path: str, what: str) -> Graph:
    """Fill every lookup layer's missing vocabulary from ``source``; refuse where the form
    holds none (``what`` names the form when ``source`` is None)."""
    layers = []
    changed = False
    for layer in graph.layers:
        new = layer
        if layer.subgraph is not None:
            sub = resolve_vocabularies(layer.subgraph, source, path=path, what=what)
            if sub is not layer.subgraph:
                new = replace(layer, subgraph=sub)
        elif layer.type in LOOKUP_TYPES and layer.config.get("vocabulary") is None:
            new = _resolve(layer, source, path=path, what=source.what if source is not None else what)
        changed = changed or new is not layer
        layers.append(new)
    return replace(graph, layers=tuple(layers)) if changed else graph


def _resolve(layer: Layer, source: VocabularySource | None, *, path: str, what: str) -> Layer:
    strings = LOOKUP_TYPES[layer.type]
    recorded = layer.origin.config.get("vocabulary")
    name = layer.origin.name or layer.name
    if isinstance(recorded, str):
        kind = "file"
        tokens = source.vocabulary_file(layer, recorded) if source is not None else None
        missing = f"reads its vocabulary from the file {recorded!r}, of which {what} holds no copy"
    else:
        kind = "adapted"
        tokens = source.adapted(layer) if source is not None else None
        missing = f"has an adapted vocabulary, which {what} does not store"
    if tokens is None:
        raise UnsupportedError(
            f"{layer.type} {name!r} {missing}", path=path or None, layer=name, hint=_FORM_HINTS[kind].format(name=name)
        )
    # A file's lines are the tokens, indexed from the first token index; an adapted
    # vocabulary starts with the special tokens.
    special = kind == "adapted"
    cfg = lookup_view(layer)
    tokens = [str(t) for t in tokens] if strings else [int(t) for t in tokens]
    if special:
        tokens, _ = strip_special_tokens(cfg, tokens)
    idf = None
    if cfg.get("output_mode") == "tf_idf":
        stored = layer.weight("idf_weights").numpy().astype(float).tolist()
        start = len(_special_tokens(cfg))
        idf = stored[start : start + len(tokens)]
        if len(idf) != len(tokens):
            raise UnsupportedError(
                f"{layer.type} {name!r}: {len(stored)} stored idf weights do not fit {len(tokens)} tokens",
                path=path or None,
                layer=name,
            )
    return layer.with_config(vocabulary=tokens, idf_weights=idf)
