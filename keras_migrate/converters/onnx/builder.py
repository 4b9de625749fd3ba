"""The graph builder lowerings write into: ONNX nodes and initializers as plain records.

Lowerings only build :class:`Builder` records (plain Python); the file is encoded from
them at the end by :mod:`.writer` (``onnx.ModelProto`` s, for tests and
:func:`~keras_migrate.converters.onnx.build_onnx`, by :mod:`.proto`). Layer weights stay
lazy (:class:`~.lazy.LazyWeight`) until the file is written. A nested graph (a ``Loop`` body) gets a child builder that shares the root's
names and initializers, since ONNX wants names unique across scopes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from keras_migrate.converters.onnx.lazy import LazyWeight, lazy_weight
from keras_migrate.converters.onnx.tensors import int_max
from keras_migrate.ir.weights import Weight

__all__ = ["Builder", "OpNode"]


@dataclass
class OpNode:
    """One ONNX node before it becomes a proto (attribute values may be :class:`Builder`)."""

    op_type: str
    inputs: list[str]
    outputs: list[str]
    name: str
    attrs: dict[str, Any] = field(default_factory=dict)


class _Names:
    """Names shared by a graph and its subgraphs (ONNX wants them unique across scopes)."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def fresh(self, base: str) -> str:
        name = base
        k = 1
        while name in self.used:
            name = f"{base}_{k}"
            k += 1
        self.used.add(name)
        return name


