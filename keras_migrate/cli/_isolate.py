"""Run a command's work in a forked child, so a crash inside a C library is one clear line.

A corrupt HDF5 object header can make the HDF5 C library itself crash (SIGSEGV) while
h5py reads an attribute; no Python ``try`` catches that, and the CLI would die without a
word. On POSIX the CLI therefore forks before the work starts (cheap: the parent has
imported nothing but ``argparse``) and waits. The child does everything, output included;
the parent only looks at how it ended:

* exited: its exit code is the CLI's;
* killed by a crash signal (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, ...): the parent
  removes the temporary output files the child left (``.keras-migrate-*`` created beside
  the output during this run: outputs are written to a temporary file and renamed, so no
  partial output ever has the final name) and prints
  ``keras-migrate: error: FILE: the file crashed ... ; ...``, exit code 2;
* killed by anything else (SIGKILL of the out-of-memory killer, SIGXCPU of a CPU limit,
  SIGTERM): the same cleanup, then the parent ends by the same signal, so whoever ran us
  sees what happened.

* killed by SIGPROF: one HDF5 metadata access (an attribute, a link, a dataset header) ran
  for more than ``KERAS_MIGRATE_HDF5_READ_SECONDS`` (default 5) seconds of CPU time: a
  corrupt attribute message can make HDF5 loop forever inside one C call. The child arms a
  profiling timer around each such access (:func:`keras_migrate.formats.hdf5.guarded`);
  the parent prints one line, exit code 2.

Reading weight data and writing the output are not bounded (a genuine 16 GiB tensor takes
its time); a CPU limit (``ulimit -t``) or the caller's timeout ends those, as above.
Set ``KERAS_MIGRATE_NO_FORK=1`` to run in-process (debuggers, profilers); forking is also
skipped where it cannot work (no ``os.fork``, threads already running, stdout/stderr not
bound to file descriptors 1 and 2, as under pytest's capture).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import traceback
import warnings
from collections.abc import Callable

__all__ = ["CRASH_SIGNALS", "can_fork", "run_isolated"]

#: Signals that mean the child crashed (as opposed to being stopped from outside).
CRASH_SIGNALS = frozenset(
    getattr(signal, name)
    for name in ("SIGSEGV", "SIGBUS", "SIGILL", "SIGFPE", "SIGABRT", "SIGSYS", "SIGTRAP")
    if hasattr(signal, name)
)

_TEMP_PREFIX = ".keras-migrate-"
#: The CPU seconds one HDF5 metadata access may take in the child (an attribute, a link, a
#: dataset header: milliseconds for any real file); ``KERAS_MIGRATE_HDF5_READ_SECONDS``.
READ_BOUND_ENV = "KERAS_MIGRATE_HDF5_READ_SECONDS"
DEFAULT_READ_SECONDS = 5
_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"


def can_fork() -> bool:
    """True when the work can run in a forked child with its output intact."""
    if not hasattr(os, "fork") or os.environ.get("KERAS_MIGRATE_NO_FORK"):
        return False
    if threading.active_count() > 1:
        return False
    try:
        return sys.stdout.fileno() == 1 and sys.stderr.fileno() == 2
    except (AttributeError, OSError, ValueError):
        return False


def _temps(folder: str) -> set[str]:
    try:
        return {n for n in os.listdir(folder) if n.startswith(_TEMP_PREFIX)}
    except OSError:
        return set()


def _is_hdf5(path: str) -> bool:
    with contextlib.suppress(OSError), open(path, "rb") as f:
        return f.read(8) == _HDF5_MAGIC
    return False


def _die_with_parent() -> None:
    """Linux: the child is killed if the parent goes (a harness killing the CLI must not
    leave it running); elsewhere nothing."""
    with contextlib.suppress(Exception):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _child(work: Callable[[], int]) -> None:
    code = 1
    try:
        _die_with_parent()
        # Bound each HDF5 metadata access (keras_migrate.formats.hdf5): a SIGPROF death is
        # reported by the parent as a read that never finished.
        os.environ.setdefault(READ_BOUND_ENV, str(DEFAULT_READ_SECONDS))
        if hasattr(signal, "SIGPROF"):
            signal.signal(signal.SIGPROF, signal.SIG_DFL)
        code = work()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if exc.code is not None and not isinstance(exc.code, int):
            print(exc.code, file=sys.stderr)
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(code)


def _wait(pid: int) -> int:
    while True:
        try:
            return os.waitpid(pid, 0)[1]
        except InterruptedError:
            continue
        except KeyboardInterrupt:
            # Ctrl-C reached the child too (same process group); it reports and exits.
            continue


def run_isolated(work: Callable[[], int], *, input_path: str | None, output: str | None = None) -> int:
    """Run ``work()`` in a forked child and return its exit code (see the module doc);
    in-process when :func:`can_fork` says no."""
    if not can_fork():
        return work()
    folders = [os.path.dirname(os.path.abspath(output))] if output else []
    before = {d: _temps(d) for d in folders}
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # "multi-threaded, fork() may deadlock"
        pid = os.fork()
    if pid == 0:  # pragma: no cover - the child never returns
        _child(work)
    status = _wait(pid)
    if os.WIFEXITED(status):
        return os.WEXITSTATUS(status)
    sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else signal.SIGKILL
    for folder in folders:
        for name in _temps(folder) - before[folder]:
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(folder, name))
    if sig == getattr(signal, "SIGPROF", None):
        bound = os.environ.get(READ_BOUND_ENV) or DEFAULT_READ_SECONDS
        print(
            f"keras-migrate: error: {input_path or 'input'}: reading the file's HDF5 metadata did not finish within "
            f"{bound} s of CPU time (HDF5 loops on this corrupt file); restore it from a backup or re-save the model "
            f"from its original Keras ({READ_BOUND_ENV} raises the bound)",
            file=sys.stderr,
        )
        return 2
    if sig in CRASH_SIGNALS:
        name = signal.Signals(sig).name
        what = "the HDF5 library" if input_path and _is_hdf5(input_path) else "a native library"
        print(
            f"keras-migrate: error: {input_path or 'input'}: the file crashed {what} while reading it ({name}; "
            "it is corrupt or damaged); restore it from a backup or re-save the model from its original Keras",
            file=sys.stderr,
        )
        return 2
    # Stopped from outside (out-of-memory killer, CPU limit, kill): end the same way.
    with contextlib.suppress(Exception):  # SIGKILL and SIGSTOP have no handler to reset
        signal.signal(sig, signal.SIG_DFL)
    with contextlib.suppress(Exception):
        os.kill(os.getpid(), sig)
    return 128 + sig
