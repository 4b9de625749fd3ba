"""What each canonical TF op (:data:`keras_migrate.ir.ops.tf.TF_OPS`) computes, written once.

Each entry takes an array namespace ``xp`` and the call's bound arguments (by TF parameter
name, :func:`keras_migrate.ir.ops.tf.bind_tf_call`) and computes the op's result, using
only functions named as in ``keras.ops``. The numpy kernel runs the table with a numpy
namespace that supplies the ``keras.ops`` names numpy lacks (``sigmoid``, ``erf``,
``cast``...); the Keras 3 compat layer runs it with ``keras.ops`` itself, overriding the
few functions whose ``keras.ops`` formula is not TF's (GELU's tanh approximation). Where
backends disagree with TF (a negative slice step, mirrored padding, splits), the entry is
written with the operations every backend computes alike: basic slicing, ``take`` and
``flip``. The ONNX lowering is a table keyed by the same names
(``converters/onnx/compat.py``); a parity test checks that every op has all three.

No framework is imported: the compat layer's source (and so a generated ``model.py``)
copies the entries a model runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["TF_SEMANTICS"]


def _axis(value: Any) -> Any:
    return tuple(int(a) for a in value) if isinstance(value, (list, tuple)) else value


def _reduce(fn: Callable[..., Any], a: Mapping[str, Any]) -> Any:
    """A TF reduction (``input_tensor``, ``axis``, ``keepdims``) as ``fn``."""
    return fn(a["input_tensor"], axis=_axis(a["axis"]), keepdims=bool(a["keepdims"]))


def _softmax_axis(axis: Any) -> int:
    return -1 if axis is None else int(axis)


def _l2_normalize(xp: Any, x: Any, axis: Any, epsilon: float) -> Any:
    square_sum = xp.sum(xp.square(x), axis=axis, keepdims=True)
    return xp.multiply(x, xp.rsqrt(xp.maximum(square_sum, epsilon)))


def _matmul(xp: Any, a: Mapping[str, Any]) -> Any:
    x, y = a["a"], a["b"]
    if a["transpose_a"] or a["adjoint_a"]:
        x = xp.swapaxes(x, -1, -2)
    if a["transpose_b"] or a["adjoint_b"]:
        y = xp.swapaxes(y, -1, -2)
    return xp.matmul(x, y)


def _positive(axis: int, rank: int) -> int:
    return axis + rank if axis < 0 else axis


def _along(x: Any, axis: int, index: Any) -> Any:
    """``x[..., index, ...]`` with ``index`` (a slice) on ``axis``."""
    return x[(slice(None),) * _positive(axis, len(x.shape)) + (index,)]


def _static_size(x: Any, axis: int) -> int:
    size = x.shape[axis]
    if size is None:
        raise ValueError(f"axis {axis} has no static size (the batch axis?)")
    return int(size)


def _take(xp: Any, x: Any, indices: Sequence[int], axis: int) -> Any:
    return xp.take(x, xp.convert_to_tensor(np.asarray(list(indices), dtype="int32")), axis=axis)


def _pad(xp: Any, a: Mapping[str, Any]) -> Any:
    x, pads, mode = a["tensor"], [list(p) for p in a["paddings"]], a["mode"]
    if mode == "CONSTANT":
        return xp.pad(x, pads, mode="constant", constant_values=a["constant_values"])
    # Reflecting and symmetric padding gather mirrored indices (Keras backends disagree on
    # what "symmetric" means, and torch pads only the last axes).
    for axis, (before, after) in enumerate(pads):
        if not before and not after:
            continue
        n = _static_size(x, axis)
        edge = 1 if mode == "REFLECT" else 0
        if before > n - edge or after > n - edge:
            raise ValueError(f"{mode} padding of {before, after} does not fit a dimension of {n}")
        left = list(range(before - 1 + edge, edge - 1, -1))
        right = list(range(n - 1 - edge, n - 1 - edge - after, -1))
        x = _take(xp, x, left + list(range(n)) + right, axis)
    return x


def _getitem(xp: Any, x: Any, items: Sequence[Any]) -> Any:
    """``x[...]`` as TF computes it: basic indexing, then the negative-step slices."""
    is_ellipsis = [isinstance(i, Mapping) and i.get("class_name") == "__ellipsis__" for i in items]
    used = sum(1 for i, e in zip(items, is_ellipsis, strict=True) if i is not None and not e)
    index: list[Any] = []
    reversed_axes: list[tuple[int, Any, Any, int]] = []
    for item, ellipsis in zip(items, is_ellipsis, strict=True):
        if ellipsis:
            index += [slice(None)] * (len(x.shape) - used)
        elif item is None or isinstance(item, int):
            index.append(item)
        elif (item["step"] or 1) < 0:
            reversed_axes.append((sum(1 for i in index if not isinstance(i, int)), item["start"], item["stop"], item["step"]))
            index.append(slice(None))
        else:
            index.append(slice(item["start"], item["stop"], item["step"]))
    y = x[tuple(index)]
    for axis, start, stop, step in reversed_axes:
        if start is None and stop is None:
            y = xp.flip(y, axis=axis)
            y = y if step == -1 else _along(y, axis, slice(None, None, -step))
        else:
            y = _take(xp, y, range(*slice(start, stop, step).indices(_static_size(y, axis))), axis)
    return y


def _perm(perm: Any, rank: int) -> tuple[int, ...]:
    """TF's default permutation reverses every axis."""
    return tuple(range(rank))[::-1] if perm is None else tuple(int(p) for p in perm)


