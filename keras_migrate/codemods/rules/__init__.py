"""The rule registry: every rule, in the order the engine runs them.

Order matters where rules touch the same call: Keras 1 keyword renames run before the
layer and training rules so those see Keras 2 spellings.
"""

from __future__ import annotations

from collections.abc import Iterable

from keras_migrate.codemods.rule import Rule
from keras_migrate.codemods.rules.backend import Backend
from keras_migrate.codemods.rules.custom_layers import CustomLayers
from keras_migrate.codemods.rules.imports import Imports
from keras_migrate.codemods.rules.keras1_layers import Keras1Layers
from keras_migrate.codemods.rules.layers import Layers
from keras_migrate.codemods.rules.merge import Merge
from keras_migrate.codemods.rules.optimizers import Optimizers
from keras_migrate.codemods.rules.removed import RemovedApis
from keras_migrate.codemods.rules.saving import Saving
from keras_migrate.codemods.rules.tf_ops import TfOps
from keras_migrate.codemods.rules.training import Training
from keras_migrate.codemods.rules.utilities import Utilities
from keras_migrate.errors import KerasMigrateError

__all__ = ["RULE_CLASSES", "all_rules", "rule_ids", "select_rules"]

RULE_CLASSES: tuple[type[Rule], ...] = (
    Imports,
    Keras1Layers,
    Merge,
    Layers,
    CustomLayers,
    Training,
    Optimizers,
    Saving,
    Backend,
    TfOps,
    Utilities,
    RemovedApis,
)


def all_rules() -> list[Rule]:
    """A fresh instance of every rule, in run order."""
    return [cls() for cls in RULE_CLASSES]


def rule_ids() -> list[str]:
    """Every rule id, in run order."""
    return [cls.id for cls in RULE_CLASSES]


def _parse(spec: Iterable[str] | None) -> set[str]:
    ids: set[str] = set()
    for item in spec or ():
        ids.update(part.strip() for part in item.split(",") if part.strip())
    unknown = ids - set(rule_ids())
    if unknown:
        raise KerasMigrateError(
            f"unknown rule id(s): {', '.join(sorted(unknown))}",
            hint=f"known rules: {', '.join(rule_ids())}",
        )
    return ids


def select_rules(select: Iterable[str] | None, ignore: Iterable[str] | None) -> list[Rule]:
    """Rules chosen by ``--select`` (default: all) minus ``--ignore``, in run order.

    Raises:
        KerasMigrateError: an unknown rule id was given.
    """
    chosen = _parse(select) or set(rule_ids())
    dropped = _parse(ignore)
    return [rule for rule in all_rules() if rule.id in chosen and rule.id not in dropped]
