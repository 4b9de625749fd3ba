"""Per-phase CPU and wall time of a `.keras` conversion against the single-pass floor, in-process.

CPU time (``time.process_time``, all threads) is far less disturbed by other jobs on a
shared machine than wall time, so this is the number to compare when the machine is busy.
Each run is a fresh process, the paths alternating; medians of ``--repeat`` runs per phase.
``--against TREE`` adds a third path: another checkout's keras-migrate (before/after).

    python bench/bench_phases.py [--models VGG16,ResNet50] [--repeat 3] [--tmp /dev/shm]

Phases: ``imports`` (numpy + h5py), ``km_imports`` (keras-migrate's converter modules),
``read`` (``formats.load``: sniff, read, translate), ``write`` (``converters.emit`` to
``.keras``); the floor: ``imports`` and ``write`` (bench_convert.py's floor copy).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / ".cache"

_CLOCK = """
import time, json
_marks = []
def mark(name):
    _marks.append((name, time.perf_counter(), time.process_time()))
mark("start")
"""

_OURS = _CLOCK + """
import numpy, h5py
mark("imports")
from keras_migrate.formats import load
from keras_migrate.converters import emit
mark("km_imports")
model = load({src!r})
mark("read")
emit(model, {out!r})
mark("write")
print("PHASES", json.dumps(_marks))
"""

_FLOOR = _CLOCK + """
import numpy as np, h5py
mark("imports")
CHUNK = 16 << 20
with h5py.File({src!r}, "r") as src, h5py.File({out!r}, "w") as dst:
    def copy(name, obj):
        if not isinstance(obj, h5py.Dataset):
            return
        if obj.nbytes <= CHUNK or not obj.shape:
            dst.create_dataset(name, data=obj[()])
            return
        out = dst.create_dataset(name, shape=obj.shape, dtype=obj.dtype)
        step = max(1, CHUNK // (obj.nbytes // obj.shape[0]))
        for i in range(0, obj.shape[0], step):
            out[i : i + step] = obj[i : i + step]
    src.visititems(copy)
mark("write")
print("PHASES", json.dumps(_marks))
"""


def _run(body: str, tree: Path = ROOT) -> dict[str, tuple[float, float]]:
    proc = subprocess.run([sys.executable, "-c", body], capture_output=True, text=True, cwd=tree, check=False)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("PHASES")]
    if proc.returncode or not lines:
        raise RuntimeError(proc.stderr[-2000:])
    marks = json.loads(lines[-1].split(" ", 1)[1])
    return {b[0]: (b[1] - a[1], b[2] - a[2]) for a, b in itertools.pairwise(marks)}


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--models", default="VGG16,ResNet50")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--tmp", default=None)
    ap.add_argument("--against", type=Path, help="another source tree (e.g. an older checkout) run as a third path")
    args = ap.parse_args()
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "keras_migrate")], check=True)
    paths = [("floor", _FLOOR, "h5", ROOT), ("ours", _OURS, "keras", ROOT)]
    if args.against:
        paths.append(("against", _OURS, "keras", args.against))
    with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
        for name in args.models.split(","):
            src = str(CACHE / f"{name}.h5")
            runs: dict[str, list[dict[str, tuple[float, float]]]] = {}
            for i in range(args.repeat):  # alternating, rotated: machine noise hits every path alike
                for key, template, ext, tree in paths[i % len(paths) :] + paths[: i % len(paths)]:
                    out = f"{tmp}/{name}-{key}-{i}.{ext}"
                    os.sync()
                    runs.setdefault(key, []).append(_run(template.format(src=src, out=out), tree))
                    os.unlink(out)
            for key, results in runs.items():
                phases = list(results[0])
                med = {p: (statistics.median(r[p][0] for r in results), statistics.median(r[p][1] for r in results))
                       for p in phases}
                total = [statistics.median(sum(r[p][0] for p in phases) for r in results),
                         statistics.median(sum(r[p][1] for p in phases) for r in results)]
                cells = " ".join(f"{p} {w:.3f}/{c:.3f}" for p, (w, c) in med.items())
                print(f"{name:9} {key:7} wall/cpu s (median of {args.repeat}): {cells}  total {total[0]:.3f}/{total[1]:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
