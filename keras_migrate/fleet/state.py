"""Resume state: a finished model is skipped when its source and options are unchanged.

After a model is fully done (converted and, if asked, verified) its report entry is saved
under ``OUTDIR/.keras-migrate/state/`` with a key: the SHA-256 of the source files'
contents (every file of a SavedModel or checkpoint directory, in path order) and of the
options that shape the output. ``--resume`` reuses an entry whose key matches and whose
outputs all exist; anything else is done again. An entry is written atomically after the
work, so a batch killed midway leaves only finished models behind it.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["StateStore", "content_hash", "state_key"]

_CHUNK = 1 << 20


def _files_under(path: str) -> list[str]:
    if os.path.isdir(path):
        out = []
        for folder, dirs, files in os.walk(path):
            dirs.sort()
            out += [os.path.join(folder, f) for f in sorted(files)]
        return out
    if not os.path.exists(path):  # a checkpoint prefix: its .index and data files
        folder, base = os.path.split(path)
        return sorted(os.path.join(folder, n) for n in os.listdir(folder or ".") if n.startswith(base + "."))
    return [path]


def content_hash(paths: Iterable[str]) -> str:
    """SHA-256 over the contents (and relative names) of every file the paths hold."""
    digest = hashlib.sha256()
    for top in paths:
        for f in _files_under(top):
            digest.update(os.path.relpath(f, os.path.dirname(top)).encode() + b"\0")
            with open(f, "rb") as fh:
                while chunk := fh.read(_CHUNK):
                    digest.update(chunk)
            digest.update(b"\1")
    return digest.hexdigest()


def state_key(source_hash: str, options: Mapping[str, Any]) -> str:
    """The resume key of one model: its contents and the options, in one hash."""
    blob = json.dumps({"source": source_hash, "options": dict(options)}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


class StateStore:
    """Finished models' entries under ``OUTDIR/.keras-migrate/state``, one file per model."""

    def __init__(self, outdir: str) -> None:
        self.outdir = outdir
        self.folder = os.path.join(outdir, ".keras-migrate", "state")

    def _path(self, model_id: str) -> str:
        return os.path.join(self.folder, hashlib.sha1(model_id.encode()).hexdigest() + ".json")

    def get(self, model_id: str, key: str) -> dict[str, Any] | None:
        """The saved entry if it was made with ``key`` and every output it lists (relative to
        the output directory) exists."""
        try:
            with open(self._path(model_id), encoding="utf-8") as fh:
                saved = json.load(fh)
        except (OSError, ValueError):
            return None
        entry = saved.get("entry") or {}
        if saved.get("key") != key or entry.get("id") != model_id:
            return None
        if not all(os.path.exists(os.path.join(self.outdir, o["path"])) for o in entry.get("outputs", [])):
            return None
        return dict(entry)

    def put(self, model_id: str, key: str, entry: Mapping[str, Any]) -> None:
        os.makedirs(self.folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=self.folder)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump({"key": key, "entry": entry}, fh)
        os.replace(tmp, self._path(model_id))
