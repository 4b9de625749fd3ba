"""Small HDF5 helpers shared by the readers: text attributes and chunked name lists.

Standalone Keras wrote attributes as bytes, tf.keras as str; long name lists were split
into ``layer_names0``, ``layer_names1``... when they exceeded HDF5's header limit.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["attr_names", "attr_text", "is_hdf5", "open_h5"]

_MAGIC = b"\x89HDF\r\n\x1a\n"


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


def open_h5(path: str) -> Any:
    import h5py

    return h5py.File(path, "r")


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, np.ndarray) and value.shape == ():
        return _text(value[()])
    return str(value)


def attr_text(node: Any, key: str) -> str | None:
    """A string attribute, decoded whether stored as bytes or str; None if absent."""
    if key not in node.attrs:
        return None
    return _text(node.attrs[key])


def attr_names(node: Any, key: str) -> list[str] | None:
    """A list-of-names attribute, joining chunks ``key0, key1, ...``; None if absent."""
    if key in node.attrs:
        return [_text(v) for v in np.atleast_1d(node.attrs[key])]
    if f"{key}0" in node.attrs:
        out: list[str] = []
        i = 0
        while f"{key}{i}" in node.attrs:
            out += [_text(v) for v in np.atleast_1d(node.attrs[f"{key}{i}"])]
            i += 1
        return out
    return None
