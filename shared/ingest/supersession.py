"""One version per product per import: the last occurrence in the body wins.

Parts of one import are written concurrently and in any order, so two records with the same
`categoryId` and `id` in different parts would leave whichever part ran last. Instead the edge
notes every record's key while it packs the body; an earlier occurrence is *superseded*: its part
rejects it (naming the record that replaced it) instead of writing it. The keys are kept as
one string each (length-prefixed, so exact) and the positions as record numbers: a body of half
a million records costs a few tens of megabytes, not a copy of its records.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Supersession:
    """Record `index` of a part is replaced by record `by_record` of the import (numbered from 0
    in the order sent)."""

    index: int
    by_record: int


def item_key(value: Any) -> str | None:
    """The item key of a record that names its own id (length-prefixed, so exact); None for
    any other record (an id is derived for those, unique by construction, or the record is
    rejected anyway)."""
    if not isinstance(value, dict):
        return None
    category, item_id = value.get("categoryId"), value.get("id")
    if not isinstance(category, str) or not isinstance(item_id, str):
        return None
    return f"{len(category)}:{category}{item_id}"


# Where a record went, in one int: its number in the body, its part, its index in the part
# (a part holds fewer than 2**16 records: each takes at least two bytes of 48 KB).
_INDEX_BITS, _PART_BITS = 16, 24


def _placement(number: int, part: int, index: int) -> int:
    return (number << (_PART_BITS + _INDEX_BITS)) | (part << _INDEX_BITS) | index


def _unpacked(placement: int) -> tuple[int, int, int]:
    index = placement & ((1 << _INDEX_BITS) - 1)
    part = (placement >> _INDEX_BITS) & ((1 << _PART_BITS) - 1)
    return placement >> (_PART_BITS + _INDEX_BITS), part, index


@dataclass
class LastOccurrences:
    """Finds, as records are placed, the earlier occurrences of each key. Records of one key
    must be placed in the order of their numbers (a later window places later numbers)."""

    _latest: dict[str, int] = field(default_factory=dict)
    _earlier: list[tuple[int, int, str]] = field(default_factory=list)  # part, index, key

    def place(self, key: str | None, *, number: int, part: int, index: int) -> None:
        """Record `number` (with item key `key`) went to `part` at `index`."""
        if key is None:
            return
        earlier = self._latest.get(key)
        self._latest[key] = _placement(number, part, index)
        if earlier is not None:
            _, earlier_part, earlier_index = _unpacked(earlier)
            self._earlier.append((earlier_part, earlier_index, key))

    def superseded(self) -> dict[int, list[Supersession]]:
        """Per part, its superseded records, each naming the last occurrence of its key."""
        by_part: defaultdict[int, list[Supersession]] = defaultdict(list)
        for part, index, key in self._earlier:
            last_number, _, _ = _unpacked(self._latest[key])
            by_part[part].append(Supersession(index, last_number))
        return dict(by_part)
