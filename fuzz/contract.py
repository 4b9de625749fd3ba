"""Classify a run and check the CLI's output contract (issue 16, "Done when").

Classes: ``converted`` (exit 0), ``error`` (a clean exit 2 or 3), ``crash`` (a traceback,
another exit code, or a signal), ``hang`` (killed at the deadline or by the CPU limit) and
``oom`` (a ``MemoryError`` or allocation failure under the address-space limit).

Contract violations, each a short tag:
``output``: an output is present although the exit code is not 0, or missing although it is;
``exit-code``: an exit code other than 0, 2 or 3; ``traceback``: a Python traceback on stderr;
``message``: a failure whose stderr is not exactly one ``keras-migrate: error: FILE: ...`` line
naming an input file; ``input-changed``: an input file's bytes changed; ``stray-write``: a
file created, changed or removed anywhere but the output paths; ``accepted-hostile``: a
hostile-by-construction input (external link, virtual dataset) converted with exit 0;
``keras-load``: a converted ``.keras`` that Keras 3 refuses to load (optional check).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
from dataclasses import dataclass
from pathlib import Path

from fuzz.mutators import Case
from fuzz.worker import Outcome, outputs_for

__all__ = ["CLASSES", "Verdict", "check", "classify", "root_cause", "snapshot"]

CLASSES = ("converted", "error", "crash", "hang", "oom")
_OOM_MARKERS = ("MemoryError", "std::bad_alloc", "Cannot allocate memory", "Unable to allocate",
                "out of memory", "ArrayMemoryError")
_TRACEBACK = "Traceback (most recent call last)"
_FRAME = re.compile(r'^  File "(?P<file>[^"]+)", line (?P<line>\d+), in (?P<func>.+)$', re.M)


@dataclass(frozen=True, slots=True)
class Verdict:
    """The class of a run, its contract violations and, for failures, a root-cause key."""

    klass: str
    violations: tuple[str, ...]
    cause: str | None


def snapshot(directory: Path) -> dict[str, str]:
    """``{relative path: sha256}`` of every file under ``directory`` (links not followed)."""
    found: dict[str, str] = {}
    for dirpath, _dirs, files in os.walk(directory):
        for name in files:
            path = Path(dirpath) / name
            rel = str(path.relative_to(directory))
            if path.is_symlink():
                found[rel] = "link:" + os.readlink(path)
                continue
            digest = hashlib.sha256()
            try:
                with open(path, "rb") as f:
                    while block := f.read(1 << 20):
                        digest.update(block)
            except OSError as exc:
                found[rel] = f"unreadable:{exc.errno}"
                continue
            found[rel] = digest.hexdigest()
    return found


def classify(outcome: Outcome) -> str:
    """One of :data:`CLASSES` for ``outcome``."""
    err = outcome.stderr
    if outcome.timed_out or outcome.signal in (signal.SIGXCPU,):
        return "hang"
    clean = outcome.returncode in (2, 3) and _TRACEBACK not in err
    if any(marker in err for marker in _OOM_MARKERS) and outcome.returncode != 0 and not clean:
        return "oom"
    if outcome.signal is not None:
        return "crash"
    if _TRACEBACK in err or "Fatal Python error" in err:
        return "crash"
    if outcome.returncode == 0:
        return "converted"
    if outcome.returncode in (2, 3):
        return "error"
    return "crash"


def root_cause(outcome: Outcome, klass: str) -> str | None:
    """A stable key for a failure: exception type and the innermost project frame.

    ``TypeError @ keras_migrate/formats/keras2/topology.py:_inbound`` (line numbers left out
    so the key survives edits); signals and hangs key on the innermost frame they printed.
    """
    if klass in ("converted", "error"):
        return None
    err = outcome.stderr
    if klass == "hang":
        return "hang (deadline)" if outcome.timed_out else "hang (cpu limit)"
    if outcome.signal is not None and _TRACEBACK not in err:
        return f"signal {signal.Signals(outcome.signal).name}"
    lines = [ln for ln in err.strip().splitlines() if ln.strip()]
    exc = "?"
    for ln in reversed(lines):
        m = re.match(r"^([A-Za-z_][\w.]*(?:Error|Exception|Exit|Warning|Interrupt)|MemoryError)\b", ln)
        if m:
            exc = m.group(1).rsplit(".", 1)[-1]
            break
    frames = _FRAME.findall(err)
    place = "?"
    for file, _line, func in reversed(frames):
        if "keras_migrate" in file:
            place = file[file.index("keras_migrate") :] + ":" + func
            break
    else:
        if frames:
            file, _line, func = frames[-1]
            place = os.path.basename(file) + ":" + func
    return f"{exc} @ {place}"


def _names_input(line: str, case: Case) -> bool:
    names = [case.model, *([case.weights] if case.weights else [])]
    return any(n in line or os.path.basename(n.rstrip("/")) in line for n in names)


def check(
    case: Case,
    command: str,
    outcome: Outcome,
    before: dict[str, str],
    after: dict[str, str],
    *,
    must_refuse: bool = False,
) -> Verdict:
    """Classify ``outcome`` and list the contract violations of the run.

    ``before``/``after``: :func:`snapshot` of the whole case directory (inputs, the output
    folder and the "elsewhere" folder hostile links point into).
    """
    klass = classify(outcome)
    violations: list[str] = []
    ok = outcome.returncode == 0 and not outcome.timed_out
    outputs = outputs_for(command)
    present = [o for o in outputs if o in after]
    if ok and len(present) != len(outputs):
        violations.append("output")
    if not ok and present:
        violations.append("output")
    if command == "inspect":
        if ok:
            try:
                json.loads(outcome.stdout)
            except ValueError:
                violations.append("output")
        elif outcome.stdout.strip():
            violations.append("output")
    if outcome.returncode is not None and outcome.returncode not in (0, 2, 3):
        violations.append("exit-code")
    if _TRACEBACK in outcome.stderr:
        violations.append("traceback")
    if outcome.returncode in (2, 3):
        lines = [ln for ln in outcome.stderr.splitlines() if ln.strip()]
        if (
            len(lines) != 1
            or not lines[0].startswith("keras-migrate: error: ")
            or not _names_input(lines[0], case)
        ):
            violations.append("message")
    inputs = {k: v for k, v in before.items() if k.startswith("in/")}
    if any(after.get(k) != v for k, v in inputs.items()):
        violations.append("input-changed")
    allowed = set(outputs)
    changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
    if changed - allowed - set(inputs):
        violations.append("stray-write")
    if must_refuse and outcome.returncode == 0:
        violations.append("accepted-hostile")
    return Verdict(klass, tuple(violations), root_cause(outcome, klass))
