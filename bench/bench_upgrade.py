"""Benchmark: ``keras-migrate upgrade`` against a bare libcst parse + print.

Generates a tree of a few hundred realistic legacy scripts (the example scripts under
``examples/legacy_scripts`` with their numbers and names varied), then times, side by
side and with the same number of processes:

* bare: read every file, ``libcst.parse_module`` it and regenerate the code;
* upgrade: the full ``upgrade`` pipeline in ``--diff`` mode (all rules, post-check,
  follow-up comments, report data), without printing the diff.

Usage: ``python bench/bench_upgrade.py [--files 300] [--jobs 1] [--repeat 3] [--tree DIR]``.
With ``--jobs 1`` (the default) both sides run in this process and are compared on CPU
time, which a busy shared machine disturbs far less than wall time; with more jobs both
use a process pool and wall time. Runs alternate (bare, upgrade, bare, ...); the verdict
uses the median of the paired ratios, the best runs are printed too. ``--tree DIR`` times an existing tree instead (e.g.
``examples/legacy_scripts``, or ``tests/codemods/corpus/projects``, the executed corpus of
issue 14). The ratio must stay at or below 1.0 (issue 14; it was 1.5 in issue 6); the
script exits 1 when it does not.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

EXAMPLES = ROOT / "examples" / "legacy_scripts"
LIMIT = 1.0


def generate(target: Path, count: int, seed: int = 0) -> list[Path]:
    """Write ``count`` variants of the example scripts under ``target``."""
    rng = random.Random(seed)
    sources = [
        p for p in sorted(EXAMPLES.rglob("*.py")) if 'print "' not in p.read_text(encoding="utf-8")
    ]
    paths = []
    for i in range(count):
        source = sources[i % len(sources)].read_text(encoding="utf-8")
        # vary integer literals and top-level names so files are not identical
        varied = re.sub(
            r"\b(\d{2,3})\b", lambda m: str(int(m.group(1)) + rng.randint(0, 9)), source
        )
        if i % 3 == 0:
            varied = re.sub(r"\bmodel\b", f"model_{i % 7}", varied)
        path = target / f"pkg{i // 50}" / f"script_{i}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(varied + f"\n# variant {i}\n", encoding="utf-8")
        paths.append(path)
    return paths


def _bare_one(path: str) -> int:
    import libcst

    try:
        return len(libcst.parse_module(Path(path).read_text(encoding="utf-8")).code)
    except libcst.ParserSyntaxError:  # the Python 2 example: skipped by both sides
        return 0


def _clock(jobs: int) -> float:
    return time.process_time() if jobs <= 1 else time.perf_counter()


def bare(paths: list[str], jobs: int) -> float:
    """Seconds for read + libcst parse + print of every file."""
    import libcst

    libcst.parse_module("x = 1\n")  # load the native parser before timing
    start = _clock(jobs)
    if jobs <= 1:
        for path in paths:
            _bare_one(path)
    else:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            list(pool.map(_bare_one, paths, chunksize=max(1, len(paths) // (jobs * 8))))
    return _clock(jobs) - start


def upgrade(paths: list[str], jobs: int) -> float:
    """Seconds for the full upgrade pipeline (diff mode: computed, not written)."""
    from keras_migrate.codemods.rules import rule_ids
    from keras_migrate.codemods.runner import Options, run_files

    options = Options(tuple(rule_ids()))
    start = _clock(jobs)
    results = run_files(paths, options, jobs=jobs)
    elapsed = _clock(jobs) - start
    unexpected = [r.error for r in results if r.error and "cannot parse" not in r.error]
    assert not unexpected, unexpected
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--tree", type=Path, help="time this tree instead of a generated one")
    args = parser.parse_args(argv)
    from keras_migrate.codemods.rules import rule_ids
    from keras_migrate.codemods.runner import Options, _warm

    _warm(Options(tuple(rule_ids())))  # engine + Keras index built once, as in a real run
    with tempfile.TemporaryDirectory() as tmp:
        if args.tree:
            from keras_migrate.codemods.discovery import iter_files

            paths = [str(p) for p in iter_files([str(args.tree)], notebooks=False)]
            paths = paths * max(1, args.files // max(1, len(paths)))  # enough work to time
        else:
            paths = [str(p) for p in generate(Path(tmp), args.files)]
        lines = sum(Path(p).read_text(encoding="utf-8").count("\n") for p in paths)
        bare_times, upgrade_times = [], []
        for _ in range(args.repeat):  # alternate so machine noise hits both alike
            bare_times.append(bare(paths, args.jobs))
            upgrade_times.append(upgrade(paths, args.jobs))
    best_bare, best_upgrade = min(bare_times), min(upgrade_times)
    # each upgrade run directly follows a bare run, so the two see the same machine load;
    # the median of those paired ratios is what a busy shared machine measures reliably
    ratio = statistics.median(u / b for u, b in zip(upgrade_times, bare_times, strict=True))
    clock = "CPU" if args.jobs <= 1 else "wall"
    print(
        f"files: {len(paths)}  lines: {lines}  jobs: {args.jobs}  repeat: {args.repeat}  "
        f"clock: {clock} time"
    )
    print(
        f"bare libcst parse+print: best {best_bare:.2f}s  runs {[round(t, 2) for t in bare_times]}"
    )
    print(
        f"keras-migrate upgrade:   best {best_upgrade:.2f}s  runs {[round(t, 2) for t in upgrade_times]}"
    )
    print(f"ratio of best runs: {best_upgrade / best_bare:.2f}")
    print(f"median paired ratio upgrade / bare: {ratio:.2f} (limit {LIMIT})")
    return 0 if ratio <= LIMIT else 1


if __name__ == "__main__":
    sys.exit(main())
