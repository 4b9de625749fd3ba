"""The one guarded way the readers touch HDF5: text attributes, name lists, links, datasets.

Standalone Keras wrote attributes as bytes, tf.keras as str; long name lists were split
into ``layer_names0``, ``layer_names1``... when they exceeded HDF5's header limit.

Opening a file is not the end of what can go wrong: a damaged or hostile file fails at any
later access (a corrupt object header, a link whose target is gone, an attribute of the
wrong type or not UTF-8). Every reader therefore reads through :func:`guarded` and the
helpers below, which turn whatever h5py raises into one :class:`KerasMigrateError` naming
the file and the place, and which never let HDF5 open another file: external links,
virtual datasets and external raw storage are refused before anything is read.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from keras_migrate.errors import KerasMigrateError
from keras_migrate.formats.limits import MAX_H5_LINKS, env_limit
from keras_migrate.ir.weights import (
    RawExtent,
    check_array_declaration,
    link_problem,
    mark_links_checked,
    open_shared,
    raw_extent_of,
)

__all__ = [
    "H5_ERRORS",
    "LinkScan",
    "attr_names",
    "attr_text",
    "dataset",
    "group",
    "guarded",
    "has_attr",
    "is_hdf5",
    "member_names",
    "open_h5",
    "refuse_foreign_links",
    "scan_links",
]

_MAGIC = b"\x89HDF\r\n\x1a\n"

#: What h5py raises on a damaged file after it opened: corrupt headers (RuntimeError,
#: OSError), missing objects (KeyError), undecodable or mistyped attributes
#: (UnicodeDecodeError, TypeError, ValueError), objects of the wrong kind (AttributeError).
H5_ERRORS: tuple[type[BaseException], ...] = (
    RuntimeError,
    KeyError,
    OSError,
    UnicodeDecodeError,
    TypeError,
    ValueError,
    AttributeError,
    IndexError,
)

_CORRUPT_HINT = "re-save the model from its original Keras, or restore the file from a backup"


def is_hdf5(path: str) -> bool:
    """True if the file starts with the HDF5 signature (at offset 0 or a user block)."""
    try:
        with open(path, "rb") as f:
            head = f.read(8)
            if head == _MAGIC:
                return True
            for offset in (512, 1024, 2048, 4096):
                f.seek(offset)
                if f.read(8) == _MAGIC:
                    return True
    except OSError:
        return False
    return False


def open_h5(path: str) -> contextlib.AbstractContextManager[Any]:
    """Open read-only, as ``with open_h5(path) as f``; a file HDF5 cannot open is refused as
    truncated or corrupt. Every step of a conversion (format sniffing, the reader, the link
    scan, the lazy weights) shares one open handle
    (:func:`keras_migrate.ir.weights.open_shared`): leaving the block does not close it.
    Readers that read the file's weights also call :func:`refuse_foreign_links` (or
    :func:`scan_links`) once."""
    try:
        handle = open_shared(path)
    except H5_ERRORS as exc:
        raise KerasMigrateError(
            f"cannot read HDF5 file, it is truncated or corrupt ({_short(exc)})", path=path, hint=_CORRUPT_HINT
        ) from exc
    return contextlib.nullcontext(handle)


#: Environment variable raising :data:`~keras_migrate.formats.limits.MAX_H5_LINKS`.
MAX_H5_LINKS_ENV = "KERAS_MIGRATE_MAX_H5_LINKS"
_FOREIGN_HINT = "save the weights into the model file itself"
#: Top-level groups of Keras files that hold no layer of their own name.
_NOT_LAYERS = frozenset({"model_weights", "optimizer_weights", "layers", "optimizer", "vars", "top_level_model_weights"})


def _layer_of(where: str) -> str | None:
    """The layer a path inside a Keras file belongs to, when its layout says so:
    ``model_weights/NAME/...`` (full model), ``layers/NAME/...`` (``.keras`` weights),
    ``NAME/...`` (a weights-only file)."""
    parts = [p for p in where.split("/") if p]
    if len(parts) > 2 and parts[0] in ("model_weights", "layers"):
        return parts[1]
    if len(parts) > 1 and parts[0] not in _NOT_LAYERS:
        return parts[0]
    return None


@dataclass(frozen=True, slots=True)
class LinkScan:
    """What one walk over every link of an open file found (:func:`scan_links`)."""

    path: str
    #: What was scanned, for messages (``the file``, ``model.weights.h5 in the archive``).
    what: str
    #: (problem, where) of the first foreign object; ``where`` empty for the link limit.
    found: tuple[str, str] | None
    #: An h5py error the walk hit (a corrupt object), raised by :meth:`refuse`.
    failed: BaseException | None
    #: The file holds soft links (readers then resolve each path link by link).
    soft: bool
    #: Every dataset the walk opened: absolute path -> (shape, dtype), as HDF5 declares them
    #: (a reader of a :attr:`clean` file takes a weight's declaration from here instead of
    #: opening the dataset again).
    datasets: Mapping[str, tuple[tuple[int, ...] | None, np.dtype[Any]]] = field(default_factory=dict)
    #: Every dataset the walk opened -> where its bytes lie, when they can be copied as they
    #: are (:func:`keras_migrate.ir.weights.raw_extent_of`), else None.
    extents: Mapping[str, RawExtent | None] = field(default_factory=dict)

    @property
    def clean(self) -> bool:
        """Nothing points outside the file and no soft link needs resolving: a reader may
        take every link as a hard link to an object of this file."""
        return self.found is None and self.failed is None and not self.soft

    def refuse(self) -> None:
        """Raise what the walk found, as :func:`refuse_foreign_links` does (nothing if it
        found nothing)."""
        if self.failed is not None:
            with guarded(self.path, f"the links of {self.what}"):
                raise self.failed
        if self.found is None:
            return
        problem, where = self.found
        if not where:
            raise KerasMigrateError(
                problem,
                path=self.path,
                hint=f"the file is damaged; for a genuinely larger model raise the limit with {MAX_H5_LINKS_ENV}",
            )
        raise KerasMigrateError(
            f"{problem}; refused, keras-migrate never opens files a model points to",
            path=self.path,
            layer=_layer_of(where),
            hint=_FOREIGN_HINT,
        )


def scan_links(f: Any, path: str, *, what: str = "the file") -> LinkScan:
    """Walk every link of the open file ``f`` once (HDF5's own link iteration, which never
    follows soft or external links and visits each group once, hard-link cycles included),
    looking for an external link, a user-defined link, a virtual dataset or a dataset with
    external raw storage *anywhere*. Nothing is raised here (:meth:`LinkScan.refuse` does),
    so a reader can walk its weights first, with messages that name the weight more
    precisely, and skip its per-weight link checks when the scan is :attr:`~LinkScan.clean`.
    A scan that found nothing marks the shared handle, so lazy weight reads skip them too
    (:func:`keras_migrate.ir.weights.mark_links_checked`). Bounded by
    :data:`~keras_migrate.formats.limits.MAX_H5_LINKS` links."""
    import h5py

    limit = env_limit(MAX_H5_LINKS_ENV, MAX_H5_LINKS)
    seen = [0]
    soft = [False]
    found: list[tuple[str, str]] = []  # (problem, where)
    failed: list[BaseException] = []
    datasets: dict[str, tuple[tuple[int, ...] | None, np.dtype[Any]]] = {}
    extents: dict[str, RawExtent | None] = {}
    hard, dataset_type, virtual = h5py.h5l.TYPE_HARD, h5py.h5o.TYPE_DATASET, h5py.h5d.VIRTUAL
    fid, get_info, open_dataset = f.id, h5py.h5o.get_info, h5py.h5d.open  # looked up once, not per link

    def visit(name: bytes, info: Any) -> int | None:
        # An exception escaping this callback into HDF5's C iteration surfaces as a
        # SystemError: keep it, stop the walk, and report it afterwards.
        try:
            return look(name, info)
        except Exception as exc:  # any h5py error on a corrupt object
            failed.append(exc)
            return 1

    def look(name: bytes, info: Any) -> int | None:
        seen[0] += 1
        if seen[0] > limit:
            found.append((f"{what} holds more than {limit:,} HDF5 links", ""))
            return 1
        kind = info.type
        if kind == hard:
            if get_info(fid, name).type != dataset_type:
                return None
            dsid = open_dataset(fid, name)
            dcpl = dsid.get_create_plist()
            layout = dcpl.get_layout()
            if layout == virtual:
                where = name.decode("utf-8", "replace")
                found.append((f"{where!r} is a virtual dataset (its data lives in other files)", where))
                return 1
            if dcpl.get_external_count() > 0:
                where = name.decode("utf-8", "replace")
                found.append((f"{where!r} keeps its data in external files", where))
                return 1
            key = "/" + name.decode("utf-8", "surrogateescape")
            shape, dtype = dsid.shape, dsid.dtype
            datasets[key] = (shape, dtype)
            extents[key] = raw_extent_of(dsid, dcpl, shape, dtype, layout=layout, external=0)
            return None
        if kind == h5py.h5l.TYPE_SOFT:
            soft[0] = True
            return None
        where = name.decode("utf-8", "replace")
        if kind == h5py.h5l.TYPE_EXTERNAL:
            target = f.id.links.get_val(name)[0].decode("utf-8", "replace")
            found.append((f"{where!r} is an external link into another file ({target!r})", where))
            return 1
        found.append((f"{where!r} is a user-defined HDF5 link", where))
        return 1

    try:
        with _cpu_bound():
            f.id.links.visit(visit, info=True)
    except H5_ERRORS as exc:
        failed.append(exc)
    scan = LinkScan(path, what, found[0] if found else None, failed[0] if failed else None, soft[0], datasets, extents)
    if scan.found is None and scan.failed is None:
        mark_links_checked(f, extents)
    return scan


def refuse_foreign_links(f: Any, path: str, *, what: str = "the file") -> None:
    """Refuse an external link, a user-defined link, a virtual dataset or a dataset with
    external raw storage *anywhere* in the open file ``f`` (:func:`scan_links`): the
    readers never open another file, and a model must not point to one even from a group
    no reader looks at (``optimizer_weights``). Readers call it after their own walk,
    whose messages name the weight more precisely."""
    scan_links(f, path, what=what).refuse()


def _short(exc: BaseException) -> str:
    """An exception's text on one short line (h5py's messages can span several)."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."


