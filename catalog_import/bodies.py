"""Records split into request bodies: NDJSON, each at most the API's request size, streamed."""

from __future__ import annotations

from collections.abc import Iterator

CHUNK_BYTES = 1 << 16


class RecordTooLargeError(ValueError):
    """A single record is larger than a whole request may be."""


class RequestBodies:
    """The bodies of consecutive imports, each of at most `max_bytes` of NDJSON. A body is an
    iterator of chunks, consumed (sent) before the next body begins; `records` counts what each
    body held, once it has been consumed."""

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

    def __iter__(self) -> Iterator[Iterator[bytes]]:
        while self._peek() is not None:
            self.records.append(0)
            yield self._body()

    def _body(self) -> Iterator[bytes]:
        size, chunk = 0, bytearray()
        while (line := self._peek()) is not None:
            if len(line) > self.max_bytes:
                raise RecordTooLargeError(
                    f"a record of {len(line):,} bytes is larger than a request may be "
                    f"({self.max_bytes:,} bytes)"
                )
            if size + len(line) > self.max_bytes:
                break
            self._waiting = None
            size += len(line)
            self.records[-1] += 1
            chunk += line
            if len(chunk) >= CHUNK_BYTES:
                yield bytes(chunk)
                chunk.clear()
        if chunk:
            yield bytes(chunk)
