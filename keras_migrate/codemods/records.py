"""Immutable records that cross process boundaries and feed the report.

Workers send these back to the parent process, so they are plain frozen, slotted dataclasses
(cheap to pickle, impossible to mutate by accident once a file has been processed).
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "Change",
    "ChunkOutput",
    "FileResult",
    "Finding",
    "FollowUp",
    "Location",
    "Status",
]


class Status:
    """How a file ended up; plain string constants so records stay trivially picklable."""

    UNCHANGED = "unchanged"
    CHANGED = "changed"
    SKIPPED = "skipped"  # prefilter: mentions neither keras nor tensorflow
    FAILED = "failed"  # could not be read or parsed


@dataclass(frozen=True, slots=True)
class Location:
    """Where something happened: a line of a file, or of one notebook cell (1-based)."""

    path: str
    line: int
    cell: int | None = None

    def __str__(self) -> str:
        if self.cell is None:
            return f"{self.path}:{self.line}"
        return f"{self.path}:cell[{self.cell}]:{self.line}"


@dataclass(frozen=True, slots=True)
class Change:
    """One automatic rewrite made by a rule (line numbers refer to the original file)."""

    rule: str
    location: Location
    message: str


@dataclass(frozen=True, slots=True)
class FollowUp:
    """Manual work a rule could not do; also written into the code as a comment."""

    rule: str
    location: Location
    message: str


@dataclass(frozen=True, slots=True)
class Finding:
    """Post-check result on the rewritten code (``kind`` is ``missing-name`` or ``tf-use``)."""

    kind: str
    location: Location
    name: str
    covered: bool = False  # a follow-up comment already sits on that statement


@dataclass(frozen=True, slots=True)
class ChunkOutput:
    """The rewritten text of one chunk (a whole .py file or one notebook code cell)."""

    index: int
    old: str
    new: str


@dataclass(frozen=True, slots=True)
class FileResult:
    """Everything the parent process needs to diff, write and report one file."""

    path: str
    status: str
    kind: str = "python"  # or "notebook"
    chunks: tuple[ChunkOutput, ...] = ()
    changes: tuple[Change, ...] = ()
    follow_ups: tuple[FollowUp, ...] = ()
    findings: tuple[Finding, ...] = ()
    error: str | None = None
    new_bytes: bytes | None = field(default=None, repr=False)

    @property
    def changed(self) -> bool:
        """True when writing the file would modify it."""
        return self.status == Status.CHANGED
