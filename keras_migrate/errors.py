"""The one exception type users see, and the exit codes the CLI maps it to.

Every failure a user can fix (a bad file, an unsupported layer, a missing backend) is raised
as a :class:`KerasMigrateError` that names the file, the layer and what to do, so the CLI can
print one clear line and exit with a documented code instead of a traceback.
"""

from __future__ import annotations

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

    def one_line(self) -> str:
        """Render as `path: layer 'x': message (hint)`, the form the CLI prints."""
        parts = []
        if self.path:
            parts.append(f"{self.path}:")
        if self.layer:
            parts.append(f"layer '{self.layer}':")
        parts.append(self.message)
        text = " ".join(parts)
        if self.hint:
            text += f" ({self.hint})"
        return text


class UnsupportedError(KerasMigrateError):
    """The input is valid but uses something the tool cannot convert exactly."""


class MissingDependencyError(KerasMigrateError):
    """An optional dependency needed for this step is not installed."""

    exit_code = EXIT_ENVIRONMENT
