"""tf.keras preprocessing layers: resizing and cropping, category encoding, hashing,
vocabulary lookups and text vectorization.

Each kernel reproduces what tf.keras 2.x computed (the fixtures hold its outputs):
resizing uses TF's sample positions (:mod:`keras_migrate.ir.ops.tf_resize`), hashing TF's
FarmHash / SipHash (:mod:`._string_hash`), lookups TF's table semantics (mask token, OOV buckets hashed for
strings and ``floormod`` for integers, ``tf_idf`` weights as stored). String inputs are
numpy arrays of ``str`` (or ``bytes``); text is processed as TF does, on UTF-8 bytes:
``lower`` changes ASCII letters only and whitespace splitting splits on ASCII whitespace.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from keras_migrate.ir.graph import Layer
from keras_migrate.ir.interpreter.kernels._common import float_array, unsupported
from keras_migrate.ir.interpreter.kernels._string_hash import fingerprint64, siphash24
from keras_migrate.ir.interpreter.registry import Context, kernel
from keras_migrate.ir.ops.tf import TFRESIZING_TYPE
from keras_migrate.ir.ops.tf_resize import (
    crop_box_for_aspect_ratio,
    interpolation_matrix,
)

__all__ = [
    "category_encoding",
    "center_crop",
    "encode_categorical",
    "hash_buckets",
    "hashing",
    "index_lookup",
    "resize_images",
    "resizing",
    "text_vectorization",
    "vocabulary_indices",
]

#: tf.keras ``DEFAULT_STRIP_REGEX``: ASCII punctuation removed by ``strip_punctuation``.
_PUNCTUATION = re.compile(r"[!\"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~']")
_ASCII_UPPER = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", b"abcdefghijklmnopqrstuvwxyz")


# --------------------------------------------------------------------------- images


def resize_images(x: np.ndarray, height: int, width: int, method: str, crop_to_aspect_ratio: bool = False) -> np.ndarray:
    """Resize an NHWC (or HWC) batch as ``tf.image.resize`` (after tf.keras' ``smart_resize`` crop)."""
    x = float_array(x)
    h_axis = x.ndim - 3
    in_h, in_w = x.shape[h_axis], x.shape[h_axis + 1]
    if crop_to_aspect_ratio:
        top, left, ch, cw = crop_box_for_aspect_ratio(in_h, in_w, height, width)
        index = [slice(None)] * x.ndim
        index[h_axis], index[h_axis + 1] = slice(top, top + ch), slice(left, left + cw)
        x = x[tuple(index)]
        in_h, in_w = ch, cw
    rows = interpolation_matrix(method, in_h, height)
    cols = interpolation_matrix(method, in_w, width)
    out = np.einsum("oh,...hwc->...owc", rows, x)
    out = np.einsum("pw,...owc->...opc", cols, out)
    return np.ascontiguousarray(out, dtype=np.float32)


def _image_args(layer: Layer) -> tuple[int, int]:
    if layer.config.get("data_format", "channels_last") not in (None, "channels_last"):
        raise unsupported(layer, f"{layer.type} with data_format={layer.config['data_format']!r} is not supported")
    return int(layer.config["height"]), int(layer.config["width"])


@kernel("Resizing")
def resizing(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> np.ndarray:
    cfg = layer.config
    height, width = _image_args(layer)
    method = cfg.get("interpolation", "bilinear")
    if method not in ("bilinear", "nearest"):
        raise unsupported(layer, f"Keras 3 Resizing interpolation {method!r} is not reproduced exactly on every backend")
    if cfg.get("pad_to_aspect_ratio") or cfg.get("antialias"):
        raise unsupported(layer, "Resizing with pad_to_aspect_ratio or antialias is not supported")
    return resize_images(args[0], height, width, method, bool(cfg.get("crop_to_aspect_ratio", False)))


@kernel(TFRESIZING_TYPE)
def tf_resizing(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> np.ndarray:
    height, width = _image_args(layer)
    method = str(layer.config.get("interpolation", "bicubic"))
    if method not in ("bilinear", "nearest", "bicubic"):
        raise unsupported(layer, f"TF resizing method {method!r} is not supported")
    return resize_images(args[0], height, width, method, bool(layer.config.get("crop_to_aspect_ratio", False)))


@kernel("CenterCrop")
def center_crop(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> np.ndarray:
    height, width = _image_args(layer)
    x = float_array(args[0])
    h_axis = x.ndim - 3
    dh, dw = x.shape[h_axis] - height, x.shape[h_axis + 1] - width
    if dh < 0 or dw < 0:  # too small on one side: tf.keras resizes (bilinear, aspect-ratio crop)
        return resize_images(x, height, width, "bilinear", crop_to_aspect_ratio=True)
    index = [slice(None)] * x.ndim
    index[h_axis], index[h_axis + 1] = slice(dh // 2, dh // 2 + height), slice(dw // 2, dw // 2 + width)
    return np.ascontiguousarray(x[tuple(index)])


# --------------------------------------------------------------------------- categories


def encode_categorical(
    indices: np.ndarray | Sequence[np.ndarray],
    mode: str,
    depth: int,
    *,
    weights: np.ndarray | None = None,
    idf: np.ndarray | None = None,
) -> np.ndarray:
    """tf.keras ``encode_categorical_inputs`` for dense (or ragged: a list of rows) indices.

    ``one_hot`` adds a last axis unless it is already 1; rank > 2 is refused as TF does;
    indices outside ``[0, depth)`` are dropped (masked tokens arrive as ``depth``).
    """
    if isinstance(indices, np.ndarray):
        x = indices.astype(np.int64)
        if x.ndim == 0:
            x = x[None]
        if mode == "one_hot" and x.shape[-1] != 1:
            x = x[..., None]
        if x.ndim > 2:
            raise ValueError(f"output_mode {mode!r} supports inputs of rank <= 2 (got shape {indices.shape})")
        rows: Sequence[np.ndarray] = [x] if x.ndim == 1 else list(x)
        row_weights = None if weights is None else ([weights] if x.ndim == 1 else list(weights))
        flat = x.ndim == 1
    else:
        rows, flat = [np.asarray(r, dtype=np.int64) for r in indices], False
        row_weights = None
    out = np.zeros((len(rows), depth), dtype=np.float32)
    for i, row in enumerate(rows):
        keep = (row >= 0) & (row < depth)
        w = np.ones(row.shape, np.float32) if row_weights is None else np.asarray(row_weights[i], np.float32)
        np.add.at(out[i], row[keep], w[keep])
    if mode in ("one_hot", "multi_hot"):
        out = (out > 0).astype(np.float32)
    if mode == "tf_idf":
        assert idf is not None
        out = out * idf[:depth].astype(np.float32)
    return out[0] if flat else out


@kernel("CategoryEncoding")
def category_encoding(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> np.ndarray:
    cfg = layer.config
    depth = int(cfg["num_tokens"])
    mode = str(cfg.get("output_mode", "multi_hot"))
    if mode == "binary":
        mode = "multi_hot"
    x = np.asarray(args[0])
    if x.size and (x.min() < 0 or x.max() >= depth):
        raise unsupported(layer, f"CategoryEncoding inputs must be in [0, {depth}); got values in [{x.min()}, {x.max()}]")
    weights = kwargs.get("count_weights")
    return encode_categorical(x, mode, depth, weights=None if weights is None else np.asarray(weights))


# --------------------------------------------------------------------------- hashing


def _utf8(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, (int, np.integer)):
        return str(int(value)).encode()  # tf.as_string of an integer
    return str(value).encode("utf-8")


def hash_buckets(values: np.ndarray, buckets: int, salt: Sequence[int] | None = None) -> np.ndarray:
    """``tf.strings.to_hash_bucket_fast`` (or ``_strong`` with a salt) of every element."""
    flat = [_utf8(v) for v in values.reshape(-1).tolist()]
    if salt is None:
        hashed = [fingerprint64(s) % buckets for s in flat]
    else:
        hashed = [siphash24(int(salt[0]), int(salt[1]), s) % buckets for s in flat]
    return np.asarray(hashed, dtype=np.int64).reshape(values.shape)


@kernel("Hashing")
def hashing(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> np.ndarray:
    cfg = layer.config
    x = np.asarray(args[0])
    if x.dtype.kind == "f":
        raise unsupported(layer, "Hashing of float inputs is not supported (TF hashes strings and integers only)")
    bins = int(cfg["num_bins"])
    salt = cfg.get("salt")
    if isinstance(salt, int):
        salt = [salt, salt]
    mask_value = cfg.get("mask_value")
    buckets = bins - 1 if mask_value is not None and bins > 1 else bins
    out = hash_buckets(x, buckets, salt)
    if mask_value is not None and bins > 1:
        out = np.where(_equal(x, mask_value), 0, out + 1)
    mode = str(cfg.get("output_mode", "int"))
    if mode == "int":
        return out.astype(np.int64)
    return encode_categorical(out, mode, bins)


def _equal(x: np.ndarray, value: Any) -> np.ndarray:
    if x.dtype.kind in "US":
        return np.asarray(x.astype(str) == str(value))
    if x.dtype.kind == "O":
        return np.vectorize(lambda v: _utf8(v) == _utf8(value), otypes=[bool])(x) if x.size else np.zeros(x.shape, bool)
    return np.asarray(x == value)


# --------------------------------------------------------------------------- lookups


def _token_start(cfg: Mapping[str, Any]) -> tuple[int, int]:
    """``(oov_start, token_start)``: the mask index counts only in ``int`` output."""
    oov_start = 1 if cfg.get("mask_token") is not None and cfg.get("output_mode", "int") == "int" else 0
    return oov_start, oov_start + int(cfg.get("num_oov_indices", 1))


def _key(value: Any, strings: bool) -> Any:
    if strings:
        return value.decode("utf-8") if isinstance(value, bytes) else str(value)
    return int(value)


def vocabulary_indices(cfg: Mapping[str, Any], values: np.ndarray, *, strings: bool) -> np.ndarray:
    """Indices of ``values`` (any shape) in the layer's vocabulary, as tf.keras' table did.

    Masked entries are 0 in ``int`` output and ``-1`` (dropped by the encoders) otherwise;
    unknown ones take the OOV index (hashed into ``num_oov_indices`` buckets when several),
    or -1 with ``num_oov_indices=0`` (where TF fails the call).
    """
    oov_start, token_start = _token_start(cfg)
    num_oov = int(cfg.get("num_oov_indices", 1))
    table = {_key(t, strings): token_start + i for i, t in enumerate(cfg.get("vocabulary") or [])}
    mask = cfg.get("mask_token")
    mask_key = None if mask is None else _key(mask, strings)
    int_mode = cfg.get("output_mode", "int") == "int"
    flat = values.reshape(-1).tolist()
    out = np.empty(len(flat), dtype=np.int64)
    for i, raw in enumerate(flat):
        k = _key(raw, strings)
        if mask_key is not None and k == mask_key:
            out[i] = 0 if int_mode else -1
        elif k in table:
            out[i] = table[k]
        elif num_oov == 0:
            # TF's table yields -1 and an assertion then fails the call; shape probes
            # (zeros) must not fail here, and no verified input is out of vocabulary.
            out[i] = -1
        elif num_oov == 1:
            out[i] = oov_start
        elif strings:
            out[i] = oov_start + fingerprint64(_utf8(k)) % num_oov
        else:
            out[i] = oov_start + k % num_oov  # floormod
    return out.reshape(values.shape)


def _vocabulary_size(cfg: Mapping[str, Any]) -> int:
    _, token_start = _token_start(cfg)
    return token_start + len(cfg.get("vocabulary") or [])


def _depth(cfg: Mapping[str, Any]) -> int:
    if cfg.get("pad_to_max_tokens") and cfg.get("max_tokens") is not None:
        return int(cfg["max_tokens"])
    return _vocabulary_size(cfg)


def _idf(layer: Layer) -> np.ndarray | None:
    if layer.config.get("output_mode") != "tf_idf":
        return None
    return layer.weight("idf_weights").numpy().astype(np.float32)


def _check_vocabulary(layer: Layer) -> None:
    if layer.config.get("vocabulary") is None:
        raise unsupported(layer, f"{layer.type} has no vocabulary (it was never recovered from the source file)")


def _invert(cfg: Mapping[str, Any], x: np.ndarray, strings: bool) -> np.ndarray:
    _, token_start = _token_start(cfg)
    vocab = list(cfg.get("vocabulary") or [])
    mask, oov = cfg.get("mask_token"), cfg.get("oov_token")
    flat = []
    for v in x.reshape(-1).tolist():
        i = int(v)
        if mask is not None and i == 0:
            flat.append(mask)
        elif token_start <= i < token_start + len(vocab):
            flat.append(vocab[i - token_start])
        else:
            flat.append(oov)
    if strings:
        return np.asarray([str(t) for t in flat], dtype=str).reshape(x.shape)
    return np.asarray(flat, dtype=np.int64).reshape(x.shape)


@kernel("StringLookup", "IntegerLookup")
def index_lookup(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> np.ndarray:
    cfg = layer.config
    _check_vocabulary(layer)
    strings = layer.type == "StringLookup"
    x = np.asarray(args[0])
    if cfg.get("invert"):
        return _invert(cfg, x, strings)
    if cfg.get("oov_method", "floormod") not in (None, "floormod") or cfg.get("salt") is not None:
        raise unsupported(layer, f"{layer.type} oov_method/salt other than the tf.keras default is not supported")
    indices = vocabulary_indices(cfg, x, strings=strings)
    mode = str(cfg.get("output_mode", "int"))
    if mode == "int":
        return indices
    return encode_categorical(indices, mode, _depth(cfg), idf=_idf(layer))


# --------------------------------------------------------------------------- text


def _standardize(text: bytes, how: str | None) -> bytes:
    if how in ("lower", "lower_and_strip_punctuation"):
        text = text.translate(_ASCII_UPPER)
    if how in ("strip_punctuation", "lower_and_strip_punctuation"):
        text = _PUNCTUATION.sub("", text.decode("utf-8", errors="surrogateescape")).encode("utf-8", errors="surrogateescape")
    return text


def _split(text: bytes, how: str) -> list[str]:
    if how == "whitespace":
        return [t.decode("utf-8", errors="surrogateescape") for t in text.split()]
    return list(text.decode("utf-8"))  # "character": one token per code point


def _ngrams(tokens: list[str], widths: Sequence[int]) -> list[str]:
    out: list[str] = []
    for n in widths:
        out += [" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
    return out


def _ngram_widths(value: Any) -> tuple[int, ...] | None:
    if value is None:
        return None
    if isinstance(value, int):
        return tuple(range(1, value + 1))
    return tuple(int(v) for v in value)


@kernel("TextVectorization")
def text_vectorization(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> np.ndarray:
    cfg = layer.config
    _check_vocabulary(layer)
    lookup = {**cfg, "mask_token": "", "oov_token": "[UNK]", "num_oov_indices": 1}
    x = np.asarray(args[0])
    texts = np.vectorize(lambda v: _standardize(_utf8(v), cfg.get("standardize")), otypes=[object])(x) if x.size else x
    split = cfg.get("split")
    widths = _ngram_widths(cfg.get("ngrams"))
    mode = str(cfg.get("output_mode", "int"))
    length = cfg.get("output_sequence_length")
    if split is None:
        if widths is not None:
            raise unsupported(layer, "TextVectorization ngrams without splitting are not supported")
        indices = vocabulary_indices(lookup, np.asarray(texts), strings=True)
        if mode != "int":
            return encode_categorical(indices, mode, _depth(lookup), idf=_idf(layer))
        if length is not None:
            indices = indices[..., : int(length)]
            pad = [(0, 0)] * (indices.ndim - 1) + [(0, int(length) - indices.shape[-1])]
            indices = np.pad(indices, pad)
        return indices
    if texts.ndim == 2 and texts.shape[-1] == 1:
        texts = texts[:, 0]
    if texts.ndim != 1:
        raise unsupported(layer, f"TextVectorization splits inputs of shape (batch,) or (batch, 1), got {x.shape}")
    rows = []
    for t in texts.tolist():
        tokens = _split(t, str(split))
        if widths is not None:
            tokens = _ngrams(tokens, widths)
        rows.append(vocabulary_indices(lookup, np.asarray(tokens, dtype=object), strings=True))
    if mode != "int":
        return encode_categorical(rows, mode, _depth(lookup), idf=_idf(layer))
    width = int(length) if length is not None else max((len(r) for r in rows), default=0)
    out = np.zeros((len(rows), width), dtype=np.int64)
    for i, r in enumerate(rows):
        out[i, : min(width, len(r))] = r[:width]
    return out