#: Set by the CLI in its forked child (:mod:`keras_migrate.cli._isolate`): the CPU seconds one
#: guarded HDF5 metadata access may take before the child is stopped by SIGPROF.
READ_BOUND_ENV = "KERAS_MIGRATE_HDF5_READ_SECONDS"


def _read_bound() -> float | None:
    try:
        seconds = float(os.environ.get(READ_BOUND_ENV, ""))
    except ValueError:
        return None
    return seconds if seconds > 0 and hasattr(signal, "setitimer") else None


@contextlib.contextmanager
def _cpu_bound() -> Iterator[None]:
    """A corrupt attribute message can make HDF5 loop forever inside one C call, where no
    Python code runs. In the CLI's child only (where :data:`READ_BOUND_ENV` is set and
    SIGPROF kills the process, which the parent reports in one line), bound the CPU time of
    one metadata access with a profiling timer; elsewhere (a library user's process) this
    does nothing."""
    seconds = _read_bound()
    if seconds is None or signal.getitimer(signal.ITIMER_PROF)[0] > 0:
        yield
        return
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)


@contextlib.contextmanager
def guarded(path: str, what: str, *, layer: str | None = None) -> Iterator[None]:
    """Turn any h5py error inside the block into our error: ``cannot read WHAT, the HDF5
    file is corrupt (...)``, naming ``path`` and ``layer``. Our own errors pass through.
    In the CLI's child the block's CPU time is bounded too (:func:`_cpu_bound`)."""
    try:
        with _cpu_bound():
            yield
    except KerasMigrateError:
        raise
    except H5_ERRORS as exc:
        raise KerasMigrateError(
            f"cannot read {what}, the HDF5 file is corrupt ({_short(exc)})", path=path, layer=layer, hint=_CORRUPT_HINT
        ) from exc


