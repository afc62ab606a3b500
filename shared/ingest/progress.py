"""Import progress, kept in the imports container (partition key /importId).

Each import has a summary item (`id` "summary") with its totals. When a queue message of the
import finishes, one transactional batch in the import's partition creates a `part-<n>` item and
increments the summary: a second delivery of the same part conflicts on the create, so no record
is ever counted twice, however invocations interleave.

An import is recorded `pending` before its first part is enqueued and becomes `running` (visible)
only once the last one is; the queue function writes no part of an import before that. An
import whose enqueuing failed or was cut short is `failed`, with the reason, and writes nothing:
sending the same request again (same idempotency key) runs it again under the same id.
`supersede-<n>` items list the records of part n that a later record of the import replaces.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from azure.cosmos.exceptions import (
    CosmosBatchOperationError,
    CosmosResourceExistsError,
    CosmosResourceNotFoundError,
)

from shared.ingest.supersession import Supersession
from shared.platform.bulk_requests import bulk_request_options
from shared.platform.cosmos import imports_container

SUMMARY_ID = "summary"
STORE_CONCURRENCY = 16


class PartCount(StrEnum):
    """What counting a finished part of an import did."""

    COUNTED = "counted"
    ALREADY_COUNTED = "already counted"  # an earlier delivery of the same part was counted
    UNKNOWN_IMPORT = "unknown import"  # no summary: the import does not exist (any more)


class ImportState(StrEnum):
    PENDING = "pending"  # its parts are being enqueued; not visible to clients yet
    RUNNING = "running"
    COMPLETED = "completed"
    COMPLETED_WITH_REJECTS = "completedWithRejects"
    FAILED = "failed"  # enqueuing failed or was cut short; nothing of it is written


# What a summary stores as its state; the finished states follow from the counts.
_STORED_STATES = (ImportState.PENDING, ImportState.RUNNING, ImportState.FAILED)


@dataclass(frozen=True, kw_only=True)
class ImportProgress:
    import_id: str
    accepted: int
    messages: int
    written: int
    rejected: int
    messages_done: int
    duplicate_deliveries: int
    created_at: str
    stored_state: ImportState = ImportState.RUNNING
    updated_at: str = ""
    superseded: int = 0
    fingerprint: str | None = None
    reason: str | None = None

    @property
    def state(self) -> ImportState:
        if self.stored_state is not ImportState.RUNNING:
            return self.stored_state
        if self.messages_done < self.messages:
            return ImportState.RUNNING
        if self.rejected:
            return ImportState.COMPLETED_WITH_REJECTS
        return ImportState.COMPLETED

    @property
    def visible(self) -> bool:
        """Whether clients see the import: once every part was enqueued, or it failed."""
        return self.stored_state is not ImportState.PENDING


def part_id(part: int) -> str:
    return f"part-{part}"


def supersessions_id(part: int) -> str:
    return f"supersede-{part}"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _progress(summary: dict[str, Any]) -> ImportProgress:
    stored = summary.get("state", ImportState.RUNNING)
    return ImportProgress(
        import_id=summary["importId"],
        accepted=summary["accepted"],
        messages=summary["messages"],
        written=summary["written"],
        rejected=summary["rejected"],
        messages_done=summary["messagesDone"],
        duplicate_deliveries=summary.get("duplicateDeliveries", 0),
        created_at=summary["createdAt"],
        stored_state=ImportState(stored) if stored in _STORED_STATES else ImportState.RUNNING,
        updated_at=summary.get("updatedAt", summary["createdAt"]),
        superseded=summary.get("superseded", 0),
        fingerprint=summary.get("fingerprint"),
        reason=summary.get("reason"),
    )


class IdempotencyKeyReused(Exception):
    """An idempotency key came back with another body than the one it was first sent with."""


@dataclass(frozen=True)
class Begun:
    """An import begun by `begin_import`: pending (its parts are to be enqueued now), or one
    that the same request already started and made visible (nothing more to do)."""

    progress: ImportProgress

    @property
    def replayed(self) -> bool:
        return self.progress.visible


async def begin_import(*, import_id: str, fingerprint: str | None) -> Begun:
    """Record a pending import. With a fingerprint (the request carried an idempotency key),
    an import of that id may exist: the same body finds it again, another body is refused."""
    container = await imports_container()
    now = _now()
    summary = {
        "id": SUMMARY_ID,
        "importId": import_id,
        "state": ImportState.PENDING.value,
        "accepted": 0,
        "messages": 0,
        "written": 0,
        "rejected": 0,
        "messagesDone": 0,
        "duplicateDeliveries": 0,
        "superseded": 0,
        "createdAt": now,
        "updatedAt": now,
        "fingerprint": fingerprint,
    }
    try:
        return Begun(_progress(await container.create_item(body=summary)))
    except CosmosResourceExistsError:
        if fingerprint is None:
            raise
    existing = await read_progress(import_id=import_id)
    if existing.fingerprint != fingerprint:
        raise IdempotencyKeyReused(import_id)
    if existing.visible and existing.stored_state is not ImportState.FAILED:
        return Begun(existing)
    return Begun(await _set(import_id, state=ImportState.PENDING, updatedAt=now, reason=None))


async def _set(import_id: str, **fields: Any) -> ImportProgress:
    container = await imports_container()
    operations = [
        {"op": "set", "path": f"/{name}", "value": value.value if name == "state" else value}
        for name, value in fields.items()
    ]
    return _progress(
        await container.patch_item(
            item=SUMMARY_ID, partition_key=import_id, patch_operations=operations
        )
    )


async def store_supersessions(
    *, import_id: str, superseded: Mapping[int, Sequence[Supersession]]
) -> None:
    """Keep, per part, which of its records later records of the import replace."""
    container = await imports_container()
    slots = asyncio.Semaphore(STORE_CONCURRENCY)

    async def store(part: int, entries: Sequence[Supersession]) -> None:
        item = {
            "id": supersessions_id(part),
            "importId": import_id,
            "superseded": [[entry.index, entry.by_record] for entry in entries],
        }
        async with slots:
            await container.upsert_item(body=item)

    await asyncio.gather(*(store(part, entries) for part, entries in superseded.items()))


async def read_supersessions(*, import_id: str, part: int) -> dict[int, int]:
    """The part's superseded records: index within the part -> number of the record that
    replaces it."""
    container = await imports_container()
    try:
        item = await container.read_item(item=supersessions_id(part), partition_key=import_id)
    except CosmosResourceNotFoundError:
        return {}
    return {index: by_record for index, by_record in item["superseded"]}


async def open_import(
    *, import_id: str, accepted: int, messages: int, superseded: int
) -> ImportProgress:
    """Every part is on the queue: the import becomes visible, and its parts may be written."""
    return await _set(
        import_id,
        state=ImportState.RUNNING,
        accepted=accepted,
        messages=messages,
        superseded=superseded,
        updatedAt=_now(),
    )


async def fail_import(*, import_id: str, reason: str) -> None:
    """Enqueuing failed: the import is visible as failed, and none of its parts is written."""
    await _set(import_id, state=ImportState.FAILED, reason=reason, updatedAt=_now())


async def forget_import(*, import_id: str) -> None:
    """Remove a pending import for which nothing was enqueued, as if it had never begun."""
    container = await imports_container()
    with contextlib.suppress(CosmosResourceNotFoundError):
        await container.delete_item(item=SUMMARY_ID, partition_key=import_id)


async def read_progress(*, import_id: str) -> ImportProgress:
    container = await imports_container()
    summary = await container.read_item(item=SUMMARY_ID, partition_key=import_id)
    return _progress(summary)


@dataclass(frozen=True)
class RecordedPart:
    """A part that was counted, and the digest of the message it was counted from (None for a
    part counted before digests were kept)."""

    digest: str | None


async def part_recorded(*, import_id: str, part: int) -> RecordedPart | None:
    container = await imports_container()
    try:
        item = await container.read_item(item=part_id(part), partition_key=import_id)
    except CosmosResourceNotFoundError:
        return None
    return RecordedPart(digest=item.get("digest"))


@dataclass(frozen=True)
class PartRecord:
    """What counting a part did, and the import's progress just after (when it was counted)."""

    count: PartCount
    progress: ImportProgress | None = None


