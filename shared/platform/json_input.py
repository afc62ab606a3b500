"""JSON from outside (bodies, NDJSON lines, queue messages, continuation tokens), parsed safely.

Bounds what a document can cost before a parser sees it: nesting deeper than `MAX_DEPTH` is
refused after one linear scan that needs no recursion (Python's parser recurses per level, and
ijson's paths grow with depth, so an unchecked deep document costs a stack or quadratic memory).
NaN and Infinity, which Python's parser accepts but JSON and Cosmos DB do not, are refused, or
marked when the caller wants to reject only the record that holds them. Error messages never
quote the input.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from itertools import accumulate
from typing import Any, Final

MAX_DEPTH: Final = 64

_ESCAPE = re.compile(rb"\\.", re.DOTALL)
# After escapes are gone a string cannot hold a quote, so this never backtracks past one.
_STRING = re.compile(rb'"[^"]*"')
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = [0] * 256
for _open, _close in (b"[]", b"{}"):
    _STEP[_open], _STEP[_close] = 1, -1


class JsonInputError(ValueError):
    """The input is not acceptable JSON; the message is safe to show a client."""


class NonFinite:
    """Stands in for NaN, Infinity or a number too large for a double, where the caller asked to
    find such values instead of refusing the whole document."""

    def __repr__(self) -> str:
        return "NON_FINITE"


NON_FINITE: Final = NonFinite()


def nesting_depth(data: bytes) -> int:
    """The deepest nesting of arrays and objects in `data` (strings ignored), in linear time."""
    outside_strings = _STRING.sub(b"", _ESCAPE.sub(b"", data))
    brackets = outside_strings.translate(None, _NOT_BRACKETS)
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def check_depth(data: bytes, *, max_depth: int = MAX_DEPTH) -> None:
    if nesting_depth(data) > max_depth:
        raise JsonInputError(f"JSON may nest arrays and objects at most {max_depth} levels deep.")


def _refuse_constant(_: str) -> Any:
    raise JsonInputError("NaN and Infinity are not valid JSON numbers.")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JsonInputError("A number is too large for a double.")
    return value


def _marked_float(text: str) -> float | NonFinite:
    value = float(text)
    return value if math.isfinite(value) else NON_FINITE


STRICT_DECODER = json.JSONDecoder(parse_constant=_refuse_constant, parse_float=_finite_float)
_MARKING = json.JSONDecoder(parse_constant=lambda _: NON_FINITE, parse_float=_marked_float)


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
    except (ValueError, RecursionError):  # e.g. an integer of more than 4,300 digits
        raise JsonInputError("The JSON holds a value that cannot be read.") from None


def loads(data: bytes | str, *, max_depth: int = MAX_DEPTH, mark_non_finite: bool = False) -> Any:
    """Parse `data`, refusing nesting beyond `max_depth`, invalid UTF-8 and non-finite numbers
    (or, with `mark_non_finite`, putting `NON_FINITE` where they were)."""
    text = _text(data, max_depth)
    decoder = _MARKING if mark_non_finite else STRICT_DECODER
    return _decoded(lambda: decoder.decode(text))


def holds_non_finite(value: Any) -> bool:
    """Whether a value parsed with `mark_non_finite` held NaN or Infinity anywhere."""
    pending = [value]
    while pending:
        current = pending.pop()
        if current is NON_FINITE:
            return True
        if isinstance(current, dict):
            pending.extend(current.values())
        elif isinstance(current, list):
            pending.extend(current)
    return False
