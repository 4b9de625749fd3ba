"""The keras-migrate intermediate representation: a typed graph of Keras 3 layers.

Records (all frozen, slotted dataclasses): :class:`Model` (graph + provenance),
:class:`Graph` (layers, nodes, values, structured inputs/outputs), :class:`Layer` (a
definition: Keras 3 type, config, lazy weights, optional nested subgraph), :class:`Node`
(one call site), :class:`Value` (a tensor with :class:`TensorType`), :class:`Weight` (a lazy
array: source reference plus layout transforms). Build graphs with :class:`GraphBuilder`;
rewrite them with :class:`Rewriter`; check them with :func:`validate`; print with
:func:`format_model`; run them with :func:`interpret`; save and load with :func:`save` /
:func:`load` (``.kmir``). The closed sets of field values are ``Literal`` types
(:data:`Generation`, :data:`GraphKind`, :data:`DataFormat`, :data:`OutputDataFormat`).

Importing this package does not import Keras or any framework.
"""

from keras_migrate.ir.graph import (
    COMPAT_PREFIX as COMPAT_PREFIX,
)
from keras_migrate.ir.graph import (
    Graph as Graph,
)
from keras_migrate.ir.graph import (
    GraphBuilder as GraphBuilder,
)
from keras_migrate.ir.graph import (
    GraphIndex as GraphIndex,
)
from keras_migrate.ir.graph import (
    Layer as Layer,
)
from keras_migrate.ir.graph import (
    LayerOrigin as LayerOrigin,
)
from keras_migrate.ir.graph import (
    Model as Model,
)
from keras_migrate.ir.graph import (
    Node as Node,
)
from keras_migrate.ir.graph import (
    Provenance as Provenance,
)
from keras_migrate.ir.graph import (
    TensorType as TensorType,
)
from keras_migrate.ir.graph import (
    Value as Value,
)
from keras_migrate.ir.graph import (
    ValueRef as ValueRef,
)
from keras_migrate.ir.graph import (
    ValueStructure as ValueStructure,
)
from keras_migrate.ir.graph import (
    flatten_structure as flatten_structure,
)
from keras_migrate.ir.graph import (
    map_structure as map_structure,
)
from keras_migrate.ir.interpreter import interpret as interpret
from keras_migrate.ir.interpreter import run_graph as run_graph
from keras_migrate.ir.kinds import DataFormat as DataFormat
from keras_migrate.ir.kinds import Generation as Generation
from keras_migrate.ir.kinds import GraphKind as GraphKind
from keras_migrate.ir.kinds import OutputDataFormat as OutputDataFormat
from keras_migrate.ir.printer import format_model as format_model
from keras_migrate.ir.rewrite import Rewriter as Rewriter
from keras_migrate.ir.serialize import load as load
from keras_migrate.ir.serialize import save as save
from keras_migrate.ir.validate import IRValidationError as IRValidationError
from keras_migrate.ir.validate import validate as validate
from keras_migrate.ir.weights import Weight as Weight

__all__ = [
    "COMPAT_PREFIX",
    "DataFormat",
    "Generation",
    "Graph",
    "GraphBuilder",
    "GraphIndex",
    "GraphKind",
    "IRValidationError",
    "Layer",
    "LayerOrigin",
    "Model",
    "Node",
    "OutputDataFormat",
    "Provenance",
    "Rewriter",
    "TensorType",
    "Value",
    "ValueRef",
    "ValueStructure",
    "Weight",
    "flatten_structure",
    "format_model",
    "interpret",
    "load",
    "map_structure",
    "run_graph",
    "save",
    "validate",
]