def _space_to_depth(xp: Any, x: Any, block: int) -> Any:
    """TF's NHWC space_to_depth: each ``block``x``block`` patch becomes the channels, in
    (row, column, channel) order (static height, width and channels)."""
    _, h, w, c = x.shape
    y = xp.reshape(x, (-1, int(h) // block, block, int(w) // block, block, int(c)))
    y = xp.transpose(y, (0, 1, 3, 2, 4, 5))
    return xp.reshape(y, (-1, int(h) // block, int(w) // block, block * block * int(c)))


def _squeeze(xp: Any, x: Any, axes: Sequence[int] | int | None) -> Any:
    """TF's squeeze: the listed axes, one int, or (``None``) every axis of size 1."""
    if axes is None:
        axes = [i for i, size in enumerate(x.shape) if size == 1]
    elif isinstance(axes, int):
        axes = [axes]
    for axis in sorted((_positive(int(a), len(x.shape)) for a in axes), reverse=True):
        x = xp.squeeze(x, axis=axis)
    return x


def _split(xp: Any, a: Mapping[str, Any]) -> list[Any]:
    x, parts, axis = a["value"], a["num_or_size_splits"], int(a["axis"])
    n = _static_size(x, axis)
    if isinstance(parts, int) and n % parts:
        raise ValueError(f"cannot split a dimension of {n} into {parts} equal parts")
    sizes = [n // parts] * parts if isinstance(parts, int) else [int(p) for p in parts]
    if -1 in sizes:
        sizes[sizes.index(-1)] = n - (sum(sizes) + 1)
    if sum(sizes) != n or min(sizes) < 0:
        raise ValueError(f"split sizes {parts} do not fit a dimension of {n}")
    starts = [sum(sizes[:i]) for i in range(len(sizes))]
    return [_along(x, axis, slice(s, s + size)) for s, size in zip(starts, sizes, strict=True)]


def _unstack(xp: Any, a: Mapping[str, Any]) -> list[Any]:
    x, axis = a["value"], int(a["axis"])
    n = _static_size(x, axis)
    if a["num"] is not None and int(a["num"]) != n:
        raise ValueError(f"unstack num={a['num']} but the dimension is {n}")
    return [xp.squeeze(_along(x, axis, slice(i, i + 1)), axis=axis) for i in range(n)]


def _select(xp: Any, a: Mapping[str, Any]) -> Any:
    """TF1's ``Select``: a rank-1 condition chooses along the first axis (whole rows)."""
    condition = a["condition"]
    rank = max(len(getattr(a[k], "shape", ())) for k in ("x", "y"))
    if len(condition.shape) == 1 and rank > 1:
        condition = xp.reshape(condition, (-1,) + (1,) * (rank - 1))
    return xp.where(condition, a["x"], a["y"])


def _add_n(xp: Any, values: Sequence[Any]) -> Any:
    total = values[0]
    for value in values[1:]:
        total = xp.add(total, value)
    return total


#: Canonical op -> ``(xp, bound arguments) -> result`` (a list for ``split``/``unstack``),
#: ``xp`` an array namespace with ``keras.ops``' names, operands already of their dtype.
TF_SEMANTICS: dict[str, Callable[[Any, Mapping[str, Any]], Any]] = {
    "add": lambda xp, a: xp.add(a["x"], a["y"]),
    "subtract": lambda xp, a: xp.subtract(a["x"], a["y"]),
    "multiply": lambda xp, a: xp.multiply(a["x"], a["y"]) if "y" in a else xp.multiply(a["scalar"], a["x"]),
    "truediv": lambda xp, a: xp.divide(a["x"], a["y"]),
    "divide_no_nan": lambda xp, a: xp.divide_no_nan(a["x"], a["y"]),
    "floordiv": lambda xp, a: xp.floor(xp.divide(a["x"], a["y"])),
    "floormod": lambda xp, a: xp.mod(a["x"], a["y"]),
    "maximum": lambda xp, a: xp.maximum(a["x"], a["y"]),
    "minimum": lambda xp, a: xp.minimum(a["x"], a["y"]),
    "pow": lambda xp, a: xp.power(a["x"], a["y"]),
    "squared_difference": lambda xp, a: xp.square(xp.subtract(a["x"], a["y"])),
    "equal": lambda xp, a: xp.equal(a["x"], a["y"]),
    "not_equal": lambda xp, a: xp.not_equal(a["x"], a["y"]),
    "less": lambda xp, a: xp.less(a["x"], a["y"]),
    "less_equal": lambda xp, a: xp.less_equal(a["x"], a["y"]),
    "greater": lambda xp, a: xp.greater(a["x"], a["y"]),
    "greater_equal": lambda xp, a: xp.greater_equal(a["x"], a["y"]),
    "logical_and": lambda xp, a: xp.logical_and(a["x"], a["y"]),
    "logical_or": lambda xp, a: xp.logical_or(a["x"], a["y"]),
    "logical_xor": lambda xp, a: xp.logical_xor(a["x"], a["y"]),
    "logical_not": lambda xp, a: xp.logical_not(a["x"]),
    "negative": lambda xp, a: xp.negative(a["x"]),
    "abs": lambda xp, a: xp.abs(a["x"]),
    "sign": lambda xp, a: xp.sign(a["x"]),
    "sqrt": lambda xp, a: xp.sqrt(a["x"]),
    "rsqrt": lambda xp, a: xp.divide(1.0, xp.sqrt(a["x"])),
    "square": lambda xp, a: xp.square(a["x"]),
    "exp": lambda xp, a: xp.exp(a["x"]),
    "expm1": lambda xp, a: xp.expm1(a["x"]),
    "log": lambda xp, a: xp.log(a["x"]),
    "log1p": lambda xp, a: xp.log1p(a["x"]),
    "reciprocal": lambda xp, a: xp.divide(1.0, a["x"]),
    "floor": lambda xp, a: xp.floor(a["x"]),
    "ceil": lambda xp, a: xp.ceil(a["x"]),
    "round": lambda xp, a: xp.round(a["x"]),
    "sin": lambda xp, a: xp.sin(a["x"]),
    "cos": lambda xp, a: xp.cos(a["x"]),
    "tan": lambda xp, a: xp.tan(a["x"]),
    "erf": lambda xp, a: xp.erf(a["x"]),
    "sigmoid": lambda xp, a: xp.sigmoid(a["x"]),
    "log_sigmoid": lambda xp, a: xp.log_sigmoid(a["x"]),
    "tanh": lambda xp, a: xp.tanh(a["x"]),
    "softplus": lambda xp, a: xp.softplus(a["features"]),
    "relu": lambda xp, a: xp.relu(a["features"]),
    "relu6": lambda xp, a: xp.relu6(a["features"]),
    "elu": lambda xp, a: xp.elu(a["features"]),
    "selu": lambda xp, a: xp.selu(a["features"]),
    "softsign": lambda xp, a: xp.softsign(a["features"]),
    "silu": lambda xp, a: xp.multiply(a["features"], xp.sigmoid(xp.multiply(a["features"], float(a["beta"])))),
    "leaky_relu": lambda xp, a: xp.leaky_relu(a["features"], negative_slope=float(a["alpha"])),
    "gelu": lambda xp, a: xp.gelu(a["features"], approximate=bool(a["approximate"])),
    "softmax": lambda xp, a: xp.softmax(a["logits"], axis=_softmax_axis(a["axis"])),
    "log_softmax": lambda xp, a: xp.log_softmax(a["logits"], axis=_softmax_axis(a["axis"])),
    "l2_normalize": lambda xp, a: _l2_normalize(xp, a["x"], _axis(a["axis"]), float(a["epsilon"])),
    "reduce_mean": lambda xp, a: _reduce(xp.mean, a),
    "reduce_sum": lambda xp, a: _reduce(xp.sum, a),
    "reduce_max": lambda xp, a: _reduce(xp.max, a),
    "reduce_min": lambda xp, a: _reduce(xp.min, a),
    "reduce_prod": lambda xp, a: _reduce(xp.prod, a),
    "reduce_any": lambda xp, a: _reduce(xp.any, a),
    "reduce_all": lambda xp, a: _reduce(xp.all, a),
    "reduce_logsumexp": lambda xp, a: _reduce(xp.logsumexp, a),
    "reduce_std": lambda xp, a: _reduce(xp.std, a),
    "reduce_variance": lambda xp, a: _reduce(xp.var, a),
    "reduce_euclidean_norm": lambda xp, a: xp.sqrt(_reduce(xp.sum, {**a, "input_tensor": xp.square(a["input_tensor"])})),
    "argmax": lambda xp, a: xp.argmax(a["input"], axis=int(a["axis"])),
    "argmin": lambda xp, a: xp.argmin(a["input"], axis=int(a["axis"])),
    "clip_by_value": lambda xp, a: xp.maximum(xp.minimum(a["t"], a["clip_value_max"]), a["clip_value_min"]),
    "cast": lambda xp, a: xp.cast(a["x"], str(a["dtype"])),
    "where": lambda xp, a: xp.where(a["condition"], a["x"], a["y"]),
    "select": _select,
    "identity": lambda xp, a: a["input"],
    "matmul": _matmul,
    "reshape": lambda xp, a: xp.reshape(a["tensor"], tuple(int(d) for d in a["shape"])),
    "transpose": lambda xp, a: xp.transpose(a["a"], _perm(a["perm"], len(a["a"].shape))),
    "expand_dims": lambda xp, a: xp.expand_dims(a["input"], int(a["axis"])),
    "squeeze": lambda xp, a: _squeeze(xp, a["input"], a["axis"]),
    "tile": lambda xp, a: xp.tile(a["input"], [int(m) for m in a["multiples"]]),
    "space_to_depth": lambda xp, a: _space_to_depth(xp, a["input"], int(a["block_size"])),
    "pad": _pad,
    "gather": lambda xp, a: xp.take(a["params"], a["indices"], axis=int(a["axis"])),
    "getitem": lambda xp, a: _getitem(xp, a["tensor"], a["slice_spec"]),
    "concat": lambda xp, a: xp.concatenate(list(a["values"]), axis=int(a["axis"])),
    "add_n": lambda xp, a: _add_n(xp, list(a["inputs"])),
    "stack": lambda xp, a: xp.stack(list(a["values"]), axis=int(a["axis"])),
    "split": _split,
    "unstack": _unstack,
}
