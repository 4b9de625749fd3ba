"""Stored inputs/outputs (``.npz``) and interpreter runs, as every test reads them.

Fixture ``.npz`` files hold ``input_0..`` in the model's input order and ``output_0..`` in
its output order; :func:`interpret` returns the numpy interpreter's outputs in the same
flat order, so the two lists compare position by position.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from keras_migrate.ir.graph import flatten_structure
from keras_migrate.ir.interpreter import run_graph

__all__ = ["interpret", "load_npz"]


def load_npz(path: str | Path) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """``(inputs, outputs)`` stored in ``path``, each in index order."""
    with np.load(path) as d:
        ins = [d[f"input_{i}"] for i in range(sum(k.startswith("input_") for k in d.files))]
        outs = [d[f"output_{i}"] for i in range(sum(k.startswith("output_") for k in d.files))]
    return ins, outs


def interpret(graph: Any, ins: list[np.ndarray]) -> list[np.ndarray]:
    """The numpy interpreter's outputs of ``graph`` on ``ins``, flattened."""
    result = run_graph(graph, ins)
    return [result] if isinstance(result, np.ndarray) else flatten_structure(result)
