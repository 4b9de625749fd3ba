"""Benchmark: convert tf_keras `.h5` files to each output kind, against its peer and the I/O floor.

Every path runs as a separate process on the same file, alternating within each repeat, so
machine noise hits all alike. Each process reports its own wall time and peak RSS; results
are ratios ours / peer and ours / floor (below 1 means keras-migrate is faster / leaner).

    python bench/bench_convert.py [--repeat 3] [--outputs keras,onnx] [--models VGG16,ResNet50]

Paths, per output kind:

* ``keras``: ours is ``keras-migrate convert h5 -o out.keras``; the peer is Keras 3's own
  ``keras.saving.load_model(h5, compile=False)`` then ``model.save(out.keras)`` (``--backend``).
* ``onnx``: ours is ``keras-migrate convert h5 -o out.onnx``; the peer is tf2onnx
  (``tf2onnx.convert.from_keras``) on the same file loaded by ``tf_keras.models.load_model``.
  tf2onnx is a benchmark-only dependency: without it the peer column is empty.
* ``floor`` (shared by both kinds): the single-pass I/O floor, a bare h5py script that reads
  every weight of the source once and writes it once into a new HDF5 file, in the same
  16 MiB row blocks the converter uses, with nothing else (no config, no framework).

The `.h5` inputs are built with tf_keras (``weights=None``) on first use and cached in
``bench/.cache``.

Bytecode: the environment may set ``PYTHONDONTWRITEBYTECODE=1``, under which every run of
an uncompiled source tree compiles keras-migrate's modules again (~0.1-0.2 s), a cost no
installed package pays (pip compiles on install, and numpy, h5py, Keras and TensorFlow here
are installed). Before measuring, the bench therefore compiles ``keras_migrate`` once
(``python -m compileall``, into its ``__pycache__`` directories, as an install would);
``--no-compile`` measures the source tree as it is.

``--base DIR`` runs another tree's ``convert`` (e.g. main before a change) side by side,
alternating with ours, so a change is measured against its starting point in one window of
a shared machine; ``--phases`` adds the CPU time of each phase of a conversion (each kind of ``--outputs``)
(interpreter start, numpy + h5py, parser, keras-migrate's imports, read + translate, layout
pass, write), in-process, median of ``--repeat`` runs: CPU time is far less disturbed by
other jobs than wall time.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / ".cache"

_MEASURE = """
import resource, sys, time
t0 = time.perf_counter()
{body}
elapsed = time.perf_counter() - t0
# the CLI does its work in a forked child (cli/_isolate.py): count the larger of the two
peak_kib = max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
print("RESULT", elapsed, peak_kib)
"""

_OURS = """
from keras_migrate.cli import main
code = main(["convert", {src!r}, "-o", {out!r}, "--force"])
assert code == 0, code
"""

#: Per-phase CPU time of ``convert -o .keras`` (or ``.onnx``: "write" is lowering + writing), in-process (no crash-guard fork), as
#: ``time.process_time`` marks: what the interpreter's start, numpy + h5py (the floor pays
#: both), the CLI's parser, keras-migrate's own imports (the modules a first run listed,
#: imported up front so that reading is timed without them), reading + translating, the
#: layout pass and writing each cost.
_PHASES = """
import importlib, json, sys, time
T = time.process_time
marks = [("interpreter start", 0.0), ("", T())]
import numpy, h5py
marks.append(("numpy + h5py imports", T()))
from keras_migrate.cli import build_parser
try:
    parser = build_parser("convert")
except TypeError:  # a tree from before the lazy parser
    parser = build_parser()
parser.parse_args(["convert", {src!r}, "-o", {out!r}, "--force"])
marks.append(("CLI parser", T()))
for m in {modules!r}:
    importlib.import_module(m)
