"""User layers and functions: code the user supplied on the command line, never the model file's.

A layer whose class the user supplied (``--custom-objects``) is an IR :class:`~keras_migrate.ir.graph.Layer`
of type ``user>ClassName``: its ``config`` is the class's own config (as ``get_config``
wrote it), its weights are the stored arrays in the order the class creates its variables.
A Lambda layer the user gave a replacement function for is the compat layer
:data:`USER_FUNCTION_LAYER` calling that function by its registered name. What the user's
objects are (names, module, source) is recorded once per model as :class:`UserObject`
records on :attr:`Model.user_code <keras_migrate.ir.graph.Model.user_code>`.

The IR never runs user code itself. The numpy interpreter runs user layers and functions
through the :class:`UserRunner` installed here (:func:`install_runner`; the
``keras_migrate.usercode`` package installs one backed by Keras 3), so that this package
stays free of Keras and the user's modules.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

__all__ = [
    "USER_FUNCTION_LAYER",
    "USER_PREFIX",
    "UserObject",
    "UserRunner",
    "current_runner",
    "install_runner",
    "is_user_type",
    "reference_notes",
    "user_class_name",
    "user_type",
]

#: Layer types of user classes start with this prefix (``user>BSplineWeighting``).
USER_PREFIX = "user>"
#: The compat layer a Lambda replacement becomes: ``config["function"]`` names the function.
USER_FUNCTION_LAYER = "keras_migrate>UserFunction"

UserKind = Literal["layer", "function", "lambda"]


@dataclass(frozen=True, slots=True)
class UserObject:
    """One object the user supplied and the model uses.

    ``name``: the name the model's config uses (a class name, an activation name, or for a
    Lambda replacement the Lambda layer's name); ``registered_name``: the name Keras 3
    serializes it under (``package>Name`` for registered objects, else the plain name);
    ``attribute``: the object's name in ``module``; ``origin``: the file or module the user
    named; ``source``: the module's source as imported (upgraded by the codemods if it was
    legacy code), for outputs that inline it.
    """

    name: str
    kind: UserKind
    registered_name: str
    attribute: str
    module: str
    origin: str
    source: str = ""


def user_type(class_name: str) -> str:
    """The IR layer type of a user class."""
    return USER_PREFIX + class_name


def is_user_type(layer_type: str) -> bool:
    return layer_type.startswith(USER_PREFIX)


def user_class_name(layer_type: str) -> str:
    """``user>Foo`` -> ``Foo``."""
    return layer_type[len(USER_PREFIX) :]


class UserRunner(Protocol):
    """Runs user code for the numpy interpreter (on numpy arrays in, numpy arrays out)."""

    def describe(self) -> str:
        """How user code is run (e.g. ``Keras 3 numpy backend``), for reports."""
        ...

    def has_function(self, name: str) -> bool: ...

    def run_function(self, name: str, x: Any) -> Any: ...

    def run_layer(
        self, class_name: str, layer_name: str, config: Mapping[str, Any], weights: list[Any], args: tuple[Any, ...],
        kwargs: dict[str, Any], mask: Any,
    ) -> tuple[Any, Any]:
        """``(outputs, output mask)`` of the user's layer built from ``config`` with ``weights``."""
        ...


_RUNNER: list[UserRunner] = []


def install_runner(runner: UserRunner | None) -> None:
    """Make ``runner`` the one the interpreter uses for user code (``None``: none)."""
    _RUNNER.clear()
    if runner is not None:
        _RUNNER.append(runner)


def current_runner() -> UserRunner | None:
    return _RUNNER[0] if _RUNNER else None


def reference_notes(model: Any) -> list[str]:
    """One line per layer whose reference values came from user code, and what ran it
    (``layer 'x' (user class Foo) run by Keras 3 numpy backend``); empty without user code."""
    functions = {o.name for o in getattr(model, "user_code", ()) if o.kind != "layer"}
    found = []
    for _, layer in model.graph.walk_layers():
        if is_user_type(layer.type):
            found.append(f"layer {layer.name!r} (user class {user_class_name(layer.type)})")
        elif layer.type == USER_FUNCTION_LAYER:
            found.append(f"layer {layer.name!r} (user function {layer.config.get('function')!r}, a Lambda replacement)")
        else:
            used = sorted(v for k, v in layer.config.items() if k in ("activation", "recurrent_activation") and v in functions)
            found += [f"layer {layer.name!r} (user activation {u!r})" for u in used]
    runner = current_runner()
    how = runner.describe() if runner is not None else "no runner"
    return [f"{f} run by {how}" for f in found]
