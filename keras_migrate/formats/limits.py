"""The bounds every reader enforces on untrusted input, in one place.

A damaged or hostile file must not make the converter recurse without end, expand an alias
bomb, inflate a zip member without limit or allocate what a header merely declares. Each
bound below is far above what any genuine Keras model needs; the ones a genuinely huge
model could reach can be raised through an environment variable (documented in
``docs/formats.md``, "Limits"). Readers compare against these values *before* allocating.
"""

from __future__ import annotations

import os

# One per-tensor bound for stored and fresh weights alike, defined beside the weights it guards.
from keras_migrate.ir.weights import DEFAULT_MAX_WEIGHT_BYTES as MAX_WEIGHT_BYTES
from keras_migrate.ir.weights import max_weight_bytes

__all__ = [
    "MAX_ALIASES",
    "MAX_CHECKPOINT_SHARDS",
    "MAX_CONFIG_BYTES",
    "MAX_CONFIG_DEPTH",
    "MAX_CONFIG_NODES",
    "MAX_DIMENSION",
    "MAX_H5_LINKS",
    "MAX_RANK",
    "MAX_WEIGHT_BYTES",
    "env_limit",
    "max_weight_bytes",
]


def env_limit(name: str, default: int) -> int:
    """``int(os.environ[name])`` when set to a positive integer, else ``default``."""
    raw = os.environ.get(name, "").strip().replace("_", "")
    try:
        value = int(raw) if raw else default
    except ValueError:
        return default
    return value if value > 0 else default


#: Nesting depth of a parsed JSON/YAML config (lists and objects). Real Keras configs,
#: nested models included, stay under 50.
MAX_CONFIG_DEPTH = 200
#: Values in a parsed config, counting each time a shared (YAML alias) value is reached:
#: bounds "billion laughs" expansion. The largest fixture has a few thousand.
MAX_CONFIG_NODES = 2_000_000
#: YAML alias references resolved while loading one config.
MAX_ALIASES = 10_000
#: Bytes of a config read from a ``.keras`` archive (``config.json``, ``metadata.json``).
MAX_CONFIG_BYTES = 64 << 20
#: One dimension of a shape or a size-like config value (``units``, ``filters``, ...).
MAX_DIMENSION = (1 << 31) - 1
#: Dimensions of one shape.
MAX_RANK = 32
#: Data shards a checkpoint header may declare.
MAX_CHECKPOINT_SHARDS = 100_000
#: Links (group members, at every depth) scanned in one HDF5 file when it is opened, to
#: refuse external links and virtual datasets anywhere in it. The largest fixture has a few
#: thousand; a file with more is refused rather than walked without end.
MAX_H5_LINKS = 1_000_000