def _text(value: Any, path: str, key: str) -> str:
    if isinstance(value, np.ndarray) and value.shape == ():
        value = value[()]
    if isinstance(value, bytes):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise KerasMigrateError(
                f"attribute {key!r} is not UTF-8 text (bad byte at offset {exc.start})",
                path=path,
                hint="the file is damaged",
            ) from exc
    if isinstance(value, str):
        try:  # h5py hands undecodable text over with surrogate escapes
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise KerasMigrateError(
                f"attribute {key!r} is not UTF-8 text (bad byte at offset {exc.start})",
                path=path,
                hint="the file is damaged",
            ) from exc
        return value
    raise KerasMigrateError(
        f"attribute {key!r} holds {type(value).__name__}, not text", path=path, hint="the file is damaged"
    )


def has_attr(node: Any, key: str, path: str) -> bool:
    """``key in node.attrs``, guarded."""
    with guarded(path, f"the attributes of {_where(node)}"):
        return key in node.attrs


def _read_attr(node: Any, key: str, path: str) -> Any:
    with guarded(path, f"attribute {key!r} of {_where(node)}"):
        return node.attrs[key]


def _where(node: Any) -> str:
    try:
        name = node.name
    except H5_ERRORS:
        return "an object"
    return "the root group" if name in ("/", None) else f"{name!r}"


