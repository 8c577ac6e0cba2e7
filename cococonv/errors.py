"""The few exception classes cococonv raises; each carries its CLI exit code."""
from __future__ import annotations


MAX_LINE = 1000


def shorten(text: str, limit: int = MAX_LINE) -> str:
    """``text``, or its start and end around the count of what was cut when it is longer
    than ``limit``: a message quoting a 100,000-character name whole is one line, but not
    one a user can read (found by tests/fuzz)."""
    if len(text) <= limit:
        return text
    head, tail = limit * 3 // 4, limit // 8
    return f"{text[:head]}...[{len(text) - head - tail} characters cut]...{text[-tail:]}"


class CococonvError(Exception):
    """Base of every error the CLI turns into one line on stderr."""

    exit_code = 1

    def __init__(self, message: str, *, file: str | None = None, where: str | None = None):
        super().__init__(message)
        self.message = message
        self.file = file
        self.where = where

    def __str__(self) -> str:
        parts = [p for p in (self.file, self.where) if p]
        parts.append(self.message)
        return shorten(": ".join(parts))

    def located(self, *, file: str | None = None, where: str | None = None) -> "CococonvError":
        """Fill in the file/place if the raiser could not know it."""
        if file and not self.file:
            self.file = file
        if where and not self.where:
            self.where = where
        return self


class DataError(CococonvError):
    """Raised when the input data is malformed or inconsistent."""


class UnsafeInputError(DataError):
    """Raised when an input looks hostile: a zip escape, a link, a bomb, an XML entity."""


class OutputExistsError(CococonvError):
    """Raised when the output target is not empty and --overwrite was not given."""


class LossError(CococonvError):
    """Raised under ``--strict`` when a run lost values or skipped records: its output is
    not written."""


class FileSystemError(CococonvError):
    """Raised when the system refuses a read or a write (disk full, read-only folder, a
    file deleted during the run, a file where a folder should be): the environment is
    at fault, not the data nor cococonv, so the user gets the path and the reason."""


class OutOfMemoryError(CococonvError):
    """Raised when memory ran out reading or writing a dataset: it names the file, since
    a bare MemoryError says neither what was being read nor that the data is at fault."""


class EngineError(CococonvError):
    """Raised when the Dask engine cannot run the work: the extra is not installed, the
    scheduler does not answer or has no worker, or a task failed as a whole (not one
    item's error, which is raised as a local run raises it)."""


class OptionError(CococonvError):
    """Raised when a plugin option is unknown or has a value of the wrong type."""

    exit_code = 2


class UnknownFormatError(CococonvError):
    """Raised when a format or plugin name the user typed is not registered."""

    exit_code = 2
