"""The reader plugin API (version :data:`PLUGIN_API_VERSION`): rules for custom classes
that are built-in layers in disguise.

Models in the wild hold custom classes that compute exactly what a built-in does, or a
built-in plus a fixed fix-up: a ``Conv1D`` subclass that only checks its input, an LSTM
run backwards whose output is reversed again, a global average pooling that honours a
mask. Such a class needs no user code, only a *rule*: a function ``(config, ctx) ->
(keras3_type, keras3_config)`` registered for the class name, exactly like the rules the
project ships for its own classes. This module is the public, stable face of the rule
registry (:mod:`keras_migrate.formats.rules`), re-exported as :mod:`keras_migrate.plugins`;
the project registers its own application-layer rules through it
(:mod:`keras_migrate.formats.tfkeras.layers`).

Third-party packages ship rules through the entry-point group :data:`ENTRY_POINT_GROUP`
(``keras_migrate.rules``). The group is read lazily, only when a model holds a class no
rule translates (:func:`load_plugins`), so an installed plugin costs nothing otherwise;
a plugin that fails to load is named in a one-line :class:`PluginWarning` and in the
refusal of any class it would have translated.

Versioning: :data:`PLUGIN_API_VERSION` changes only when a name in ``__all__`` changes
meaning or signature; additions keep the number. A plugin states what it was written for
with :func:`require_api`, which fails (and so names the plugin) on a mismatch.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, overload

from keras_migrate.errors import KerasMigrateError
from keras_migrate.formats.rules import (
    KERAS1,
    KERAS2,
    Rule,
    TranslateContext,
    clean_config,
    normalize_activation,
    register,
    require_rule,
    rule_for,
    unregister,
    with_activation,
)
from keras_migrate.ir.ops.keras3 import OPS, REQUIRED, op_type
from keras_migrate.ir.specs import weight_specs

__all__ = [
    "ENTRY_POINT_GROUP",
    "KERAS1",
    "KERAS2",
    "PLUGIN_API_VERSION",
    "LayerRule",
    "PluginError",
    "PluginFailure",
    "PluginWarning",
    "RuleContext",
    "clean_config",
    "load_plugins",
    "normalize_activation",
    "register_layer_rule",
    "registered_by",
    "require_api",
    "then_layer",
    "then_op",
    "translate_builtin",
    "unregister_layer_rule",
    "with_activation",
]

#: The version of this API; see the module docstring for what changes it.
PLUGIN_API_VERSION = 1
#: The entry-point group third-party rule packages register in.
ENTRY_POINT_GROUP = "keras_migrate.rules"

#: What a rule receives besides the config: the layer's name, the source generation
#: (``keras2``, ``tf.keras``, ``keras3``), ``notes`` (shown in the provenance),
#: ``fail(message, hint)`` (the refusal naming the layer) and ``then`` (see :func:`then_op`).
RuleContext = TranslateContext
#: ``(legacy config, ctx) -> (Keras 3 type, Keras 3 config)``.
LayerRule = Rule

#: Who registered each ``(ruleset, class name)`` through this API (a plugin's entry-point
#: name, or ``keras_migrate`` for the project's own rules).
_ORIGINS: dict[tuple[str, str], str] = {}
_current_source: list[str] = ["keras_migrate"]
_loaded: tuple[PluginFailure, ...] | None = None


class PluginError(KerasMigrateError):
    """A plugin used the API wrongly (a clash, an unknown rule set, a version mismatch)."""


class PluginWarning(UserWarning):
    """A plugin of :data:`ENTRY_POINT_GROUP` failed to load (one line naming it)."""


@dataclass(frozen=True, slots=True)
class PluginFailure:
    """A plugin whose entry point raised while loading: named in refusals."""

    name: str
    #: The entry point's ``module:attribute``.
    value: str
    #: The exception, on one line.
    error: str

    def describe(self) -> str:
        return f"plugin {self.name!r} ({self.value}) failed to load: {self.error}"


def require_api(version: int) -> None:
    """Fail unless this is the API ``version`` a plugin was written for (call it first)."""
    if version != PLUGIN_API_VERSION:
        raise PluginError(
            f"the plugin needs keras-migrate plugin API {version}, this keras-migrate has {PLUGIN_API_VERSION}",
            hint="install a keras-migrate release with that plugin API, or update the plugin",
        )


@overload
def register_layer_rule(
    class_name: str | Iterable[str], fn: None = None, *, rulesets: Iterable[str] = ..., replace: bool = ...
) -> Callable[[LayerRule], LayerRule]: ...
@overload
def register_layer_rule(
    class_name: str | Iterable[str], fn: LayerRule, *, rulesets: Iterable[str] = ..., replace: bool = ...
) -> LayerRule: ...
def register_layer_rule(
    class_name: str | Iterable[str],
    fn: LayerRule | None = None,
    *,
    rulesets: Iterable[str] = (KERAS2,),
    replace: bool = False,
) -> LayerRule | Callable[[LayerRule], LayerRule]:
    """Register ``fn`` as the rule for the legacy class name(s) (also usable as a decorator).

    ``rulesets``: :data:`KERAS2` (standalone Keras 2, tf.keras and Keras 3 configs, the
    default) and/or :data:`KERAS1`. A name that already has a rule is refused unless
    ``replace=True``, so a plugin never silently changes how a built-in class converts.
    """
    names = (class_name,) if isinstance(class_name, str) else tuple(class_name)
    sets = tuple(rulesets)
    for rs in sets:
        if rs not in (KERAS1, KERAS2):
            raise PluginError(f"unknown rule set {rs!r}", hint=f"use {KERAS2!r} or {KERAS1!r}")
    if not names or not all(isinstance(n, str) and n for n in names):
        raise PluginError(f"class names must be non-empty strings, got {class_name!r}")

    def decorate(rule: LayerRule) -> LayerRule:
        if not callable(rule):
            raise PluginError(f"the rule for {names[0]!r} is not callable")
        for rs in sets:
            for n in names:
                existing = rule_for(n, rs)
                if existing is not None and not replace:
                    owner = _ORIGINS.get((rs, n), "keras_migrate")
                    raise PluginError(
                        f"class {n!r} already has a rule (from {owner}) in rule set {rs!r}",
                        hint="pass replace=True to override it on purpose",
                    )
            source = _current_source[-1]
            register(*names, rules=rs)(rule if source == "keras_migrate" else _noted(rule, source))
            for n in names:
                _ORIGINS[(rs, n)] = _current_source[-1]
        return rule

    return decorate if fn is None else decorate(fn)


def _noted(rule: LayerRule, source: str) -> LayerRule:
    """``rule``, adding a provenance note that names the plugin that translated the layer."""

    def run(config: dict[str, Any], ctx: RuleContext) -> tuple[str, dict[str, Any]]:
        layer_type, cfg = rule(config, ctx)
        ctx.notes.append(f"{ctx.layer_name}: translated to {layer_type} by plugin {source!r}")
        return layer_type, cfg

    return run


def unregister_layer_rule(class_name: str, rulesets: Iterable[str] = (KERAS2,)) -> None:
    """Remove a rule registered through :func:`register_layer_rule` (tests, reloads)."""
    for rs in rulesets:
        if (rs, class_name) in _ORIGINS:
            unregister(class_name, rs)
            del _ORIGINS[(rs, class_name)]


def registered_by(class_name: str, ruleset: str = KERAS2) -> str | None:
    """Who registered the rule for ``class_name`` through this API, if anyone."""
    return _ORIGINS.get((ruleset, class_name))


def translate_builtin(
    class_name: str, config: Mapping[str, Any], ctx: RuleContext, *, drop: Iterable[str] = ()
) -> tuple[str, dict[str, Any]]:
    """Translate ``config`` as the built-in class ``class_name`` would be, without the keys
    in ``drop`` (the custom class' own arguments that do not change what it computes).
    Every other key must be one the built-in takes, or the translation refuses it."""
    dropped = set(drop)
    return require_rule(class_name, ctx)({k: v for k, v in config.items() if k not in dropped}, ctx)


def then_layer(ctx: RuleContext, layer_type: str, config: Mapping[str, Any] | None = None) -> None:
    """Apply the weightless Keras 3 layer ``layer_type(**config)`` to the translated layer's
    output (after any earlier :func:`then_layer`/:func:`then_op`). All of the legacy
    layer's weights stay with the translated layer, so a follow-up may own none."""
    cfg = dict(config or {})
    if weight_specs(layer_type, cfg):
        raise ctx.fail(f"a rule's follow-up layer {layer_type} owns weights", hint="follow-ups must be weightless")
    ctx.then.append((layer_type, cfg))


def then_op(ctx: RuleContext, function: str, **config: Any) -> None:
    """Apply the ``keras.ops`` function (``"flip"``, ``"negative"``, ...; the ones the IR
    knows, :data:`keras_migrate.ir.ops.keras3.OPS`) to the translated layer's output, with
    ``config`` as its non-tensor arguments: ``then_op(ctx, "flip", axis=1)``."""
    name = function.removeprefix("keras.ops.")
    spec = next((s for s in OPS.values() if s.function == f"keras.ops.{name}"), None)
    if spec is None or len(spec.inputs) != 1 or spec.variadic:
        raise ctx.fail(f"keras.ops.{name} is not a one-tensor op the converter knows")
    defaults = spec.defaults
    unknown = sorted(set(config) - set(defaults))
    missing = sorted(k for k, v in defaults.items() if v == REQUIRED and k not in config)
    if unknown or missing:
        raise ctx.fail(f"keras.ops.{name} arguments: unknown {unknown}, missing {missing}")
    ctx.then.append((op_type(spec.class_name), dict(config)))


@contextlib.contextmanager
def _source(name: str) -> Iterator[None]:
    _current_source.append(name)
    try:
        yield
    finally:
        _current_source.pop()


def load_plugins(*, reload: bool = False) -> tuple[PluginFailure, ...]:
    """Load every plugin of :data:`ENTRY_POINT_GROUP` once, and the ones that failed.

    An entry point names a module (importing it registers its rules) or a callable taking
    no arguments (called once). A failure is a one-line :class:`PluginWarning` naming the
    plugin; the other plugins still load.
    """
    global _loaded
    if _loaded is not None and not reload:
        return _loaded
    from importlib.metadata import entry_points

    failures: list[PluginFailure] = []
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        try:
            with _source(ep.name):
                obj = ep.load()
                if callable(obj):
                    obj()
        except Exception as exc:  # a broken third-party package must not break the CLI
            text = str(exc).strip().splitlines()
            failure = PluginFailure(ep.name, ep.value, f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": "))
            failures.append(failure)
            warnings.warn(f"keras-migrate: {failure.describe()}", PluginWarning, stacklevel=2)
    _loaded = tuple(failures)
    return _loaded
