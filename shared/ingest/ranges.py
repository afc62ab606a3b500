"""Which physical partition (partition key range) a partition key lives in, so that the bulk
executor can keep one congestion window per physical partition, as Cosmos DB meters them."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

from azure.cosmos.aio import ContainerProxy

from shared.platform.errors import COSMOS_ERRORS, TRANSIENT_EXCEPTIONS

logger = logging.getLogger(__name__)

ONLY_RANGE = "0"
_ONLY_RANGE_IDS = frozenset({ONLY_RANGE})
REFRESH_SECONDS = 30.0
RANGE_READ_ERRORS: tuple[type[BaseException], ...] = (*COSMOS_ERRORS, *TRANSIENT_EXCEPTIONS)


class RangeLookup(Protocol):
    async def range_of(self, partition_key: str) -> str: ...

    def range_ids(self) -> frozenset[str] | None:
        """The physical partitions as last read (None: not known); changes after a split, and
        is the same object until then, so that a caller can tell a change by identity."""
        ...


class OneRange:
    """Every key in one physical partition (a container of up to 10,000 RU/s, or a test)."""

    async def range_of(self, partition_key: str) -> str:
        return ONLY_RANGE

    def range_ids(self) -> frozenset[str] | None:
        return _ONLY_RANGE_IDS


def range_id(feed_range: dict[str, Any]) -> str:
    """A physical partition's id: the effective partition keys it spans, which no split reuses."""
    bounds = feed_range.get("Range", {})
    return f"{bounds.get('min', '')}-{bounds.get('max', '')}"


class FeedRanges:
    """The container's feed ranges, read again every REFRESH_SECONDS (so that after a split
    keys find their new physical partitions), and a key's range found when it is asked for: a
    key is looked up when it gets work, so nothing is kept per key."""

    def __init__(
        self, container: ContainerProxy, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.container = container
        self.clock = clock
        self._ranges: list[dict[str, Any]] | None = None
        self._range_ids: frozenset[str] | None = None
        self._read_at = float("-inf")

    def range_ids(self) -> frozenset[str] | None:
        return self._range_ids

    async def range_of(self, partition_key: str) -> str:
        try:
            ranges = await self._current()
            if len(ranges) <= 1:
                return ONLY_RANGE
            key_range = await self.container.feed_range_from_partition_key(partition_key)
            for candidate in ranges:
                if await self.container.is_feed_range_subset(candidate, key_range):
                    return range_id(candidate)
        except RANGE_READ_ERRORS as error:
            logger.warning("Partition key ranges unavailable (%s); one window for all", error)
        return ONLY_RANGE

    async def _current(self) -> list[dict[str, Any]]:
        if self._ranges is None or self.clock() - self._read_at >= REFRESH_SECONDS:
            refresh = self._ranges is not None
            self._ranges = [r async for r in self.container.read_feed_ranges(force_refresh=refresh)]
            self._read_at = self.clock()
            self._range_ids = _ids_of(self._ranges)
        return self._ranges


def _ids_of(ranges: list[dict[str, Any]]) -> frozenset[str]:
    if len(ranges) <= 1:
        return _ONLY_RANGE_IDS
    return frozenset(range_id(feed_range) for feed_range in ranges)
