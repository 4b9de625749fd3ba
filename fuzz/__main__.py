"""``python -m fuzz``: ``run`` many mutated inputs, ``replay`` one recipe, ``build`` one to look at.

    python -m fuzz run --count 10000 --seed 1 --jobs 2 --report fuzz-report.json
    python -m fuzz replay 'h5-bitflip:fixtures/keras-2.2.4/conv.h5:seed=17:n=8'
    python -m fuzz markdown fuzz-report.json
    python -m fuzz build 'cfg-mutate:fixtures/keras-2.2.4/conv.json:seed=3:op=deep:fmt=yaml:weights=0' DIR
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from fuzz import ROOT
from fuzz.contract import CLASSES
from fuzz.mutators import FAMILIES, build
from fuzz.recipe import Recipe
from fuzz.runner import (
    Result,
    load_check_gaps,
    plan,
    run_many,
    run_one,
    summarize,
    tree_problem,
    write_report,
)
from fuzz.worker import Limits, argv_for

__all__ = ["main"]


def _limits(args: argparse.Namespace) -> Limits:
    return Limits(memory_mb=args.memory_mb, timeout=args.timeout)


def _print_table(report: dict[str, object]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"keras-migrate fuzz: {report['count']} inputs, seed {report['seed']}, "
                  f"{report['elapsed_s']} s")
    table.add_column("family")
    extra = ["harness"]
    for name in (*CLASSES, *extra, "violations"):
        table.add_column(name, justify="right")
    counts = report["table"]
    viol = report["violations"]
    assert isinstance(counts, dict) and isinstance(viol, dict)
    totals = {c: 0 for c in (*CLASSES, *extra)}
    nviol = 0
    for family, row in counts.items():
        for c in totals:
            totals[c] += row.get(c, 0)
        v = sum(viol.get(family, {}).values())
        nviol += v
        table.add_row(family, *(str(row.get(c, 0)) for c in (*CLASSES, *extra)), str(v))
    table.add_row("total", *(str(totals[c]) for c in (*CLASSES, *extra)), str(nviol), style="bold")
    console = Console()
    console.print(table)
    loads = report.get("load_checks")
    if isinstance(loads, dict) and loads:
        console.print("converted .keras loaded in Keras 3 (numpy backend): " + "; ".join(
            f"{fam} {c.get('loaded', 0)} of {c.get('converted', 0)}"
            + (f", {c['refused']} refused" if c.get("refused") else "")
            for fam, c in loads.items()
        ))
    causes = report["causes"]
    assert isinstance(causes, dict)
    if causes:
        ct = Table(title="root causes (one replay recipe each)")
        for col in ("n", "cause", "recipe"):
            ct.add_column(col, overflow="fold")
        for cause, info in causes.items():
            ct.add_row(str(info["count"]), cause, info["recipe"])
        console.print(ct)


def _run(args: argparse.Namespace) -> int:
    families = args.families.split(",") if args.families else list(FAMILIES)
    unknown = set(families) - set(FAMILIES)
    if unknown:
        print(f"unknown families: {', '.join(sorted(unknown))}; known: {', '.join(FAMILIES)}", file=sys.stderr)
        return 2
    for attempt in range(args.wait_tree + 1):
        problem = tree_problem(_limits(args))
        if problem is None:
            break
        print(f"the CLI does not convert an undamaged fixture:\n{problem}", file=sys.stderr)
        if attempt == args.wait_tree:
            return 2
        print("waiting 60 s for the tree to settle ...", file=sys.stderr, flush=True)
        time.sleep(60)
    recipes = plan(args.count, args.seed, families)
    start = time.monotonic()

    def progress(i: int, res: Result) -> None:
        if res.failing and args.verbose:
            print(f"[{i}] {res.klass} {','.join(res.violations)} {res.cause} :: {res.recipe}", flush=True)
        if i % args.progress == 0:
            rate = i / max(time.monotonic() - start, 1e-6)
            print(f"... {i}/{len(recipes)} inputs, {rate:.1f}/s", file=sys.stderr, flush=True)

    results = run_many(recipes, _limits(args), jobs=args.jobs, spawn=args.spawn,
                       load_rate=args.load_check, progress=progress)
    gaps = load_check_gaps(results, args.load_check_min)
    if gaps:  # every family's converted .keras outputs get at least N load checks
        print(f"... loading {len(gaps)} more converted .keras outputs in Keras 3 "
              f"(--load-check-min {args.load_check_min})", file=sys.stderr, flush=True)
        again = run_many([Recipe.parse(results[i].recipe) for i in gaps], _limits(args), jobs=args.jobs,
                         spawn=args.spawn, load_rate=1.0)
        by_recipe = {res.recipe: res for res in again}  # a pool returns them in any order
        for i in gaps:
            results[i] = by_recipe.get(results[i].recipe, results[i])
    report = summarize(results, seed=args.seed, elapsed=time.monotonic() - start)
    if args.report:
        write_report(report, Path(args.report))
    _print_table(report)
    bad = sum(1 for r in results if r.failing)
    return 1 if bad and args.strict else 0


def _replay(args: argparse.Namespace) -> int:
    recipe = Recipe.parse(args.recipe)
    res = run_one(recipe, _limits(args), spawn=not args.fork,
                  load_rate=1.0 if args.load_check else 0.0,
                  keep=Path(args.keep) if args.keep else None)
    print(f"recipe:     {res.recipe}")
    print(f"family:     {res.family}  command: {res.command}")
    print(f"class:      {res.klass}  exit: {res.returncode}  signal: {res.signal}  {res.elapsed:.2f} s")
    print(f"violations: {', '.join(res.violations) or 'none'}")
    if res.cause:
        print(f"cause:      {res.cause}")
    if res.stderr_tail:
        print("stderr (tail):")
        print("    " + res.stderr_tail.replace("\n", "\n    "))
    return 1 if res.failing else 0


def _markdown(args: argparse.Namespace) -> int:
    report = json.loads(Path(args.report).read_text(encoding="utf-8"))
    cols = [*CLASSES, "harness"]
    print(f"{report['count']} inputs, seed {report['seed']}, {report['elapsed_s']} s\n")
    print("| family | " + " | ".join(cols) + " | failing inputs | contract violations |")
    print("|---|" + "---:|" * (len(cols) + 1) + "---|")
    totals = dict.fromkeys(cols, 0)
    nviol = nfail = 0
    for family, row in report["table"].items():
        viol = report["violations"].get(family, {})
        nviol += sum(viol.values())
        for c in cols:
            totals[c] += row.get(c, 0)
        detail = ", ".join(f"{k} {v}" for k, v in sorted(viol.items(), key=lambda kv: -kv[1]))
        fails = report.get("failing", {}).get(family, "?")
        nfail += fails if isinstance(fails, int) else 0
        print(f"| {family} | " + " | ".join(str(row.get(c, 0)) for c in cols) + f" | {fails} | {detail or 0} |")
    print("| **total** | " + " | ".join(f"**{totals[c]}**" for c in cols) + f" | **{nfail}** | **{nviol}** |")
    loads = report.get("load_checks") or {}
    if loads:
        print("\n| family | converted `.keras` | loaded in Keras 3 | refused |")
        print("|---|---:|---:|---:|")
        for family, c in loads.items():
            print(f"| {family} | {c.get('converted', 0)} | {c.get('loaded', 0)} | {c.get('refused', 0)} |")
    print("\n| n | root cause | families | replay |")
    print("|---:|---|---|---|")
    for cause, info in report["causes"].items():
        print(f"| {info['count']} | `{cause}` | {', '.join(info['families'])} | `{info['recipe']}` |")
    return 0


def _build(args: argparse.Namespace) -> int:
    recipe = Recipe.parse(args.recipe)
    dest = Path(args.dir)
    case = build(ROOT, recipe, dest)
    print(f"built in {dest}: keras-migrate {' '.join(argv_for(case, recipe.command))}  (run from {dest})")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m fuzz``."""
    parser = argparse.ArgumentParser(prog="python -m fuzz", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)

    def limits(p: argparse.ArgumentParser) -> None:
        p.add_argument("--memory-mb", type=int, default=2048, help="address-space limit per input (MiB)")
        p.add_argument("--timeout", type=float, default=20.0, help="wall-clock limit per input (s)")

    run = sub.add_parser("run", help="run many mutated inputs and report")
    run.add_argument("--count", type=int, default=1000)
    run.add_argument("--seed", type=int, default=1)
    run.add_argument("--families", help=f"comma-separated subset of: {', '.join(FAMILIES)}")
    run.add_argument("--jobs", type=int, default=1)
    run.add_argument("--report", help="write the JSON report (every failing recipe) here")
    run.add_argument("--spawn", action="store_true", help="fresh interpreter per input (slower)")
    run.add_argument("--load-check", type=float, default=0.0, metavar="RATE",
                     help="share of converted .keras files to load in Keras 3 (needs keras)")
    run.add_argument("--load-check-min", type=int, default=0, metavar="N",
                     help="then load more converted .keras files until every family has N load checks (or all)")
    run.add_argument("--wait-tree", type=int, default=0, metavar="N",
                     help="if the CLI cannot convert an undamaged fixture, retry N times a minute apart")
    run.add_argument("--strict", action="store_true", help="exit 1 if anything failed")
    run.add_argument("--progress", type=int, default=100, help="print progress every N inputs")
    run.add_argument("-v", "--verbose", action="store_true", help="print each failure as it happens")
    limits(run)
    run.set_defaults(func=_run)

    rep = sub.add_parser("replay", help="rebuild one recipe and run it through the CLI")
    rep.add_argument("recipe")
    rep.add_argument("--fork", action="store_true", help="fork from this process instead of spawning")
    rep.add_argument("--keep", metavar="DIR", help="copy the case directory here")
    rep.add_argument("--load-check", action="store_true", help="load a converted .keras in Keras 3")
    limits(rep)
    rep.set_defaults(func=_replay)

    md = sub.add_parser("markdown", help="print a report's tables as Markdown (for docs/fuzzing.md)")
    md.add_argument("report")
    md.set_defaults(func=_markdown)

    bld = sub.add_parser("build", help="materialize one recipe into DIR without running it")
    bld.add_argument("recipe")
    bld.add_argument("dir")
    bld.set_defaults(func=_build)

    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