def attr_text(node: Any, key: str, path: str = "") -> str | None:
    """A string attribute, decoded whether stored as bytes or str; None if absent.
    Anything else (an integer, an array, bytes that are not UTF-8) is refused."""
    path = path or _file_of(node)
    if not has_attr(node, key, path):
        return None
    return _text(_read_attr(node, key, path), path, key)


def _names(value: Any, path: str, key: str) -> list[str]:
    if isinstance(value, np.ndarray):
        if value.ndim > 1:
            raise KerasMigrateError(
                f"attribute {key!r} is a {value.ndim}-D array, not a list of names", path=path, hint="the file is damaged"
            )
        return [_text(v, path, key) for v in np.atleast_1d(value)]
    return [_text(value, path, key)]


def attr_names(node: Any, key: str, path: str = "") -> list[str] | None:
    """A list-of-names attribute, joining chunks ``key0, key1, ...``; None if absent."""
    path = path or _file_of(node)
    if has_attr(node, key, path):
        return _names(_read_attr(node, key, path), path, key)
    if has_attr(node, f"{key}0", path):
        out: list[str] = []
        i = 0
        while has_attr(node, f"{key}{i}", path):
            out += _names(_read_attr(node, f"{key}{i}", path), path, f"{key}{i}")
            i += 1
        return out
    return None


def member_names(parent: Any, name: str, key: str) -> list[str] | None:
    """The list-of-names attribute ``key`` of the group ``parent[name]``, read with h5py's
    low-level calls: one group open and one attribute read, about a quarter of the cost of
    ``parent[name].attrs[key]`` (which builds a Group object, an attribute manager and
    probes the attribute's type several times), for the one attribute every layer group of
    a weights file holds. Only for a file whose :func:`scan_links` was clean (``name`` is a
    hard link). None whenever this fast path cannot answer exactly: no such group, not a
    group, no such attribute or one split in chunks (``key0``...), anything but a 0-/1-D
    array of strings (fixed or variable length) or an empty array, text that is not UTF-8,
    any h5py error; the caller then
    reads it with :func:`group` and :func:`attr_names`, whose messages say what is wrong."""
    import h5py

    try:
        with _cpu_bound():
            gid = h5py.h5g.open(parent.id, name.encode("utf-8"))
            raw = key.encode("utf-8")
            if not h5py.h5a.exists(gid, raw):
                return None
            aid = h5py.h5a.open(gid, raw)
            shape, dtype = aid.shape, aid.dtype
            if shape is None or len(shape) > 1 or dtype.subdtype is not None:
                return None
            if shape == (0,):  # Keras writes a layer without weights as an empty (float) array
                return []
            if h5py.h5t.check_string_dtype(dtype) is None:
                return None
            values = np.zeros(shape, dtype=dtype)
            aid.read(values, mtype=h5py.h5t.py_create(dtype))  # fixed-length or variable-length bytes
    except H5_ERRORS:
        return None
    try:
        return [bytes(v).decode("utf-8") for v in values.flat]
    except (UnicodeDecodeError, TypeError):
        return None


