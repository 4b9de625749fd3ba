"""The user's own code, named on the command line: the one place user code is loaded.

``--custom-objects FILE.py`` (or a dotted module name) and ``--lambda LAYER=FILE.py:NAME``
name Python the *user* wrote; the model file never supplies code (its Lambda bytecode is
never executed). :func:`load_user_code` reads each file, upgrades legacy Keras 2 /
tf.keras source with the project's own codemods (in memory; the upgraded module is imported
from a temporary directory), and collects:

- layer classes (``keras.layers.Layer`` subclasses defined there), matched to a layer's
  ``class_name`` by class name or Keras registered name;
- functions defined there (activations and other objects configs name);
- Lambda replacements: ``--lambda`` and a module-level ``LAMBDAS = {"layer_name": fn}``.

:meth:`UserCode.reading` tells the readers those names; :func:`install` makes the numpy
interpreter run them through Keras 3 (:mod:`keras_migrate.usercode.runner`) and passes the
same files to verification workers (in their requests).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from keras_migrate.errors import KerasMigrateError
from keras_migrate.ir.user_code import UserObject

__all__ = ["UserCode", "install", "load_user_code"]

@dataclass(frozen=True, slots=True)
class UserCode:
    """What the user's files define, by the names model configs use."""

    objects: tuple[UserObject, ...]
    layers: Mapping[str, type] = field(default_factory=dict)
    functions: Mapping[str, Callable[..., Any]] = field(default_factory=dict)
    #: Lambda layer name -> the registered name of the function replacing it (a key of ``functions``).
    lambdas: Mapping[str, str] = field(default_factory=dict)
    #: What the codemods rewrote and the follow-ups they flagged, one line each.
    notes: tuple[str, ...] = ()
    specs: tuple[str, ...] = ()
    lambda_specs: tuple[str, ...] = ()

    def custom_objects(self) -> dict[str, Any]:
        """``custom_objects`` for ``keras.saving.load_model`` (every registered and plain name)."""
        out: dict[str, Any] = {}
        for obj in self.objects:
            value = self.layers.get(obj.name) if obj.kind == "layer" else self.functions.get(obj.name)
            if value is not None:
                out[obj.name] = value
                out[obj.registered_name] = value
        return out

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Read models knowing these names (see :mod:`keras_migrate.formats.user_names`)."""
        from keras_migrate.formats.user_names import user_names

        with user_names(self.layers, self.functions, self.lambdas):
            yield

    def used_by(self, layer_types: set[str], activations: set[str]) -> tuple[UserObject, ...]:
        """The objects a model with these IR layer types and config names uses."""
        from keras_migrate.ir.user_code import user_type

        used = []
        for obj in self.objects:
            if (obj.kind == "layer" and user_type(obj.name) in layer_types) or (obj.kind != "layer" and (obj.name in activations or obj.registered_name in activations)):
                used.append(obj)
        return tuple(used)


def load_user_code(specs: Sequence[str], lambdas: Sequence[str] = ()) -> UserCode:
    """Load ``--custom-objects`` files/modules and ``--lambda LAYER=FILE.py:NAME`` options."""
    from keras_migrate.usercode.source import import_user_module

    objects: dict[str, UserObject] = {}
    layers: dict[str, type] = {}
    functions: dict[str, Callable[..., Any]] = {}
    lambda_map: dict[str, str] = {}
    notes: list[str] = []
    modules: dict[str, Any] = {}

    def module(spec: str) -> Any:
        if spec not in modules:
            loaded = import_user_module(spec)
            modules[spec] = loaded.module
            notes.extend(loaded.notes)
            _collect(loaded, objects, layers, functions, lambda_map)
        return modules[spec]

    for spec in specs:
        module(spec)
    for option in lambdas:
        layer, sep, target = option.partition("=")
        file, sep2, name = target.rpartition(":")
        if not (sep and sep2 and layer and file and name):
            raise KerasMigrateError(f"--lambda {option!r}: expected LAYER=FILE.py:NAME", hint="e.g. --lambda scale=my_code.py:scale")
        mod = module(file)
        fn = getattr(mod, name, None)
        if not callable(fn):
            raise KerasMigrateError(f"--lambda {option!r}: {file} defines no function {name!r}",
                                    hint="name a function defined in that file")  # fmt: skip
        lambda_map[layer] = _add_function(name, fn, mod, file, objects, functions, kind="lambda")
    return UserCode(tuple(objects.values()), layers, functions, lambda_map, tuple(notes), tuple(specs), tuple(lambdas))


def _add_function(name: str, fn: Any, mod: Any, origin: str, objects: dict[str, UserObject],
                  functions: dict[str, Callable[..., Any]], kind: str = "function") -> str:  # fmt: skip
    """Record a function under its name and registered name; returns the registered name."""
    import keras

    registered = keras.saving.get_registered_name(fn)
    functions[name] = fn
    if registered != name:
        functions[registered] = fn
    prior = objects.get(f"f:{name}")
    if prior is None or kind == "lambda":
        objects[f"f:{name}"] = UserObject(name, "lambda" if kind == "lambda" else "function", registered, name,
                                          mod.__name__, origin, getattr(mod, "__user_source__", ""))  # fmt: skip
    return str(registered)


def _collect(loaded: Any, objects: dict[str, UserObject], layers: dict[str, type],
             functions: dict[str, Callable[..., Any]], lambda_map: dict[str, str]) -> None:  # fmt: skip
    import inspect

    import keras

    mod = loaded.module
    for attr, value in vars(mod).items():
        if getattr(value, "__module__", None) != mod.__name__:
            continue
        if inspect.isclass(value) and issubclass(value, keras.layers.Layer):
            registered = keras.saving.get_registered_name(value)
            for name in {value.__name__, registered, registered.rpartition(">")[2]}:
                layers[name] = value
            objects[f"l:{value.__name__}"] = UserObject(value.__name__, "layer", registered, attr, mod.__name__,
                                                        loaded.origin, loaded.source)  # fmt: skip
        elif inspect.isfunction(value) or (inspect.isclass(value) and issubclass(value, _config_object_bases(keras))):
            # functions (activations...) and initializer/regularizer/constraint classes: configs name them
            _add_function(attr, value, mod, loaded.origin, objects, functions)
    table = getattr(mod, "LAMBDAS", None)
    if isinstance(table, Mapping):
        for layer, fn in table.items():
            if not callable(fn):
                raise KerasMigrateError(f"{loaded.origin}: LAMBDAS[{layer!r}] is not a function",
                                        hint="LAMBDAS maps Lambda layer names to functions")  # fmt: skip
            name = getattr(fn, "__name__", str(layer))
            lambda_map[str(layer)] = _add_function(name, fn, mod, loaded.origin, objects, functions, kind="lambda")


def _config_object_bases(keras: Any) -> tuple[type, ...]:
    """The Keras 3 base classes of objects a layer config names by class (not layers)."""
    return (keras.initializers.Initializer, keras.regularizers.Regularizer, keras.constraints.Constraint)


def install(user_code: UserCode | None) -> None:
    """Run ``user_code`` wherever this process's numpy interpreter meets user layers
    (``None``: uninstall). Verification workers get the files in their request instead."""
    from keras_migrate.ir.user_code import install_runner

    if user_code is None:
        install_runner(None)
        return
    from keras_migrate.usercode.runner import KerasRunner

    install_runner(KerasRunner(user_code))
