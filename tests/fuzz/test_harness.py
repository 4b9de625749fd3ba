"""The fuzzing harness itself: recipes, deterministic mutators, classification, contract.

Fast on purpose (they run in ``make test``); the fuzzing campaign is ``make fuzz``.
"""

from __future__ import annotations

import os
import random
import signal
import sys
import time
from pathlib import Path

import pytest

from fuzz import ROOT
from fuzz.contract import check, classify, root_cause, snapshot
from fuzz.mutators import FAMILIES, MUTATORS, build, choose, seeds_for
from fuzz.mutators._stage import Case
from fuzz.mutators._wire import crc32c, decode_fields, encode_fields, read_table, spots, write_table
from fuzz.recipe import Recipe, RecipeError
from fuzz.runner import Result, load_check_gaps, plan, summarize
from fuzz.worker import Limits, Outcome, run_forked


@pytest.mark.parametrize(
    "text",
    [
        "h5-bitflip:fixtures/keras-2.2.4/conv.h5:seed=17:n=8",
        "cfg-mutate:fixtures/keras-1.2.2/conv2d_th.json:seed=3:op=deep:fmt=yaml:weights=1:cmd=inspect",
        "control:fixtures/tf-keras-2.21/conv_ckpt",
    ],
)
def test_recipe_round_trip(text: str) -> None:
    recipe = Recipe.parse(text)
    assert str(recipe) == text
    assert Recipe.parse(str(recipe)) == recipe


@pytest.mark.parametrize("bad", ["", "h5-bitflip", "h5-bitflip:", "m:seed.h5:novalue", "m:s.h5:=1"])
def test_recipe_rejects_malformed(bad: str) -> None:
    with pytest.raises(RecipeError):
        Recipe.parse(bad)


def test_recipe_command() -> None:
    assert Recipe.parse("m:s.h5:seed=1").command == "keras"
    assert Recipe.parse("m:s.h5:seed=1:cmd=onnx").command == "onnx"
    with pytest.raises(RecipeError):
        _ = Recipe.parse("m:s.h5:cmd=nope").command


def test_plan_is_deterministic_and_covers_every_family() -> None:
    first = [str(r) for r in plan(24, 7, FAMILIES)]
    assert first == [str(r) for r in plan(24, 7, FAMILIES)]
    assert {MUTATORS[Recipe.parse(t).mutator].family for t in first} == set(FAMILIES)
    assert first != [str(r) for r in plan(24, 8, FAMILIES)]


def test_every_mutator_has_seeds() -> None:
    for mutator in MUTATORS.values():
        assert seeds_for(ROOT, mutator), mutator.name


def _recipes_per_family(n: int) -> list[Recipe]:
    rng = random.Random(1234)
    return [choose(ROOT, rng, family) for family in FAMILIES for _ in range(n)]


@pytest.mark.parametrize("recipe", _recipes_per_family(3), ids=str)
def test_mutators_are_deterministic(recipe: Recipe, tmp_path: Path) -> None:
    a = build(ROOT, recipe, tmp_path / "a")
    b = build(ROOT, recipe, tmp_path / "b")
    assert a == b
    assert snapshot(tmp_path / "a") == snapshot(tmp_path / "b")


def test_mutators_change_their_seed(tmp_path: Path) -> None:
    changed = 0
    recipes = _recipes_per_family(3)
    for i, recipe in enumerate(recipes):
        mutated = snapshot(tmp_path / f"m{i}") if build(ROOT, recipe, tmp_path / f"m{i}") else {}
        control = Recipe.make("control", recipe.seed_path)
        build(ROOT, control, tmp_path / f"c{i}")
        changed += mutated != snapshot(tmp_path / f"c{i}")
    assert changed >= len(recipes) - 2  # a byte run may rewrite bytes with themselves


def test_control_is_an_exact_copy(tmp_path: Path) -> None:
    case = build(ROOT, Recipe.make("control", "fixtures/keras-2.2.4/conv_weights.h5"), tmp_path)
    assert case.model == "in/conv.json" and case.weights == "in/conv_weights.h5"
    src = ROOT / "fixtures/keras-2.2.4/conv_weights.h5"
    assert (tmp_path / case.weights).read_bytes() == src.read_bytes()


