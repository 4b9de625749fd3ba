"""Run one mutated input through the CLI in a child process under memory and time limits.

Two ways to start the child:

* ``fork`` (default for ``run``): the job process imports ``keras_migrate`` once, then forks
  a child per input that sets its limits and calls ``keras_migrate.cli.main(argv)``, which is
  what ``python -m keras_migrate`` runs, minus ~0.3 s of interpreter and import start-up.
* ``spawn`` (default for ``replay``): a fresh ``python -m keras_migrate ...`` process, the
  exact command a user runs.

Either way the child runs in the case directory with ``RLIMIT_AS`` (memory), ``RLIMIT_CPU``
and a wall-clock deadline; stdout and stderr go to files outside the case directory so they
never count as files the CLI wrote.
"""

from __future__ import annotations

import contextlib
import dataclasses
import faulthandler
import importlib
import json
import math
import os
import pkgutil
import resource
import runpy
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from fuzz.mutators import Case

__all__ = ["Limits", "Outcome", "argv_for", "outputs_for", "run_forked", "run_spawned", "warm_up"]


@dataclasses.dataclass(frozen=True, slots=True)
class Limits:
    """Resource limits of one run: address space in MiB and CPU seconds.

    ``timeout`` is CPU time (``RLIMIT_CPU``, so a niced job on a busy machine is not
    mistaken for a hang); the wall-clock deadline, for a child blocked without using CPU,
    is ``3 * timeout + 10`` seconds.
    """

    memory_mb: int = 2048
    timeout: float = 20.0
    deadline: float | None = None

    @property
    def wall(self) -> float:
        """Wall-clock deadline in seconds (``deadline`` if given)."""
        return self.deadline if self.deadline is not None else 3 * self.timeout + 10


@dataclasses.dataclass(frozen=True, slots=True)
class Outcome:
    """What the child did: exit code or signal, whether it timed out, and its output."""

    returncode: int | None
    signal: int | None
    timed_out: bool
    elapsed: float
    stdout: str
    stderr: str
    cpu: float = 0.0


def _outcome(code: int, timed_out: bool, elapsed: float, out: Path, err: Path, cpu: float = 0.0) -> Outcome:
    """An :class:`Outcome` from an exit code in ``subprocess`` form (negative: killed by a signal)."""
    return Outcome(
        returncode=None if code < 0 else code,
        signal=-code if code < 0 else None,
        timed_out=timed_out,
        elapsed=elapsed,
        stdout=_read(out),
        stderr=_read(err),
        cpu=cpu,
    )


def argv_for(case: Case, command: str) -> list[str]:
    """CLI arguments for ``case`` under ``command`` (``keras``, ``onnx``, ``py`` or ``inspect``)."""
    model = [case.model, *(["--weights", case.weights] if case.weights else [])]
    if command == "inspect":
        return ["inspect", *model, "--json"]
    suffix = {"keras": ".keras", "onnx": ".onnx", "py": ".py"}[command]
    return ["convert", *model, "-o", f"out/model{suffix}"]


def outputs_for(command: str) -> list[str]:
    """Files the command writes on success, relative to the case directory."""
    return {
        "keras": ["out/model.keras"],
        "onnx": ["out/model.onnx"],
        "py": ["out/model.py", "out/model.weights.h5"],
        "inspect": [],
    }[command]


def warm_up() -> None:
    """Import the CLI, the readers and the IR once, before forking.

    Only ``formats`` and ``ir`` are walked: by the package's import rules they never load a
    framework, so forking after them stays safe and cheap. Modules that fail to import (the
    tree may be mid-restructure) are skipped; the child imports whatever it needs itself.
    """
    import keras_migrate.cli  # noqa: F401

    for package in ("keras_migrate.formats", "keras_migrate.ir", "keras_migrate.converters"):
        with contextlib.suppress(Exception):
            module = importlib.import_module(package)
            if package.endswith("converters"):
                continue  # emitters may pull in onnx or keras: import the package only
            for info in pkgutil.walk_packages(module.__path__, package + ".", onerror=lambda _n: None):
                with contextlib.suppress(Exception):
                    importlib.import_module(info.name)
    for name in ("yaml", "rich.progress", "rich.console", "zipfile", "json"):
        with contextlib.suppress(Exception):
            importlib.import_module(name)


def _set_limits(limits: Limits) -> None:
    mem = limits.memory_mb << 20
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    cpu = max(1, math.ceil(limits.timeout))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 2))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    size = 1 << 30  # a runaway writer gets SIGXFSZ rather than filling the disk
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))


def _cli_main(argv: list[str]) -> int:
    from keras_migrate.cli import main

    return int(main(argv) or 0)


