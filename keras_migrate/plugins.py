"""The public reader plugin API: map a custom layer class to Keras 3 layers with a rule.

A stable re-export of :mod:`keras_migrate.formats.plugin_api` (which the project's own
rules use too); docs/plugins.md is the guide. Importing it imports no ML framework.

    from keras_migrate import plugins

    plugins.require_api(1)

    @plugins.register_layer_rule("CheckedConv1D")
    def checked_conv1d(config, ctx):
        return plugins.translate_builtin("Conv1D", config, ctx)

A package ships its rules through the entry-point group ``keras_migrate.rules``.
"""

from __future__ import annotations

from keras_migrate.formats.plugin_api import (
    ENTRY_POINT_GROUP,
    KERAS1,
    KERAS2,
    PLUGIN_API_VERSION,
    LayerRule,
    PluginError,
    PluginFailure,
    PluginWarning,
    RuleContext,
    clean_config,
    load_plugins,
    normalize_activation,
    register_layer_rule,
    registered_by,
    require_api,
    then_layer,
    then_op,
    translate_builtin,
    unregister_layer_rule,
    with_activation,
)

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
