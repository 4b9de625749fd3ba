"""What each canonical TF op (:data:`keras_migrate.ir.ops.tf.TF_OPS`) computes: read from
the one table of legacy-op semantics (:mod:`keras_migrate.ir.ops.legacy`).

Each entry takes an array namespace ``xp`` and the call's bound arguments (by TF parameter
name, :func:`keras_migrate.ir.ops.tf.bind_tf_call`) and computes the op's result. For
every op the table expresses, the entry is DERIVED: the call's arguments are bound to the
table's ``tf.*`` entry (an argument equal to its default counts as not written, as TF
reads it), :func:`~keras_migrate.ir.ops.legacy.template.select_case` picks the case its
values select (dtypes, flags, literal sizes), and
:func:`~keras_migrate.ir.ops.legacy.template.evaluate` runs its template with ``ops``
bound to ``xp``. The numpy kernel runs it with a numpy namespace under ``keras.ops``'
names; the Keras 3 compat layer with ``keras.ops`` itself (overriding GELU's tanh
approximation with TF's formula); the ``.py`` emitter renders the same case as source
(:func:`table_call`).

Written here, with the operations every backend computes alike (basic slicing, ``take``,
``flip``), only what the table's templates cannot express: ``x[...]`` with negative
steps (:data:`HAND_WRITTEN` ``getitem``), TF1's row-selecting ``Select``,
``space_to_depth``, and, as :data:`FALLBACKS` where the table's answer is a follow-up,
mirrored padding and ``tf.split`` with a ``-1`` size. These helpers are module-level
functions of ``xp`` so that generated code can copy them by source. The ONNX lowering is a
table keyed by the same names (``converters/onnx/compat.py``); a parity test checks that
every op has all three.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from keras_migrate.ir.ops.legacy.records import Case, LegacyOp
from keras_migrate.ir.ops.legacy.template import OMITTED, default_value, evaluate, select_case
from keras_migrate.ir.ops.legacy.tf import TF_LEGACY_OPS
from keras_migrate.ir.ops.tf import TF_OPS

__all__ = ["DERIVED", "FALLBACKS", "HAND_WRITTEN", "TF_SEMANTICS", "TableCall", "table_call"]


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


def mirror_pad(xp: Any, a: Mapping[str, Any]) -> Any:
    """``tf.pad`` with mode ``REFLECT`` or ``SYMMETRIC`` (the table's follow-up case)."""
    x, pads, mode = a["tensor"], [list(p) for p in a["paddings"]], str(a["mode"]).upper()
    if mode not in ("REFLECT", "SYMMETRIC"):
        raise ValueError(f"tf.pad mode {a['mode']!r} is not CONSTANT, REFLECT or SYMMETRIC")
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


def getitem(xp: Any, x: Any, items: Sequence[Any]) -> Any:
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




def space_to_depth(xp: Any, x: Any, block: int) -> Any:
    """TF's NHWC space_to_depth: each ``block``x``block`` patch becomes the channels, in
    (row, column, channel) order (static height, width and channels)."""
    _, h, w, c = x.shape
    y = xp.reshape(x, (-1, int(h) // block, block, int(w) // block, block, int(c)))
    y = xp.transpose(y, (0, 1, 3, 2, 4, 5))
    return xp.reshape(y, (-1, int(h) // block, int(w) // block, block * block * int(c)))




def split_sizes(xp: Any, a: Mapping[str, Any]) -> list[Any]:
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




def select(xp: Any, a: Mapping[str, Any]) -> Any:
    """TF1's ``Select``: a rank-1 condition chooses along the first axis (whole rows)."""
    condition = a["condition"]
    rank = max(len(getattr(a[k], "shape", ())) for k in ("x", "y"))
    if len(condition.shape) == 1 and rank > 1:
        condition = xp.reshape(condition, (-1,) + (1,) * (rank - 1))
    return xp.where(condition, a["x"], a["y"])



def _plain(value: Any) -> Any:
    """Lists of constants as tuples (``keras.ops`` and numpy take a tuple of axes)."""
    if isinstance(value, list) and all(isinstance(v, (int, float, bool, str, list, tuple)) for v in value):
        return tuple(_plain(v) for v in value)
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    return value


def _same(value: Any, default: Any) -> bool:
    """``value`` is the literal ``default`` (never true of an array or a tensor)."""
    if not isinstance(value, (type(None), bool, int, float, str, list, tuple)):
        return False
    if isinstance(value, bool) != isinstance(default, bool) or (value is None) != (default is None):
        return False
    return bool(_plain(value) == _plain(default))


def _table_ops() -> dict[str, tuple[tuple[LegacyOp, Mapping[str, Any]], ...]]:
    """Canonical op -> the table entries of its TF symbols (one per parameter list), each
    with TF's declared defaults (:data:`TF_OPS`)."""
    out: dict[str, list[tuple[LegacyOp, Mapping[str, Any]]]] = {}
    for symbol, spec in TF_OPS.items():
        legacy = TF_LEGACY_OPS.get(symbol)
        if legacy is None or not legacy.cases:
            continue
        known = out.setdefault(spec.op, [])
        if all(k.names != legacy.names for k, _ in known):
            known.append((legacy, spec.defaults))
    return {op: tuple(entries) for op, entries in out.items()}


_TABLE_OPS = _table_ops()


@dataclass(frozen=True, slots=True)
class TableCall:
    """One TF call as the table reads it: the entry, the case its values select (``None``
    when the table's answer is a follow-up), and the arguments bound to the entry
    (``OMITTED`` where the call gave the default)."""

    op: LegacyOp
    case: Case | None
    bound: Mapping[str, Any]


def table_call(op: str, values: Mapping[str, Any]) -> TableCall | None:
    """The table's reading of one call of canonical ``op`` (``values``: the TF arguments by
    name, defaults included, as :func:`~keras_migrate.ir.ops.tf.bind_tf_call` binds them),
    or ``None`` when the table has no entry for ``op``.

    An argument equal to TF's declared default or to the table's legacy default counts as
    not written (TF reads ``axis=None`` of ``argmax`` as 0, the table's default).
    """
    for legacy, defaults in _TABLE_OPS.get(op, ()):
        if not set(values) <= set(legacy.names):
            continue
        bound: dict[str, Any] = {}
        for p in legacy.params:
            value = values.get(p.name, OMITTED)
            if value is not OMITTED:
                legacy_default = default_value(legacy, p.name)
                if (p.name in defaults and _same(value, defaults[p.name])) or (
                    legacy_default is not OMITTED and _same(value, legacy_default)
                ):
                    value = OMITTED
            bound[p.name] = _plain(value) if value is not OMITTED else OMITTED
        return TableCall(legacy, select_case(legacy, bound, frozenset({"int_width"})), bound)
    return None


#: Canonical op -> the hand-written meaning used when the table's answer is a follow-up.
FALLBACKS: dict[str, Callable[[Any, Mapping[str, Any]], Any]] = {
    "pad": mirror_pad,
    "split": split_sizes,
}


def _derived(op: str) -> Callable[[Any, Mapping[str, Any]], Any]:
    def run(xp: Any, a: Mapping[str, Any]) -> Any:
        call = table_call(op, a)
        if call is None:
            raise ValueError(f"the legacy-op table has no entry for TF op {op!r} with arguments {sorted(a)}")
        if call.case is None:
            if op in FALLBACKS:
                return FALLBACKS[op](xp, a)
            raise ValueError(call.op.follow_up or f"{call.op.name}: no case of the legacy-op table holds")
        return evaluate(call.op, call.case, {"ops": xp}, call.bound)

    run.__name__ = run.__qualname__ = f"derived_{op}"
    run.__doc__ = f"TF op {op!r}, derived from the legacy-op table ({', '.join(o.name for o, _ in _TABLE_OPS[op])})."
    return run


#: What the table's templates cannot express (see the module docstring).
HAND_WRITTEN: dict[str, Callable[[Any, Mapping[str, Any]], Any]] = {
    "getitem": lambda xp, a: getitem(xp, a["tensor"], a["slice_spec"]),
    "select": select,
    "space_to_depth": lambda xp, a: space_to_depth(xp, a["input"], int(a["block_size"])),
}

#: The canonical ops derived from the legacy-op table.
DERIVED: frozenset[str] = frozenset(_TABLE_OPS)

#: Canonical op -> ``(xp, bound arguments) -> result`` (a list for ``split``/``unstack``),
#: ``xp`` an array namespace with ``keras.ops``' names, operands already of their dtype.
TF_SEMANTICS: dict[str, Callable[[Any, Mapping[str, Any]], Any]] = {
    **{op: _derived(op) for op in sorted(_TABLE_OPS)},
    **HAND_WRITTEN,
}
