"""Where rejected records go: every one to the rejects queue, for the integrations that read it;
for a part of an import, also stored beside the import's progress (imports container, the
import's partition) for `GET /api/imports/{importId}/rejects`. A stored reject's id says where
its record was (`reject-<part>-<index>`), so a message delivered again stores each reject once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from shared.catalog.store import read_page
from shared.ingest.batch_policy import chunk
from shared.ingest.messages import IngestMessage
from shared.ingest.rejects import Reject, RejectEntry, reject_entry
from shared.platform import queues
from shared.platform.bulk_requests import bulk_request_options
from shared.platform.cosmos import imports_container
from shared.platform.settings import get_settings
from shared.platform.utf8_json import compact_json, utf8_size

SEND_CONCURRENCY = 16


async def send_rejects(
    rejects: Sequence[Reject], *, message: IngestMessage | None, message_id: str
) -> None:
    """Put every reject on the rejects queue, a bounded number at a time (a queue keeps no
    order anyway: an entry says where its record was)."""
    queue = get_settings().rejects_queue
    slots = asyncio.Semaphore(SEND_CONCURRENCY)

    async def send(reject: Reject) -> None:
        entry = reject_entry(reject, message=message, message_id=message_id)
        async with slots:
            await queues.send(queue, compact_json(entry))

    try:
        async with asyncio.TaskGroup() as sends:
            for reject in rejects:
                sends.create_task(send(reject))
    except ExceptionGroup as failures:
        first = failures.exceptions[0]
        raise first from first.__cause__


REJECT_ITEM = "reject"
# The whole message (not one record of it) when a reject has no index.
WHOLE_MESSAGE = "message"


def reject_item_id(part: int, index: int | None) -> str:
    """Zero-padded, so that the ids of a part's rejects sort as their indexes do."""
    where = WHOLE_MESSAGE if index is None else f"{index:06d}"
    return f"{REJECT_ITEM}-{part:06d}-{where}"


@dataclass(frozen=True)
class StoredReject:
    item: dict[str, Any]

    @property
    def size(self) -> int:
        return utf8_size(self.item)


def _stored_rejects(
    rejects: Sequence[Reject], *, message: IngestMessage, message_id: str
) -> list[StoredReject]:
    assert message.import_id is not None and message.part is not None
    stored = []
    for reject in rejects:
        entry = reject_entry(reject, message=message, message_id=message_id)
        item_id = reject_item_id(message.part, reject.index)
        stored.append(StoredReject({"id": item_id, "type": REJECT_ITEM, **entry}))
    return stored


async def store_rejects(
    rejects: Sequence[Reject], *, message: IngestMessage, message_id: str
) -> None:
    """Keep the rejects of an import part in the import's partition: upserts by id, in
    transactional batches (bulk writes: with their priority), so that a delivery of the same
    part again stores nothing twice."""
    if not rejects or message.import_id is None or message.part is None:
        return
    container = await imports_container()
    for batch in chunk(_stored_rejects(rejects, message=message, message_id=message_id)):
        await container.execute_item_batch(
            [("upsert", (stored.item,), {}) for stored in batch],
            partition_key=message.import_id,
            **bulk_request_options(),
        )


@dataclass(frozen=True)
class RejectPage:
    entries: list[RejectEntry]
    continuation: str | None


REJECT_QUERY = "SELECT * FROM c WHERE c.type = @type ORDER BY c.id"
ENTRY_FIELDS = frozenset(RejectEntry.__annotations__)


async def read_rejects(*, import_id: str, limit: int, continuation: str | None) -> RejectPage:
    """One page of an import's stored rejects, and the token of the next page (None on the
    last)."""
    container = await imports_container()
    page = await read_page(
        listing=f"imports/{import_id}/rejects",
        continuation=continuation,
        query=lambda: container.query_items(
            REJECT_QUERY,
            parameters=[{"name": "@type", "value": REJECT_ITEM}],
            partition_key=import_id,
            max_item_count=limit,
        ),
    )
    entries = [
        cast(RejectEntry, {k: v for k, v in item.items() if k in ENTRY_FIELDS})
        for item in page.items
    ]
    return RejectPage(entries=entries, continuation=page.continuation)
