"""One bulk executor per process: every invocation's records are written through it.

Operations queue per partition key. A batch of one key goes out when it is full (100 operations
or the byte limit) or when its oldest operation has waited `linger`, so that many small messages
still reach Cosmos DB as full batches. Each physical partition has a congestion window
(`ConcurrencyLimit`) of batches in flight; one batch per partition key is in flight at a time,
which keeps each key's writes in order. The executor owns throttling: its client does not retry
429s itself, so a throttled batch halves its partition's window, the partition waits the
retry-after Cosmos DB gave, and the batch goes back to the front of its queue.

Records in, outcomes out: each caller awaits the outcomes of its own records, with the writer's
guarantees: last-wins de-duplication within a call, isolation of a record Cosmos refuses, and
transient retries until the caller's budget runs out (then the outcome is `retry`).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from azure.cosmos.exceptions import CosmosBatchOperationError

from shared.ingest.congestion import ConcurrencyLimit
from shared.ingest.ranges import FeedRanges, RangeLookup
from shared.ingest.retries import Backoff, RetryBudget, error_summary
from shared.ingest.writer import (
    MAX_BATCH_BYTES,
    Action,
    Outcome,
    OutcomeKind,
    Record,
    WriteReport,
    decide,
    deduplicate,
    group_by_partition,
    operation_reason,
    settle_superseded,
)
from shared.platform import metrics, telemetry
from shared.platform.cosmos import bulk_products_container
from shared.platform.errors import COSMOS_ERRORS, cosmos_retry_after
from shared.platform.limits import MAX_BATCH_OPERATIONS, MAX_ITEM_BYTES
from shared.platform.settings import get_settings

if TYPE_CHECKING:
    from opentelemetry.trace import SpanContext

THROTTLED = 429
NOT_ATTEMPTED = "not attempted: an earlier batch of this partition failed"


@dataclass(eq=False)
class _Pending:
    record: Record
    caller: object  # one per call of `write`
    deadline: float
    enqueued_at: float
    outcome: asyncio.Future[Outcome]
    trace: SpanContext | None = None  # the caller's span, linked from the batches it rides in
    attempts: int = 0
    request_charge: float = 0.0  # its share of the batches it was sent in


@dataclass(eq=False)
class _KeyQueue:
    """The operations of one partition key, oldest first."""

    partition_key: str
    range_id: str
    pending: deque[_Pending] = field(default_factory=deque)
    busy: bool = False
    not_before: float = 0.0
    max_operations: int = MAX_BATCH_OPERATIONS
    failures: int = 0
    last_error: BaseException | None = None
    earliest_deadline: float = float("inf")


@dataclass(eq=False)
class _Range:
    """One physical partition: its window and what it has in flight."""

    limit: ConcurrencyLimit
    in_flight: int = 0
    paused_until: float = 0.0


@dataclass
class ExecutorStats:
    batches: int = 0
    throttled: int = 0
    request_charge: float = 0.0
    operations_written: int = 0


@dataclass(frozen=True, kw_only=True)
class ExecutorOptions:
    max_concurrency: int = 16
    initial_concurrency: int = 4
    linger_seconds: float = 0.005
    fixed_concurrency: bool = False


class BatchTarget(Protocol):
    """What the executor needs of a container: transactional batches."""

    def execute_item_batch(
        self,
        batch_operations: Sequence[tuple[str, tuple[Any, ...]]],
        partition_key: str,
        **kwargs: Any,
    ) -> Awaitable[Any]: ...


class BulkExecutor:
    """Writes records to one container for every caller in the process (one event loop)."""

    def __init__(
        self,
        container: BatchTarget,
        *,
        options: ExecutorOptions,
        ranges: RangeLookup,
        clock: Callable[[], float] = time.monotonic,
        backoff: Backoff | None = None,
    ) -> None:
        self.container = container
        self.options = options
        self.ranges = ranges
        self.clock = clock
        self.backoff = backoff or Backoff()
        self.stats = ExecutorStats()
        self._keys: dict[str, _KeyQueue] = {}
        self._ranges: dict[str, _Range] = {}
        self._wakeup = asyncio.Event()
        self._pump: asyncio.Task[None] | None = None

    def concurrency_of(self, range_id: str = "0") -> float:
        """The congestion window of a physical partition (for tests and telemetry)."""
        return self._range(range_id).limit.window

    def partitions_in_use(self) -> set[str]:
        """The physical partitions (range ids) of every partition key seen so far."""
        return {key.range_id for key in self._keys.values()}

    async def write(self, records: Sequence[Record], *, budget: RetryBudget) -> WriteReport:
        """Every record's outcome; waits for all of them."""
        report = WriteReport(outcomes=[])
        caller = object()
        superseded: dict[int, int] = {}
        waiting: list[asyncio.Future[Outcome]] = []
        for partition_key, group in group_by_partition(records).items():
            await self._know(partition_key)
            kept, dropped = deduplicate(group)
            superseded.update(dropped)
            for record in kept:
                if record.size > MAX_ITEM_BYTES:
                    too_large = "item is larger than 2 MB"
                    report.outcomes.append(
                        Outcome(
                            index=record.index,
                            kind=OutcomeKind.REJECTED,
                            status=413,
                            reason=too_large,
                        )
                    )
                else:
                    waiting.append(self._submit(record, caller, budget.deadline))
        self._start()
        report.outcomes.extend(await asyncio.gather(*waiting))
        report.request_charge = sum(outcome.request_charge for outcome in report.outcomes)
        report.outcomes.extend(settle_superseded(report.outcomes, superseded))
        report.outcomes.sort(key=lambda outcome: outcome.index)
        return report

    async def close(self) -> None:
        if self._pump is not None:
            self._pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump
            self._pump = None

    # --- queueing -------------------------------------------------------------------------

    async def _know(self, partition_key: str) -> None:
        if partition_key not in self._keys:
            range_id = await self.ranges.range_of(partition_key)
            self._keys.setdefault(partition_key, _KeyQueue(partition_key, range_id))

    def _submit(self, record: Record, caller: object, deadline: float) -> asyncio.Future[Outcome]:
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        key = self._keys[record.partition_key]
        pending = _Pending(
            record=record,
            caller=caller,
            deadline=deadline,
            enqueued_at=self.clock(),
            outcome=future,
            trace=telemetry.current_span_context(),
        )
        key.pending.append(pending)
        key.earliest_deadline = min(key.earliest_deadline, deadline)
        self._wakeup.set()
        return future

    def _range(self, range_id: str) -> _Range:
        if range_id not in self._ranges:
            options = self.options
            limit = ConcurrencyLimit(
                initial=options.initial_concurrency,
                maximum=options.max_concurrency,
                fixed=options.fixed_concurrency,
            )
            self._ranges[range_id] = _Range(limit)
        return self._ranges[range_id]

    def _start(self) -> None:
        if self._pump is None or self._pump.done():
            # Its own context: batches serve every caller, so they belong to no caller's trace
            # or meter (each caller gets its share of the charge in its outcomes instead).
            loop = asyncio.get_running_loop()
            self._pump = loop.create_task(self._run(), context=contextvars.Context())

    async def _run(self) -> None:
        while True:
            self._wakeup.clear()
            wait = self._dispatch_ready(self.clock())
            if wait is None:
                await self._wakeup.wait()
            else:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wakeup.wait(), wait)

    def _dispatch_ready(self, now: float) -> float | None:
        """Send every batch that may go now; the seconds until the next one may, or None."""
        soonest: float | None = None
        for key in list(self._keys.values()):
            self._expire(key, now)
            if key.busy or not key.pending:
                continue
            partition = self._range(key.range_id)
            blocked_until = max(key.not_before, partition.paused_until)
            if blocked_until > now:
                soonest = min(soonest or blocked_until - now, blocked_until - now)
                continue
            if partition.in_flight >= partition.limit.slots:
                continue  # a finishing batch wakes the pump
            batch, full = self._next_batch(key)
            waited = now - key.pending[0].enqueued_at
            if not full and waited < self.options.linger_seconds:
                remaining = self.options.linger_seconds - waited
                soonest = min(soonest or remaining, remaining)
                continue
            for pending in batch:
                key.pending.popleft()
                pending.attempts += 1
            key.busy = True
            partition.in_flight += 1
            asyncio.get_running_loop().create_task(self._send(key, partition, batch))
        return soonest

    def _next_batch(self, key: _KeyQueue) -> tuple[list[_Pending], bool]:
        """The operations the next batch of `key` would hold, and whether it is full."""
        batch: list[_Pending] = []
        size = 0
        for pending in key.pending:
            if len(batch) == key.max_operations or (
                batch and size + pending.record.size > MAX_BATCH_BYTES
            ):
                return batch, True
            batch.append(pending)
            size += pending.record.size
        return batch, len(batch) == key.max_operations

    def _expire(self, key: _KeyQueue, now: float) -> None:
        """Operations whose caller's budget ran out leave with a `retry` outcome; one never sent
        says so. (A queue is scanned only once its earliest deadline has passed.)"""
        if key.busy or key.earliest_deadline > now:
            return
        alive = deque(p for p in key.pending if p.deadline > now)
        last = error_summary(key.last_error) if key.last_error else "none"
        for pending in key.pending:
            if pending.deadline <= now:
                why = NOT_ATTEMPTED if pending.attempts == 0 else "retry budget exhausted"
                reason = f"{why}; last error: {last}"
                _resolve(pending, OutcomeKind.RETRY, reason=reason, error=key.last_error)
        key.pending = alive
        key.earliest_deadline = min((p.deadline for p in alive), default=float("inf"))

    # --- sending --------------------------------------------------------------------------

    async def _send(self, key: _KeyQueue, partition: _Range, batch: list[_Pending]) -> None:
        self.stats.batches += 1
        metrics.record_batch(len(batch))
        links = [pending.trace for pending in batch if pending.trace is not None]
        attributes: telemetry.Attributes = {
            "catalog.ingest.batch.operations": len(batch),
            "catalog.ingest.partition_key_range": key.range_id,
        }
        with telemetry.charged_span("bulk batch", attributes=attributes, links=links) as span:
            try:
                failure = await self._execute(key, batch)
                self._share_charge(batch, span.meter.total)  # before any outcome is settled
                if failure is None:
                    self._written(key, partition, batch)
                else:
                    span.set("error.type", type(failure).__name__)
                    self._failed(key, partition, batch, failure)
            finally:
                key.busy = False
                partition.in_flight -= 1
                self._wakeup.set()

    async def _execute(self, key: _KeyQueue, batch: list[_Pending]) -> BaseException | None:
        """Send the batch; the error it met, or None once it is written."""
        try:
            await self.container.execute_item_batch(
                [("upsert", (pending.record.item,)) for pending in batch],
                partition_key=key.partition_key,
                no_response=True,  # Prefer: return=minimal; statuses are all it needs
            )
        except Exception as error:  # noqa: BLE001 - every failure: an outcome or a retry
            return error
        return None

    def _written(self, key: _KeyQueue, partition: _Range, batch: list[_Pending]) -> None:
        partition.limit.on_success()
        key.failures = 0
        if not key.pending:  # a batch size found by splitting holds until the queue drains
            key.max_operations = MAX_BATCH_OPERATIONS
        self.stats.operations_written += len(batch)
        for pending in batch:
            _resolve(pending, OutcomeKind.WRITTEN)

    def _share_charge(self, batch: list[_Pending], charge: float) -> None:
        """A batch's charge, split evenly among the operations it carried."""
        self.stats.request_charge += charge
        for pending in batch:
            pending.request_charge += charge / len(batch)

    def _failed(
        self, key: _KeyQueue, partition: _Range, batch: list[_Pending], error: BaseException
    ) -> None:
        action = decide(error, len(batch))
        key.last_error = error
        metrics.count_if_timeout(error)
        requeue = batch
        if action is Action.WAIT_AND_RETRY:
            self._wait(key, partition, error)
        elif action is Action.REJECT_FAILED_OPERATION:
            assert isinstance(error, CosmosBatchOperationError)
            failed = batch[error.error_index]
            reason = operation_reason(error)
            _resolve(failed, OutcomeKind.REJECTED, status=error.status_code, reason=reason)
            requeue = [pending for pending in batch if pending is not failed]
        elif action is Action.SPLIT:
            key.max_operations = max(1, len(batch) // 2)
        elif action is Action.REJECT_RECORD:
            status = getattr(error, "status_code", None)
            _resolve(batch[0], OutcomeKind.REJECTED, status=status, reason=error_summary(error))
            requeue = []
        else:
            self._give_up(key, batch, error)
            requeue = []
        key.pending.extendleft(reversed(requeue))

    def _give_up(self, key: _KeyQueue, batch: list[_Pending], error: BaseException) -> None:
        """A batch failed for good: its records are retried with the message, and so are the
        same callers' later records of this partition key, unsent, to keep the key's order."""
        for pending in batch:
            _resolve(pending, OutcomeKind.RETRY, reason=error_summary(error), error=error)
        callers = {pending.caller for pending in batch}
        later = [pending for pending in key.pending if pending.caller in callers]
        key.pending = deque(pending for pending in key.pending if pending.caller not in callers)
        reason = f"{NOT_ATTEMPTED}; it failed with {error_summary(error)}"
        for pending in later:
            _resolve(pending, OutcomeKind.RETRY, reason=reason, error=error)

    def _wait(self, key: _KeyQueue, partition: _Range, error: BaseException) -> None:
        now = self.clock()
        if isinstance(error, COSMOS_ERRORS) and error.status_code == THROTTLED:
            self.stats.throttled += 1
            partition.limit.on_throttled()
            partition.paused_until = max(partition.paused_until, now + cosmos_retry_after(error))
        else:
            key.not_before = now + self.backoff.delay(key.failures)
            key.failures += 1


def _resolve(
    pending: _Pending,
    kind: OutcomeKind,
    *,
    status: int | None = None,
    reason: str | None = None,
    error: BaseException | None = None,
) -> None:
    if not pending.outcome.done():
        outcome = Outcome(
            index=pending.record.index,
            kind=kind,
            status=status,
            reason=reason,
            error=error,
            request_charge=pending.request_charge,
        )
        pending.outcome.set_result(outcome)


_executors: dict[asyncio.AbstractEventLoop, BulkExecutor] = {}


async def shared_executor() -> BulkExecutor:
    """The process's executor (one per event loop), built on first use from the settings."""
    loop = asyncio.get_running_loop()
    if loop not in _executors:
        settings = get_settings()
        options = ExecutorOptions(
            max_concurrency=settings.bulk_max_concurrency,
            initial_concurrency=min(
                settings.bulk_initial_concurrency, settings.bulk_max_concurrency
            ),
            linger_seconds=settings.bulk_linger_ms / 1000,
        )
        container = await bulk_products_container()
        bulk = BulkExecutor(container, options=options, ranges=FeedRanges(container))
        _executors.setdefault(loop, bulk)
    return _executors[loop]
