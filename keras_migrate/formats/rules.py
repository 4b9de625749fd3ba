"""The layer-rule registry every generation's rules register into, and the helpers they share.

A *rule* turns one legacy layer config into Keras 3's ``(type, config)``. Rules live in
the rule modules of each source family (``keras2/layers.py``, ``keras1/layers.py``,
``tfkeras/*.py``) and register here with :func:`register`. This module only holds the
mechanism; :mod:`keras_migrate.formats.ruleset` imports every rule module, so code that
translates imports that module, never this one alone (an unloaded rule module would make
its classes look unknown).

The registry is keyed by rule set: Keras 1 class names overlap Keras 2's with different
arguments and meaning (``Convolution2D``, ``Merge``, ``BatchNormalization`` modes), so
Keras 1 rules register under :data:`KERAS1` and are looked up only for Keras 1 files. Every
later generation (standalone Keras 2, tf.keras, Keras 3 configs) shares :data:`KERAS2`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from keras_migrate.errors import UnsupportedError
from keras_migrate.formats.unknown import keeping_unknown_classes, unknown_layer
from keras_migrate.formats.user_names import current_user_names
from keras_migrate.ir.user_code import USER_FUNCTION_LAYER, user_type

__all__ = [
    "BASE_KEYS",
    "KERAS1",
    "KERAS2",
    "LEGACY_HARD_SIGMOID",
    "CallRewrite",
    "Rule",
    "TranslateContext",
    "apply_rule",
    "clean_config",
    "normalize_activation",
    "normalize_object",
    "register",
    "register_call_rewrite",
    "require_rule",
    "rewrite_call",
    "rule_for",
    "supported_classes",
    "translate_layer",
    "unregister",
    "with_activation",
]

#: Rule set of Keras 1 files (class names mean other things there).
KERAS1 = "keras1"
#: Rule set of standalone Keras 2, tf.keras and Keras 3 configs.
KERAS2 = "keras2"

#: Registered name of the compat activation reproducing Keras 1/2's hard_sigmoid.
LEGACY_HARD_SIGMOID = "keras_migrate>legacy_hard_sigmoid"

#: Keys every legacy layer config may carry that Keras 3 layer constructors don't take,
#: and that the IR records elsewhere (name, trainable, dtype) or that don't affect inference.
BASE_KEYS = frozenset(
    {"name", "trainable", "dtype", "batch_input_shape", "batch_size", "input_dtype", "input_shape", "autocast"}
)

_ACTIVATIONS = frozenset(
    {
        "linear", "relu", "relu6", "sigmoid", "tanh", "softmax", "softplus", "softsign", "selu",
        "elu", "exponential", "swish", "silu", "gelu", "mish", "log_softmax", "leaky_relu",
        "hard_silu", "hard_swish",
    }
)  # fmt: skip


@dataclass
class TranslateContext:
    """What a rule may consult or report while translating one layer."""

    layer_name: str
    path: str = ""
    generation: str = "keras2"
    notes: list[str] = field(default_factory=list)
    #: The layer's raw ``inbound_nodes`` (legacy form), for rules whose translation depends
    #: on how the layer is called (tf.keras ``TFOpLambda`` keeps its operands there).
    inbound_nodes: Any = None
    #: Weightless Keras 3 layers or ops ``(type, config)`` a rule asks to apply, in order, to
    #: the translated layer's output (a legacy layer that is a built-in plus a fix-up, e.g.
    #: an LSTM whose output is reversed); see :mod:`keras_migrate.formats.plugin_api`.
    then: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def fail(self, message: str, hint: str | None = None) -> UnsupportedError:
        return UnsupportedError(message, path=self.path or None, layer=self.layer_name, hint=hint)


Rule = Callable[[dict[str, Any], TranslateContext], tuple[str, dict[str, Any]]]
#: Rewrites one parsed call ``(args, kwargs)`` of a translated layer ``(type, config)``.
CallRewrite = Callable[[str, Mapping[str, Any], tuple[Any, ...], dict[str, Any]], tuple[tuple[Any, ...], dict[str, Any]]]

_RULES: dict[str, dict[str, Rule]] = {KERAS1: {}, KERAS2: {}}
_CALL_REWRITES: dict[str, CallRewrite] = {}


def register(*names: str, rules: str = KERAS2) -> Callable[[Rule], Rule]:
    """Register a rule for legacy class names in a rule set (:data:`KERAS2` unless given)."""

    def decorate(fn: Rule) -> Rule:
        for n in names:
            _RULES[rules][n] = fn
        return fn

    return decorate


def unregister(name: str, rules: str = KERAS2) -> None:
    """Forget the rule for ``name`` (the plugin API's ``unregister_layer_rule``)."""
    _RULES[rules].pop(name, None)


def rule_for(class_name: str, rules: str = KERAS2) -> Rule | None:
    """The rule registered for ``class_name`` in a rule set, if any."""
    return _RULES[rules].get(class_name)


#: How each rule set refuses a class it has no rule for: (hint for Lambda, message and
#: hint for any other class).
_REFUSALS: dict[str, tuple[str, str, str]] = {
    KERAS2: (
        "give it a replacement function with --lambda LAYER=FILE.py:NAME, or replace it with built-in layers",
        "unknown layer class {!r}",
        "it is not a built-in Keras layer: pass the file defining it with --custom-objects FILE.py",
    ),
    KERAS1: (
        "give it a replacement function with --lambda LAYER=FILE.py:NAME, or replace it with a built-in layer",
        "unknown Keras 1 layer class {!r}",
        "it is not a built-in Keras 1.2 layer: pass the file defining its Keras 3 class with --custom-objects "
        "FILE.py (`keras-migrate inspect` shows its config and weights; `convert -o model.py --placeholders` "
        "writes a stub class to fill in)",
    ),
}


def require_rule(class_name: str, ctx: TranslateContext, rules: str = KERAS2) -> Rule:
    """The rule for ``class_name``, or the refusal naming the layer (Lambda layers hold
    Python bytecode, which is never executed)."""
    user = current_user_names()
    if class_name in user.layers or (class_name == "Lambda" and ctx.layer_name in user.lambdas):
        return _user_rule  # the user's own code, named on the command line, comes first
    rule = _RULES[rules].get(class_name)
    if rule is not None:
        return rule
    lambda_hint, message, hint = _REFUSALS[rules]
    if class_name == "Lambda":
        raise ctx.fail("Lambda layers hold Python bytecode, which is never executed", hint=lambda_hint)
    if keeping_unknown_classes():  # inspect / --placeholders: keep the layer as stored
        return lambda config, _ctx: unknown_layer(class_name, config)
    raise ctx.fail(message.format(class_name), hint=hint)


def _user_rule(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    """A layer of a class the user supplied keeps its own config (what its ``get_config``
    wrote), for its class to rebuild it; a Lambda the user gave a replacement for calls it."""
    class_name = str(config.pop("__class_name__"))
    if class_name == "Lambda":
        return USER_FUNCTION_LAYER, {"function": current_user_names().lambdas[ctx.layer_name]}
    return user_type(class_name), {k: v for k, v in config.items() if k not in BASE_KEYS}


def supported_classes(rules: str = KERAS2) -> frozenset[str]:
    """Every legacy class name a rule set translates."""
    return frozenset(_RULES[rules])


def register_call_rewrite(*names: str) -> Callable[[CallRewrite], CallRewrite]:
    """Register how calls of legacy classes change with their translation.

    For layers whose legacy call signature differs from their Keras 3 target's, e.g. a
    ``TFOpLambda`` recorded as ``op(x, y=t)`` that becomes ``Add()([x, t])``.
    """

    def decorate(fn: CallRewrite) -> CallRewrite:
        for n in names:
            _CALL_REWRITES[n] = fn
        return fn

    return decorate


def rewrite_call(
    class_name: str, layer_type: str, config: Mapping[str, Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """A parsed call of a ``class_name`` layer, as its Keras 3 translation takes it."""
    fn = _CALL_REWRITES.get(class_name)
    return (args, kwargs) if fn is None else fn(layer_type, config, args, kwargs)


# --------------------------------------------------------------------------- helpers


def normalize_activation(value: Any, ctx: TranslateContext) -> Any:
    """Map a legacy activation (string or serialized dict) to its Keras 3 equivalent."""
    if value is None:
        return "linear"
    if isinstance(value, Mapping):
        name = value.get("config") if value.get("class_name") == "function" else value.get("class_name")
        if isinstance(name, str):
            return normalize_activation(name, ctx)
        raise ctx.fail(f"activation {value!r} is not a built-in Keras activation")
    if value == LEGACY_HARD_SIGMOID:
        return value
    if value == "hard_sigmoid":
        # Keras 3 changed the slope from 0.2 to 1/6; only a Keras 3 file means the new one.
        return "hard_sigmoid" if ctx.generation == "keras3" else LEGACY_HARD_SIGMOID
    if value in _ACTIVATIONS:
        return value
    if value in current_user_names().functions:
        return value  # the user's own function (--custom-objects), looked up by name
    raise ctx.fail(
        f"activation {value!r} is not a built-in Keras activation",
        hint="pass the file defining it with --custom-objects FILE.py",
    )


def normalize_object(value: Any) -> Any:
    """Normalize a serialized initializer/regularizer/constraint to ``{class_name, config}``.

    tf.keras 1.13-1.15 (``2.2.4-tf``) put ``dtype`` into initializer configs; Keras 3
    rejects it, and the weights are loaded anyway, so it is dropped.
    """
    if isinstance(value, Mapping) and "class_name" in value:
        cfg = {k: v for k, v in dict(value.get("config") or {}).items() if k != "dtype"}
        return {"class_name": value["class_name"], "config": cfg}
    return value


def clean_config(config: Mapping[str, Any], drop: tuple[str, ...] = ()) -> dict[str, Any]:
    """A legacy layer config without :data:`BASE_KEYS` and ``drop``, its initializers,
    regularizers and constraints normalized: the starting point of most rules, since those
    keys are recorded elsewhere in the IR or never reach a Keras 3 constructor."""
    out = {}
    for k, v in config.items():
        if k in BASE_KEYS or k in drop:
            continue
        if k.endswith(("_initializer", "_regularizer", "_constraint")):
            v = normalize_object(v)
        out[k] = v
    return out


def with_activation(cfg: dict[str, Any], ctx: TranslateContext, *keys: str) -> dict[str, Any]:
    """``cfg`` with the activations under ``keys`` normalized (in place, and returned), so
    that legacy numerics such as the 0.2-slope hard_sigmoid survive translation."""
    for k in keys:
        if k in cfg:
            cfg[k] = normalize_activation(cfg[k], ctx)
    return cfg


# --------------------------------------------------------------------------- translation


def translate_layer(class_name: str, config: Mapping[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    """Translate a Keras 2 / tf.keras / Keras 3 ``(class_name, config)`` to Keras 3's
    ``(type, config)`` (Keras 1 rules translate into this form through it too)."""
    return apply_rule(class_name, config, ctx, KERAS2)


def apply_rule(class_name: str, config: Mapping[str, Any], ctx: TranslateContext, rules: str) -> tuple[str, dict[str, Any]]:
    """``(type, config)`` of one layer by the rule set ``rules``, the user's own class
    (``--custom-objects``) or Lambda replacement (``--lambda``) first. A Keras 2 rule's
    result is fitted to Keras 3's constructor; Keras 1 rules write that form themselves
    (through :func:`translate_layer`), and a user class keeps its own config."""
    rule = require_rule(class_name, ctx, rules)
    if rule is _user_rule:
        return rule({**config, "__class_name__": class_name}, ctx)
    layer_type, cfg = rule(dict(config), ctx)
    return (layer_type, _fit_keras3(layer_type, cfg, ctx)) if rules == KERAS2 else (layer_type, cfg)


#: Legacy arguments Keras 3 may not accept that never change inference at these values.
_NEUTRAL_VALUES: dict[str, tuple[Any, ...]] = {
    "groups": (1,),
    "time_major": (False,),
    "implementation": (0, 1, 2),
    "sparse": (False, None),
    "input_length": (),  # any value: only an input-shape hint
    "input_dim": (),
    "noise_shape": (None,),
    "unroll": (),  # a speed setting; results are the same
    "rms_scaling": (False,),
}


def _fit_keras3(layer_type: str, cfg: dict[str, Any], ctx: TranslateContext) -> dict[str, Any]:
    """Drop arguments Keras 3's constructor rejects when they cannot affect inference.

    Initializers, regularizers and constraints only matter for training from scratch;
    the other neutral arguments are listed in :data:`_NEUTRAL_VALUES`. Anything else Keras
    3 does not take would change the numbers, so it is refused naming the argument.
    """
    from keras_migrate.ir.keras3_api import accepted_args

    accepted = accepted_args(layer_type)
    if accepted is None:
        return cfg
    out = {}
    for key, value in cfg.items():
        if key in accepted:
            out[key] = value
            continue
        if key.endswith(("_initializer", "_regularizer", "_constraint")):
            continue
        neutral = _NEUTRAL_VALUES.get(key)
        if neutral is not None and (not neutral or value in neutral):
            continue
        raise ctx.fail(
            f"{layer_type} argument {key}={value!r} has no Keras 3 equivalent",
            hint="this setting changes the layer's results and cannot be converted exactly",
        )
    return out
