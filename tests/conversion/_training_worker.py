"""Backend worker for the training-state tests: resume training of converted models.

    KERAS_BACKEND=jax python -m tests.conversion._training_worker jobs.json

``jobs.json``: ``{"jobs": [{"id", "model", "batch", "result"}]}``; ``batch`` is the
fixture npz (``train_x``, ``train_y_i``). For each job: ``keras.saving.load_model`` (after
``import keras_migrate``, which registers the compat optimizers), or a generated ``.py``
module's ``load_model()``, then ONE
``train_on_batch`` on the stored batch; the result npz holds the reported loss and
``model.get_weights()`` after the step, plus whether the model came back compiled, which
optimizer it has, its step count before the step, and Keras' warnings about the optimizer.
Every job runs in this one process.
"""

from __future__ import annotations

import json
import sys
import traceback
import warnings

import numpy as np


def run(job: dict) -> dict:
    import keras

    import keras_migrate  # noqa: F401  (registers the compat optimizers)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if job["model"].endswith(".py"):  # generated code: its own load_model()
            import importlib.util

            spec = importlib.util.spec_from_file_location(f"converted_{abs(hash(job['model']))}", job["model"])
            assert spec is not None and spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            model = module.load_model()
        else:
            model = keras.saving.load_model(job["model"])
    batch = np.load(job["batch"])
    ys = [batch[k] for k in sorted((k for k in batch.files if k.startswith("train_y_")), key=lambda k: int(k[8:]))]
    info = {
        "compiled": bool(getattr(model, "compiled", False)),
        "optimizer": type(model.optimizer).__name__ if getattr(model, "optimizer", None) is not None else None,
        "warnings": [str(w.message)[:200] for w in caught if "optimizer" in str(w.message).lower()],
    }
    if not info["compiled"]:
        return info
    info["iterations"] = int(np.asarray(keras.ops.convert_to_numpy(model.optimizer.iterations)))
    before = [np.asarray(w) for w in model.get_weights()]
    loss = model.train_on_batch(batch["train_x"], ys if len(ys) > 1 else ys[0])
    loss = loss[0] if isinstance(loss, (list, tuple)) else loss
    arrays = {"loss": np.asarray(keras.ops.convert_to_numpy(loss), dtype="float64")}
    arrays.update({f"weight_{i}": np.asarray(w) for i, w in enumerate(model.get_weights())})
    arrays.update({f"before_{i}": w for i, w in enumerate(before)})
    np.savez(job["result"] + ".npz", **arrays)
    return info


def main(path: str) -> int:
    with open(path) as fh:
        jobs = json.load(fh)["jobs"]
    for job in jobs:
        try:
            info = {"ok": True, **run(job)}
        except Exception as exc:  # one bad model must not hide the others' results
            info = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:1000], "traceback": traceback.format_exc()[-2000:]}
        with open(job["result"], "w") as f:
            json.dump(info, f)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
