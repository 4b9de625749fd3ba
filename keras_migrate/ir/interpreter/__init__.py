"""Pure-numpy reference interpreter for the IR (the oracle for ``verify``)."""

from keras_migrate.ir.interpreter._core import (
    Context as Context,
    KernelResult as KernelResult,
    interpret as interpret,
    kernel as kernel,
    registered_types as registered_types,
    run_graph as run_graph,
)

__all__ = ["Context", "KernelResult", "interpret", "kernel", "registered_types", "run_graph"]
