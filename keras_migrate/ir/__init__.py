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

Importing this package does not import Keras, any framework or even numpy: each name is
imported from its submodule on first use (:func:`__getattr__`), so a command that needs
the graph records never pays for the interpreter, printer, rewriter or serializer.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from keras_migrate.ir.graph import COMPAT_PREFIX as COMPAT_PREFIX
    from keras_migrate.ir.graph import Graph as Graph
    from keras_migrate.ir.graph import GraphBuilder as GraphBuilder
    from keras_migrate.ir.graph import GraphIndex as GraphIndex
    from keras_migrate.ir.graph import Layer as Layer
    from keras_migrate.ir.graph import LayerOrigin as LayerOrigin
    from keras_migrate.ir.graph import Model as Model
    from keras_migrate.ir.graph import Node as Node
    from keras_migrate.ir.graph import Provenance as Provenance
    from keras_migrate.ir.graph import TensorType as TensorType
    from keras_migrate.ir.graph import Value as Value
    from keras_migrate.ir.graph import ValueRef as ValueRef
    from keras_migrate.ir.graph import ValueStructure as ValueStructure
    from keras_migrate.ir.graph import flatten_structure as flatten_structure
    from keras_migrate.ir.graph import map_structure as map_structure
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

#: Public name -> the submodule of ``keras_migrate.ir`` that defines it.
_SOURCES = {
    "COMPAT_PREFIX": "graph",
    "DataFormat": "kinds",
    "Generation": "kinds",
    "Graph": "graph",
    "GraphBuilder": "graph",
    "GraphIndex": "graph",
    "GraphKind": "kinds",
    "IRValidationError": "validate",
    "Layer": "graph",
    "LayerOrigin": "graph",
    "Model": "graph",
    "Node": "graph",
    "OutputDataFormat": "kinds",
    "Provenance": "graph",
    "Rewriter": "rewrite",
    "TensorType": "graph",
    "Value": "graph",
    "ValueRef": "graph",
    "ValueStructure": "graph",
    "Weight": "weights",
    "flatten_structure": "graph",
    "format_model": "printer",
    "interpret": "interpreter",
    "load": "serialize",
    "map_structure": "graph",
    "run_graph": "interpreter",
    "save": "serialize",
    "validate": "validate",
}

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


def __getattr__(name: str) -> Any:
    """Import a public name from its submodule on first use, and keep it (PEP 562)."""
    module = _SOURCES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


class _Package(ModuleType):
    """``validate`` names the function, never the submodule of the same name: importing
    ``keras_migrate.ir.validate`` binds the submodule on this package after it loads, and
    this property (a data descriptor, so it wins over the module's dict) ignores that."""

    @property
    def validate(self) -> Any:
        return importlib.import_module(f"{__name__}.validate").validate

    @validate.setter
    def validate(self, value: Any) -> None:
        pass


sys.modules[__name__].__class__ = _Package
