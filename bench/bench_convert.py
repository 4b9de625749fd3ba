"""Benchmark: convert VGG16 and ResNet50 `.h5` files, against Keras 3's own load + save.

Both paths run side by side as separate processes on the same files, alternating, so
machine noise hits both alike. Each process reports its own wall time and peak RSS; the
result is the ratio ours / peer (below 1 means keras-migrate is faster / leaner).

    python bench/bench_convert.py [--repeat 3] [--backend jax] [--models VGG16,ResNet50]

The `.h5` inputs are built with tf_keras (``weights=None``) on first use and cached in
``bench/.cache``. The peer path is ``keras.saving.load_model(h5, compile=False)`` then
``model.save(out.keras)``; ours is ``keras-migrate convert h5 -o out.keras``.
"""

from __future__ import annotations

import argparse
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
peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print("RESULT", elapsed, peak_kib)
"""

_OURS = """
from keras_migrate.cli import main
code = main(["convert", {src!r}, "-o", {out!r}, "--force"])
assert code == 0, code
"""

_PEER = """
import keras
model = keras.saving.load_model({src!r}, compile=False)
model.save({out!r})
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


def run(body: str, backend: str) -> tuple[float, float]:
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
        cwd=ROOT,
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT")]
    if proc.returncode or not lines:
        raise RuntimeError(proc.stderr[-2000:])
    _, seconds, kib = lines[-1].split()
    return float(seconds), float(kib) / 1024.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--backend", default="jax", help="Keras backend for the peer path")
    ap.add_argument("--models", default="VGG16,ResNet50")
    ap.add_argument("--json", type=Path, help="also write results here")
    args = ap.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.models.split(","):
            src = str(build(name))
            size_mb = os.path.getsize(src) / 1e6
            ours_t, ours_m, peer_t, peer_m = [], [], [], []
            for i in range(args.repeat):
                out_a, out_b = f"{tmp}/{name}-ours-{i}.keras", f"{tmp}/{name}-peer-{i}.keras"
                t, m = run(_OURS.format(src=src, out=out_a), args.backend)
                ours_t.append(t)
                ours_m.append(m)
                t, m = run(_PEER.format(src=src, out=out_b), args.backend)
                peer_t.append(t)
                peer_m.append(m)
            row = {
                "model": name,
                "h5_mb": round(size_mb, 1),
                "ours_s": round(statistics.median(ours_t), 3),
                "peer_s": round(statistics.median(peer_t), 3),
                "time_ratio": round(statistics.median(ours_t) / statistics.median(peer_t), 3),
                "ours_peak_mb": round(statistics.median(ours_m), 1),
                "peer_peak_mb": round(statistics.median(peer_m), 1),
                "memory_ratio": round(statistics.median(ours_m) / statistics.median(peer_m), 3),
                "repeat": args.repeat,
                "peer_backend": args.backend,
            }
            results.append(row)
            print(json.dumps(row), flush=True)
    print()
    print(
        f"{'model':<10} {'h5 MB':>7} {'ours s':>8} {'peer s':>8} {'time x':>7} {'ours MB':>8} {'peer MB':>8} {'mem x':>6}"
    )
    for r in results:
        print(
            f"{r['model']:<10} {r['h5_mb']:>7} {r['ours_s']:>8} {r['peer_s']:>8} {r['time_ratio']:>7} "
            f"{r['ours_peak_mb']:>8} {r['peer_peak_mb']:>8} {r['memory_ratio']:>6}"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
