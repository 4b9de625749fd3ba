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

``Discretization`` becomes Keras 3's (``bin_boundaries`` given; bucketing and encoding are
the same). An *adapted* one (``bin_boundaries=None``) keeps its boundaries only in an
``adapt`` summary variable, which is refused naming the layer.
"""

from __future__ import annotations

from typing import Any

from keras_migrate.formats.rules import TranslateContext, clean_config, register
from keras_migrate.ir.ops.augment import RANDOM_CROP_TYPE, RANDOM_HEIGHT_TYPE, RANDOM_WIDTH_TYPE

__all__: list[str] = []

_FILL_MODES = ("reflect", "wrap", "constant", "nearest")
_INTERPOLATIONS = ("bilinear", "nearest")
_DISCRETIZATION_MODES = ("int", "one_hot", "multi_hot", "count")
#: tf.keras' RandomHeight/Width resize methods that Keras 3's ``ops.image.resize`` (the
#: compat layers' training path) also has.
_RESIZE_METHODS = ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5")


def _factor(value: Any, ctx: TranslateContext, key: str) -> Any:
    """A factor as Keras 3 takes it: a number or a pair (tuple), None kept."""
    if value is None or (isinstance(value, (int, float)) and not isinstance(value, bool)):
        return value
    if isinstance(value, (list, tuple)) and len(value) == 2 and all(isinstance(v, (int, float)) for v in value):
        return tuple(float(v) for v in value)
    raise ctx.fail(f"{key}={value!r} is neither a number nor a pair of numbers")


def _choice(cfg: dict[str, Any], key: str, default: str, allowed: tuple[str, ...], ctx: TranslateContext) -> str:
    value = cfg.get(key, default)
    if value not in allowed:
        raise ctx.fail(f"{key}={value!r} is not one of {', '.join(allowed)}")
    return str(value)


def _seed(cfg: dict[str, Any]) -> int | None:
    seed = cfg.get("seed")
    return int(seed) if isinstance(seed, int) and not isinstance(seed, bool) else None


def _geometric(cfg: dict[str, Any], ctx: TranslateContext) -> dict[str, Any]:
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
        "width_factor": _factor(cfg.get("width_factor"), ctx, "width_factor"),
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
    if not (isinstance(value_range, (list, tuple)) and len(value_range) == 2):
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
        "height": int(cfg["height"]),
        "width": int(cfg["width"]),
        "seed": _seed(cfg),
        "data_format": "channels_last",
    }


def _random_resize(config: dict[str, Any], ctx: TranslateContext) -> dict[str, Any]:
    cfg = clean_config(config)
    factor = _factor(cfg.get("factor"), ctx, "factor")
    if factor is None:
        raise ctx.fail("factor is missing")
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
    if bounds is None:
        raise ctx.fail(
            "Discretization without bin_boundaries was adapted: its boundaries exist only as the adapt "
            "summary variable, which is not converted",
            hint="re-create the layer with bin_boundaries=layer.bin_boundaries in tf.keras and save again",
        )
    if not (isinstance(bounds, (list, tuple)) and all(isinstance(b, (int, float)) for b in bounds)):
        raise ctx.fail(f"bin_boundaries={bounds!r} is not a list of numbers")
    values = [float(b) for b in bounds]
    if values != sorted(values):
        raise ctx.fail("bin_boundaries are not sorted (TF refuses them at run time)")
    mode = cfg.get("output_mode", "int")
    mode = "multi_hot" if mode == "binary" else mode
    if mode not in _DISCRETIZATION_MODES:
        raise ctx.fail(f"output_mode={mode!r} is not one of {', '.join(_DISCRETIZATION_MODES)}")
    return "Discretization", {"bin_boundaries": values, "output_mode": mode}
