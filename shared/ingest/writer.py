"""Records in, outcomes out: the pieces of writing products through transactional batches.

Records are grouped by partition key, de-duplicated (the last occurrence of an id wins) and
chunked into batches of at most 100 operations and a safe request size; `decide` says what to do
after a batch failed. Every record gets exactly one outcome: written, rejected (with a status and
reason) or retry (transient failures outlasted the budget). `executor.BulkExecutor` writes with
these pieces.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import Any, Protocol

from azure.cosmos.exceptions import CosmosBatchOperationError

from shared.platform.errors import (
    COSMOS_ERRORS,
    TRANSIENT_EXCEPTIONS,
    TRANSIENT_STATUSES,
)
from shared.platform.limits import MAX_BATCH_OPERATIONS
from shared.platform.utf8_json import estimated_utf8_size

# The SDK's guidance: keep a transactional batch near 1.2 MB, well under the 2 MB request limit.
MAX_BATCH_BYTES = 1_200_000
OPERATION_OVERHEAD_BYTES = 64  # the operation's own JSON wrapper around the item


class OutcomeKind(StrEnum):
    WRITTEN = "written"
    REJECTED = "rejected"
    RETRY = "retry"


@dataclass(frozen=True)
class Record:
    """A validated item to upsert; `index` says where it came from (its place in a message)."""

    index: int
    item: dict[str, Any]

    @property
    def partition_key(self) -> str:
        return str(self.item["categoryId"])

    @cached_property
    def size(self) -> int:
        """Bytes this record adds to a batch request, near enough to pack batches (computed once;
        items are not mutated). The edges have held the item to Cosmos DB's limit exactly."""
        return estimated_utf8_size(self.item) + OPERATION_OVERHEAD_BYTES


@dataclass(frozen=True, kw_only=True)
class Outcome:
    """What became of the record at `index`; for a retry, `error` is what kept failing."""

    index: int
    kind: OutcomeKind
    status: int | None = None
    reason: str | None = None
    error: BaseException | None = field(default=None, compare=False, repr=False)
    request_charge: float = field(default=0.0, compare=False)  # its share of its batches


def group_by_partition(records: Iterable[Record]) -> dict[str, list[Record]]:
    """Records per partition key, in their original order."""
    groups: dict[str, list[Record]] = {}
    for record in records:
        groups.setdefault(record.partition_key, []).append(record)
    return groups


def deduplicate(records: Sequence[Record]) -> tuple[list[Record], dict[int, int]]:
    """(kept, superseded): of records with the same id only the last is kept, at its place;
    `superseded` maps each dropped record's index to the index of the record that replaced it."""
    last = {record.item["id"]: record.index for record in records}
    kept = [r for r in records if last[r.item["id"]] == r.index]
    superseded = {r.index: last[r.item["id"]] for r in records if last[r.item["id"]] != r.index}
    return kept, superseded


class Sized(Protocol):
    """Anything that knows the bytes it adds to a batch request."""

    @property
    def size(self) -> int: ...


def chunk[T: Sized](
    records: Sequence[T],
    *,
    max_operations: int = MAX_BATCH_OPERATIONS,
    max_bytes: int = MAX_BATCH_BYTES,
) -> list[list[T]]:
    """Consecutive chunks of at most `max_operations` records and `max_bytes` (a record larger
    than `max_bytes` on its own still gets a chunk of its own)."""
    chunks: list[list[T]] = []
    current: list[T] = []
    current_bytes = 0
    for record in records:
        size = record.size
        if current and (len(current) == max_operations or current_bytes + size > max_bytes):
            chunks.append(current)
            current, current_bytes = [], 0
        current.append(record)
        current_bytes += size
    if current:
        chunks.append(current)
    return chunks


@dataclass
class WriteReport:
    outcomes: list[Outcome]
    request_charge: float = 0.0
    batches: int = 0

    def of_kind(self, kind: OutcomeKind) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if outcome.kind is kind]


def settle_superseded(outcomes: Sequence[Outcome], superseded: dict[int, int]) -> list[Outcome]:
    """Outcomes for records replaced by a later one with the same id: each shares the fate of
    the record that replaced it."""
    final = {outcome.index: outcome for outcome in outcomes}
    settled = []
    for index, winner in superseded.items():
        outcome = final[winner]
        reason = f"superseded by record {winner}" + (
            f": {outcome.reason}" if outcome.reason else ""
        )
        settled.append(
            Outcome(
                index=index,
                kind=outcome.kind,
                status=outcome.status,
                reason=reason,
                error=outcome.error,
            )
        )
    return settled


class Action(StrEnum):
    """What to do after a batch request failed."""

    WAIT_AND_RETRY = "wait and retry"
    REJECT_FAILED_OPERATION = "reject the failed operation, resubmit the rest"
    SPLIT = "split the batch in two"
    REJECT_RECORD = "reject the only record"
    GIVE_UP = "give up: retry the message later"


def decide(error: BaseException, batch_size: int) -> Action:
    status = error.status_code if isinstance(error, COSMOS_ERRORS) else None
    if status == 429 or status in TRANSIENT_STATUSES or isinstance(error, TRANSIENT_EXCEPTIONS):
        return Action.WAIT_AND_RETRY
    if isinstance(error, CosmosBatchOperationError):
        return Action.REJECT_FAILED_OPERATION
    if status in (400, 413):
        return Action.SPLIT if batch_size > 1 else Action.REJECT_RECORD
    return Action.GIVE_UP


def operation_reason(error: CosmosBatchOperationError) -> str:
    """Why Cosmos refused the failed operation of a batch (its message, trimmed)."""
    response = error.operation_responses[error.error_index]
    body = response.get("resourceBody") if isinstance(response, dict) else None
    message = body.get("message") if isinstance(body, dict) else None
    detail = f": {str(message)[:200]}" if message else ""
    return f"Cosmos DB refused the item (status {error.status_code}){detail}"
