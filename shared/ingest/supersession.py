"""One version per product per import: the last occurrence in the body wins.

Parts of one import are written concurrently and in any order, so two records with the same
`categoryId` and `id` in different parts would leave whichever part ran last. Instead the edge
notes every record's key while it packs the body; an earlier occurrence is *superseded*: its part
rejects it (naming the record that replaced it) instead of writing it.

Memory follows the records, not their keys: each record costs a 16-byte digest of its key and
an 8-byte placement in two flat arrays, and a fixed bit filter remembers which digests were
seen. A digest met again is a candidate; only candidates are looked up, in one pass over the
arrays at the end. A body at the record limit costs about 6 MB, not a dictionary of its keys.
Two keys share a 128-bit BLAKE2b digest with a probability below 10^-27 at that limit.
"""

from __future__ import annotations

import hashlib
from array import array
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

ItemKey = bytes  # the digest of a record's `categoryId` and `id`
DIGEST_BYTES = 16


@dataclass(frozen=True, slots=True)
class Supersession:
    """Record `index` of a part is replaced by record `by_record` of the import (numbered from 0
    in the order sent)."""

    index: int
    by_record: int


def item_key(value: Any) -> ItemKey | None:
    """The item key of a record that names its own id; None for any other record (an id is
    derived for those, unique by construction, or the record is rejected anyway). The key is
    the digest of the length-prefixed category and id, so where one ends is never ambiguous."""
    if not isinstance(value, dict):
        return None
    category, item_id = value.get("categoryId"), value.get("id")
    if not isinstance(category, str) or not isinstance(item_id, str):
        return None
    named = f"{len(category)}:{category}{item_id}".encode("utf-8", "surrogatepass")
    return hashlib.blake2b(named, digest_size=DIGEST_BYTES).digest()


# Where a record went, in one int: its number in the body, its part, its index in the part
# (a part holds at most `messages.MAX_PART_RECORDS` records, fewer than 2**16).
_INDEX_BITS, _PART_BITS = 16, 24


def _placement(number: int, part: int, index: int) -> int:
    return (number << (_PART_BITS + _INDEX_BITS)) | (part << _INDEX_BITS) | index


def _unpacked(placement: int) -> tuple[int, int, int]:
    index = placement & ((1 << _INDEX_BITS) - 1)
    part = (placement >> _INDEX_BITS) & ((1 << _PART_BITS) - 1)
    return placement >> (_PART_BITS + _INDEX_BITS), part, index


FILTER_BITS = 1 << 22  # 512 KB: under 0.5 % false candidates at 250,000 keys
_FILTER_PROBES = 3
_POSITION_MASK = FILTER_BITS - 1


@dataclass
class SeenFilter:
    """A Bloom filter of digests: `add` says whether the digest may have been added before."""

    _bits: bytearray = field(default_factory=lambda: bytearray(FILTER_BITS // 8))

    def add(self, digest: bytes) -> bool:
        seen = True
        probes = int.from_bytes(digest[: 4 * _FILTER_PROBES])  # 32 bits a probe
        for _ in range(_FILTER_PROBES):
            position = probes & _POSITION_MASK  # FILTER_BITS is a power of two
            probes >>= 32
            byte, bit = position >> 3, 1 << (position & 7)
            if not self._bits[byte] & bit:
                seen = False
                self._bits[byte] |= bit
        return seen


@dataclass
class LastOccurrences:
    """Finds the earlier occurrences of each key among the records placed: the record with the
    highest number wins, whatever the order of placement."""

    _digests: bytearray = field(default_factory=bytearray)
    _placements: array[int] = field(default_factory=lambda: array("Q"))
    _seen: SeenFilter = field(default_factory=SeenFilter)
    _candidates: set[bytes] = field(default_factory=set)

    def place(self, key: ItemKey | None, *, number: int, part: int, index: int) -> None:
        """Record `number` (with item key `key`) went to `part` at `index`."""
        if key is None:
            return
        self._digests += key
        self._placements.append(_placement(number, part, index))
        if self._seen.add(key):
            self._candidates.add(key)

    def superseded(self) -> dict[int, list[Supersession]]:
        """Per part, its superseded records, each naming the last occurrence of its key."""
        occurrences: defaultdict[bytes, list[int]] = defaultdict(list)
        if self._candidates:
            digests = memoryview(self._digests)
            for slot, placement in enumerate(self._placements):
                digest = digests[slot * DIGEST_BYTES : (slot + 1) * DIGEST_BYTES].tobytes()
                if digest in self._candidates:
                    occurrences[digest].append(placement)
        by_part: defaultdict[int, list[Supersession]] = defaultdict(list)
        for placements in occurrences.values():
            last = max(placements)  # the highest number: it leads the packed int
            for placement in placements:
                if placement != last:
                    _, part, index = _unpacked(placement)
                    by_part[part].append(Supersession(index, _unpacked(last)[0]))
        return {part: sorted(entries, key=lambda e: e.index) for part, entries in by_part.items()}
