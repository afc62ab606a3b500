"""How many of a file's records a container holds, found by reading every one of them back.

A `COUNT` query cannot say it at a million items: the local endpoint's query engine
(@zeit/cosmosdb-query) builds the set a query runs over with one array spread per item, so a
query costs the square of the items in the container (6 s at 25,000, 27 s at 50,000, 118 s at
100,000), and one scoped to a partition key still walks every item (0.8 s each at a million, so
13 minutes for 1,000 categories). Reads by id are lookups: the records are read back through the
SDK in transactional batches of reads, one partition key and at most 100 reads each, and a batch
that fails (a record missing) is read again one item at a time.
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from azure.cosmos.aio import ContainerProxy
from azure.cosmos.exceptions import CosmosBatchOperationError, CosmosResourceNotFoundError

from bench.approaches import Target, client, proxy
from shared.platform.limits import MAX_BATCH_OPERATIONS

CONCURRENCY = 8

Key = tuple[str, str]  # (categoryId, id)


def _in_groups(items: Iterable[dict[str, Any]], size: int) -> Iterator[list[Key]]:
    """The items' (categoryId, id) pairs in groups of one category and at most `size`, taken one
    at a time; at most `size` - 1 keys per category are held back."""
    waiting: dict[str, list[Key]] = defaultdict(list)
    for item in items:
        group = waiting[item["categoryId"]]
        group.append((item["categoryId"], item["id"]))
        if len(group) == size:
            yield waiting.pop(item["categoryId"])
    yield from waiting.values()


def keys_in_groups(file: Path, *, size: int = MAX_BATCH_OPERATIONS) -> Iterator[list[Key]]:
    """The (categoryId, id) pairs of NDJSON `file` in groups, read one line at a time."""
    with file.open("rb") as lines:
        yield from _in_groups(map(json.loads, lines), size)


def item_keys_in_groups(
    items: Iterable[dict[str, Any]], *, size: int = MAX_BATCH_OPERATIONS
) -> Iterator[list[Key]]:
    """`keys_in_groups` for items in memory."""
    return _in_groups(items, size)


async def _found_one_by_one(container: ContainerProxy, keys: list[Key]) -> int:
    found = 0
    for category, item_id in keys:
        try:
            await container.read_item(item_id, partition_key=category)
            found += 1
        except CosmosResourceNotFoundError:
            pass
    return found


async def _found(container: ContainerProxy, keys: list[Key], slots: asyncio.Semaphore) -> int:
    async with slots:
        operations = [("read", (item_id,)) for _, item_id in keys]
        try:
            await container.execute_item_batch(operations, partition_key=keys[0][0])
            return len(keys)
        except CosmosBatchOperationError:  # all or nothing: which ones are missing?
            return await _found_one_by_one(container, keys)


async def _stored(target: Target, groups: Iterator[list[Key]]) -> int:
    slots = asyncio.Semaphore(CONCURRENCY)
    async with client(target) as cosmos:
        container = proxy(cosmos, target)
        pending: set[asyncio.Task[int]] = set()
        found = 0
        for keys in groups:
            if len(pending) >= 4 * CONCURRENCY:  # keep reading the file bounded by the reads
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                found += sum(task.result() for task in done)
            pending.add(asyncio.create_task(_found(container, keys, slots)))
        return found + sum(await asyncio.gather(*pending))


def stored_records(target: Target, file: Path) -> int:
    """How many of the records in NDJSON `file` (by categoryId and id) `target` holds."""
    return asyncio.run(_stored(target, keys_in_groups(file)))


def stored_items(target: Target, items: Iterable[dict[str, Any]]) -> int:
    """How many of `items` (by categoryId and id) `target` holds. Callable from a coroutine (a
    measurement counts inside its run's event loop): the reads run on a loop of their own."""
    with ThreadPoolExecutor(max_workers=1) as reader:
        return reader.submit(asyncio.run, _stored(target, item_keys_in_groups(items))).result()
