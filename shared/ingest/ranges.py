"""Which physical partition (partition key range) a partition key lives in, so that the bulk
executor can keep one congestion window per physical partition, as Cosmos DB meters them."""

from __future__ import annotations

import logging
from typing import Any, Protocol

from azure.cosmos.aio import ContainerProxy

from shared.platform.errors import COSMOS_ERRORS, TRANSIENT_EXCEPTIONS

logger = logging.getLogger(__name__)

ONLY_RANGE = "0"
RANGE_READ_ERRORS: tuple[type[BaseException], ...] = (*COSMOS_ERRORS, *TRANSIENT_EXCEPTIONS)


class RangeLookup(Protocol):
    async def range_of(self, partition_key: str) -> str: ...


class OneRange:
    """Every key in one physical partition (a container of up to 10,000 RU/s, or a test)."""

    async def range_of(self, partition_key: str) -> str:
        return ONLY_RANGE


class FeedRanges:
    """The container's feed ranges, read once, and each partition key's range, cached."""

    def __init__(self, container: ContainerProxy) -> None:
        self.container = container
        self._ranges: list[dict[str, Any]] | None = None
        self._known: dict[str, str] = {}

    async def range_of(self, partition_key: str) -> str:
        if partition_key not in self._known:
            self._known[partition_key] = await self._look_up(partition_key)
        return self._known[partition_key]

    async def _look_up(self, partition_key: str) -> str:
        try:
            if self._ranges is None:
                self._ranges = [r async for r in self.container.read_feed_ranges()]
            if len(self._ranges) <= 1:
                return ONLY_RANGE
            key_range = await self.container.feed_range_from_partition_key(partition_key)
            for index, candidate in enumerate(self._ranges):
                if await self.container.is_feed_range_subset(candidate, key_range):
                    return str(index)
        except RANGE_READ_ERRORS as error:
            logger.warning("Partition key ranges unavailable (%s); one window for all", error)
        return ONLY_RANGE
