"""Legacy ``compile()`` arguments (losses, metrics, loss weights) -> Keras 3's ``compile_config``.

Keras 1/2 store what the user passed (strings, lists, per-output dicts); tf.keras ``.h5``
and SavedModels store the *compiled* metric objects, nested per output
(``[[{"class_name": "MeanMetricWrapper", "config": {"fn": "mean_absolute_error"}}]]``);
tf_keras ``.keras`` stores the user's arguments. Everything becomes Keras 3 names:

* loss aliases Keras 3 dropped (``kullback_leibler_divergence``, ``logcosh``,
  ``cosine_proximity``) get their Keras 3 names;
* ``acc``/``accuracy`` is resolved as Keras 1/2 resolved it, by the output's loss and
  width: ``binary_accuracy`` for one unit or binary cross-entropy,
  ``sparse_categorical_accuracy`` for the sparse loss, else ``categorical_accuracy``
  (Keras 3 guesses from tensor shapes at run time, which may differ);
* a name no Keras 3 loss or metric answers to is refused (custom objects are for the
  user-code path), so the caller drops the training state and says why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from keras_migrate.errors import UnsupportedError
from keras_migrate.formats.user_names import current_user_names
from keras_migrate.ir.training import CompileSpec

__all__ = ["LOSSES", "METRICS", "translate_compile"]

#: Loss names Keras 3 resolves (``keras.losses.get``), legacy alias -> Keras 3 name.
LOSSES: Mapping[str, str] = {
    **{n: n for n in (
        "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy", "categorical_hinge",
        "hinge", "squared_hinge", "mae", "mape", "mse", "msle", "mean_absolute_error",
        "mean_absolute_percentage_error", "mean_squared_error", "mean_squared_logarithmic_error", "poisson",
        "kl_divergence", "kld", "huber", "log_cosh", "cosine_similarity")},
    "kullback_leibler_divergence": "kl_divergence",
    "logcosh": "log_cosh",
    "cosine_proximity": "cosine_similarity",
    "cosine": "cosine_similarity",
    "huber_loss": "huber",
}

#: Metric names Keras 3 resolves, legacy alias -> Keras 3 name (accuracy handled apart).
METRICS: Mapping[str, str] = {
    **{n: n for n in (
        "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy", "top_k_categorical_accuracy",
        "sparse_top_k_categorical_accuracy", "binary_crossentropy", "categorical_crossentropy",
        "sparse_categorical_crossentropy", "categorical_hinge", "hinge", "squared_hinge", "mae", "mape", "mse",
        "msle", "mean_absolute_error", "mean_absolute_percentage_error", "mean_squared_error",
        "mean_squared_logarithmic_error", "poisson", "kl_divergence", "cosine_similarity",
        "root_mean_squared_error", "auc", "precision", "recall")},
    "kld": "kl_divergence",
    "kullback_leibler_divergence": "kl_divergence",
    "logcosh": "log_cosh_error",
    "log_cosh": "log_cosh_error",
    "cosine_proximity": "cosine_similarity",
    "top_k_categorical_accuracy": "top_k_categorical_accuracy",
}

#: tf.keras metric classes (stored as compiled objects) -> Keras 3 metric names.
_METRIC_CLASSES = {
    "MeanSquaredError": "mse", "MeanAbsoluteError": "mae", "MeanAbsolutePercentageError": "mape",
    "MeanSquaredLogarithmicError": "msle", "BinaryAccuracy": "binary_accuracy",
    "CategoricalAccuracy": "categorical_accuracy", "SparseCategoricalAccuracy": "sparse_categorical_accuracy",
    "AUC": "auc", "Precision": "precision", "Recall": "recall", "RootMeanSquaredError": "root_mean_squared_error",
    "BinaryCrossentropy": "binary_crossentropy", "CategoricalCrossentropy": "categorical_crossentropy",
    "SparseCategoricalCrossentropy": "sparse_categorical_crossentropy",
}

#: tf.keras loss classes (a ``{class_name, config}`` loss) -> Keras 3 loss names.
_LOSS_CLASSES = {
    "MeanSquaredError": "mse", "MeanAbsoluteError": "mae", "BinaryCrossentropy": "binary_crossentropy",
    "CategoricalCrossentropy": "categorical_crossentropy",
    "SparseCategoricalCrossentropy": "sparse_categorical_crossentropy", "Huber": "huber",
}

_HINT = "use --inference-only, or recompile after loading"
_USER_HINT = "if it is your own, pass the file defining it with --custom-objects FILE.py; else " + _HINT


def _loss_name(value: Any) -> str:
    if isinstance(value, Mapping):
        cfg = value.get("config")
        if (isinstance(cfg, Mapping) and cfg.get("from_logits")) or (isinstance(cfg, Mapping) and cfg.get(
            "label_smoothing"
        )):
            raise UnsupportedError(f"loss {value.get('class_name')!r} with arguments {dict(cfg)} is not carried",
                                   hint=_HINT)
        name = _LOSS_CLASSES.get(str(value.get("class_name")))
        if name is None:
            fn = cfg.get("fn") if isinstance(cfg, Mapping) else None
            name = LOSSES.get(str(fn)) if fn else None
        if name is None:
            raise UnsupportedError(f"loss {value.get('class_name')!r} is not a Keras 3 loss", hint=_HINT)
        return name
    if isinstance(value, str) and value in current_user_names().functions:
        return value  # the user's own loss (--custom-objects), found by name when the model loads
    if not isinstance(value, str) or value not in LOSSES:
        raise UnsupportedError(f"loss {value!r} is not a Keras 3 loss (a custom loss?)", hint=_USER_HINT)
    return LOSSES[value]


def _metric_name(value: Any, loss: str | None, units: int | None) -> str:
    if isinstance(value, Mapping):
        raw_cfg = value.get("config")
        cfg: Mapping[str, Any] = raw_cfg if isinstance(raw_cfg, Mapping) else {}
        cls = str(value.get("class_name"))
        if cls in _METRIC_CLASSES:
            return _METRIC_CLASSES[cls]
        value = cfg.get("fn") or cfg.get("name")
    if value in ("acc", "accuracy"):
        if units == 1 or loss == "binary_crossentropy":
            return "binary_accuracy"
        if loss == "sparse_categorical_crossentropy":
            return "sparse_categorical_accuracy"
        return "categorical_accuracy"
    if isinstance(value, str) and value in METRICS:
        return METRICS[value]
    if isinstance(value, str) and value in current_user_names().functions:
        return value  # the user's own metric function (--custom-objects)
    raise UnsupportedError(f"metric {value!r} is not a Keras 3 metric (a custom metric?)", hint=_USER_HINT)


def _per_output(value: Any, outputs: Sequence[str]) -> dict[str, Any] | None:
    """A per-output value as ``{output: value}`` (dicts by name, lists by position)."""
    if isinstance(value, Mapping) and "class_name" not in value:
        return {str(k): v for k, v in value.items()}
    if isinstance(value, (list, tuple)) and len(outputs) > 1 and len(value) == len(outputs):
        return dict(zip(outputs, value, strict=True))
    return None


def translate_compile(cfg: Mapping[str, Any], outputs: Sequence[str], units: Mapping[str, int | None],
                      rename: Mapping[str, str]) -> CompileSpec:
    """Translate a training config's loss/metrics/loss weights for a model whose outputs
    are produced by the layers ``outputs`` (original names, in order), ``units`` their
    last dimension; ``rename`` maps original layer names to IR names."""
    loss_in = cfg.get("loss")
    if loss_in is None:
        raise UnsupportedError("the training configuration names no loss", hint=_HINT)
    per = _per_output(loss_in, outputs)
    losses: dict[str, str] = {}
    if per is not None:
        for k, v in per.items():
            if k not in outputs:
                raise UnsupportedError(f"loss given for {k!r}, which is not an output", hint=_HINT)
            losses[k] = _loss_name(v)
        loss: Any = {rename.get(k, k): v for k, v in losses.items()}
    else:
        one = _loss_name(loss_in)
        losses = {o: one for o in outputs}
        loss = one

    def metrics_of(raw: Any) -> Any:
        if raw is None or raw == [] or raw == {}:
            return None
        m_per = _per_output(raw, outputs)
        if m_per is None and isinstance(raw, (list, tuple)) and raw and all(isinstance(x, list) for x in raw):
            m_per = dict(zip(outputs, raw, strict=False))  # tf.keras: compiled metrics nested per output
        if m_per is not None:
            out: dict[str, list[str]] = {}
            for k, v in m_per.items():
                items = v if isinstance(v, (list, tuple)) else [v]
                names = [_metric_name(x, losses.get(k), units.get(k)) for x in items]
                if names:
                    out[rename.get(k, k)] = names
            return out or None
        items = raw if isinstance(raw, (list, tuple)) else [raw]
        if len(outputs) > 1:
            return {rename.get(o, o): [_metric_name(x, losses.get(o), units.get(o)) for x in items] for o in outputs}
        o = outputs[0]
        return [_metric_name(x, losses.get(o), units.get(o)) for x in items]

    weights_in = cfg.get("loss_weights")
    loss_weights: Any = None
    if weights_in is not None:
        w_per = _per_output(weights_in, outputs)
        if w_per is not None:
            loss_weights = {rename.get(k, k): float(v) for k, v in w_per.items()}
        elif isinstance(weights_in, (int, float)):
            loss_weights = float(weights_in)
        elif isinstance(weights_in, (list, tuple)) and len(weights_in) == 1:
            loss_weights = float(weights_in[0])
    return CompileSpec(loss=loss, metrics=metrics_of(cfg.get("metrics")),
                       weighted_metrics=metrics_of(cfg.get("weighted_metrics")), loss_weights=loss_weights)
