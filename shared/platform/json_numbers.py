"""Numbers from outside, held to what Cosmos DB can store exactly.

Cosmos DB keeps every number as an IEEE 754 double, so a number is taken only when reading it
back gives the number that was sent:

- it lies within +-(2^53 - 1), the range RFC 7493 (I-JSON) calls interoperable: beyond it a
  double does not hold every integer (2^53 + 1 would read back as 2^53; every double that large
  is an integer), and far beyond it a number becomes Infinity, which Cosmos DB stores as null;
- it has no more precision than a double: its value is the shortest decimal of its double
  (0.1, 65.15, 5e-324; not 0.10000000000000000001, read back as 0.1, nor 1e-400, read back
  as 0);
- it is not NaN or Infinity, which are not JSON.

The rule is on the value, whatever its spelling (1e20 and 100000000000000000000 alike), so that
the OpenAPI document can state it: every number there has these bounds.

The parser calls these rules once per number (`parse_int`, `parse_float`, `parse_constant`);
what breaks one either stops the parse or, where a caller wants to refuse only the record that
holds it, is marked with a `RefusedNumber`, which `first_refused` finds with its place. An
object that names a member twice is marked likewise (`DuplicatedMembers`), so that a message's
other records are still taken.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

MAX_SAFE_INTEGER: Final = 2**53 - 1
# Numbers of at most 15 digits lie within MAX_SAFE_INTEGER (16 digits) and are exact doubles.
_SAFE_DIGITS: Final = 15
_MAX_DIGITS: Final = 16

NOT_A_NUMBER = "NaN and Infinity are not valid JSON numbers"
OUT_OF_RANGE = (
    f"a number beyond +-{MAX_SAFE_INTEGER} (2^53 - 1), where Cosmos DB's doubles no longer hold "
    "every integer"
)
INEXACT = (
    "a number with more precision than a double holds, which Cosmos DB would not store as sent"
)


def integer_refusal(text: str) -> str | None:
    """Why the integer literal `text` cannot be stored exactly, or None when it can."""
    digits = len(text) - text.startswith("-")
    if digits <= _SAFE_DIGITS:
        return None
    if digits > _MAX_DIGITS or abs(int(text)) > MAX_SAFE_INTEGER:
        return OUT_OF_RANGE
    return None


def decimal_refusal(text: str, value: float) -> str | None:
    """Why the literal `text`, read as the double `value`, would not be read back as sent."""
    if len(text) <= _SAFE_DIGITS and "e" not in text and "E" not in text:
        return None  # at most 15 significant digits, well inside the range: exact
    if not math.isfinite(value) or abs(value) > MAX_SAFE_INTEGER:
        return OUT_OF_RANGE
    shortest = repr(value)
    if shortest == text or Decimal(shortest) == Decimal(text):
        return None
    return INEXACT


class NumberRefused(ValueError):
    """A number breaks a rule: raised by the strict parser's hooks, with the reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def strict_int(text: str) -> int:
    reason = integer_refusal(text)
    if reason is not None:
        raise NumberRefused(reason)
    return int(text)


def strict_float(text: str) -> float:
    value = float(text)
    reason = decimal_refusal(text, value)
    if reason is not None:
        raise NumberRefused(reason)
    return value


def refuse_constant(_: str) -> Any:
    raise NumberRefused(NOT_A_NUMBER)


class DuplicatedMembers(dict[str, Any]):
    """Stands for an object that named a member twice (the last value of each name kept), for
    callers that refuse only the record holding it."""


DUPLICATE_MEMBER = "an object names the same member twice; names must be unique"


def marked_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object, marked when it names a member twice."""
    members = dict(pairs)
    return members if len(members) == len(pairs) else DuplicatedMembers(members)


@dataclass(frozen=True, slots=True)
class RefusedNumber:
    """Stands where a refused number was, for callers that refuse only the record holding it."""

    text: str
    reason: str

    def __repr__(self) -> str:
        return self.text


def marked_int(text: str) -> int | RefusedNumber:
    reason = integer_refusal(text)
    return int(text) if reason is None else RefusedNumber(text, reason)


def marked_float(text: str) -> float | RefusedNumber:
    value = float(text)
    reason = decimal_refusal(text, value)
    return value if reason is None else RefusedNumber(text, reason)


def marked_constant(text: str) -> RefusedNumber:
    return RefusedNumber(text, NOT_A_NUMBER)


@dataclass(frozen=True, slots=True)
class Refusal:
    """The first refused number of a value: where it is (keys and indexes) and why."""

    location: tuple[str | int, ...]
    reason: str

    @property
    def field(self) -> str:
        """The place as the API names fields (`tags.0`; `body` for the value itself). A key is a
        name the client chose, so a long one is cut: the place is named, the body not quoted."""
        return ".".join(_named(part) for part in self.location) or "body"


MAX_NAMED_KEY = 64


def _named(part: str | int) -> str:
    text = str(part)
    return text if len(text) <= MAX_NAMED_KEY else f"{text[:MAX_NAMED_KEY]}..."


def first_refused(value: Any) -> Refusal | None:
    """A `RefusedNumber` in `value` (parsed with the marking hooks) and its place, or None: the
    shallowest one, the first in document order at its depth. Only containers are queued, so
    the walk builds a location only for them."""
    if isinstance(value, RefusedNumber):
        return Refusal(location=(), reason=value.reason)
    pending: deque[tuple[tuple[str | int, ...], Any]] = deque([((), value)])
    while pending:
        location, container = pending.popleft()
        if isinstance(container, DuplicatedMembers):
            return Refusal(location=location, reason=DUPLICATE_MEMBER)
        if isinstance(container, dict):
            items: Iterable[tuple[str | int, Any]] = container.items()
        elif isinstance(container, list):
            items = enumerate(container)
        else:
            continue
        for key, item in items:
            if isinstance(item, RefusedNumber):
                return Refusal(location=(*location, key), reason=item.reason)
            if isinstance(item, dict | list):
                pending.append(((*location, key), item))
    return None
