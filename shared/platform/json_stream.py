"""The records of a large JSON document (an array, or NDJSON), read in one pass from its bytes.

Neither reader decodes the whole body: an array is decoded a chunk at a time into a rolling
buffer, NDJSON a line at a time. Each record comes with its own JSON text, so that a caller can
pass it on without serializing it again. The rules are those of `json_input.loads`: nesting at
most `MAX_DEPTH` deep, valid UTF-8, no NaN or Infinity; a leading UTF-8 byte order mark is
ignored, as RFC 8259 allows. A record that cannot be read stops the reader with a
`JsonInputError` that says where it was, never what it held.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Final

from shared.platform.json_input import (
    MAX_DEPTH,
    STRICT_DECODER,
    JsonInputError,
    check_depth,
)

CHUNK_BYTES: Final = 256 * 1024
# How far a reader looks for the end of one record before it calls the record unreadable.
MAX_RECORD_CHARACTERS: Final = 2 * 1024 * 1024
BYTE_ORDER_MARK: Final = codecs.BOM_UTF8
_SPACE = re.compile(r"[ \t\n\r]*")
_JSON_SPACE = frozenset(" \t\n\r")


@dataclass(frozen=True, slots=True)
class JsonRecord:
    """One record: its value, and its JSON text as sent (one value, no surrounding space)."""

    value: Any
    text: str


class RecordError(JsonInputError):
    """A record that cannot be taken; `line` is its line in NDJSON (from 1), else None, for a
    client that sent the body to find it in its own input."""

    def __init__(self, message: str, *, line: int | None) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class _Where:
    """Where a record is, as an error names it."""

    line: int | None
    text: str


def _checked_depth(text: str, where: Callable[[], _Where]) -> None:
    # Counting brackets (strings included) bounds the depth from above; most records end here.
    if text.count("[") + text.count("{") > MAX_DEPTH:
        try:
            check_depth(text.encode("utf-8", "surrogatepass"))
        except JsonInputError as error:
            found = where()
            raise RecordError(f"{found.text}: {error}", line=found.line) from None


def _parse_failure(error: Exception, where: _Where) -> RecordError:
    if isinstance(error, JsonInputError):
        message = f"{where.text}: {error}"
    elif isinstance(error, RecursionError):
        message = f"{where.text} nests arrays and objects more than {MAX_DEPTH} deep."
    elif isinstance(error, UnicodeDecodeError):
        message = f"{where.text} is not valid UTF-8."
    else:
        message = f"{where.text} is not valid JSON."
    return RecordError(message, line=where.line)


class _RollingText:
    """The body decoded a chunk at a time; text before `pos` is dropped when more is read."""

    def __init__(self, data: bytes, chunk_bytes: int) -> None:
        self._view = memoryview(data)
        self._next = len(BYTE_ORDER_MARK) if data.startswith(BYTE_ORDER_MARK) else 0
        self._chunk_bytes = chunk_bytes
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self.text = ""
        self.pos = 0
        self.offset = 0  # characters dropped before `text`
        self.lines_dropped = 0  # line breaks dropped before `text`

    @property
    def exhausted(self) -> bool:
        return self._next >= len(self._view)

    def more(self) -> bool:
        """Read the next chunk; False at the end of the body."""
        if self.exhausted:
            return False
        chunk = self._view[self._next : self._next + self._chunk_bytes]
        self._next += len(chunk)
        try:
            decoded = self._decoder.decode(chunk, final=self.exhausted)
        except UnicodeDecodeError:
            raise JsonInputError("The body is not valid UTF-8.") from None
        self.offset += self.pos
        self.lines_dropped += self.text.count("\n", 0, self.pos)
        self.text = self.text[self.pos :] + decoded
        self.pos = 0
        return True

    def skip(self, space: re.Pattern[str] = _SPACE) -> str | None:
        """Skip `space`; the next character (not consumed), or None at the end of the body."""
        while True:
            found = space.match(self.text, self.pos)
            self.pos = found.end() if found else self.pos
            if self.pos < len(self.text):
                return self.text[self.pos]
            if not self.more():
                return None

    def describe(self, lines: bool, index: int) -> _Where:
        """Names the record at `pos` in an error message (only then: a line number costs)."""
        if lines:
            line = self.lines_dropped + self.text.count("\n", 0, self.pos) + 1
            return _Where(line, f"Line {line}")
        return _Where(None, f"Record {index} (character {self.offset + self.pos})")

    def record(self, after: re.Pattern[str], *, lines: bool, index: int) -> tuple[JsonRecord, str]:
        """The value at `pos` and the delimiter after it (`after` group 1: "" at the end of the
        body); `pos` moves past both. A value is taken only once the buffer shows what ends it:
        a number cut at the end of a chunk must not be taken for a shorter one."""
        while True:
            try:
                value, end = STRICT_DECODER.raw_decode(self.text, self.pos)
                found = after.match(self.text, end)
                if found and (found.group(1) or self.exhausted):
                    break
                failure: Exception = JsonInputError("a record is not followed by a delimiter")
            except JsonInputError as error:  # NaN, Infinity: no more text can mend them
                raise _parse_failure(error, self.describe(lines, index)) from None
            except (ValueError, RecursionError) as error:
                # JSON's white space, which a chunk may begin with, is skipped and the value
                # read again; any other character (U+00A0, U+3000 ...) is not JSON's to skip
                before = self.pos
                if (
                    self.text[before : before + 1] in _JSON_SPACE
                    and self.skip()
                    and self.pos > before
                ):
                    continue
                failure = error
            if len(self.text) - self.pos > MAX_RECORD_CHARACTERS or not self.more():
                raise _parse_failure(failure, self.describe(lines, index)) from None
        text = self.text[self.pos : end]
        if len(text) > 2 * MAX_DEPTH:  # anything shorter cannot nest too deep
            _checked_depth(text, lambda: self.describe(lines, index))
        self.pos = found.end()
        return JsonRecord(value, text), found.group(1)


# What may follow a record: its delimiter (group 1), and white space around it.
_AFTER_LINE = re.compile(r"[ \t\r]*(\n|\Z)[ \t\r\n]*")
_AFTER_ITEM = re.compile(r"[ \t\n\r]*([,\]])[ \t\n\r]*")


def ndjson_records(data: bytes, *, chunk_bytes: int = CHUNK_BYTES) -> Iterator[JsonRecord]:
    """The records of NDJSON, one per line; blank lines are skipped."""
    rolling = _RollingText(data, chunk_bytes)
    if rolling.skip() is None:
        return
    while True:
        record, delimiter = rolling.record(_AFTER_LINE, lines=True, index=0)
        yield record
        if not delimiter or rolling.skip() is None:
            return


def array_records(data: bytes, *, chunk_bytes: int = CHUNK_BYTES) -> Iterator[JsonRecord]:
    """The items of a JSON array, one at a time."""
    rolling = _RollingText(data, chunk_bytes)
    if rolling.skip() != "[":
        raise JsonInputError("A JSON array must start with '['.")
    rolling.pos += 1
    if rolling.skip() == "]":
        rolling.pos += 1
    else:
        index, delimiter = 0, ","
        while delimiter == ",":
            record, delimiter = rolling.record(_AFTER_ITEM, lines=False, index=index)
            yield record
            index += 1
    if rolling.skip() is not None:
        raise JsonInputError("Text follows the JSON array.")
