"""Run upgraded example scripts one after another in this process (one backend).

Used by the test suite in a subprocess with KERAS_BACKEND set: importing Keras once per
backend instead of once per script keeps the backend runs fast. Prints one JSON line
per script: {"script": ..., "ok": bool, "error": str | null}.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import runpy
import sys
import time
import traceback


def main(paths: list[str]) -> int:
    import keras

    failures = 0
    for path in paths:
        keras.utils.clear_session()
        cwd = os.getcwd()
        os.chdir(os.path.dirname(path))
        error = None
        start = time.perf_counter()
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                runpy.run_path(path, run_name="__main__")
        except BaseException:  # report every failure, keep going
            error = traceback.format_exc(limit=3)
            failures += 1
        finally:
            os.chdir(cwd)
        print(
            json.dumps(
                {
                    "script": path,
                    "ok": error is None,
                    "error": error,
                    "backend": keras.backend.backend(),
                    "seconds": round(time.perf_counter() - start, 2),
                }
            ),
            flush=True,
        )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