def _file_of(node: Any) -> str:
    try:
        return str(node.file.filename)
    except H5_ERRORS:
        return ""


def _member(parent: Any, name: str, path: str, what: str, layer: str | None, links_checked: bool) -> Any | None:
    """The object at ``parent[name]``, refusing links into other files and soft links whose
    target is missing; ``None`` if there is no such link at all. ``links_checked``: a
    :attr:`LinkScan.clean` scan of this file found only hard links, so the path is resolved
    directly instead of link by link."""

    with guarded(path, what, layer=layer):
        if links_checked:
            return parent.get(name)
        full = f"{parent.name.rstrip('/')}/{name}"
        problem = link_problem(parent.file, full)
        if problem is not None:
            if problem == f"{full!r} does not exist":
                return None
            external = "external link" in problem
            raise KerasMigrateError(
                f"{what} cannot be read: {problem}"
                + ("; refused, keras-migrate never opens files a model points to" if external else ""),
                path=path,
                layer=layer,
                hint="save the weights into the model file itself" if external else "the file is damaged",
            )
        node = parent.get(name)
        if node is None:
            raise KerasMigrateError(f"{what} cannot be resolved", path=path, layer=layer, hint="the file is damaged")
        return node


def group(
    parent: Any, name: str, path: str, *, what: str, layer: str | None = None, links_checked: bool = False
) -> Any | None:
    """The group ``parent[name]`` (guarded; ``None`` if absent); anything else is refused.
    ``links_checked``: as for :func:`dataset`."""
    import h5py

    node = _member(parent, name, path, what, layer, links_checked)
    if node is not None and not isinstance(node, h5py.Group):
        raise KerasMigrateError(f"{what} is not an HDF5 group", path=path, layer=layer, hint="the file is damaged")
    return node


def dataset(
    parent: Any, name: str, path: str, *, what: str, layer: str | None = None, links_checked: bool = False
) -> Any | None:
    """The plain dataset ``parent[name]`` (guarded; ``None`` if absent), checked before any
    read: not a group, not virtual, no external storage, a dtype and a declared size a Keras
    weight can have (:func:`~keras_migrate.ir.weights.check_array_declaration`).
    ``links_checked``: a :attr:`LinkScan.clean` scan of this very file already looked at
    every link and dataset, so the per-link and virtual/external checks are skipped."""
    import h5py

    node = _member(parent, name, path, what, layer, links_checked)
    if node is None:
        return None
    if not isinstance(node, h5py.Dataset):
        raise KerasMigrateError(
            f"{what} is a {'group' if isinstance(node, h5py.Group) else 'link'}, not a dataset",
            path=path,
            layer=layer,
            hint="the file is damaged",
        )
    with guarded(path, what, layer=layer):
        if links_checked:
            pass
        elif node.is_virtual:
            raise KerasMigrateError(
                f"{what} is a virtual dataset (its data lives in other files); refused, keras-migrate never opens "
                "files a model points to",
                path=path,
                layer=layer,
                hint="save the weights into the model file itself",
            )
        if node.external:
            raise KerasMigrateError(
                f"{what} keeps its data in external files; refused, keras-migrate never opens files a model "
                "points to",
                path=path,
                layer=layer,
                hint="save the weights into the model file itself",
            )
        shape, dtype = node.shape, node.dtype
    if shape is None:
        raise KerasMigrateError(f"{what} is empty (no dataspace)", path=path, layer=layer, hint="the file is damaged")
    try:
        check_array_declaration(tuple(shape), dtype, path=path, what=what)
    except KerasMigrateError as exc:
        raise KerasMigrateError(exc.message, path=path, layer=layer, hint=exc.hint) from None
    return node
