"""JSON from outside (bodies, NDJSON lines, queue messages, continuation tokens), parsed safely.

Bounds what a document can cost before a parser sees it: nesting deeper than `MAX_DEPTH` is
refused after one linear scan that needs no recursion (Python's parser recurses per level, and
ijson's paths grow with depth, so an unchecked deep document costs a stack or quadratic memory).
A number that Cosmos DB would not store as sent (`json_numbers`: NaN, Infinity, an integer beyond
2^53 - 1, more precision than a double) is refused, naming where it is, or marked when the caller
wants to reject only the record that holds it. Error messages never quote the input.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from itertools import accumulate
from typing import Any, Final

from shared.platform import json_numbers

MAX_DEPTH: Final = 64

_ESCAPE = re.compile(rb"\\.", re.DOTALL)
# After escapes are gone a string cannot hold a quote, so this never backtracks past one.
_STRING = re.compile(rb'"[^"]*"')
_NOT_QUOTES_OR_BRACKETS = bytes(b for b in range(256) if b not in b'"[]{}')
_STEP = [0] * 256
for _open, _close in (b"[]", b"{}"):
    _STEP[_open], _STEP[_close] = 1, -1


class JsonInputError(ValueError):
    """The input is not acceptable JSON; the message is safe to show a client."""


class RefusedNumberError(JsonInputError):
    """A number Cosmos DB would not store as sent: where it is (`tags.0`; `body` for the whole
    value) and why."""

    def __init__(self, *, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}.")
        self.field = field
        self.reason = reason


def nesting_depth(data: bytes) -> int:
    """The deepest nesting of arrays and objects in `data` (strings ignored), in linear time."""
    # Once escapes are gone only quotes and brackets matter. Most strings then are `""`, and
    # dropping those (or a string's end and the next one's start) keeps every quote paired, so
    # the string pattern is left only strings that hold brackets. A string left open at the end
    # (the text is not JSON) is set aside first, so that no pair is taken across its quote.
    skeleton = _ESCAPE.sub(b"", data).translate(None, _NOT_QUOTES_OR_BRACKETS)
    unclosed = b""
    if skeleton.count(b'"') % 2:
        skeleton, _, unclosed = skeleton.rpartition(b'"')
    brackets = _STRING.sub(b"", skeleton.replace(b'""', b"")) + unclosed
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def check_depth(data: bytes, *, max_depth: int = MAX_DEPTH) -> None:
    if nesting_depth(data) > max_depth:
        raise JsonInputError(f"JSON may nest arrays and objects at most {max_depth} levels deep.")


MARKING_DECODER: Final = json.JSONDecoder(
    parse_constant=json_numbers.marked_constant,
    parse_float=json_numbers.marked_float,
    parse_int=json_numbers.marked_int,
    object_pairs_hook=json_numbers.marked_members,
)


class DuplicateMemberError(JsonInputError):
    def __init__(self) -> None:
        super().__init__(f"{json_numbers.DUPLICATE_MEMBER.capitalize()}.")


def _unique_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object whose member names are unique (RFC 8259 says they should be, I-JSON that they
    must): with `{"id": "a", "id": "b"}` a proxy reading the first and the app the last would
    disagree about what was sent."""
    members = json_numbers.marked_members(pairs)
    if isinstance(members, json_numbers.DuplicatedMembers):
        raise DuplicateMemberError()
    return members


class _StrictDecoder(json.JSONDecoder):
    """Refuses a number that Cosmos DB would not store as sent, naming where it is, and an
    object that names a member twice. The number rules see only the number, so a refused one
    is found by reading the value again, marking. Text cut short (a stream's buffer) fails
    that reading as it fails any other, so a reader that reads on when a value is incomplete
    still does."""

    def __init__(self) -> None:
        super().__init__(
            parse_constant=json_numbers.refuse_constant,
            parse_float=json_numbers.strict_float,
            parse_int=json_numbers.strict_int,
            object_pairs_hook=_unique_members,
        )

    def raw_decode(self, s: str, idx: int = 0) -> tuple[Any, int]:
        try:
            return super().raw_decode(s, idx)
        except json_numbers.NumberRefused as refused:
            value, _ = MARKING_DECODER.raw_decode(s, idx)
            found = json_numbers.first_refused(value)
            field = found.field if found else "body"
            reason = found.reason if found else refused.reason
            raise RefusedNumberError(field=field, reason=reason) from None


STRICT_DECODER: Final = _StrictDecoder()


def _text(data: bytes | str, max_depth: int) -> str:
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    check_depth(raw, max_depth=max_depth)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise JsonInputError("The JSON is not valid UTF-8.") from None


def _decoded(decode: Callable[[], Any]) -> Any:
    try:
        return decode()
    except JsonInputError:
        raise
    except json.JSONDecodeError as error:
        raise JsonInputError(
            f"The JSON is malformed at line {error.lineno}, column {error.colno}."
        ) from None
    except (ValueError, RecursionError):
        raise JsonInputError("The JSON holds a value that cannot be read.") from None


def loads(
    data: bytes | str, *, max_depth: int = MAX_DEPTH, mark_refused_numbers: bool = False
) -> Any:
    """Parse `data`, refusing nesting beyond `max_depth`, invalid UTF-8, numbers Cosmos DB
    would not store as sent and objects naming a member twice (or, with
    `mark_refused_numbers`, marking them: `json_numbers.first_refused` finds the marks)."""
    text = _text(data, max_depth)
    decoder = MARKING_DECODER if mark_refused_numbers else STRICT_DECODER
    return _decoded(lambda: decoder.decode(text))
