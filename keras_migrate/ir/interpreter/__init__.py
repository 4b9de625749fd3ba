"""Pure-numpy reference interpreter for the IR (the oracle for ``verify``).

Entry points: :func:`run_graph` / :func:`interpret` run a graph or model, :func:`run_layer`
runs one layer on arrays, :func:`registered_types` lists what can run. Kernels register
with :func:`kernel` (see :mod:`.registry`); :func:`call_kernel` dispatches to them.
"""

from keras_migrate.ir.interpreter._core import interpret as interpret
from keras_migrate.ir.interpreter._core import load_kernels as load_kernels
from keras_migrate.ir.interpreter._core import registered_types as registered_types
from keras_migrate.ir.interpreter._core import run_graph as run_graph
from keras_migrate.ir.interpreter._core import run_layer as run_layer
from keras_migrate.ir.interpreter.registry import Context as Context
from keras_migrate.ir.interpreter.registry import KernelResult as KernelResult
from keras_migrate.ir.interpreter.registry import call_kernel as call_kernel
from keras_migrate.ir.interpreter.registry import kernel as kernel
from keras_migrate.ir.interpreter.registry import mask_passing_types as mask_passing_types

__all__ = [
    "Context",
    "KernelResult",
    "call_kernel",
    "interpret",
    "kernel",
    "load_kernels",
    "mask_passing_types",
    "registered_types",
    "run_graph",
    "run_layer",
]
