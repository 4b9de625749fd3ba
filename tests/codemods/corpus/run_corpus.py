"""Run corpus entries one after another in ONE process and store what they return.

Used twice: by ``generate_references.py`` under the legacy software (standalone Keras
2.2.4 or 1.2.2 under the old-Keras shim, or tf_keras 2.21 as ``tf.keras``), and by the
tests under Keras 3 with ``KERAS_BACKEND`` set. One process per flavour or backend: the
framework is imported once, not once per entry.

    python run_corpus.py --flavour {keras-2.2.4,keras-1.2.2,tf-keras,keras3} --out DIR ENTRY...

An entry is a script defining ``run()`` that returns a dict of arrays, or a notebook
whose code cells leave a ``RESULTS`` dict (IPython lines are masked as the upgrade tool
masks them, so a magic that is a block's only statement becomes ``pass``). Each entry's
dict is written to ``DIR/<project>__<entry stem>.npz``; one JSON line per entry is printed:
``{"entry", "ok", "error", "seconds"}``.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import json
import os
import runpy
import sys
import time
import traceback
import warnings
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
FLAVOURS = ("keras-2.2.4", "keras-1.2.2", "tf-keras", "keras3")

__all__ = ["FLAVOURS", "main", "result_name"]


def result_name(entry: Path) -> str:
    """``<project>__<entry stem>``: the name of an entry's stored results."""
    return f"{entry.parent.name}__{entry.stem}"


def _load_framework(flavour: str) -> Any:
    """Import the framework of ``flavour``; returns a ``clear_session`` callable."""
    if flavour in ("keras-2.2.4", "keras-1.2.2"):
        sys.path.insert(0, str(ROOT / "fixtures"))
        from oracle import fetch, legacy_env

        site = fetch.site_dir(flavour)
        assert site is not None
        sys.path.insert(0, str(site))
        legacy_env.install(flavour)
        import keras
        import tensorflow as tf

        def clear_session() -> None:
            # one thread per session: TF 1 graph mode runs independent ops in parallel,
            # and with reference variables a weight's update may race a read of it
            keras.backend.clear_session()
            config = tf.ConfigProto(intra_op_parallelism_threads=1, inter_op_parallelism_threads=1)
            keras.backend.set_session(tf.Session(config=config))

        return clear_session
    if flavour == "tf-keras":
        os.environ["TF_USE_LEGACY_KERAS"] = "1"  # tf.keras is tf_keras 2.21
        import tf_keras

        return tf_keras.backend.clear_session
    import keras

    return keras.utils.clear_session


def _notebook_namespace(path: Path) -> dict[str, Any]:
    # loaded by path: importing the keras_migrate package would register its Keras 3
    # compat layers, which legacy Keras cannot import
    spec = importlib.util.spec_from_file_location(
        "_corpus_notebook", ROOT / "keras_migrate" / "codemods" / "notebook.py"
    )
    assert spec is not None and spec.loader is not None
    notebook = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = notebook  # dataclasses look their module up
    spec.loader.exec_module(notebook)
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    chunks = []
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        masked = notebook.mask(source)
        if masked is not None:
            chunks.append(masked)
    namespace: dict[str, Any] = {"__name__": "__main__"}
    exec(compile("\n".join(chunks), str(path), "exec"), namespace)
    return namespace


def _run_entry(path: Path) -> dict[str, Any]:
    project = str(path.parent)
    sys.path.insert(0, project)
    cwd = os.getcwd()
    os.chdir(project)
    try:
        if path.suffix == ".ipynb":
            results = _notebook_namespace(path)["RESULTS"]
        else:
            results = runpy.run_path(str(path), run_name="corpus_entry")["run"]()
    finally:
        os.chdir(cwd)
        sys.path.remove(project)
        for name, module in list(sys.modules.items()):  # projects reuse module names
            if (getattr(module, "__file__", None) or "").startswith(project + os.sep):
                del sys.modules[name]
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flavour", choices=FLAVOURS, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("entries", nargs="+", type=Path)
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    clear_session = _load_framework(args.flavour)
    import numpy as np

    args.out.mkdir(parents=True, exist_ok=True)
    failures = 0
    for entry in args.entries:
        entry = entry.resolve()
        clear_session()
        start = time.perf_counter()
        error = None
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                results = _run_entry(entry)
            arrays = {key: np.asarray(value) for key, value in results.items()}
            np.savez(args.out / f"{result_name(entry)}.npz", **arrays)
        except BaseException:  # report every failure, keep going
            error = traceback.format_exc(limit=6)
            failures += 1
        record = {
            "entry": result_name(entry),
            "ok": error is None,
            "error": error,
            "seconds": round(time.perf_counter() - start, 2),
        }
        print(json.dumps(record), flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
