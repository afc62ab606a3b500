"""What stops the command. Each carries a one-line message, and any of them exits 1."""

from __future__ import annotations


class CommandError(Exception):
    """The command could not do its job; the message is one line."""


class FileFormatError(CommandError, ValueError):
    """The file is neither a JSON array nor NDJSON; the message says where."""


class RecordTooLargeError(CommandError, ValueError):
    """A single record is larger than a whole request may be."""


class ApiError(CommandError):
    """The API could not be reached or refused a request; `line` is the line of the request's
    body that the API named as the cause, if it named one."""

    def __init__(self, message: str, *, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


class RetryableApiError(ApiError):
    """Worth sending again: 429, 502, 503, 504, a timeout or a lost connection. `retry_after`
    is the server's Retry-After in seconds, None when it gave none."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ImportFailedError(CommandError):
    """An import did not complete: it failed, stalled or outlasted --timeout."""
