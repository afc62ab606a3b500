"""Records in, outcomes out: what the bulk executor is given and what each caller gets back.

Every record gets exactly one outcome: written, rejected (with a status and reason) or retry
(transient failures outlasted the budget).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import Any

from shared.platform.utf8_json import estimated_utf8_size

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


@dataclass(kw_only=True, slots=True)
class Outcome:
    """What became of the record at `index`; for a retry, `error` is what kept failing. Not
    frozen, though nothing changes one once made: one is made per record written, and a frozen
    dataclass's constructor costs two and a half times as much."""

    index: int
    kind: OutcomeKind
    status: int | None = None
    reason: str | None = None
    error: BaseException | None = field(default=None, compare=False, repr=False)
    request_charge: float = field(default=0.0, compare=False)  # its share of its batches


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
    if not superseded:  # the usual case: no index of every outcome needed
        return []
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
