"""Plan recipes, run them (one worker per job), tally family x class, write the report."""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from fuzz import ROOT
from fuzz.contract import CLASSES, check, snapshot
from fuzz.mutators import MUTATORS, build, choose
from fuzz.recipe import Recipe
from fuzz.worker import Limits, Outcome, argv_for, run_forked, run_spawned, warm_up

__all__ = ["Result", "keras_loads", "load_check_gaps", "plan", "run_many", "run_one", "summarize", "tree_problem", "write_report"]

#: Share of inputs per CLI command; the rest converts to ``.keras``.
COMMAND_MIX = (("inspect", 0.10), ("onnx", 0.05), ("py", 0.05))


@dataclass(frozen=True, slots=True)
class Result:
    """One input's result, as written to the report."""

    recipe: str
    family: str
    command: str
    klass: str
    violations: tuple[str, ...]
    cause: str | None
    returncode: int | None
    signal: int | None
    elapsed: float
    stderr_tail: str
    #: The converted ``.keras`` was loaded in Keras 3: ``True`` it loaded, ``False`` it did
    #: not (a ``keras-load`` violation), ``None`` not checked.
    loaded: bool | None = None

    @property
    def failing(self) -> bool:
        """A crash, hang or out-of-memory result, or any contract violation."""
        return self.klass in ("crash", "hang", "oom", "harness") or bool(self.violations)


def plan(count: int, seed: int, families: Iterable[str]) -> list[Recipe]:
    """``count`` recipes, families in turn, every choice drawn from ``seed``."""
    fams = list(families)
    rng = random.Random(seed)
    recipes = []
    for i in range(count):
        roll, cmd = rng.random(), "keras"
        acc = 0.0
        for name, share in COMMAND_MIX:
            acc += share
            if roll < acc:
                cmd = name
                break
        recipes.append(choose(ROOT, rng, fams[i % len(fams)], cmd=cmd))
    return recipes


