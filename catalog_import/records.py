"""The records of a products file, one at a time, in constant memory.

A file is a JSON array of products or NDJSON (one product per line), told apart by its first
character after an optional UTF-8 byte order mark. Each record comes out as one line of JSON
text, ready to be sent as NDJSON: an array element written on one line is passed on as it was
written; one spread over several lines is written again compactly. The file is read in chunks,
so memory holds one chunk and one record.

Every record is parsed as soon as it has been read, so a file that is not JSON stops the reading
at its first error, and the message says where: line and column (in characters, from 1).
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

from catalog_import.errors import FileFormatError, RecordTooLargeError

READ_SIZE = 1 << 16
MAX_READ_SIZE = 1 << 22  # a record spread over many chunks is read in growing ones
WHITESPACE = " \t\r\n"
WHITESPACE_BYTES = WHITESPACE.encode()
NUMBER_CHARACTERS = frozenset("0123456789+-.eE")
# A decode error this close to the end of what has been read may be a token cut off by the end
# of a chunk (`tru`, `-Infinit`, `\u00`), so more is read before it is believed.
CUT_OFF_CHARACTERS = 16
_DECODER = json.JSONDecoder()
# The decoder's bare scanner, (value, end) of the value at an index: twice as fast as json.loads
# on a short line, but it says nothing about what is wrong.
_SCAN: Callable[[str, int], tuple[Any, int]] = _DECODER.scan_once  # type: ignore[attr-defined]
TOO_MANY_DIGITS = "a record with a number of more digits than can be read"

__all__ = ["FileFormatError", "RecordTooLargeError", "read_records"]


def read_records(stream: BinaryIO, *, max_record_bytes: int | None = None) -> Iterator[bytes]:
    """Each record of the file as one line of JSON (without the newline). A record longer than
    `max_record_bytes` is refused as soon as that much of it has been read."""
    head, lines_before = _head(stream)
    if not head:
        return
    if head.lstrip(WHITESPACE_BYTES).startswith(b"["):
        yield from _ArrayReader(stream, head, lines_before=lines_before).records(max_record_bytes)
    else:
        reader = _NdjsonReader(stream, lines_before=lines_before, max_record_bytes=max_record_bytes)
        yield from reader.records(head)


def file_line_of(stream: BinaryIO, record: bytes) -> int | None:
    """The line of the file where `record` (as `read_records` gave it) begins, found by reading
    the file again; None if it is not there. For an error the API gave about a request, whose
    records came from anywhere in the file."""
    head, lines_before = _head(stream)
    if not head:
        return None
    if head.lstrip(WHITESPACE_BYTES).startswith(b"["):
        array = _ArrayReader(stream, head, lines_before=lines_before)
        return next((array.record_line() for text in array.records(None) if text == record), None)
    ndjson = _NdjsonReader(stream, lines_before=lines_before, max_record_bytes=None)
    return next((ndjson.line for text in ndjson.records(head) if text == record), None)


def _head(stream: BinaryIO) -> tuple[bytes, int]:
    """The file from the start of its first line that is not blank, without a byte order mark,
    and how many lines came before that one ("" at the end of a file without records)."""
    head = stream.read(READ_SIZE)
    while len(head) < len(codecs.BOM_UTF8) and (more := stream.read(READ_SIZE)):
        head += more
    head = head.removeprefix(codecs.BOM_UTF8)
    lines_before = 0
    while not head.strip(WHITESPACE_BYTES):
        more = stream.read(READ_SIZE)
        if not more:
            return b"", lines_before
        lines_before += head.count(b"\n")
        head = head[head.rfind(b"\n") + 1 :] + more
    return head, lines_before


def _too_large(max_record_bytes: int, where: str) -> RecordTooLargeError:
    return RecordTooLargeError(
        f"a record at {where} is larger than a request may be ({max_record_bytes:,} bytes)"
    )


class _NdjsonReader:
    """The lines of an NDJSON file, each parsed as it is complete."""

    def __init__(
        self, stream: BinaryIO, *, lines_before: int, max_record_bytes: int | None
    ) -> None:
        self.stream = stream
        self.line = lines_before  # the number of the line last read
        self.max_record_bytes = max_record_bytes

    def _check_size(self, size: int, line: int) -> None:
        if self.max_record_bytes is not None and size > self.max_record_bytes:
            raise _too_large(self.max_record_bytes, f"line {line}")

    def records(self, head: bytes) -> Iterator[bytes]:
        pieces: list[bytes] = []  # the line being read, in chunks (joined once it is complete)
        piece_bytes = 0
        chunk = head
        while chunk:
            *complete, rest = chunk.split(b"\n")
            if complete:
                complete[0] = b"".join([*pieces, complete[0]])
                pieces, piece_bytes = [], 0
            for line in complete:
                if record := self._record(line):
                    yield record
            pieces.append(rest)
            piece_bytes += len(rest)
            self._check_size(piece_bytes, self.line + 1)
            chunk = self.stream.read(READ_SIZE)
        if record := self._record(b"".join(pieces)):
            yield record

    def _record(self, line: bytes) -> bytes | None:
        """The line as a record, None if it is blank; a line that is not JSON stops the file."""
        self.line += 1
        record = line.strip(WHITESPACE_BYTES)
        if not record:
            return None
        self._check_size(len(record), self.line)
        try:
            text = record.decode("utf-8")
            if _SCAN(text, 0)[1] == len(text):
                return record
        except (StopIteration, ValueError, RecursionError):
            pass
        raise self._explain(line)

    def _explain(self, line: bytes) -> FileFormatError:
        """What is wrong with a line that is not a JSON value, and where."""
        try:
            json.loads(line.decode("utf-8"))
        except UnicodeDecodeError as error:
            column = len(line[: error.start].decode("utf-8")) + 1
            return self._fail("the file is not UTF-8 text", column)
        except json.JSONDecodeError as error:
            return self._fail(f"a record that is not valid JSON ({error.msg})", error.colno)
        except RecursionError:
            return self._fail("a record nested too deeply", 1)
        except ValueError:  # the only other: an integer of more digits than Python converts
            return self._fail(TOO_MANY_DIGITS, 1)
        return self._fail("a record that is not valid JSON", 1)

    def _fail(self, what: str, column: int) -> FileFormatError:
        return FileFormatError(f"{what} at line {self.line}, column {column}")


class _ArrayReader:
    """The elements of a top-level JSON array, decoded one at a time from a rolling buffer."""

    def __init__(self, stream: BinaryIO, head: bytes, *, lines_before: int) -> None:
        self.stream = stream
        self.utf8 = codecs.getincrementaldecoder("utf-8")()
        self.buffer = ""
        self.position = 0
        self.lines_dropped = lines_before  # line ends before the buffer
        self.column_dropped = 0  # characters of the buffer's first line before the buffer
        self.ended = False
        self._record_start = 0  # in the buffer, of the record last read
        self._add(head)

    def _add(self, chunk: bytes) -> None:
        try:
            self.buffer += self.utf8.decode(chunk, final=not chunk)
        except UnicodeDecodeError as error:
            self.buffer += error.object[: error.start].decode("utf-8")
            raise self._fail("the file is not UTF-8 text", len(self.buffer)) from None

    def _more(self, size: int = READ_SIZE) -> bool:
        """Read the next chunk; False at the end of the file."""
        if self.ended:
            return False
        chunk = self.stream.read(size)
        self.ended = not chunk
        self._drop_read()
        self._add(chunk)
        return not self.ended

    def _drop_read(self) -> None:
        """Forget the text before the current position, keeping count of its lines."""
        dropped = self.buffer[: self.position]
        if (line_ends := dropped.count("\n")) > 0:
            self.lines_dropped += line_ends
            self.column_dropped = len(dropped) - dropped.rfind("\n") - 1
        else:
            self.column_dropped += len(dropped)
        self.buffer, self.position = self.buffer[self.position :], 0

    def _where(self, index: int) -> str:
        """`line L, column C` of the buffer's character at `index`."""
        before = self.buffer[:index]
        line_ends = before.count("\n")
        # a column counts from the line's last end, or from what was dropped of its start
        column = index - before.rfind("\n") if line_ends else self.column_dropped + index + 1
        return f"line {self.lines_dropped + line_ends + 1}, column {column}"

    def record_line(self) -> int:
        """The line the record last read begins on (valid until the next is read)."""
        return self.lines_dropped + self.buffer.count("\n", 0, self._record_start) + 1

    def _fail(self, what: str, index: int | None = None) -> FileFormatError:
        return FileFormatError(
            f"{what} at {self._where(self.position if index is None else index)}"
        )

    def _next_significant(self) -> str:
        """The next character that is not whitespace ("" at the end of the file)."""
        while True:
            while self.position < len(self.buffer) and self.buffer[self.position] in WHITESPACE:
                self.position += 1
            if self.position < len(self.buffer) or not self._more():
                return self.buffer[self.position : self.position + 1]

    def records(self, max_record_bytes: int | None) -> Iterator[bytes]:
        self._next_significant()
        self.position += 1  # the opening [
        if self._next_significant() == "]":
            self.position += 1
            return self._after_the_array()
        while True:
            if not self._next_significant():
                raise self._fail("the file ends inside the array")
            yield self._element(max_record_bytes)
            separator = self._next_significant()
            if not separator:
                raise self._fail("the file ends inside the array")
            if separator == "]":
                self.position += 1
                return self._after_the_array()
            if separator != ",":
                raise self._fail("expected , or ]")
            self.position += 1

    def _element(self, max_record_bytes: int | None) -> bytes:
        read_size = READ_SIZE
        while True:
            try:
                value, end = _DECODER.raw_decode(self.buffer, self.position)
            except json.JSONDecodeError as error:
                if self.ended or not self._maybe_cut_off(error):
                    what = f"a record that is not valid JSON ({error.msg})"
                    raise self._fail(what, error.pos) from None
            except RecursionError:
                raise self._fail("a record nested too deeply") from None
            except ValueError:  # the only other: an integer of more digits than Python converts
                raise self._fail(TOO_MANY_DIGITS) from None
            else:
                if self._complete(value, end):
                    break
            if max_record_bytes is not None and len(self.buffer) - self.position > max_record_bytes:
                raise _too_large(max_record_bytes, self._where(self.position))
            self._more(read_size)
            read_size = min(2 * read_size, MAX_READ_SIZE)
        text = self.buffer[self.position : end]
        self._record_start, self.position = self.position, end
        if "\n" in text or "\r" in text:
            # Spread over lines: put it on one. A JSON string cannot hold a raw line break, so
            # every one is white space between tokens; the record's characters and numbers stay
            # as written (serializing it again would escape its text and round its numbers).
            text = text.replace("\r", " ").replace("\n", " ")
        return text.encode("utf-8", errors="surrogatepass")

    def _maybe_cut_off(self, error: json.JSONDecodeError) -> bool:
        """Whether the error may be the end of what has been read rather than of the record."""
        if error.msg.startswith("Unterminated string"):  # it says where the string started
            return True
        return error.pos >= len(self.buffer) - CUT_OFF_CHARACTERS

    def _complete(self, value: Any, end: int) -> bool:
        """Whether the decoded value is the whole element: something follows it, or the file
        has ended. A number followed only by number characters may go on in the next chunk."""
        if self.ended:
            return True
        following = len(self.buffer) - end
        if following == 0:
            return False
        if following > CUT_OFF_CHARACTERS or isinstance(value, bool | str | list | dict | None):
            return True
        return not set(self.buffer[end:]) <= NUMBER_CHARACTERS

    def _after_the_array(self) -> None:
        if self._next_significant():
            raise self._fail("unexpected data after the array")
