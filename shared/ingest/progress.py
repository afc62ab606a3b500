"""Import progress, kept in the imports container (partition key /importId).

Each import has a summary item (`id` "summary") with its totals. When a queue message of the
import finishes, one transactional batch in the import's partition creates a `part-<n>` item and
increments the summary: a second delivery of the same part conflicts on the create, so no record
is ever counted twice, however invocations interleave.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from azure.cosmos.exceptions import CosmosBatchOperationError, CosmosResourceNotFoundError

from shared.platform.cosmos import imports_container

SUMMARY_ID = "summary"


class PartCount(StrEnum):
    """What counting a finished part of an import did."""

    COUNTED = "counted"
    ALREADY_COUNTED = "already counted"  # an earlier delivery of the same part was counted
    UNKNOWN_IMPORT = "unknown import"  # no summary: the import does not exist (any more)


class ImportState(StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    COMPLETED_WITH_REJECTS = "completedWithRejects"


@dataclass(frozen=True)
class ImportProgress:
    import_id: str
    accepted: int
    messages: int
    written: int
    rejected: int
    messages_done: int
    duplicate_deliveries: int
    created_at: str

    @property
    def state(self) -> ImportState:
        if self.messages_done < self.messages:
            return ImportState.RUNNING
        if self.rejected:
            return ImportState.COMPLETED_WITH_REJECTS
        return ImportState.COMPLETED


def part_id(part: int) -> str:
    return f"part-{part}"


async def start_import(*, import_id: str, accepted: int, messages: int) -> ImportProgress:
    container = await imports_container()
    summary = {
        "id": SUMMARY_ID,
        "importId": import_id,
        "accepted": accepted,
        "messages": messages,
        "written": 0,
        "rejected": 0,
        "messagesDone": 0,
        "duplicateDeliveries": 0,
        "createdAt": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    await container.create_item(body=summary)
    return _progress(summary)


def _progress(summary: dict[str, Any]) -> ImportProgress:
    return ImportProgress(
        import_id=summary["importId"],
        accepted=summary["accepted"],
        messages=summary["messages"],
        written=summary["written"],
        rejected=summary["rejected"],
        messages_done=summary["messagesDone"],
        duplicate_deliveries=summary.get("duplicateDeliveries", 0),
        created_at=summary["createdAt"],
    )


async def read_progress(*, import_id: str) -> ImportProgress:
    container = await imports_container()
    summary = await container.read_item(item=SUMMARY_ID, partition_key=import_id)
    return _progress(summary)


async def part_recorded(*, import_id: str, part: int) -> bool:
    container = await imports_container()
    try:
        await container.read_item(item=part_id(part), partition_key=import_id)
    except CosmosResourceNotFoundError:
        return False
    return True


@dataclass(frozen=True)
class PartRecord:
    """What counting a part did, and the import's progress just after (when it was counted)."""

    count: PartCount
    progress: ImportProgress | None = None


async def record_part(
    *, import_id: str, part: int, message_id: str, written: int, rejected: int
) -> PartRecord:
    """Count a finished part once, in one batch with the summary's increments."""
    container = await imports_container()
    part_item = {
        "id": part_id(part),
        "importId": import_id,
        "messageId": message_id,
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
    )
