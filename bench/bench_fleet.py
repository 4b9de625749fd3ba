"""Benchmark: batch convert + verify of fixture models, against one `convert --verify` process per model.

Both paths convert the same models to ``.keras`` and verify them on the same backends:

* ``per-model``: ``keras-migrate convert SRC -o OUT.keras --verify`` once per model, one
  after the other, each a fresh process that starts a fresh worker per backend (what a
  user's shell loop over a registry does today);
* ``batch``: ``keras-migrate convert TREE -o OUTDIR --verify --jobs J``: conversion
  processes plus one warm worker per backend reused across every model.

Wall time of each path, and peak memory as the largest sum of resident memory over the
whole process tree (sampled every 0.1 s from ``/proc``: the batch runs its workers side by
side, so one process's peak would undercount it). The models are a deterministic sample
of the fixture tree across generations and forms (``--limit``), copied into one folder so
both paths see exactly the same models; ``--all`` takes the whole tree.

    python bench/bench_fleet.py [--limit 12] [--backends jax,torch,tensorflow] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from keras_migrate.fleet.discover import ModelSource, discover  # noqa: E402


def _tree_rss(root_pid: int) -> int:
    """Resident bytes of ``root_pid`` and all its descendants, now."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{name}/statm") as fh:
                rss[int(name)] = int(fh.read().split()[1]) * page
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(int(fields[1]), []).append(int(name))
    total, stack = 0, [root_pid]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack += children.get(pid, [])
    return total


def _run(cmd: list[str]) -> tuple[float, int, int]:
    """Wall seconds, peak tree RSS bytes and exit code of ``cmd``."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _tree_rss(proc.pid))
            done.wait(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = proc.communicate()
    elapsed = time.perf_counter() - t0
    done.set()
    sampler.join()
    if proc.returncode not in (0, 1, 2):
        print(err[-2000:], file=sys.stderr)
    return elapsed, peak[0], proc.returncode


def _sample(models: list[ModelSource], limit: int) -> list[ModelSource]:
    """Every k-th model, so each generation and form is represented."""
    if limit <= 0 or limit >= len(models):
        return models
    step = len(models) / limit
    return [models[int(i * step)] for i in range(limit)]


def _copy(models: list[ModelSource], root: str, dest: Path) -> None:
    for m in models:
        for f in m.files:
            if not os.path.exists(f):  # a checkpoint prefix: copy its folder
                f = os.path.dirname(f)
            rel = os.path.relpath(f, root)
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            if os.path.isdir(f):
                if not target.exists():
                    shutil.copytree(f, target)
            elif not target.exists():
                shutil.copy(f, target)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--limit", type=int, default=12, help="models sampled from the fixture tree (0: all)")
    ap.add_argument("--all", action="store_true", help="the whole fixture tree")
    ap.add_argument("--backends", default="jax,torch,tensorflow")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--json", help="write the figures here")
    args = ap.parse_args()
    found = discover([str(ROOT / "fixtures")])
    # Models refused by design (Lambda layers) verify nothing; leave them out of the timing.
    models = [m for m in found.models if "lambda" not in m.id]
    models = models if args.all else _sample(models, args.limit)
    with tempfile.TemporaryDirectory(prefix="bench-fleet-") as work:
        tree = Path(work) / "tree"
        _copy(models, found.root, tree)
        batch_models = discover([str(tree)]).models
        assert len(batch_models) == len(models), (len(batch_models), len(models))
        per_time = 0.0
        per_peak = 0
        for m in batch_models:
            cmd = [sys.executable, "-m", "keras_migrate", "convert", m.path, "-o", str(Path(work) / "single" / (m.out_stem + ".keras")),
                   "--force", "--verify", "--backends", args.backends]  # fmt: skip
            if m.weights:
                cmd += ["--weights", m.weights]
            (Path(work) / "single" / m.out_stem).parent.mkdir(parents=True, exist_ok=True)
            seconds, peak, code = _run(cmd)
            per_time += seconds
            per_peak = max(per_peak, peak)
            print(f"  per-model {m.id}: {seconds:.1f} s, {peak / 2**20:.0f} MiB, exit {code}", file=sys.stderr)
        batch_cmd = [sys.executable, "-m", "keras_migrate", "convert", str(tree), "-o", str(Path(work) / "batch"), "--verify",
                     "--backends", args.backends, "--jobs", str(args.jobs), "--report", str(Path(work) / "run.json")]  # fmt: skip
        batch_time, batch_peak, code = _run(batch_cmd)
        report = json.loads((Path(work) / "run.json").read_text())
    result = {
        "models": len(models),
        "backends": args.backends,
        "per_model_seconds": round(per_time, 2),
        "batch_seconds": round(batch_time, 2),
        "time_ratio": round(batch_time / per_time, 3),
        "per_model_peak_mib": round(per_peak / 2**20),
        "batch_peak_mib": round(batch_peak / 2**20),
        "batch_summary": report["summary"],
        "batch_workers": report["workers"],
    }
    print(json.dumps(result, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
