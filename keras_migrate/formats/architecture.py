"""Model configs as text: ``model.to_json()`` / ``to_yaml()`` files and JSON attributes.

Parsing only: the config goes through :func:`keras_migrate.formats.pipeline.read_model`
like every other reader's. YAML is loaded safely (plus the ``python/tuple`` tag Keras'
``to_yaml`` wrote); nothing in the file is executed. Parse errors of every kind (deep
nesting, integers over Python's digit limit, too many YAML aliases) become one clean
error, and :func:`check_model_config` hands every reader's parsed config to the schema
layer (:mod:`keras_migrate.formats.schema`) before anything else walks it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from typing import Any

from keras_migrate.errors import KerasMigrateError
from keras_migrate.formats.limits import MAX_ALIASES
from keras_migrate.formats.schema import validate_model_config

__all__ = ["check_model_config", "parse_json", "read_architecture_config"]


def parse_json(text: str, path: str, what: str, object_hook: Callable[[dict[str, Any]], Any] | None = None) -> Any:
    """``json.loads`` whose error names ``what`` and the line, as a :class:`KerasMigrateError`
    (``object_hook`` as in :func:`json.loads`)."""
    try:
        return json.loads(text, object_hook=object_hook)
    except json.JSONDecodeError as exc:
        raise KerasMigrateError(f"{what} is not valid JSON ({exc.msg} at line {exc.lineno})", path=path) from exc
    except RecursionError as exc:
        raise KerasMigrateError(f"{what} is nested too deeply to be a model config", path=path) from exc
    except ValueError as exc:  # an integer over Python's digit limit
        raise KerasMigrateError(f"{what} is not a usable JSON config ({_first_line(exc)})", path=path) from exc


def _first_line(exc: BaseException) -> str:
    """The exception's text on one line (YAML errors span several)."""
    text = " ".join(str(exc).split())
    return text[:300] if text else type(exc).__name__


def check_model_config(cfg: Any, path: str, *, json_tree: bool = False) -> Mapping[str, Any]:
    """``cfg`` if it has the ``{class_name, config}`` shape of a serialized Keras model, as
    the schema layer's plain, bounded copy (:func:`~keras_migrate.formats.schema.validate_model_config`).
    ``json_tree``: ``cfg`` is what :func:`parse_json` (without an ``object_hook``) just
    returned, so it is checked in place rather than copied."""
    if not isinstance(cfg, Mapping) or "class_name" not in cfg or "config" not in cfg:
        raise KerasMigrateError(
            "not a Keras model config (expected an object with 'class_name' and 'config')", path=path
        )
    return validate_model_config(cfg, path, json_tree=json_tree)


def _yaml_load(text: str, path: str) -> Any:
    import yaml

    class _Loader(yaml.SafeLoader):
        """Safe loading plus the python/tuple tag Keras' to_yaml wrote; nothing executes.
        Alias references are counted: past :data:`MAX_ALIASES` the file is refused."""

        aliases = 0

        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                self.aliases += 1
                if self.aliases > MAX_ALIASES:
                    raise KerasMigrateError(f"the YAML config uses more than {MAX_ALIASES} aliases", path=path)
            return super().compose_node(parent, index)

    _Loader.add_constructor("tag:yaml.org,2002:python/tuple", lambda loader, node: loader.construct_sequence(node))
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise KerasMigrateError(f"not valid YAML ({_first_line(exc)})", path=path) from exc
    except RecursionError as exc:
        raise KerasMigrateError("the YAML config is nested too deeply to be a model config", path=path) from exc
    except (ValueError, TypeError, OverflowError) as exc:  # digit limit, bad dates, unhashable keys
        raise KerasMigrateError(f"the YAML config has a value it cannot hold ({_first_line(exc)})", path=path) from exc


def read_architecture_config(path: str) -> tuple[Mapping[str, Any], str]:
    """Parse ``model.to_json()`` / ``to_yaml()`` output: ``(config, "keras-json"|"keras-yaml")``."""
    if not os.path.exists(path):
        raise KerasMigrateError("file not found", path=path)
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise KerasMigrateError(f"cannot read architecture file ({exc})", path=path) from exc
    if text.lstrip().startswith("{"):
        return check_model_config(parse_json(text, path, "architecture file"), path, json_tree=True), "keras-json"
    return check_model_config(_yaml_load(text, path), path), "keras-yaml"
