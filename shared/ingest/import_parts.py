"""A queue message that is a part of an import: may it be written, and counting it once written.

Before a part is written its import must be running (every part enqueued). A part that arrives
while its import is still being enqueued waits for it, at most as long as the request that
enqueues it can last; a part of an import that failed, or whose request never finished, is not
written (sending the request again, with the same idempotency key, enqueues it again). A part
of an import that does not exist, or numbered beyond its import's parts, is written as any
message is but never counted: it is reported as a reject for operators to see.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from azure.cosmos.exceptions import CosmosResourceNotFoundError

from shared.ingest import progress
from shared.ingest.messages import IngestMessage
from shared.ingest.progress import ImportProgress, ImportState, PartCount
from shared.ingest.retries import RetryBudget
from shared.platform import metrics
from shared.platform.errors import is_store_missing
from shared.platform.settings import get_settings

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.5
# Beyond the request's own time limit: how late a pending import may still become running.
PENDING_GRACE_SECONDS = 10.0


@dataclass(frozen=True, kw_only=True)
class ImportPart:
    import_id: str
    number: int
    digest: str | None = None  # of the message that carries it

    @classmethod
    def of(cls, message: IngestMessage) -> ImportPart | None:
        """The import part a message is, or None for a message that is no part of an import."""
        if message.import_id is None or message.part is None:
            return None
        return cls(import_id=message.import_id, number=message.part, digest=message.digest)


class Admission(StrEnum):
    WRITE = "write"  # the import is running and the part is one of its parts
    ORPHAN = "orphan"  # no such import, or no such part of it: written, reported, not counted
    CLOSED = "closed"  # the import failed or was abandoned: nothing is written


@dataclass(frozen=True)
class Admitted:
    admission: Admission
    reason: str = ""
    progress: ImportProgress | None = None


def _pending_for(state: ImportProgress) -> float:
    since = datetime.fromisoformat(state.updated_at)
    return (datetime.now(UTC) - since).total_seconds()


class SharedReads:
    """Concurrent reads of one import's progress share one request: the host takes messages in
    batches, so the parts of an import that is still being enqueued all wait for it at once, and
    each polling on its own would cost a read (and a connection) per part every POLL_SECONDS."""

    def __init__(self) -> None:
        self._reads: dict[str, asyncio.Task[ImportProgress]] = {}

    async def read(self, import_id: str) -> ImportProgress:
        task = self._reads.get(import_id)
        if task is None or task.get_loop() is not asyncio.get_running_loop():
            task = asyncio.ensure_future(progress.read_progress(import_id=import_id))
            self._reads[import_id] = task
            task.add_done_callback(lambda done: self._forget(import_id, done))
        return await asyncio.shield(task)  # a caller that gives up leaves the read to the others

    def _forget(self, import_id: str, done: asyncio.Task[ImportProgress]) -> None:
        if self._reads.get(import_id) is done:
            del self._reads[import_id]
        if not done.cancelled():
            done.exception()  # retrieved: every waiter may have given up before it ended


_shared_reads = SharedReads()


async def _read(part: ImportPart, budget: RetryBudget) -> ImportProgress | None:
    try:
        return await budget.call(lambda: _shared_reads.read(part.import_id))
    except CosmosResourceNotFoundError as error:
        if is_store_missing(error):  # the imports container is gone, not the import
            raise
        return None


async def admit(part: ImportPart, budget: RetryBudget) -> Admitted:
    """Whether the part may be written, waiting while its import is still being enqueued."""
    patience = get_settings().http_timeout_seconds + PENDING_GRACE_SECONDS
    while True:
        state = await _read(part, budget)
        if state is None:
            return Admitted(Admission.ORPHAN, f"import {part.import_id} does not exist")
        if state.stored_state is ImportState.PENDING and _pending_for(state) < patience:
            await asyncio.sleep(POLL_SECONDS)
            continue
        return _admission(part, state)


def _admission(part: ImportPart, state: ImportProgress) -> Admitted:
    if state.stored_state is ImportState.FAILED:
        return Admitted(Admission.CLOSED, f"import {part.import_id} failed: {state.reason}")
    if state.stored_state is ImportState.PENDING:
        reason = (
            f"import {part.import_id} was never fully enqueued: its request did not finish; "
            "sending it again with the same Idempotency-Key imports it"
        )
        return Admitted(Admission.CLOSED, reason)
    if part.number >= state.messages:
        reason = f"import {part.import_id} has {state.messages} parts; part {part.number} is none"
        return Admitted(Admission.ORPHAN, reason)
    return Admitted(Admission.WRITE, progress=state)


class Counted(StrEnum):
    """Whether a part was counted before: not yet, from this very message (a redelivery), or
    from another message under the same import and number, which this one then is not."""

    NOT_YET = "not yet"
    THIS_MESSAGE = "this message"
    ANOTHER_MESSAGE = "another message"


async def already_counted(part: ImportPart, budget: RetryBudget) -> Counted:
    import_id, number = part.import_id, part.number
    recorded = await budget.call(lambda: progress.part_recorded(import_id=import_id, part=number))
    if recorded is None:
        return Counted.NOT_YET
    if part.digest and recorded.digest and part.digest != recorded.digest:
        logger.warning("Part %s of import %s came again with other content", number, import_id)
        return Counted.ANOTHER_MESSAGE
    logger.info("Part %s of import %s was already counted", number, import_id)
    await budget.call(lambda: progress.note_duplicate_delivery(import_id=import_id))
    return Counted.THIS_MESSAGE


async def count_part(
    part: ImportPart, *, message_id: str, written: int, rejected: int, budget: RetryBudget
) -> PartCount:
    """Add the part's counts to its import, once."""
    recorded = await budget.call(
        lambda: progress.record_part(
            import_id=part.import_id,
            part=part.number,
            message_id=message_id,
            written=written,
            rejected=rejected,
            digest=part.digest,
        )
    )
    if recorded.count is PartCount.ALREADY_COUNTED:
        logger.info(
            "Part %s of import %s was counted by another delivery", part.number, part.import_id
        )
        await budget.call(lambda: progress.note_duplicate_delivery(import_id=part.import_id))
    elif recorded.progress is not None and recorded.progress.state is not ImportState.RUNNING:
        _finished(recorded.progress)
    return recorded.count


def _finished(state: ImportProgress) -> None:
    """The last part of an import was counted: how long the whole import took."""
    seconds = (datetime.now(UTC) - datetime.fromisoformat(state.created_at)).total_seconds()
    metrics.record_import_duration(seconds)
    logger.info(
        "Import %s %s in %.1f s: %s written, %s rejected",
        state.import_id, state.state.value, seconds, state.written, state.rejected,
    )  # fmt: skip
