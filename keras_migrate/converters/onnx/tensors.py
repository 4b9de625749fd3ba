"""The tensors lowerings pass around, and the dtype and index facts ONNX needs.

A :class:`Tensor` stands for one Keras value: the ONNX tensor's name, its Keras-layout
type (shape and dtype, from the IR's type inference) and the name of the bool tensor
holding its Keras mask, if any.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from keras_migrate.errors import UnsupportedError
from keras_migrate.ir.graph import TensorType

__all__ = ["Tensor", "TensorAttr", "elem_type", "int_max"]


@dataclass(frozen=True)
class TensorAttr:
    """A tensor-valued node attribute (e.g. ``ConstantOfShape``'s ``value``)."""

    array: np.ndarray


@dataclass
class Tensor:
    """An ONNX tensor standing for a Keras value: name, Keras-layout type, Keras mask."""

    name: str
    type: TensorType | None = None
    #: Name of a bool tensor holding the Keras mask, if the value carries one.
    mask: str | None = None

    @property
    def rank(self) -> int:
        if self.type is None:
            raise ValueError(f"tensor {self.name!r} has no known rank")
        return self.type.rank

    @property
    def shape(self) -> tuple[int | None, ...]:
        if self.type is None:
            raise ValueError(f"tensor {self.name!r} has no known shape")
        return self.type.shape


_ELEM = {
    "float32": 1, "uint8": 2, "int8": 3, "uint16": 4, "int16": 5, "int32": 6, "int64": 7,
    "bool": 9, "float16": 10, "float64": 11, "uint32": 12, "uint64": 13, "bfloat16": 16,
}  # fmt: skip


def elem_type(dtype: str) -> int:
    """The ONNX element type number of an IR dtype (``"float32"`` is 1)."""
    try:
        return _ELEM[str(dtype)]
    except KeyError:
        raise UnsupportedError(f"dtype {dtype} has no ONNX element type") from None


def int_max() -> int:
    """The largest int64: ONNX's "to the end" for ``Slice`` bounds."""
    return int(np.iinfo(np.int64).max)
