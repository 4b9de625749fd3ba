"""Rules for three custom classes found in published models, each a built-in in disguise.

* ``CheckedConv1D``: a ``Conv1D`` subclass whose ``call`` only checks the input's rank
  before calling ``Conv1D.call``: it converts to ``Conv1D`` with the same config.
* ``ReversedLSTM``: an ``LSTM`` forced to ``go_backwards=True, return_sequences=True``
  whose ``call`` reverses the output sequence back into input order: ``LSTM`` (same
  config, same weights) followed by ``keras.ops.flip(axis=1)``.
* ``MaskedGlobalAveragePooling1D``: the mean over the unmasked steps (plain mean without a
  mask): exactly what Keras 3's ``GlobalAveragePooling1D`` computes with a mask.

Installed, the package registers them through the ``keras_migrate.rules`` entry point
(see pyproject.toml); ``register`` is called once, the first time keras-migrate meets a
class it has no rule for.
"""

from __future__ import annotations

from typing import Any

from keras_migrate import plugins

__all__ = ["checked_conv1d", "masked_global_average_pooling1d", "register", "reversed_lstm"]


def checked_conv1d(config: dict[str, Any], ctx: plugins.RuleContext) -> tuple[str, dict[str, Any]]:
    """The input check changes nothing a valid input computes."""
    return plugins.translate_builtin("Conv1D", config, ctx)


def reversed_lstm(config: dict[str, Any], ctx: plugins.RuleContext) -> tuple[str, dict[str, Any]]:
    """LSTM over the reversed sequence, its outputs put back in input order."""
    if not config.get("go_backwards") or not config.get("return_sequences"):
        raise ctx.fail(
            "ReversedLSTM config does not go backwards over whole sequences",
            hint="this rule expects the class that forces go_backwards=True and return_sequences=True",
        )
    layer_type, cfg = plugins.translate_builtin("LSTM", config, ctx)
    plugins.then_op(ctx, "flip", axis=1)
    return layer_type, cfg


def masked_global_average_pooling1d(config: dict[str, Any], ctx: plugins.RuleContext) -> tuple[str, dict[str, Any]]:
    """Keras 3's GlobalAveragePooling1D already averages over the unmasked steps only."""
    return plugins.translate_builtin("GlobalAveragePooling1D", config, ctx)


def register() -> None:
    """The entry point: register every rule of this package."""
    plugins.require_api(1)
    plugins.register_layer_rule("CheckedConv1D", checked_conv1d)
    plugins.register_layer_rule("ReversedLSTM", reversed_lstm)
    plugins.register_layer_rule("MaskedGlobalAveragePooling1D", masked_global_average_pooling1d)