def test_wire_helpers() -> None:
    assert crc32c(b"123456789") == 0xE3069283
    entries = [(b"", b"\x08\x01"), (b"a/b", b"\x10\x02"), (b"a/c", b"xyz" * 50)]
    assert read_table(write_table(entries)) == sorted(entries)
    msg = encode_fields(decode_fields(b"\x08\x96\x01\x12\x03abc"))
    assert msg == b"\x08\x96\x01\x12\x03abc"
    assert {s.kind for s in spots(msg)} == {"tag", "value", "length"}


def test_checkpoint_seed_index_round_trips() -> None:
    raw = (ROOT / "fixtures/tf-keras-2.21/conv_ckpt/ckpt.index").read_bytes()
    entries = read_table(raw)
    assert entries and entries[0][0] == b""
    assert read_table(write_table(entries)) == sorted(entries)


# ----------------------------------------------------------------- classification


def _case(tmp_path: Path) -> tuple[Path, Case]:
    (tmp_path / "case/in").mkdir(parents=True)
    (tmp_path / "case/out").mkdir()
    (tmp_path / "case/in/model.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(64))
    (tmp_path / "logs").mkdir()
    return tmp_path / "case", Case("in/model.h5", None, "in/model.h5")


_LIMITS = Limits(memory_mb=1024, timeout=10)


def _run(tmp_path: Path, target, limits: Limits = _LIMITS):
    case_dir, case = _case(tmp_path)
    before = snapshot(case_dir)
    outcome = run_forked(case_dir, ["convert", case.model, "-o", "out/model.keras"], limits,
                         tmp_path / "logs", target=target)
    return outcome, check(case, "keras", outcome, before, snapshot(case_dir))


def _converts(argv: list[str]) -> int:
    Path("out/model.keras").write_bytes(b"PK")
    print("wrote out/model.keras", file=sys.stderr)
    return 0


def _clean_error(argv: list[str]) -> int:
    print(f"keras-migrate: error: {argv[1]}: not a model; pass a .h5 file", file=sys.stderr)
    return 2


def _raises(argv: list[str]) -> int:
    raise TypeError("boom")


def _hangs(argv: list[str]) -> int:
    while True:
        pass


def _exhausts_memory(argv: list[str]) -> int:
    blocks = [bytearray(256 << 20) for _ in range(64)]
    return len(blocks)


def _segfaults(argv: list[str]) -> int:
    os.kill(os.getpid(), signal.SIGSEGV)
    return 0


def _sloppy_error(argv: list[str]) -> int:
    Path("out/model.keras").write_bytes(b"partial")
    Path("in/model.h5").write_bytes(b"overwritten")
    Path("in/side.txt").write_text("stray")
    print("keras-migrate: error: something failed\nand a second line", file=sys.stderr)
    return 2


def _exit_one(argv: list[str]) -> int:
    print("keras-migrate: error: in/model.h5: odd", file=sys.stderr)
    return 1


def test_converted(tmp_path: Path) -> None:
    outcome, verdict = _run(tmp_path, _converts)
    assert (outcome.returncode, verdict.klass, verdict.violations) == (0, "converted", ())


def test_clean_error(tmp_path: Path) -> None:
    _, verdict = _run(tmp_path, _clean_error)
    assert (verdict.klass, verdict.violations, verdict.cause) == ("error", (), None)


def test_crash_with_traceback(tmp_path: Path) -> None:
    outcome, verdict = _run(tmp_path, _raises)
    assert outcome.returncode == 1 and verdict.klass == "crash"
    assert set(verdict.violations) == {"exit-code", "traceback"}
    assert verdict.cause is not None and verdict.cause.startswith("TypeError @ ")


def test_hang_on_cpu(tmp_path: Path) -> None:
    outcome, verdict = _run(tmp_path, _hangs, Limits(memory_mb=1024, timeout=1.0))
    assert outcome.signal == signal.SIGXCPU and verdict.klass == "hang"
    assert verdict.cause == "hang (cpu limit)"


def _blocks(argv: list[str]) -> int:
    time.sleep(60)
    return 0


def test_hang_on_wall_clock(tmp_path: Path) -> None:
    outcome, verdict = _run(tmp_path, _blocks, Limits(memory_mb=1024, timeout=5.0, deadline=0.5))
    assert outcome.timed_out and verdict.klass == "hang"
    assert verdict.cause == "hang (deadline)"


def test_out_of_memory(tmp_path: Path) -> None:
    _, verdict = _run(tmp_path, _exhausts_memory, Limits(memory_mb=768, timeout=10))
    assert verdict.klass == "oom"
    assert verdict.cause is not None and verdict.cause.startswith("MemoryError")


def test_signal(tmp_path: Path) -> None:
    outcome, verdict = _run(tmp_path, _segfaults)
    assert outcome.signal == signal.SIGSEGV and verdict.klass == "crash"
    assert verdict.cause == "signal SIGSEGV"


def test_contract_violations(tmp_path: Path) -> None:
    _, verdict = _run(tmp_path, _sloppy_error)
    assert verdict.klass == "error"
    assert set(verdict.violations) == {"output", "message", "input-changed", "stray-write"}


def test_exit_one_without_traceback_is_a_crash(tmp_path: Path) -> None:
    _, verdict = _run(tmp_path, _exit_one)
    assert verdict.klass == "crash" and verdict.violations == ("exit-code",)


def test_must_refuse(tmp_path: Path) -> None:
    case_dir, case = _case(tmp_path)
    before = snapshot(case_dir)
    (case_dir / "out/model.keras").write_bytes(b"PK")
    outcome = Outcome(0, None, False, 0.1, "", "wrote out/model.keras")
    verdict = check(case, "keras", outcome, before, snapshot(case_dir), must_refuse=True)
    assert verdict.violations == ("accepted-hostile",)


def test_classify_and_cause_from_text() -> None:
    tb = (
        "Traceback (most recent call last):\n"
        '  File "/x/keras_migrate/formats/keras2/h5.py", line 10, in read\n'
        "    f()\n"
        '  File "/venv/h5py/_hl/group.py", line 3, in __getitem__\n'
        "    g()\n"
        "KeyError: 'kernel:0'\n"
    )
    out = Outcome(1, None, False, 0.1, "", tb)
    assert classify(out) == "crash"
    assert root_cause(out, "crash") == "KeyError @ keras_migrate/formats/keras2/h5.py:read"
    assert classify(Outcome(None, signal.SIGXCPU, False, 30.0, "", "")) == "hang"


def test_byte_damage_is_deterministic_and_stays_in_span() -> None:
    from fuzz.mutators._bytes import damage_bytes

    data = bytes(range(256)) * 64
    for op, params in [("bitflip", {"n": "16", "span": "512"}), ("byterun", {"len": "64", "span": "512"})]:
        a = damage_bytes(data, op, random.Random(5), params)
        assert a == damage_bytes(data, op, random.Random(5), params)
        assert a != data and a[512:] == data[512:]
    cut = damage_bytes(data, "truncate", random.Random(5), {"keep": "100"})
    assert cut == data[:100]


def _result(family: str, klass: str = "converted", command: str = "keras", loaded: bool | None = None) -> Result:
    return Result(f"{family}:{klass}:{command}:{loaded}", family, command, klass, (), None, 0, None, 0.1, "", loaded)


def test_load_check_gaps_bring_every_family_to_the_minimum() -> None:
    results = [
        _result("zip", loaded=True), _result("zip"), _result("zip"),  # one checked, needs one more
        _result("config"), _result("config", command="onnx"), _result("config", klass="error"),
        _result("h5-bytes", klass="error"),  # nothing converted: nothing to check
        _result("checkpoint", loaded=False), _result("checkpoint", loaded=True), _result("checkpoint"),
    ]
    assert load_check_gaps(results, 2) == [1, 3]
    assert load_check_gaps(results, 0) == []


def test_summary_counts_load_checks_per_family() -> None:
    results = [_result("zip", loaded=True), _result("zip"), _result("config", loaded=False), _result("config", klass="error")]
    report = summarize(results, seed=1, elapsed=1.0)
    assert report["load_checks"] == {
        "config": {"converted": 1, "loaded": 0, "refused": 1},
        "zip": {"converted": 2, "loaded": 1, "refused": 0},
    }