marks.append(("keras-migrate imports", T()))
from keras_migrate.api import load
from keras_migrate.converters import emit
from keras_migrate.ir.passes import prepare_for_output
model = load({src!r})
marks.append(("read + translate", T()))
model = prepare_for_output(model, data_format="internal")
marks.append(("layout pass", T()))
emit(model, {out!r})
marks.append(("write", T()))
phases = [("interpreter start", marks[1][1])] + [(b[0], b[1] - a[1]) for a, b in zip(marks[1:], marks[2:])]
print("PHASES", json.dumps(phases))
print("MODULES", json.dumps(sorted(k for k in sys.modules if k.startswith("keras_migrate"))))
"""

_PEER_KERAS = """
import keras
model = keras.saving.load_model({src!r}, compile=False)
model.save({out!r})
"""

_PEER_ONNX = """
import tf_keras
import tf2onnx
model = tf_keras.models.load_model({src!r}, compile=False)
tf2onnx.convert.from_keras(model, output_path={out!r})
"""

_FLOOR = """
import h5py, numpy as np
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
"""

_BUILD = """
import sys
import tf_keras
name, path = sys.argv[1], sys.argv[2]
model = getattr(tf_keras.applications, name)(weights=None)
model.save(path)
"""


def build(name: str) -> Path:
    path = CACHE / f"{name}.h5"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
        subprocess.run([sys.executable, "-c", _BUILD, name, str(path)], check=True, env=env)
    return path


def run(body: str, backend: str, cwd: Path = ROOT) -> tuple[float, float]:
    """Run ``body`` in a fresh process (in ``cwd``: the tree whose ``keras_migrate`` it
    imports); its wall time (s) and peak RSS (MB)."""
    env = {
        **os.environ,
        "KERAS_BACKEND": backend,
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "CUDA_VISIBLE_DEVICES": "",
    }
    proc = subprocess.run(
        [sys.executable, "-c", _MEASURE.format(body=body)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        cwd=cwd,
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT")]
    if proc.returncode or not lines:
        raise RuntimeError(proc.stderr[-2000:])
    _, seconds, kib = lines[-1].split()
    return float(seconds), float(kib) / 1024.0


def phases(src: str, out: str, repeat: int, cwd: Path = ROOT) -> dict[str, float]:
    """Median CPU seconds per phase of ``repeat`` in-process conversions (:data:`_PHASES`)."""

    def once(modules: list[str]) -> tuple[list[tuple[str, float]], list[str]]:
        body = _PHASES.format(src=src, out=out, modules=modules)
        proc = subprocess.run([sys.executable, "-c", body], capture_output=True, text=True, cwd=cwd, check=False)
        found = {ln.split(" ", 1)[0]: json.loads(ln.split(" ", 1)[1]) for ln in proc.stdout.splitlines() if " " in ln}
        if proc.returncode or "PHASES" not in found:
            raise RuntimeError(proc.stderr[-2000:])
        with contextlib.suppress(OSError):
            os.unlink(out)
        return [tuple(p) for p in found["PHASES"]], found["MODULES"]  # type: ignore[misc]

    _, modules = once([])  # which modules a conversion imports
    runs = [dict(once(modules)[0]) for _ in range(repeat)]
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def compile_package(root: Path = ROOT) -> None:
    """Compile keras_migrate's modules once, as ``pip install`` would (see the module doc)."""
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(root / "keras_migrate")],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def _median(xs: list[float]) -> float | None:
    return statistics.median(xs) if xs else None


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a is not None and b else None


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.3g}" if x < 10 else f"{x:.0f}"


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--backend", default="jax", help="Keras backend for the Keras 3 peer")
    ap.add_argument("--models", default="VGG16,ResNet50")
    ap.add_argument("--outputs", default="keras,onnx", help="output kinds to measure: keras, onnx")
    ap.add_argument("--json", type=Path, help="also write results here")
    ap.add_argument("--no-peer", action="store_true", help="measure ours and the floor only (quick checks)")
    ap.add_argument("--no-compile", action="store_true", help="do not compile keras_migrate's bytecode first")
    ap.add_argument(
        "--tmp",
        help="directory for the outputs (e.g. /dev/shm: a tmpfs takes disk contention from other jobs out of the "
        "comparison; default: the system temporary directory)",
    )
    ap.add_argument(
        "--base",
        type=Path,
        help="another keras-migrate tree (e.g. `git archive main keras_migrate | tar -x -C DIR`) whose convert runs "
        "side by side with this one, alternating: its time and its ratio to the floor are reported too",
    )
    ap.add_argument("--phases", action="store_true", help="also report CPU time per phase of ours (and --base), each output kind")
    args = ap.parse_args()
    if not args.no_compile:
        compile_package()
        if args.base:
            compile_package(args.base)
    kinds = [k for k in args.outputs.split(",") if k]
    have_tf2onnx = importlib.util.find_spec("tf2onnx") is not None
    if "onnx" in kinds and not have_tf2onnx:
        print("tf2onnx is not installed: the .onnx peer is skipped (pip install tf2onnx)", file=sys.stderr)
    results = []
    phase_rows: list[dict] = []
    with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
        for name in args.models.split(","):
            src = str(build(name))
            size_mb = os.path.getsize(src) / 1e6
            times: dict[str, list[float]] = {}
            peaks: dict[str, list[float]] = {}

            def measure(key: str, body: str, out: str, times: dict = times, peaks: dict = peaks) -> None:
                # Every path starts from the same state: no dirty pages left by the path before
                # (flushed outside the timing; otherwise each run pays for its predecessor's
                # writeback) and no earlier output on disk.
                os.sync()
                t, m = run(body, args.backend, args.base if key.startswith("base_") else ROOT)
                times.setdefault(key, []).append(t)
                peaks.setdefault(key, []).append(m)
                with contextlib.suppress(OSError):
                    os.unlink(out)

            paths: list[tuple[str, str, str]] = [("floor", _FLOOR, "h5")]
            for kind in kinds:
                paths.append((f"ours_{kind}", _OURS, kind))
                if args.base:
                    paths.append((f"base_{kind}", _OURS, kind))
                if args.no_peer:
                    continue
                if kind == "keras":
                    paths.append(("peer_keras", _PEER_KERAS, kind))
                elif kind == "onnx" and have_tf2onnx:
                    paths.append(("peer_onnx", _PEER_ONNX, kind))
            for i in range(args.repeat):
                # rotate the order each repeat, so no path always runs first (warmest cache)
                for key, template, ext in paths[i % len(paths) :] + paths[: i % len(paths)]:
                    out = f"{tmp}/{name}-{key}-{i}.{ext}"
                    measure(key, template.format(src=src, out=out), out)
            floor_t, floor_m = _median(times["floor"]), _median(peaks["floor"])
            for kind in kinds:
                ours_t, ours_m = _median(times[f"ours_{kind}"]), _median(peaks[f"ours_{kind}"])
                peer_t, peer_m = _median(times.get(f"peer_{kind}", [])), _median(peaks.get(f"peer_{kind}", []))
                row = {
                    "model": name,
                    "output": kind,
                    "h5_mb": round(size_mb, 1),
                    "ours_s": ours_t,
                    "peer_s": peer_t,
                    "floor_s": floor_t,
                    "time_vs_peer": _ratio(ours_t, peer_t),
                    "time_vs_floor": _ratio(ours_t, floor_t),
                    "ours_peak_mb": ours_m,
                    "peer_peak_mb": peer_m,
                    "floor_peak_mb": floor_m,
                    "memory_vs_peer": _ratio(ours_m, peer_m),
                    "memory_vs_floor": _ratio(ours_m, floor_m),
                    "repeat": args.repeat,
                    "peer": "keras3 load+save (" + args.backend + ")" if kind == "keras" else "tf2onnx from_keras",
                }
                if args.base:
                    base_t, base_m = _median(times[f"base_{kind}"]), _median(peaks[f"base_{kind}"])
                    row |= {"base_s": base_t, "base_vs_floor": _ratio(base_t, floor_t), "base_peak_mb": base_m}
                results.append(row)
                print(json.dumps(row), flush=True)
            if "keras" in kinds and "onnx" in kinds:
                k = _median(times["ours_keras"])
                o = _median(times["ours_onnx"])
                print(
                    json.dumps(
                        {
                            "model": name,
                            "onnx_vs_keras_time": _ratio(o, k),
                            "onnx_vs_keras_memory": _ratio(_median(peaks["ours_onnx"]), _median(peaks["ours_keras"])),
                        }
                    ),
                    flush=True,
                )
            if args.phases:
                trees = [("ours", ROOT)] + ([("base", args.base)] if args.base else [])
                for kind in kinds:
                    for label, tree in trees:
                        cpu = phases(src, f"{tmp}/{name}-phases-{label}.{kind}", args.repeat, tree)
                        row = {"model": name, "output": kind, "tree": label}
                        row |= {"cpu_s": {k: round(v, 4) for k, v in cpu.items()}, "cpu_total_s": round(sum(cpu.values()), 4)}
                        print(json.dumps(row), flush=True)
                        phase_rows.append(row)
    print()
    header = ["model", "out", "h5 MB", "ours s", "peer s", "floor s", "x peer", "x floor"]
    header += ["ours MB", "peer MB", "floor MB", "mem x peer", "mem x floor"]
    print(" ".join(f"{h:>10}" for h in header))
    for r in results:
        cells = [r["model"], r["output"], r["h5_mb"], r["ours_s"], r["peer_s"], r["floor_s"]]
        cells += [r["time_vs_peer"], r["time_vs_floor"], r["ours_peak_mb"], r["peer_peak_mb"], r["floor_peak_mb"]]
        cells += [r["memory_vs_peer"], r["memory_vs_floor"]]
        print(" ".join(f"{c if isinstance(c, str) else _fmt(c):>10}" for c in cells))
    if args.base:
        print()
        print(" ".join(f"{h:>10}" for h in ["model", "out", "base s", "ours s", "floor s", "base x fl", "ours x fl"]))
        for r in results:
            cells = [r["model"], r["output"], r["base_s"], r["ours_s"], r["floor_s"], r["base_vs_floor"], r["time_vs_floor"]]
            print(" ".join(f"{c if isinstance(c, str) else _fmt(c):>10}" for c in cells))
    for row in phase_rows:
        print()
        print(f"{row['model']} {row['output']} ({row['tree']}), CPU ms per phase:")
        for phase, sec in row["cpu_s"].items():
            print(f"  {phase:<24} {sec * 1e3:8.1f}")
        print(f"  {'total':<24} {row['cpu_total_s'] * 1e3:8.1f}")
    if args.json:
        args.json.write_text(json.dumps(results + phase_rows, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
