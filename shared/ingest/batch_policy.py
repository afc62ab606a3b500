"""How records become transactional batches, and what to do when a batch fails.

Records are grouped by partition key, de-duplicated (the last occurrence of an id wins) and
chunked into batches of at most 100 operations and a safe request size; `decide` says what to do
after a batch failed, from the one classification of Cosmos DB errors (`platform.errors`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import Protocol

from azure.cosmos.exceptions import CosmosBatchOperationError

from shared.ingest.outcomes import Record
from shared.platform.errors import CosmosFailure, classify
from shared.platform.limits import MAX_BATCH_OPERATIONS

# The SDK's guidance: keep a transactional batch near 1.2 MB, well under the 2 MB request limit.
MAX_BATCH_BYTES = 1_200_000


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
    if len(last) == len(records):  # the usual case: every id once
        return list(records), {}
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


class Action(StrEnum):
    """What to do after a batch request failed."""

    WAIT_AND_RETRY = "wait and retry"
    REJECT_FAILED_OPERATION = "reject the failed operation, resubmit the rest"
    SPLIT = "split the batch in two"
    REJECT_RECORD = "reject the only record"
    GIVE_UP = "give up: retry the message later"


def decide(error: BaseException, batch_size: int) -> Action:
    failure = classify(error)
    if failure in (CosmosFailure.THROTTLED, CosmosFailure.TRANSIENT):
        return Action.WAIT_AND_RETRY
    if failure is CosmosFailure.OPERATION_REFUSED:
        return Action.REJECT_FAILED_OPERATION
    if failure is CosmosFailure.REQUEST_REFUSED:
        return Action.SPLIT if batch_size > 1 else Action.REJECT_RECORD
    return Action.GIVE_UP


def operation_reason(error: CosmosBatchOperationError) -> str:
    """Why Cosmos refused the failed operation of a batch (its message, trimmed)."""
    response = error.operation_responses[error.error_index]
    body = response.get("resourceBody") if isinstance(response, dict) else None
    message = body.get("message") if isinstance(body, dict) else None
    detail = f": {str(message)[:200]}" if message else ""
    return f"Cosmos DB refused the item (status {error.status_code}){detail}"