class Builder:
    """Collects the nodes of one ONNX graph; subgraph builders share names and initializers."""

    def __init__(self, opset: int, *, parent: Builder | None = None, scope: str = "") -> None:
        self.opset = opset
        self.parent = parent
        self.root: Builder = parent.root if parent is not None else self
        self.names: _Names = parent.names if parent is not None else _Names()
        self.scope = scope
        self.nodes: list[OpNode] = []
        #: (name, elem dtype, shape or None) of graph inputs/outputs.
        self.inputs: list[tuple[str, str, tuple[int | str | None, ...] | None]] = []
        self.outputs: list[tuple[str, str, tuple[int | str | None, ...] | None]] = []
        # root only
        #: Arrays (constants) or :class:`LazyWeight` s (layer weights, read when written).
        self.initializers: dict[str, np.ndarray | LazyWeight] = {}
        self._const_cache: dict[tuple[str, tuple[int, ...], bytes], str] = {}
        self._weight_cache: dict[tuple[str, str], str] = {}

    # -- naming ------------------------------------------------------------------------
    def fresh(self, base: str) -> str:
        return self.names.fresh(base)

    def child(self, scope: str) -> Builder:
        return Builder(self.opset, parent=self, scope=scope)

    def with_scope(self, scope: str) -> Builder:
        """The same graph, naming new nodes under ``scope`` (a view sharing every list)."""
        view = object.__new__(Builder)
        view.__dict__.update(self.__dict__)
        view.scope = scope
        return view

    # -- nodes -------------------------------------------------------------------------
    def op(self, op_type: str, inputs: Sequence[str], n_out: int = 1, *, hint: str = "", **attrs: Any) -> Any:
        """Add a node; returns its output name (or a list of names when ``n_out > 1``)."""
        base = f"{self.scope}/{hint or op_type}" if self.scope else (hint or op_type)
        name = self.fresh(base)
        outs = [self.fresh(f"{name}:{i}" if n_out > 1 else f"{name}:0") for i in range(n_out)]
        self.nodes.append(OpNode(op_type, list(inputs), outs, name, {k: v for k, v in attrs.items() if v is not None}))
        return outs if n_out > 1 else outs[0]

    def const(self, array: Any, hint: str = "const", dtype: Any = None) -> str:
        """A constant as an initializer of the root graph (small ones are shared)."""
        arr = np.asarray(array, dtype=dtype)
        if arr.dtype == np.float64:
            arr = arr.astype(np.float32)
        root = self.root
        key = (str(arr.dtype), tuple(arr.shape), arr.tobytes()) if arr.size <= 64 else None
        if key is not None and key in root._const_cache:
            return root._const_cache[key]
        name = self.fresh(hint if self.scope == "" or "/" in hint else f"{self.scope}/{hint}")
        root.initializers[name] = np.array(arr, order="C", copy=True) if arr.ndim == 0 else np.ascontiguousarray(arr)
        if key is not None:
            root._const_cache[key] = name
        return name

    def ints(self, values: Sequence[int]) -> str:
        return self.const(np.asarray(list(values), dtype=np.int64), "shape")

    def scalar(self, value: float, dtype: Any = np.float32) -> str:
        return self.const(np.asarray(value, dtype=dtype), "scalar")

    def weight(
        self,
        key: str,
        tag: str,
        make: Callable[[], np.ndarray],
        *,
        source: Weight | None = None,
        transform: Callable[[np.ndarray], np.ndarray] | None = None,
    ) -> str:
        """An initializer made once per ``(key, tag)`` (a layer weight in some layout).

        With ``source`` (the layer weight ``make`` reads, and the ``transform`` it applies)
        the initializer stays lazy: it is read when the file is written, not now.
        """
        root = self.root
        cache_key = (key, tag)
        if cache_key not in root._weight_cache:
            lazy = lazy_weight(source, transform) if source is not None else None
            name = self.fresh(key if not tag else f"{key}:{tag}")
            if lazy is not None:
                root.initializers[name] = lazy
            else:
                arr = np.asarray(make())
                if arr.dtype == np.float64:
                    arr = arr.astype(np.float32)
                root.initializers[name] = np.array(arr, order="C", copy=True) if arr.ndim == 0 else np.ascontiguousarray(arr)
            root._weight_cache[cache_key] = name
        return root._weight_cache[cache_key]

    # -- opset-portable helpers ----------------------------------------------------------
    def reduce(self, op_type: str, x: str, axes: Sequence[int], keepdims: bool = True) -> str:
        """``Reduce*`` with axes as an attribute or an input, whichever the opset wants."""
        axes_as_input = self.opset >= 18 or op_type == "ReduceSum"
        if axes_as_input:
            return self.op(op_type, [x, self.ints(axes)], keepdims=int(keepdims))
        return self.op(op_type, [x], axes=list(axes), keepdims=int(keepdims))

    def unsqueeze(self, x: str, axes: Sequence[int]) -> str:
        return self.op("Unsqueeze", [x, self.ints(axes)])

    def squeeze(self, x: str, axes: Sequence[int]) -> str:
        return self.op("Squeeze", [x, self.ints(axes)])

    def split(self, x: str, sizes: Sequence[int], axis: int) -> list[str]:
        outs = self.op("Split", [x, self.ints(sizes)], len(sizes), axis=axis)
        return list(outs) if len(sizes) > 1 else [outs]

    def slice(self, x: str, starts: Sequence[int], ends: Sequence[int], axes: Sequence[int], steps: Sequence[int] | None = None) -> str:
        ins = [x, self.ints(starts), self.ints(ends), self.ints(axes)]
        if steps is not None:
            ins.append(self.ints(steps))
        return self.op("Slice", ins)

    def transpose(self, x: str, perm: Sequence[int]) -> str:
        if list(perm) == list(range(len(perm))):
            return x
        return self.op("Transpose", [x], perm=list(perm))

    def clip(self, x: str, lo: float | None, hi: float | None) -> str:
        ins = [x, self.scalar(lo) if lo is not None else "", self.scalar(hi) if hi is not None else ""]
        while ins and ins[-1] == "":
            ins.pop()
        return self.op("Clip", ins)

    def shape(self, x: str, start: int | None = None, end: int | None = None) -> str:
        """``Shape(x)[start:end]`` (the ``start``/``end`` attributes exist from opset 15)."""
        if start is None and end is None:
            return str(self.op("Shape", [x]))
        if self.opset >= 15:
            return str(self.op("Shape", [x], start=start, end=end))
        full = self.op("Shape", [x])
        return self.slice(full, [start or 0], [int_max() if end is None else end], [0])

    def concat(self, xs: Sequence[str], axis: int) -> str:
        return xs[0] if len(xs) == 1 else self.op("Concat", list(xs), axis=axis)

    def reshape_dynamic(self, x: str, parts: Sequence[str | Sequence[int]]) -> str:
        """Reshape to the concatenation of shape pieces (tensor names or static int lists)."""
        pieces = [p if isinstance(p, str) else self.ints(p) for p in parts]
        return self.op("Reshape", [x, self.concat(pieces, 0)])
