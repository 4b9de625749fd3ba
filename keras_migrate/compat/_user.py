"""The compat layer a user-supplied Lambda replacement becomes (docs/user-code.md).

A legacy Lambda holds marshalled bytecode that is never executed; when the user names a
replacement function (``--lambda LAYER=FILE.py:NAME`` or a ``LAMBDAS`` dict), the layer
becomes :class:`UserFunction`, which stores only the function's registered *name* and looks
it up when built, in the ``custom_objects`` given to ``keras.saving.load_model`` (or Keras'
registry): no code in the file, so it loads with ``safe_mode=True``.
"""

from __future__ import annotations

from typing import Any

import keras

from keras_migrate.compat._names import PACKAGE

__all__ = ["UserFunction"]


@keras.saving.register_keras_serializable(package=PACKAGE)
class UserFunction(keras.layers.Layer):
    """Calls the user's function registered (or passed in ``custom_objects``) as ``function``."""

    def __init__(self, function: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.function = str(function)
        self._fn = keras.saving.get_registered_object(self.function)
        if self._fn is None:
            raise ValueError(
                f"UserFunction layer {self.name!r}: no function {self.function!r}; pass it in "
                f"custom_objects={{{self.function!r}: fn}} or register it with keras.saving.register_keras_serializable"
            )

    def call(self, inputs: Any) -> Any:
        return self._fn(inputs)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "function": self.function}
