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
    """Run ``body`` in a fresh process; its wall time (s) and peak RSS (MB)."""
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


def compile_package() -> None:
    """Compile keras_migrate's modules once, as ``pip install`` would (see the module doc)."""
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(ROOT / "keras_migrate")],
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
    ap.add_argument(
        "--against",
        type=Path,
        help="another source tree (e.g. an older checkout, bytecode compiled) whose convert runs as a path of its "
        "own, 'against_<kind>', side by side: before/after ratios in one window",
    )
    ap.add_argument("--no-compile", action="store_true", help="do not compile keras_migrate's bytecode first")
    ap.add_argument(
        "--tmp",
        help="directory for the outputs (e.g. /dev/shm: a tmpfs takes disk contention from other jobs out of the "
        "comparison; default: the system temporary directory)",
    )
    args = ap.parse_args()
    if not args.no_compile:
        compile_package()
    kinds = [k for k in args.outputs.split(",") if k]
    have_tf2onnx = importlib.util.find_spec("tf2onnx") is not None
    if "onnx" in kinds and not have_tf2onnx:
        print("tf2onnx is not installed: the .onnx peer is skipped (pip install tf2onnx)", file=sys.stderr)
    results = []
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
                t, m = run(body, args.backend, args.against if key.startswith("against_") else ROOT)
                times.setdefault(key, []).append(t)
                peaks.setdefault(key, []).append(m)
                with contextlib.suppress(OSError):
                    os.unlink(out)

            paths: list[tuple[str, str, str]] = [("floor", _FLOOR, "h5")]
            for kind in kinds:
                paths.append((f"ours_{kind}", _OURS, kind))
                if args.against:
                    paths.append((f"against_{kind}", _OURS, kind))
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
                    **(
                        {
                            "against_s": _median(times[f"against_{kind}"]),
                            "against_time_vs_floor": _ratio(_median(times[f"against_{kind}"]), floor_t),
                            "against_peak_mb": _median(peaks[f"against_{kind}"]),
                        }
                        if args.against
                        else {}
                    ),
                    "peer": "keras3 load+save (" + args.backend + ")" if kind == "keras" else "tf2onnx from_keras",
                }
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
    print()
    header = ["model", "out", "h5 MB", "ours s", "peer s", "floor s", "x peer", "x floor"]
    header += ["ours MB", "peer MB", "floor MB", "mem x peer", "mem x floor"]
    print(" ".join(f"{h:>10}" for h in header))
    for r in results:
        cells = [r["model"], r["output"], r["h5_mb"], r["ours_s"], r["peer_s"], r["floor_s"]]
        cells += [r["time_vs_peer"], r["time_vs_floor"], r["ours_peak_mb"], r["peer_peak_mb"], r["floor_peak_mb"]]
        cells += [r["memory_vs_peer"], r["memory_vs_floor"]]
        print(" ".join(f"{c if isinstance(c, str) else _fmt(c):>10}" for c in cells))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