def _sampled(recipe: Recipe, rate: float) -> bool:
    digest = hashlib.sha256(str(recipe).encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32 < rate


_LOAD = """
import sys
try:
    import keras_migrate.compat  # registers the compat layers a converted file may need
except Exception:
    import keras_migrate
import keras
keras.saving.load_model(sys.argv[1], compile=False)
"""


def keras_loads(path: Path, timeout: float = 120.0) -> str | None:
    """``None`` if Keras 3 loads ``path`` (numpy backend), else the last line of its error."""
    env = dict(os.environ, KERAS_BACKEND=os.environ.get("FUZZ_KERAS_BACKEND", "numpy"))
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    try:
        proc = subprocess.run(
            [sys.executable, "-c", _LOAD, str(path)],
            capture_output=True, text=True, timeout=timeout, env=env, check=False,
        )
    except subprocess.TimeoutExpired:
        return "timed out loading"
    if proc.returncode == 0:
        return None
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    errors = [ln for ln in lines if re.match(r"^[\w.]*(Error|Exception)\b", ln)]
    return (errors or lines or [f"exit {proc.returncode}"])[-1][:500]


def run_one(
    recipe: Recipe,
    limits: Limits,
    *,
    spawn: bool = False,
    load_rate: float = 0.0,
    keep: Path | None = None,
) -> Result:
    """Build ``recipe`` in a fresh temporary directory, run it, check the contract."""
    mutator = MUTATORS.get(recipe.mutator)
    family = mutator.family if mutator else "?"
    command = recipe.command
    base = Path(tempfile.mkdtemp(prefix="fuzz-"))
    case_dir, logs = base / "case", base / "logs"
    logs.mkdir()
    try:
        try:
            case = build(ROOT, recipe, case_dir)
        except Exception as exc:  # a harness bug, reported apart from the CLI's results
            return Result(str(recipe), family, command, "harness", (), f"{type(exc).__name__}: {exc}",
                          None, None, 0.0, "")
        (case_dir / "out").mkdir()
        before = snapshot(case_dir)
        runner = run_spawned if spawn else run_forked
        outcome: Outcome = runner(case_dir, argv_for(case, command), limits, logs)
        after = snapshot(case_dir)
        verdict = check(case, command, outcome, before, after,
                        must_refuse=bool(mutator and mutator.must_refuse))
        violations = verdict.violations
        loaded: bool | None = None
        if (
            verdict.klass == "converted"
            and command == "keras"
            and load_rate > 0
            and _sampled(recipe, load_rate)
            and (case_dir / "out/model.keras").exists()
        ):
            problem = keras_loads(case_dir / "out/model.keras")
            loaded = problem is None
            if problem is not None:
                violations = (*violations, "keras-load")
                outcome = Outcome(outcome.returncode, outcome.signal, outcome.timed_out,
                                  outcome.elapsed, outcome.stdout, outcome.stderr + "\nkeras-load: " + problem)
        tail = "\n".join(outcome.stderr.strip().splitlines()[-6:])
        klass = verdict.klass
        if klass == "crash" and (verdict.cause or "").startswith(("ImportError @ keras_migrate", "ModuleNotFoundError")):
            klass = "harness"  # the tree under test does not import (mid-refactor), not the input's fault
        return Result(str(recipe), family, command, klass, violations, verdict.cause,
                      outcome.returncode, outcome.signal, round(outcome.elapsed, 3), tail[-2000:], loaded)
    finally:
        if keep is not None:
            shutil.copytree(base, keep, dirs_exist_ok=True, symlinks=True)
        shutil.rmtree(base, ignore_errors=True)


def tree_problem(limits: Limits) -> str | None:
    """``None`` if the CLI converts an undamaged fixture, else the tail of its stderr."""
    res = run_one(Recipe.make("control", "fixtures/keras-2.2.4/conv.h5", seed=0),
                  limits, spawn=True)
    return None if res.klass == "converted" else (res.stderr_tail or res.klass)


_JOB: dict[str, object] = {}


def _job_init(limits: Limits, spawn: bool, load_rate: float) -> None:
    if not spawn:
        warm_up()
    _JOB.update(limits=limits, spawn=spawn, load_rate=load_rate)


def _job_run(text: str) -> Result:
    return run_one(Recipe.parse(text), _JOB["limits"], spawn=bool(_JOB["spawn"]),  # type: ignore[arg-type]
                   load_rate=float(_JOB["load_rate"]))  # type: ignore[arg-type]


def run_many(
    recipes: list[Recipe],
    limits: Limits,
    *,
    jobs: int = 1,
    spawn: bool = False,
    load_rate: float = 0.0,
    progress: Callable[[int, Result], None] | None = None,
) -> list[Result]:
    """Run every recipe, ``jobs`` at a time; each job imports ``keras_migrate`` once."""
    results: list[Result] = []
    texts = [str(r) for r in recipes]
    if jobs <= 1:
        _job_init(limits, spawn, load_rate)
        stream: Iterator[Result] = (_job_run(t) for t in texts)
        for i, res in enumerate(stream, 1):
            results.append(res)
            if progress:
                progress(i, res)
        return results
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(jobs, initializer=_job_init, initargs=(limits, spawn, load_rate)) as pool:
        for i, res in enumerate(pool.imap_unordered(_job_run, texts, chunksize=4), 1):
            results.append(res)
            if progress:
                progress(i, res)
    return results


def load_check_gaps(results: list[Result], minimum: int) -> list[int]:
    """Indices of converted ``.keras`` results not yet loaded in Keras 3, so that every
    family reaches ``minimum`` load checks (or all it converted): a low ``--load-check``
    rate alone can leave a family whose inputs rarely convert without a single check."""
    checked: Counter[str] = Counter(r.family for r in results if r.loaded is not None)
    picks: list[int] = []
    for i, r in enumerate(results):
        if r.loaded is None and r.klass == "converted" and r.command == "keras" and checked[r.family] < minimum:
            checked[r.family] += 1
            picks.append(i)
    return picks


def summarize(results: list[Result], *, seed: int, elapsed: float) -> dict[str, object]:
    """The report: counts by family x class and violation, root causes, every failing recipe."""
    table: dict[str, Counter[str]] = defaultdict(Counter)
    viol: dict[str, Counter[str]] = defaultdict(Counter)
    causes: dict[str, dict[str, object]] = {}
    failing: Counter[str] = Counter()
    loads: dict[str, Counter[str]] = defaultdict(Counter)
    for r in results:
        table[r.family][r.klass] += 1
        if r.klass == "converted" and r.command == "keras":
            loads[r.family]["converted"] += 1
        if r.loaded is not None:
            loads[r.family]["loaded" if r.loaded else "refused"] += 1
        failing[r.family] += r.failing
        for v in r.violations:
            viol[r.family][v] += 1
        if r.failing:
            key = r.cause or ("contract: " + ",".join(r.violations))
            entry = causes.setdefault(key, {"count": 0, "recipe": r.recipe, "families": []})
            entry["count"] = int(entry["count"]) + 1  # type: ignore[call-overload]
            fams = entry["families"]
            assert isinstance(fams, list)
            if r.family not in fams:
                fams.append(r.family)
    return {
        "count": len(results),
        "seed": seed,
        "elapsed_s": round(elapsed, 1),
        "classes": list(CLASSES),
        "table": {f: dict(c) for f, c in sorted(table.items())},
        "violations": {f: dict(c) for f, c in sorted(viol.items())},
        "failing": dict(sorted(failing.items())),
        # per family: converted .keras outputs, how many were loaded in Keras 3, how many refused
        "load_checks": {f: {k: c[k] for k in ("converted", "loaded", "refused")} for f, c in sorted(loads.items())},
        "causes": dict(sorted(causes.items(), key=lambda kv: -int(kv[1]["count"]))),  # type: ignore[call-overload]
        "failures": [asdict(r) for r in results if r.failing],
    }


def write_report(report: dict[str, object], path: Path) -> None:
    """Write ``report`` as JSON."""
    path.write_text(json.dumps(report, indent=1, default=str) + "\n", encoding="utf-8")

