"""Rules for tf.keras' image augmentation layers and ``Discretization``.

Class names are the same whether the model was built with ``tf.keras.layers.X`` or the
older ``tf.keras.layers.experimental.preprocessing.X`` path (tf.keras 2.1-2.5): both
save ``class_name: "X"``. The augmentation layers are random in training and (but for
``RandomCrop``) the identity at inference (:mod:`keras_migrate.ir.ops.augment`):

* Flip, Rotation, Zoom, Contrast, Translation, Brightness become Keras 3's layers of the
  same names and arguments (the same identity at inference, still random in training).
* ``RandomCrop`` becomes the ``keras_migrate>TFRandomCrop`` compat layer: tf.keras'
  centre crop + bilinear resize at inference, Keras 3's RandomCrop in training.
* ``RandomHeight`` / ``RandomWidth`` become compat layers (Keras 3 has neither).

``Discretization`` becomes Keras 3's (bucketing and encoding are the same). An *adapted*
one (``num_bins``, ``bin_boundaries=None`` in its config) keeps its boundaries only in the
``adapt`` summary variable (``summary``, shape ``(2, n)``: values and weights); it is
read as that layer's weight and :func:`resolve_discretization` computes the boundaries
from it exactly as tf.keras' ``finalize_state`` does, leaving a Keras 3 layer with
``bin_boundaries`` and no weights. Without the weights (an architecture alone) it is
refused naming the layer.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from keras_migrate.errors import UnsupportedError
from keras_migrate.formats.rules import TranslateContext, clean_config, register
from keras_migrate.ir.graph import Graph, Layer
from keras_migrate.ir.ops.augment import RANDOM_CROP_TYPE, RANDOM_HEIGHT_TYPE, RANDOM_WIDTH_TYPE

__all__ = ["adapted_bin_boundaries", "resolve_discretization"]

_FILL_MODES = ("reflect", "wrap", "constant", "nearest")
_INTERPOLATIONS = ("bilinear", "nearest")
_DISCRETIZATION_MODES = ("int", "one_hot", "multi_hot", "count")
#: tf.keras' RandomHeight/Width resize methods that Keras 3's ``ops.image.resize`` (the
#: compat layers' training path) also has.
_RESIZE_METHODS = ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5")


def _factor(value: Any, ctx: TranslateContext, key: str, *, required: bool = True) -> Any:
    """A factor as Keras 3 takes it: a number or a pair (tuple); None only where optional."""
    if value is None and required:
        raise ctx.fail(f"{key} is missing")
    if value is None or _number(value):
        return value
    if isinstance(value, (list, tuple)) and len(value) == 2 and all(_number(v) for v in value):
        return tuple(float(v) for v in value)
    raise ctx.fail(f"{key}={value!r} is neither a number nor a pair of numbers")


def _choice(cfg: dict[str, Any], key: str, default: str, allowed: tuple[str, ...], ctx: TranslateContext) -> str:
    value = cfg.get(key, default)
    if value not in allowed:
        raise ctx.fail(f"{key}={value!r} is not one of {', '.join(allowed)}")
    return str(value)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _size(cfg: dict[str, Any], key: str, ctx: TranslateContext) -> int:
    value = cfg.get(key)
    if not (isinstance(value, int) and not isinstance(value, bool) and value > 0):
        raise ctx.fail(f"{key}={value!r} is not a positive integer")
    return value


def _seed(cfg: dict[str, Any]) -> int | None:
    seed = cfg.get("seed")
    return int(seed) if isinstance(seed, int) and not isinstance(seed, bool) else None


def _geometric(cfg: dict[str, Any], ctx: TranslateContext) -> dict[str, Any]:
    if not _number(cfg.get("fill_value", 0.0)):
        raise ctx.fail(f"fill_value={cfg.get('fill_value')!r} is not a number")
    return {
        "fill_mode": _choice(cfg, "fill_mode", "reflect", _FILL_MODES, ctx),
        "interpolation": _choice(cfg, "interpolation", "bilinear", _INTERPOLATIONS, ctx),
        "seed": _seed(cfg),
        "fill_value": float(cfg.get("fill_value", 0.0)),
        "data_format": "channels_last",  # tf.keras augmented NHWC; Keras 3 would follow image_data_format()
    }


@register("RandomFlip")
def _random_flip(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    cfg = clean_config(config)
    mode = _choice(cfg, "mode", "horizontal_and_vertical", ("horizontal", "vertical", "horizontal_and_vertical"), ctx)
    return "RandomFlip", {"mode": mode, "seed": _seed(cfg), "data_format": "channels_last"}


@register("RandomRotation")
def _random_rotation(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    cfg = clean_config(config)
    return "RandomRotation", {"factor": _factor(cfg.get("factor"), ctx, "factor"), **_geometric(cfg, ctx)}


@register("RandomZoom")
def _random_zoom(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    cfg = clean_config(config)
    return "RandomZoom", {
        "height_factor": _factor(cfg.get("height_factor"), ctx, "height_factor"),
        "width_factor": _factor(cfg.get("width_factor"), ctx, "width_factor", required=False),
        **_geometric(cfg, ctx),
    }


@register("RandomTranslation")
def _random_translation(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    cfg = clean_config(config)
    return "RandomTranslation", {
        "height_factor": _factor(cfg.get("height_factor"), ctx, "height_factor"),
        "width_factor": _factor(cfg.get("width_factor"), ctx, "width_factor"),
        **_geometric(cfg, ctx),
    }


@register("RandomContrast")
def _random_contrast(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    cfg = clean_config(config)
    # tf.keras clipped contrast-adjusted images to [0, 255] in training; Keras 3's
    # value_range is that clip.
    return "RandomContrast", {
        "factor": _factor(cfg.get("factor"), ctx, "factor"),
        "value_range": (0, 255),
        "seed": _seed(cfg),
        "data_format": "channels_last",
    }


@register("RandomBrightness")
def _random_brightness(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    cfg = clean_config(config)
    value_range = cfg.get("value_range", (0, 255))
    if not (isinstance(value_range, (list, tuple)) and len(value_range) == 2 and all(_number(v) for v in value_range)):
        raise ctx.fail(f"value_range={value_range!r} is not a pair")
    return "RandomBrightness", {
        "factor": _factor(cfg.get("factor"), ctx, "factor"),
        "value_range": tuple(sorted(float(v) for v in value_range)),
        "seed": _seed(cfg),
        "data_format": "channels_last",
    }


@register("RandomCrop")
def _random_crop(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    cfg = clean_config(config)
    ctx.notes.append(
        f"{ctx.layer_name}: RandomCrop as tf.keras computed it at inference (centre crop to the aspect ratio, "
        "bilinear resize: compat:TFRandomCrop); Keras 3's RandomCrop is the identity at inference"
    )
    return RANDOM_CROP_TYPE, {
        "height": _size(cfg, "height", ctx),
        "width": _size(cfg, "width", ctx),
        "seed": _seed(cfg),
        "data_format": "channels_last",
    }


def _random_resize(config: dict[str, Any], ctx: TranslateContext) -> dict[str, Any]:
    cfg = clean_config(config)
    factor = _factor(cfg.get("factor"), ctx, "factor")
    method = cfg.get("interpolation", "bilinear")
    if method not in _RESIZE_METHODS:
        raise ctx.fail(
            f"interpolation={method!r} has no Keras 3 resize (the layer's training path)",
            hint=f"supported: {', '.join(_RESIZE_METHODS)}",
        )
    return {"factor": factor, "interpolation": method, "seed": _seed(cfg)}


@register("RandomHeight")
def _random_height(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    return RANDOM_HEIGHT_TYPE, _random_resize(config, ctx)


@register("RandomWidth")
def _random_width(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    return RANDOM_WIDTH_TYPE, _random_resize(config, ctx)


@register("Discretization")
def _discretization(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    cfg = clean_config(config)
    if cfg.get("sparse"):
        raise ctx.fail("sparse=True outputs a tf.SparseTensor, which Keras 3 models do not pass between layers on every backend")
    bounds = cfg.get("bin_boundaries", cfg.get("bins"))  # ``bins``: tf.keras 2.3's name
    if isinstance(bounds, int) and not isinstance(bounds, bool):
        bounds = None  # ``bins=N`` meant num_bins
    mode = cfg.get("output_mode", "int")
    mode = "multi_hot" if mode == "binary" else mode
    if mode not in _DISCRETIZATION_MODES:
        raise ctx.fail(f"output_mode={mode!r} is not one of {', '.join(_DISCRETIZATION_MODES)}")
    if bounds is None:
        num_bins = cfg.get("num_bins", cfg.get("bins"))
        if not (isinstance(num_bins, int) and not isinstance(num_bins, bool) and num_bins > 0):
            raise ctx.fail("Discretization has neither bin_boundaries nor num_bins")
        # adapted: the boundaries come from the summary weight (resolve_discretization)
        return "Discretization", {"bin_boundaries": None, "num_bins": num_bins, "output_mode": mode}
    if not (isinstance(bounds, (list, tuple)) and all(_number(b) for b in bounds)):
        raise ctx.fail(f"bin_boundaries={bounds!r} is not a list of numbers")
    values = [float(b) for b in bounds]
    if values != sorted(values):
        raise ctx.fail("bin_boundaries are not sorted (TF refuses them at run time)")
    return "Discretization", {"bin_boundaries": values, "output_mode": mode}


def adapted_bin_boundaries(summary: np.ndarray, num_bins: int) -> list[float]:
    """tf.keras' ``get_bin_boundaries``: compress the adapt summary (row 0 values, row 1
    weights) to ``num_bins`` quantiles by interpolating cumulative weight fractions, and
    keep all but the last value (float32, as TF stores them)."""
    s = np.asarray(summary, dtype=np.float32)
    if s.ndim != 2 or s.shape[0] != 2:
        raise ValueError(f"the adapt summary has shape {s.shape}, not (2, n)")
    epsilon = 1.0 / num_bins
    if s.shape[1] * epsilon >= 1:
        percents = epsilon + np.arange(0.0, 1.0, epsilon)
        cum_weights = s[1].cumsum()
        fractions = cum_weights / cum_weights[-1]
        s = np.stack((np.interp(percents, fractions, s[0]), np.interp(percents, fractions, cum_weights))).astype(np.float32)
    return [float(v) for v in s[0, :-1]]


def resolve_discretization(graph: Graph, *, path: str) -> Graph:
    """Give every adapted ``Discretization`` its ``bin_boundaries`` from its summary weight
    (and drop the weight, which Keras 3's layer does not own); refuse one without it."""
    layers = []
    changed = False
    for layer in graph.layers:
        new = layer
        if layer.subgraph is not None:
            sub = resolve_discretization(layer.subgraph, path=path)
            if sub is not layer.subgraph:
                new = replace(layer, subgraph=sub)
        elif layer.type == "Discretization" and layer.config.get("bin_boundaries") is None:
            new = _resolve_one(layer, path)
        changed = changed or new is not layer
        layers.append(new)
    return replace(graph, layers=tuple(layers)) if changed else graph


def _resolve_one(layer: Layer, path: str) -> Layer:
    name = layer.origin.name or layer.name
    if not layer.has_weight("summary"):
        raise UnsupportedError(
            "Discretization was adapted: its bin boundaries are in its weights (the adapt summary), "
            "and none were given",
            path=path or None,
            layer=name,
            hint="convert the full model file, or pass its weights with --weights",
        )
    try:
        bounds = adapted_bin_boundaries(layer.weight("summary").numpy(), int(layer.config["num_bins"]))
    except ValueError as exc:
        raise UnsupportedError(f"Discretization: {exc}", path=path or None, layer=name) from None
    if not all(np.isfinite(bounds)) or bounds != sorted(bounds):
        raise UnsupportedError(
            "Discretization: the adapt summary gives non-finite or unsorted bin boundaries", path=path or None, layer=name
        )
    config = {k: v for k, v in layer.config.items() if k not in ("num_bins", "epsilon")}
    return replace(layer, config={**config, "bin_boundaries": bounds}, weights=())