def _child(case_dir: Path, argv: list[str], limits: Limits, out: Path, err: Path,
           target: Callable[[list[str]], int]) -> None:
    """Body of the forked child: never returns."""
    rc = 1
    try:
        faulthandler.disable()  # as in `python -m keras_migrate`; pytest enables it
        os.setpgid(0, 0)
        os.chdir(case_dir)
        fd_out = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        fd_err = os.open(err, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(fd_out, 1)
        os.dup2(fd_err, 2)
        # the parent's sys.stdout/stderr may be objects not bound to fds 1/2 (pytest capture)
        sys.stdout = open(1, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", encoding="utf-8", errors="backslashreplace", closefd=False)  # noqa: SIM115
        _set_limits(limits)
        sys.argv = ["keras-migrate", *argv]
        try:
            rc = int(target(argv) or 0)
        except SystemExit as exc:  # argparse and explicit exits, as the interpreter maps them
            code = exc.code
            rc = code if isinstance(code, int) else (0 if code is None else 1)
            if isinstance(code, str):
                print(code, file=sys.stderr)
        except BaseException:  # what the interpreter would print for an uncaught exception
            import traceback

            try:
                traceback.print_exc()
            except BaseException:
                os.write(2, b"Traceback (most recent call last):\n  <unprintable>\nMemoryError\n")
            rc = 1
        with contextlib.suppress(BaseException):
            sys.stdout.flush()
            sys.stderr.flush()
    finally:
        os._exit(rc)


def _read(path: Path, limit: int = 1 << 16) -> str:
    """The file's text; a long one as its head and its tail (where a traceback ends)."""
    try:
        with open(path, "rb") as f:
            size = f.seek(0, os.SEEK_END)
            f.seek(0)
            if size <= limit:
                data = f.read()
            else:
                head = f.read(4096)
                f.seek(size - limit)
                data = head + b"\n[... %d bytes left out ...]\n" % (size - limit - 4096) + f.read()
    except OSError:
        return ""
    return data.decode("utf-8", errors="replace")


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def run_forked(
    case_dir: Path,
    argv: list[str],
    limits: Limits,
    logs: Path,
    *,
    target: Callable[[list[str]], int] | None = None,
) -> Outcome:
    """Fork a child that runs the CLI on ``argv`` in ``case_dir``; wait with a deadline.

    ``target`` replaces the CLI's ``main`` (the harness's own tests use stand-ins that crash,
    hang or exhaust memory on purpose).
    """
    out, err = logs / "stdout.txt", logs / "stderr.txt"
    sys.stdout.flush()
    sys.stderr.flush()
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        _child(case_dir, argv, limits, out, err, target or _cli_main)
    timed_out = False
    delay = 0.002
    while True:
        done, status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() - start > limits.wall:
            timed_out = True
            _kill_group(pid)
            _, status, usage = os.wait4(pid, 0)
            break
        time.sleep(delay)
        delay = min(delay * 1.5, 0.05)
    code = os.waitstatus_to_exitcode(status)
    return _outcome(code, timed_out, time.monotonic() - start, out, err, cpu=usage.ru_utime + usage.ru_stime)


def run_spawned(case_dir: Path, argv: list[str], limits: Limits, logs: Path) -> Outcome:
    """Run ``python -m keras_migrate ARGV`` in a fresh interpreter with the same limits."""
    out, err = logs / "stdout.txt", logs / "stderr.txt"
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    start = time.monotonic()
    with open(out, "wb") as fo, open(err, "wb") as fe:
        # The child sets its own limits (``python -m fuzz.worker``, below) rather than a
        # ``preexec_fn`` doing it: without one, subprocess starts it without os.fork(), which
        # is unsafe in a parent that imported JAX or TensorFlow (as a pytest worker may have).
        proc = subprocess.Popen(
            [sys.executable, "-m", "fuzz.worker", json.dumps(dataclasses.asdict(limits)), *argv],
            cwd=case_dir,
            stdout=fo,
            stderr=fe,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
        timed_out = False
        try:
            proc.wait(timeout=limits.wall)
        except subprocess.TimeoutExpired:
            timed_out = True
            _kill_group(proc.pid)
            proc.wait()
    return _outcome(proc.returncode, timed_out, time.monotonic() - start, out, err)


def _limited_cli(limits_json: str, argv: list[str]) -> None:
    """``python -m keras_migrate ARGV`` under ``limits``, set in this very process."""
    _set_limits(Limits(**json.loads(limits_json)))
    sys.argv = ["keras-migrate", *argv]
    runpy.run_module("keras_migrate", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    _limited_cli(sys.argv[1], sys.argv[2:])
