"""The one exception type users see, and the exit codes the CLI maps it to.

Every failure a user can fix (a bad file, an unsupported layer, a missing backend) is raised
as a :class:`KerasMigrateError` that names the file, the layer and what to do, so the CLI can
print one clear line and exit with a documented code instead of a traceback.
"""

from __future__ import annotations

import re

__all__ = [
    "EXIT_ENVIRONMENT",
    "EXIT_INPUT",
    "EXIT_MISMATCH",
    "EXIT_OK",
    "KerasMigrateError",
    "MissingDependencyError",
    "UnsupportedError",
]

#: Success.
EXIT_OK = 0
#: The work ran, and found a difference: outputs diverged (`verify`) or files need changes
#: (`upgrade --check/--diff`).
EXIT_MISMATCH = 1
#: Usage error or invalid input (unreadable, malformed or unsupported model, bad arguments).
EXIT_INPUT = 2
#: A needed optional dependency (a backend, onnx, ...) is not installed.
EXIT_ENVIRONMENT = 3


_NEWLINES = re.compile(r"\s*[\r\n]+\s*")


class KerasMigrateError(Exception):
    """A problem the user can act on.

    Args:
        message: what is wrong, in one sentence.
        path: the file or directory concerned, if any.
        layer: the layer concerned, if any.
        hint: what the user can do about it.
    """

    exit_code = EXIT_INPUT

    def __init__(
        self,
        message: str,
        *,
        path: object | None = None,
        layer: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.path = None if path is None else str(path)
        self.layer = layer
        self.hint = hint
        super().__init__(self.one_line())

    def one_line(self, default_path: str | None = None) -> str:
        """Render as ``path: layer 'x': what is wrong; what to do``, the form the CLI prints
        after ``keras-migrate: error:`` (issue 16): always one line, whatever the message
        holds. ``default_path`` names the file when the error itself names none (the CLI
        passes the model it was given)."""
        parts = []
        path = self.path or default_path
        if path:
            parts.append(f"{path}:")
        if self.layer:
            parts.append(f"layer '{self.layer}':")
        parts.append(self.message)
        text = " ".join(parts)
        if self.hint:
            text += f"; {self.hint}"
        return _NEWLINES.sub(" ", text)


class UnsupportedError(KerasMigrateError):
    """The input is valid but uses something the tool cannot convert exactly."""


class MissingDependencyError(KerasMigrateError):
    """An optional dependency needed for this step is not installed."""

    exit_code = EXIT_ENVIRONMENT
