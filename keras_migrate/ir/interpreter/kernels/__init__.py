"""The numpy kernels, one module per layer family; importing this registers them all."""

from keras_migrate.ir.interpreter.kernels import (
    activations,
    compat,
    conv,
    core,
    embedding,
    keras1,
    merge,
    nested,
    normalization,
    pooling,
    recurrent,
    reshaping,
    tfkeras,
    wrappers,
)

__all__ = [
    "activations",
    "compat",
    "conv",
    "core",
    "embedding",
    "keras1",
    "merge",
    "nested",
    "normalization",
    "pooling",
    "recurrent",
    "reshaping",
    "tfkeras",
    "wrappers",
]
