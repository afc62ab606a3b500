"""The records of a products file, one at a time, in constant memory.

A file is a JSON array of products or NDJSON (one product per line), told apart by its first
character. Each record comes out as one line of JSON text, ready to be sent as NDJSON: an array
element written on one line is passed on as it was written; one spread over several lines is
written again compactly. The file is read in chunks, so memory holds one chunk and one record.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from typing import BinaryIO

READ_SIZE = 1 << 16
WHITESPACE = " \t\r\n"
_DECODER = json.JSONDecoder()


class FileFormatError(ValueError):
    """The file is neither a JSON array nor NDJSON; the message says where."""


def read_records(stream: BinaryIO) -> Iterator[bytes]:
    """Each record of the file as one line of JSON (without the newline)."""
    head = stream.read(READ_SIZE)
    while head and not head.lstrip():
        head = stream.read(READ_SIZE)
    if not head:
        return
    if head.lstrip().startswith(b"["):
        yield from _ArrayReader(stream, head).records()
    else:
        yield from _ndjson_records(stream, head)


def _ndjson_records(stream: BinaryIO, head: bytes) -> Iterator[bytes]:
    pending = head
    while True:
        *lines, pending = pending.split(b"\n")
        yield from (line.strip() for line in lines if line.strip())
        chunk = stream.read(READ_SIZE)
        if not chunk:
            break
        pending += chunk
    if pending.strip():
        yield pending.strip()


class _ArrayReader:
    """The elements of a top-level JSON array, decoded one at a time from a rolling buffer."""

    def __init__(self, stream: BinaryIO, head: bytes) -> None:
        self.stream = stream
        self.utf8 = codecs.getincrementaldecoder("utf-8")()
        self.buffer = ""
        self.position = 0
        self.consumed = 0  # characters dropped from the front of the buffer
        self.ended = False
        self._add(head)

    def _add(self, chunk: bytes) -> None:
        try:
            self.buffer += self.utf8.decode(chunk, final=not chunk)
        except UnicodeDecodeError:
            raise FileFormatError("the file is not UTF-8 text") from None

    def _more(self) -> bool:
        """Read the next chunk; False at the end of the file."""
        if self.ended:
            return False
        chunk = self.stream.read(READ_SIZE)
        self.ended = not chunk
        self._add(chunk)
        self.buffer, self.consumed = self.buffer[self.position :], self.consumed + self.position
        self.position = 0
        return not self.ended

    def _next_significant(self) -> str:
        """The next character that is not whitespace ("" at the end of the file)."""
        while True:
            while self.position < len(self.buffer) and self.buffer[self.position] in WHITESPACE:
                self.position += 1
            if self.position < len(self.buffer) or not self._more():
                return self.buffer[self.position : self.position + 1]

    def _fail(self, what: str) -> FileFormatError:
        return FileFormatError(f"{what} at character {self.consumed + self.position}")

    def records(self) -> Iterator[bytes]:
        self._next_significant()
        self.position += 1  # the opening [
        if self._next_significant() == "]":
            self.position += 1
            return self._after_the_array()
        while True:
            if not self._next_significant():
                raise self._fail("the file ends inside the array")
            yield self._element()
            separator = self._next_significant()
            if not separator:
                raise self._fail("the file ends inside the array")
            self.position += 1
            if separator == "]":
                return self._after_the_array()
            if separator != ",":
                raise self._fail("expected , or ]")

    def _element(self) -> bytes:
        start = self.position
        while True:
            try:
                value, end = _DECODER.raw_decode(self.buffer, self.position)
            except json.JSONDecodeError:
                value, end = None, -1
            except RecursionError:
                raise self._fail("a record nested too deeply") from None
            if 0 <= end < len(self.buffer) or (end >= 0 and self.ended):
                break  # complete: something follows it, or the file has ended
            if self.ended:
                raise self._fail("a record that is not valid JSON")
            self._more()
            start = self.position
        text = self.buffer[start:end]
        self.position = end
        if "\n" in text or "\r" in text:  # spread over lines: write it again on one line
            text = json.dumps(value, separators=(",", ":"))
        return text.encode("utf-8", errors="surrogatepass")

    def _after_the_array(self) -> None:
        if self._next_significant():
            raise self._fail("unexpected data after the array")
