"""Pure-numpy reference interpreter for the IR (the oracle for ``verify``)."""

from keras_migrate.ir.interpreter._core import (
    Context as Context,
)
from keras_migrate.ir.interpreter._core import (
    KernelResult as KernelResult,
)
from keras_migrate.ir.interpreter._core import (
    interpret as interpret,
)
from keras_migrate.ir.interpreter._core import (
    kernel as kernel,
)
from keras_migrate.ir.interpreter._core import (
    registered_types as registered_types,
)
from keras_migrate.ir.interpreter._core import (
    run_graph as run_graph,
)

__all__ = ["Context", "KernelResult", "interpret", "kernel", "registered_types", "run_graph"]
