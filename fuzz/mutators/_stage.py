"""Copy a seed (and the files it needs beside it) into a case's input folder.

Every case works on copies: the fixtures are never touched, and the worker can hash the
input folder before and after the run to prove the CLI did not modify its inputs.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Case", "stage"]


@dataclass(frozen=True, slots=True)
class Case:
    """The CLI arguments of one mutated input, as paths relative to the case directory.

    ``target`` is the file the mutator edits (the model itself, its weights file, or a
    file inside a SavedModel/checkpoint directory).
    """

    model: str
    weights: str | None
    target: str


def stage(root: Path, seed: str, dest: Path, *, inner: str | None = None) -> Case:
    """Copy ``seed`` (relative to ``root``) into ``dest`` and name the file to mutate.

    * ``X_weights.h5`` is staged with its architecture ``X.json``; the weights are the target.
    * ``X_ckpt`` (a TF checkpoint directory) likewise with ``X.json``; ``inner`` picks the
      file inside it (``ckpt.index`` by default).
    * ``X.savedmodel`` is copied whole; ``inner`` picks the file inside it.
    * anything else (``.h5``, ``.json``, ``.yaml``, ``.keras``) is the model and the target.
    """
    src = root / seed
    dest.mkdir(parents=True, exist_ok=True)
    rel = Path(dest.name)
    name = src.name
    if name.endswith("_weights.h5") or name.endswith("_ckpt"):
        stem = name[: -len("_weights.h5")] if name.endswith("_weights.h5") else name[: -len("_ckpt")]
        arch = src.with_name(stem + ".json")
        shutil.copyfile(arch, dest / arch.name)
        if src.is_dir():
            shutil.copytree(src, dest / name)
            target = rel / name / (inner or "ckpt.index")
            return Case(str(rel / arch.name), str(rel / name), str(target))
        shutil.copyfile(src, dest / name)
        return Case(str(rel / arch.name), str(rel / name), str(rel / name))
    if src.is_dir():
        shutil.copytree(src, dest / name)
        return Case(str(rel / name), None, str(rel / name / (inner or "saved_model.pb")))
    shutil.copyfile(src, dest / name)
    return Case(str(rel / name), None, str(rel / name))

