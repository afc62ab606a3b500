"""A key's physical partition, from feed ranges that are read again after a while (splits)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from shared.ingest import ranges
from shared.ingest.ranges import ONLY_RANGE, FeedRanges, range_id
from tests.unit.fakes import FakeClock


def feed_range(low: str, high: str) -> dict[str, Any]:
    return {"Range": {"min": low, "max": high, "isMinInclusive": True, "isMaxInclusive": False}}


class SplittingContainer:
    """One physical partition until `split()`, then two; a key's range is its first letter's."""

    def __init__(self) -> None:
        self.ranges = [feed_range("", "FF")]
        self.reads: list[bool] = []

    def split(self) -> None:
        self.ranges = [feed_range("", "80"), feed_range("80", "FF")]

    async def _each(self) -> AsyncIterator[dict[str, Any]]:
        for item in self.ranges:
            yield item

    def read_feed_ranges(self, *, force_refresh: bool = False) -> AsyncIterator[dict[str, Any]]:
        self.reads.append(force_refresh)
        return self._each()

    async def feed_range_from_partition_key(self, key: str) -> dict[str, Any]:
        point = "00" if key < "m" else "C0"
        return feed_range(point, point)

    async def is_feed_range_subset(self, parent: dict[str, Any], child: dict[str, Any]) -> bool:
        low, high = parent["Range"]["min"], parent["Range"]["max"]
        return bool(low <= child["Range"]["min"] < high)


def test_after_a_split_keys_find_their_new_partitions_once_the_ranges_are_read_again() -> None:
    container, clock = SplittingContainer(), FakeClock()
    lookup = FeedRanges(container, clock=clock)  # type: ignore[arg-type]

    async def scenario() -> list[str]:
        before = await lookup.range_of("apples")
        container.split()
        stale = await lookup.range_of("zebras")  # within REFRESH_SECONDS: the old map
        clock.now += ranges.REFRESH_SECONDS
        return [before, stale, await lookup.range_of("apples"), await lookup.range_of("zebras")]

    assert asyncio.run(scenario()) == [ONLY_RANGE, ONLY_RANGE, "-80", "80-FF"]
    assert container.reads == [False, True]
    assert lookup.range_ids() == {range_id(r) for r in container.ranges}