async def record_part(
    *,
    import_id: str,
    part: int,
    message_id: str,
    written: int,
    rejected: int,
    digest: str | None = None,
) -> PartRecord:
    """Count a finished part once, in one batch with the summary's increments (the queue
    function's bulk work: with its priority)."""
    container = await imports_container()
    part_item = {
        "id": part_id(part),
        "importId": import_id,
        "messageId": message_id,
        "digest": digest,
        "written": written,
        "rejected": rejected,
        "recordedAt": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    increments = [
        {"op": "incr", "path": "/written", "value": written},
        {"op": "incr", "path": "/rejected", "value": rejected},
        {"op": "incr", "path": "/messagesDone", "value": 1},
    ]
    try:
        results = await container.execute_item_batch(
            [("create", (part_item,)), ("patch", (SUMMARY_ID, increments))],
            partition_key=import_id,
            **bulk_request_options(),
        )
    except CosmosBatchOperationError as error:
        count = _PART_COUNT_FAILURES.get(error.status_code or 0)
        if count is None:
            raise
        return PartRecord(count)
    summary = results[1].get("resourceBody")
    return PartRecord(PartCount.COUNTED, _progress(summary) if summary else None)


# The part item's create conflicts when the part was counted before; the summary's patch finds
# no summary when the import does not exist.
_PART_COUNT_FAILURES = {409: PartCount.ALREADY_COUNTED, 404: PartCount.UNKNOWN_IMPORT}


async def note_duplicate_delivery(*, import_id: str) -> None:
    """Informational: a part arrived again after it was counted."""
    container = await imports_container()
    await container.patch_item(
        item=SUMMARY_ID,
        partition_key=import_id,
        patch_operations=[{"op": "incr", "path": "/duplicateDeliveries", "value": 1}],
        **bulk_request_options(),
    )
