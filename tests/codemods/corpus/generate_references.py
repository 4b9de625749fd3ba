"""Write the corpus' reference outputs by running the ORIGINAL code on the legacy software.

    python tests/codemods/corpus/generate_references.py [--project NAME ...]

Each project runs on the software its code was written for (``inventory.ALL``): standalone
Keras 2.2.4 or Keras 1.2.2 under the old-Keras shim of ``fixtures/oracle/legacy_env.py``
(fetched once into ``fixtures/.cache`` with ``pip download``), or tf_keras 2.21 as
``tf.keras``. One subprocess per flavour runs every entry of that flavour on a scratch copy
of the projects (entries may write files), and the ``.npz`` it stores per entry are moved
to ``references/``, with ``references/manifest.json`` recording the software versions.
The tests compare the upgraded code's outputs with these files, so ``make test`` needs no
legacy download.

Old Keras' training is not reproducible run to run (Keras 1.2.2's ``fit`` gave losses
0.69044, 0.69045, 0.69046 in three runs of one script): TF 1 graph mode runs independent ops
in parallel, with reference variables a weight's update may run before another op has read
that weight, and TensorFlow's oneDNN CPU kernels vary. The legacy runs use one-thread
sessions (``run_corpus.py``) and ``TF_ENABLE_ONEDNN_OPTS=0``, which makes most entries
repeat bit for bit, but not all. Every flavour is therefore run ``--repeat`` times (5 by
default): the first run is the reference and every other distinct outcome of an output is
stored as ``alt<i>__<key>``; the tests accept an output that matches any legacy outcome
(rtol/atol), and ``manifest.json`` lists the outputs that varied.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))

from tests.codemods.corpus.inventory import ALL, PROJECTS, REFERENCES  # noqa: E402
from tests.codemods.corpus.run_corpus import result_name  # noqa: E402

VERSIONS = {
    "keras-2.2.4": "standalone Keras 2.2.4 (TensorFlow backend, TF 2.21 compat.v1 graph mode)",
    "keras-1.2.2": "standalone Keras 1.2.2 (TensorFlow backend, TF 2.21 compat.v1 graph mode)",
    "tf-keras": "tf_keras 2.21 as tf.keras (TF_USE_LEGACY_KERAS=1)",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", action="append", default=[])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    import numpy as np

    projects = [p for p in ALL if not args.project or p.name in args.project]
    REFERENCES.mkdir(exist_ok=True)
    manifest_path = REFERENCES / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp) / "projects"
        shutil.copytree(PROJECTS, scratch)
        home = Path(tmp) / "home"  # Keras writes its default keras.json here
        home.mkdir()
        for flavour in sorted({p.legacy for p in projects}):
            entries = [
                scratch / p.name / e for p in projects if p.legacy == flavour for e in p.entries
            ]
            runs = []
            for attempt in range(args.repeat):
                out = Path(tmp) / f"{flavour}-{attempt}"
                env = {
                    **os.environ,
                    "HOME": str(home),
                    "KERAS_BACKEND": "tensorflow",
                    "TF_CPP_MIN_LOG_LEVEL": "3",
                    "CUDA_VISIBLE_DEVICES": "",
                    "PYTHONHASHSEED": "0",
                    # oneDNN's CPU kernels made old Keras' results vary between runs
                    "TF_ENABLE_ONEDNN_OPTS": "0",
                }
                proc = subprocess.run(
                    [sys.executable, str(HERE / "run_corpus.py"), "--flavour", flavour,
                     "--out", str(out), *map(str, entries)],
                    env=env, capture_output=True, text=True, check=False,
                )
                if proc.returncode not in (0, 1):
                    print(proc.stderr[-3000:])
                    failed += 1
                records = [json.loads(x) for x in proc.stdout.splitlines() if x.startswith("{")]
                runs.append((out, records))
            first_out, records = runs[0]
            for record in records:
                name = record["entry"]
                print(f"{flavour:12} {name:45} {'ok' if record['ok'] else 'FAILED'}")
                if not record["ok"]:
                    failed += 1
                    print(record["error"])
                    continue
                reference = dict(np.load(first_out / f"{name}.npz"))
                # every distinct outcome of a varying output is kept: alt<i>__<key>
                varied: set[str] = set()
                for key in list(reference):
                    if reference[key].dtype.kind != "f":
                        continue
                    seen = [reference[key]]
                    for out, _ in runs[1:]:
                        other = np.load(out / f"{name}.npz")[key]
                        if not any(np.array_equal(other, s) for s in seen):
                            reference[f"alt{len(seen)}__{key}"] = other
                            seen.append(other)
                            varied.add(key)
                np.savez(REFERENCES / f"{name}.npz", **reference)
                manifest[name] = {
                    "software": VERSIONS[flavour],
                    "runs": args.repeat,
                    "varied_between_runs": sorted(varied),
                }
    expected = {result_name(path) for p in projects for path in p.entry_paths}
    missing = sorted(e for e in expected if not (REFERENCES / f"{e}.npz").exists())
    manifest_path.write_text(json.dumps(dict(sorted(manifest.items())), indent=1) + "\n")
    if missing:
        print("missing references:", missing)
    return 1 if failed or missing else 0


if __name__ == "__main__":
    sys.exit(main())
