"""Records split into request bodies: NDJSON, each at most the chosen request size.

A body is built whole before it is sent (a few MB by default), so that a retry sends the very
same bytes under the same idempotency key; the next body is read only once it is asked for.
"""

from __future__ import annotations

from collections.abc import Iterator

from catalog_import.errors import RecordTooLargeError
from shared.platform.limits import MAX_IMPORT_BYTES as API_LIMIT_BYTES

__all__ = ["API_LIMIT_BYTES", "DEFAULT_REQUEST_BYTES", "RecordTooLargeError", "RequestBodies"]

# Far inside what the API answers within its time bound, and cheap to keep for a retry.
DEFAULT_REQUEST_BYTES = min(4 * 1024 * 1024, API_LIMIT_BYTES)


class RequestBodies:
    """The bodies of consecutive imports, each of at most `max_bytes` of NDJSON, one in memory
    at a time; `records` counts what each body given out so far holds."""

    def __init__(self, records: Iterator[bytes], *, max_bytes: int) -> None:
        self._records = records
        self._waiting: bytes | None = None
        self.max_bytes = max_bytes
        self.records: list[int] = []

    def _peek(self) -> bytes | None:
        if self._waiting is None:
            record = next(self._records, None)
            self._waiting = None if record is None else record + b"\n"
        return self._waiting

    def __iter__(self) -> Iterator[bytes]:
        while self._peek() is not None:
            yield self._body()

    def _body(self) -> bytes:
        body, count = bytearray(), 0
        while (line := self._peek()) is not None:
            if len(line) > self.max_bytes:
                raise RecordTooLargeError(
                    f"a record of {len(line):,} bytes is larger than a request may be "
                    f"({self.max_bytes:,} bytes)"
                )
            if len(body) + len(line) > self.max_bytes:
                break
            self._waiting = None
            body += line
            count += 1
        self.records.append(count)
        return bytes(body)
