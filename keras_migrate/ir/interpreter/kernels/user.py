"""User layers (``user>Class``) and Lambda replacements (``keras_migrate>UserFunction``).

Their code is the user's (``--custom-objects``), so the interpreter cannot have a numpy
kernel for it: it hands the arrays to the :class:`~keras_migrate.ir.user_code.UserRunner`
installed for the run (Keras 3 running the user's class), which also checks the stored
weights against the variables the class creates. Without a runner these layers are refused.
"""

from __future__ import annotations

from typing import Any

from keras_migrate.errors import UnsupportedError
from keras_migrate.ir.graph import Layer
from keras_migrate.ir.interpreter.kernels._common import first_arg_mask
from keras_migrate.ir.interpreter.registry import Context, KernelResult, kernel
from keras_migrate.ir.user_code import (
    USER_FUNCTION_LAYER,
    USER_PREFIX,
    UserRunner,
    current_runner,
    user_class_name,
)

__all__ = ["user_function", "user_layer"]


def _runner(layer: Layer, what: str) -> UserRunner:
    runner = current_runner()
    if runner is None:
        raise UnsupportedError(
            f"{what} is user code and no user code is loaded",
            layer=layer.name,
            hint="pass the file defining it with --custom-objects FILE.py",
        )
    return runner


@kernel(USER_PREFIX)
def user_layer(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> KernelResult:
    cls = user_class_name(layer.type)
    runner = _runner(layer, f"class {cls!r}")
    first_mask = first_arg_mask(ctx)
    weights = [w.numpy() for w in layer.weights]
    outputs, mask = runner.run_layer(cls, layer.name, dict(layer.config), weights, args, kwargs, first_mask)
    return KernelResult(outputs, mask)


@kernel(USER_FUNCTION_LAYER)
def user_function(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> Any:
    name = str(layer.config["function"])
    runner = _runner(layer, f"function {name!r}")
    if not runner.has_function(name):
        raise UnsupportedError(f"the user code defines no function {name!r}", layer=layer.name,
                               hint="name it in --lambda LAYER=FILE.py:NAME or in a LAMBDAS dict")  # fmt: skip
    return runner.run_function(name, args[0])
