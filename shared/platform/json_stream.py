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
import functools
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

CHUNK_BYTES: Final = 1024 * 1024
# How far a reader looks for the end of one record before it calls the record unreadable.
MAX_RECORD_CHARACTERS: Final = 2 * 1024 * 1024
BYTE_ORDER_MARK: Final = codecs.BOM_UTF8
_SPACE = re.compile(r"[ \t\n\r]*")


@dataclass(frozen=True, slots=True)
class JsonRecord:
    """One record: its value, and its JSON text as sent (one value, no surrounding space)."""

    value: Any
    text: str


def _checked_depth(text: str, describe: Callable[[], str]) -> None:
    # Counting brackets (strings included) bounds the depth from above; most records end here.
    if text.count("[") + text.count("{") > MAX_DEPTH:
        try:
            check_depth(text.encode("utf-8", "surrogatepass"))
        except JsonInputError as error:
            raise JsonInputError(f"{describe()}: {error}") from None


def _parse_failure(error: Exception, where: str) -> JsonInputError:
    if isinstance(error, JsonInputError):
        return JsonInputError(f"{where}: {error}")
    if isinstance(error, RecursionError):
        return JsonInputError(f"{where} nests arrays and objects more than {MAX_DEPTH} deep.")
    if isinstance(error, UnicodeDecodeError):
        return JsonInputError(f"{where} is not valid UTF-8.")
    return JsonInputError(f"{where} is not valid JSON.")


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

    @property
    def line(self) -> int:
        """The line (from 1) that `pos` is on."""
        return self.lines_dropped + self.text.count("\n", 0, self.pos) + 1

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

    def peek(self, space: re.Pattern[str] = _SPACE) -> str | None:
        """The next character that is not `space` (not consumed), or None at the end."""
        while True:
            found = space.match(self.text, self.pos)
            self.pos = found.end() if found else self.pos
            if self.pos < len(self.text):
                return self.text[self.pos]
            if not self.more():
                return None

    def expect(self, character: str, what: str) -> None:
        if self.peek() != character:
            raise JsonInputError(f"{what} at character {self.offset + self.pos}.")
        self.pos += 1

    def ended(self, end: int, space: re.Pattern[str], delimiters: str) -> bool:
        """Whether the buffer shows, after `end` and `space`, one of `delimiters`."""
        found = space.match(self.text, end)
        after = found.end() if found else end
        return after < len(self.text) and self.text[after] in delimiters

    def record(
        self, describe: Callable[[], str], *, space: re.Pattern[str], delimiters: str
    ) -> JsonRecord:
        """The value at `pos`, read only once the buffer shows the delimiter that ends it (or
        the body ends): a number cut at the end of a chunk must not be taken for a shorter one.
        `describe` names the record in an error (only then: finding a line number costs)."""
        while True:
            try:
                value, end = STRICT_DECODER.raw_decode(self.text, self.pos)
                if self.ended(end, space, delimiters) or self.exhausted:
                    break
                failure: Exception = JsonInputError(f"the record is not followed by {delimiters!r}")
            except JsonInputError as error:  # NaN, Infinity: no more text can mend them
                raise _parse_failure(error, describe()) from None
            except (ValueError, RecursionError) as error:
                failure = error
            if len(self.text) - self.pos > MAX_RECORD_CHARACTERS or not self.more():
                raise _parse_failure(failure, describe()) from None
        text = self.text[self.pos : end]
        _checked_depth(text, describe)
        self.pos = end
        return JsonRecord(value, text)


_LINE_SPACE = re.compile(r"[ \t\r]*")


def ndjson_records(data: bytes, *, chunk_bytes: int = CHUNK_BYTES) -> Iterator[JsonRecord]:
    """The records of NDJSON, one per line; blank lines are skipped."""
    rolling = _RollingText(data, chunk_bytes)
    while rolling.peek() is not None:
        yield rolling.record(lambda: f"Line {rolling.line}", space=_LINE_SPACE, delimiters="\n")
        if rolling.peek(_LINE_SPACE) not in ("\n", None):
            raise JsonInputError(f"Line {rolling.line} holds more than one JSON value.")


def _describe_item(index: int, rolling: _RollingText) -> str:
    return f"Record {index} (character {rolling.offset + rolling.pos})"


def array_records(data: bytes, *, chunk_bytes: int = CHUNK_BYTES) -> Iterator[JsonRecord]:
    """The items of a JSON array, one at a time."""
    rolling = _RollingText(data, chunk_bytes)
    rolling.expect("[", "A JSON array must start with '['")
    if rolling.peek() == "]":
        rolling.pos += 1
    else:
        index = 0
        while True:
            rolling.peek()
            yield rolling.record(
                functools.partial(_describe_item, index, rolling), space=_SPACE, delimiters=",]"
            )
            index += 1
            if rolling.peek() == "]":
                rolling.pos += 1
                break
            rolling.expect(",", "The JSON array is malformed")
    if rolling.peek() is not None:
        raise JsonInputError("Text follows the JSON array.")
