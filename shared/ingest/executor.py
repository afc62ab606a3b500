"""One bulk executor per process: every invocation's records are written through it.

Operations queue per partition key. A batch of one key goes out when it is full (100 operations
or the byte limit) or when its oldest operation has waited `linger`, so that many small messages
still reach Cosmos DB as full batches. Each physical partition has a congestion window
(`ConcurrencyLimit`) of batches in flight; one batch per partition key is in flight at a time,
which keeps each key's writes in order. The executor owns throttling: its client does not retry
429s itself, so a throttled batch halves its partition's window (once per congestion event), the
partition waits the retry-after Cosmos DB gave, and the batch goes back to the front of its queue.

Scheduling costs per batch, not per key ever seen: each physical partition keeps a round-robin
queue of its *ready* keys (operations waiting, no batch in flight, not backing off), so a key
waits at most one round for a free slot; keys that wait for a time (linger, back-off) sit in a
timer heap, and a key with nothing left is forgotten. The pump wakes when a batch finishes,
work arrives, or the earliest timer is due: a linger, a back-off, a pause, or a caller's
deadline, at which the caller's unresolved operations get `retry` outcomes.

Records in, outcomes out: each caller awaits the outcomes of its own records, with the batches'
guarantees: last-wins de-duplication within a call, isolation of a record Cosmos refuses, and
transient retries until the caller's budget runs out (then the outcome is `retry`). Each batch
written renews its callers' budgets: a caller waiting its turn behind others is not failing.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import heapq
import itertools
import logging
import operator
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from azure.cosmos.exceptions import CosmosBatchOperationError

from shared.ingest.batch_policy import (
    MAX_BATCH_BYTES,
    Action,
    decide,
    deduplicate,
    group_by_partition,
    operation_reason,
)
from shared.ingest.congestion import ConcurrencyLimit
from shared.ingest.outcomes import Outcome, OutcomeKind, Record, WriteReport, settle_superseded
from shared.ingest.ranges import FeedRanges, RangeLookup
from shared.ingest.retries import Backoff, RetryBudget, error_summary
from shared.platform import conventions, metrics, telemetry
from shared.platform.bulk_requests import BulkRequestOptions, bulk_request_options
from shared.platform.cosmos import attached, bulk_products_container
from shared.platform.errors import CosmosFailure, classify, cosmos_retry_after
from shared.platform.limits import MAX_BATCH_OPERATIONS, MAX_ITEM_BYTES
from shared.platform.settings import get_settings

if TYPE_CHECKING:
    from opentelemetry.trace import SpanContext

    from shared.catalog.store import BatchOperation

logger = logging.getLogger(__name__)

NOT_ATTEMPTED = "not attempted: an earlier batch of this partition failed"
_INDEX = operator.attrgetter("index")


@dataclass(eq=False)
class _Caller:
    """One call of `write`: its records' outcomes as they are settled, and one future that ends
    when the last is (a future per record would cost more CPU than scheduling its batch)."""

    budget: RetryBudget  # its deadline moves on as its records are written
    done: asyncio.Future[None]
    trace: SpanContext | None = None  # the caller's span, linked from the batches it rides in
    outcomes: list[Outcome] = field(default_factory=list)
    waiting: list[_Pending] = field(default_factory=list)  # until the call ends, for its deadline
    unsettled: int = 0
    submitted: bool = False  # every record is queued: the last outcome may end the call
    withdrawn: bool = False  # the caller was cancelled: its records that wait are dropped

    def settle(self, outcome: Outcome) -> None:
        self.add(outcome)
        self.end_if_settled()

    def add(self, outcome: Outcome) -> None:
        """An outcome that does not end the call yet: `end_if_settled` is asked after a run."""
        self.outcomes.append(outcome)
        self.unsettled -= 1

    def end_if_settled(self) -> None:
        if self.submitted and not self.unsettled and not self.done.done():
            self.done.set_result(None)

    @property
    def deadline(self) -> float:
        return self.budget.deadline


@dataclass(eq=False, slots=True)
class _Pending:
    record: Record
    caller: _Caller
    enqueued_at: float
    attempts: int = 0
    in_flight: bool = False
    settled: bool = False
    request_charge: float = 0.0  # its share of the batches it was sent in

    @property
    def deadline(self) -> float:
        return self.caller.deadline

    @property
    def finished(self) -> bool:
        """Settled, or its caller has gone: nothing more is done for it."""
        return self.settled or self.caller.withdrawn


@dataclass(eq=False)
class _Range:
    """One physical partition: its window, what it has in flight, its ready keys in turn."""

    range_id: str
    limit: ConcurrencyLimit
    in_flight: int = 0
    paused_until: float = 0.0
    ready: deque[_KeyQueue] = field(default_factory=deque)
    keys: int = 0  # partition keys of it the executor holds now


@dataclass(eq=False, slots=True)
class _KeyQueue:
    """The operations of one partition key, oldest first."""

    partition_key: str
    partition: _Range
    pending: deque[_Pending] = field(default_factory=deque)
    busy: bool = False  # a batch of it is in flight
    scheduled: bool = False  # in its partition's ready queue, or waiting on a timer
    waiting_until: float | None = None  # the timer it waits on, if any
    not_before: float = 0.0
    max_operations: int = MAX_BATCH_OPERATIONS
    failures: int = 0
    last_error: BaseException | None = None


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
    # The priority and throughput bucket every batch is sent with (shared.platform.bulk_requests).
    request_options: BulkRequestOptions = field(default_factory=BulkRequestOptions)


class BatchTarget(Protocol):
    """What the executor needs of a container: transactional batches."""

    def execute_item_batch(
        self,
        batch_operations: Sequence[BatchOperation],
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
        self._partitions_checked: frozenset[str] | None = None  # range ids with no stale window
        self._timers: list[tuple[float, int, _KeyQueue | _Caller | None]] = []
        self._sequence = itertools.count()
        self._sends: set[asyncio.Task[None]] = set()
        self._wakeup = asyncio.Event()
        self._pump: asyncio.Task[None] | None = None
        self._closed = False

    def concurrency_of(self, range_id: str = "0") -> float:
        """The congestion window of a physical partition (for tests and telemetry)."""
        return self._range(range_id).limit.window

    def partitions_in_use(self) -> set[str]:
        """The physical partitions (range ids) the executor keeps a window for."""
        self._forget_old_partitions()
        return set(self._ranges)

    @property
    def queued_operations(self) -> int:
        """Operations waiting to be sent (not those in flight)."""
        return sum(len(key.pending) for key in self._keys.values())

    @property
    def active_keys(self) -> int:
        """Partition keys the executor holds now: those with operations waiting or in flight."""
        return len(self._keys)

    async def write(self, records: Sequence[Record], *, budget: RetryBudget) -> WriteReport:
        """Every record's outcome, by the caller's deadline at the latest. A cancelled caller's
        operations that were not sent yet are withdrawn."""
        if self._closed:
            raise RuntimeError("the bulk executor is closed")
        report = WriteReport(outcomes=[])
        loop = asyncio.get_running_loop()
        caller = _Caller(budget, loop.create_future(), telemetry.current_span_context())
        superseded: dict[int, int] = {}
        try:
            await self._queue(records, caller, report, superseded)
            caller.submitted = True
            caller.end_if_settled()
            if caller.waiting:
                self._at(budget.deadline, caller)
            self._start()
            await caller.done
        except BaseException:
            caller.withdrawn = True  # cancelled or failed: the pump drops what still waits
            raise
        finally:
            # The deadline's timer keeps the caller until its budget ends: not its records.
            caller.waiting = []
        report.outcomes.extend(caller.outcomes)
        caller.outcomes = []
        report.request_charge = sum(outcome.request_charge for outcome in report.outcomes)
        report.outcomes.extend(settle_superseded(report.outcomes, superseded))
        report.outcomes.sort(key=_INDEX)
        return report

    async def close(self) -> None:
        """Stop: batches in flight are cancelled, and every operation still waiting gets a
        `retry` outcome (its message is delivered again)."""
        self._closed = True
        tasks = [task for task in (self._pump, *self._sends) if task is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._pump = None
        for key in list(self._keys.values()):
            for pending in key.pending:
                _resolve(pending, OutcomeKind.RETRY, reason="not sent: the bulk executor closed")
        self._keys.clear()

    # --- queueing -------------------------------------------------------------------------

    async def _queue(
        self,
        records: Sequence[Record],
        caller: _Caller,
        report: WriteReport,
        superseded: dict[int, int],
    ) -> None:
        """Queue a call's records by partition key, a batch's worth of each key per round. A
        call of more than a batch per key lets the pump send between rounds: its first batches
        go out while the rest is queued, and the event loop is held one round at a time."""
        groups: list[tuple[str, list[Record]]] = []
        for partition_key, group in group_by_partition(records).items():
            kept, dropped = deduplicate(group)
            superseded.update(dropped)
            groups.append((partition_key, kept))
        start = 0
        while groups:
            for partition_key, kept in groups:
                part = kept[start : start + MAX_BATCH_OPERATIONS]
                report.outcomes += [_too_large(r) for r in part if r.size > MAX_ITEM_BYTES]
                fitting = [record for record in part if record.size <= MAX_ITEM_BYTES]
                if fitting:  # the key is looked up again: it is forgotten whenever it is idle
                    caller.waiting += self._submit(await self._key(partition_key), fitting, caller)
            start += MAX_BATCH_OPERATIONS
            groups = [(key, kept) for key, kept in groups if len(kept) > start]
            if groups:
                self._start()
                await asyncio.sleep(0)

    async def _key(self, partition_key: str) -> _KeyQueue:
        key = self._keys.get(partition_key)
        if key is None:
            range_id = await self.ranges.range_of(partition_key)
            self._forget_old_partitions()
            key = self._keys.get(partition_key)  # another caller may have made it meanwhile
            if key is None:
                key = self._keys[partition_key] = _KeyQueue(partition_key, self._range(range_id))
                key.partition.keys += 1
        return key

    def _submit(self, key: _KeyQueue, records: list[Record], caller: _Caller) -> list[_Pending]:
        """Queue a caller's records of one partition key."""
        now = self.clock()
        queued = [_Pending(record, caller, now) for record in records]
        caller.unsettled += len(queued)
        key.pending.extend(queued)
        if key.waiting_until is not None and len(key.pending) >= key.max_operations:
            key.waiting_until, key.scheduled = None, False  # a full batch need not linger
        self._schedule(key)
        return queued

    def _forget_old_partitions(self) -> None:
        """After a split, windows of partitions that no longer exist go once they are idle.
        Cheap when nothing changed: the range ids are the same object until the next split."""
        current = self.ranges.range_ids()
        if current is None or current is self._partitions_checked:
            return
        stale = False
        for range_id, partition in list(self._ranges.items()):
            if range_id in current:
                continue
            if partition.keys or partition.in_flight:
                stale = True  # still busy: looked at again on the next call
            else:
                del self._ranges[range_id]
        if not stale:
            self._partitions_checked = current

    def _range(self, range_id: str) -> _Range:
        if range_id not in self._ranges:
            options = self.options
            limit = ConcurrencyLimit(
                initial=options.initial_concurrency,
                maximum=options.max_concurrency,
                fixed=options.fixed_concurrency,
            )
            self._ranges[range_id] = _Range(range_id, limit)
        return self._ranges[range_id]

    def _schedule(self, key: _KeyQueue) -> None:
        """Put `key` at the end of its partition's ready queue, if it has work and may send."""
        if key.scheduled or key.busy:
            return
        if not key.pending:
            if self._keys.get(key.partition_key) is key:  # idle: forgotten until it has work
                del self._keys[key.partition_key]
                key.partition.keys -= 1
            return
        key.scheduled = True
        key.partition.ready.append(key)
        self._wakeup.set()

    def _at(self, when: float, what: _KeyQueue | _Caller | None) -> None:
        """Wake at `when`: for a key (linger, back-off), callers' deadlines, or a pause's end."""
        heapq.heappush(self._timers, (when, next(self._sequence), what))
        self._wakeup.set()

    def _start(self) -> None:
        if self._closed:  # closed while a call was being queued
            raise RuntimeError("the bulk executor is closed")
        if self._pump is None or self._pump.done():
            # Its own context: batches serve every caller, so they belong to no caller's trace
            # or meter (each caller gets its share of the charge in its outcomes instead).
            loop = asyncio.get_running_loop()
            self._pump = loop.create_task(self._run(), context=contextvars.Context())

    async def _run(self) -> None:
        while True:
            self._wakeup.clear()
            now = self.clock()
            self._fire_timers(now)
            self._dispatch_ready(now)
            wait = self._timers[0][0] - self.clock() if self._timers else None
            if wait is None:
                await self._wakeup.wait()
            elif wait > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wakeup.wait(), wait)

    def _fire_timers(self, now: float) -> None:
        while self._timers and self._timers[0][0] <= now:
            when, _, what = heapq.heappop(self._timers)
            if isinstance(what, _Caller):
                self._deadline_reached(what, now)
            elif isinstance(what, _KeyQueue) and what.waiting_until == when:
                what.waiting_until, what.scheduled = None, False
                self._schedule(what)

    def _dispatch_ready(self, now: float) -> None:
        """Send what may go now: each partition serves its ready keys in turn while it has free
        slots; a key that must wait leaves the queue for a timer."""
        for partition in list(self._ranges.values()):
            if partition.paused_until > now:
                continue  # a timer at the pause's end wakes the pump
            turns = len(partition.ready)
            while turns and partition.ready and partition.in_flight < partition.limit.slots:
                turns -= 1
                key = partition.ready.popleft()
                key.scheduled = False
                self._serve(key, partition, now)

    def _serve(self, key: _KeyQueue, partition: _Range, now: float) -> None:
        batch, full = self._take_batch(key)
        if not batch:
            self._schedule(key)  # forgets it
            return
        wait_until = max(key.not_before, batch[0].enqueued_at + self.options.linger_seconds)
        if key.not_before > now or (not full and wait_until > now):
            key.pending.extendleft(reversed(batch))
            key.scheduled, key.waiting_until = True, wait_until
            self._at(wait_until, key)
            return
        for pending in batch:
            pending.attempts += 1
            pending.in_flight = True
        key.busy = True
        partition.in_flight += 1
        epoch = partition.limit.epoch
        task = asyncio.get_running_loop().create_task(self._send(key, partition, batch, epoch))
        self._sends.add(task)
        task.add_done_callback(self._sends.discard)

    def _take_batch(self, key: _KeyQueue) -> tuple[list[_Pending], bool]:
        """The next batch of `key`, taken off its queue (withdrawn operations dropped), and
        whether it is full."""
        batch: list[_Pending] = []
        size = 0
        queue, most = key.pending, key.max_operations
        while queue and len(batch) < most:
            pending = queue.popleft()
            if pending.finished:
                continue
            size += pending.record.size
            if batch and size > MAX_BATCH_BYTES:
                queue.appendleft(pending)
                return batch, True
            batch.append(pending)
        return batch, len(batch) == most

    def _deadline_reached(self, caller: _Caller, now: float) -> None:
        """A caller's timer: its budget renewed since (its records are being written) means
        another wait; otherwise what it still has waiting expires."""
        if caller.deadline > now and caller.waiting:
            self._at(caller.deadline, caller)
        else:
            self._expire(caller.waiting, now)

    def _expire(self, callers: list[_Pending], now: float) -> None:
        """A caller's deadline: its operations still waiting get `retry`, saying why. One in
        flight is settled by its batch's answer, which the client's timeout bounds: reporting
        it unwritten while it is being written would only have the message delivered again."""
        for pending in callers:
            if pending.finished or pending.in_flight:
                continue
            key = self._keys.get(pending.record.partition_key)
            last = key.last_error if key is not None else None
            _resolve(pending, OutcomeKind.RETRY, reason=_expiry_reason(pending, last), error=last)

    # --- sending --------------------------------------------------------------------------

    async def _send(
        self, key: _KeyQueue, partition: _Range, batch: list[_Pending], epoch: int
    ) -> None:
        """Send one batch and settle it; whatever goes wrong in handling it, every operation of
        the batch gets an outcome."""
        try:
            await self._send_and_settle(key, partition, batch, epoch)
        except BaseException as error:
            reason = f"its batch could not be handled: {error_summary(error)}"
            for pending in batch:
                _resolve(pending, OutcomeKind.RETRY, reason=reason, error=error)
            if not isinstance(error, Exception):
                raise
            logger.exception("A bulk batch of %s failed in handling", key.partition.range_id)
        finally:
            for pending in batch:
                pending.in_flight = False
            key.busy = False
            partition.in_flight -= 1
            self._schedule(key)
            self._wakeup.set()

    async def _send_and_settle(
        self, key: _KeyQueue, partition: _Range, batch: list[_Pending], epoch: int
    ) -> None:
        self.stats.batches += 1
        metrics.record_batch(len(batch))
        traces = {id(p.caller): p.caller.trace for p in batch if p.caller.trace is not None}
        links = list(traces.values())
        attributes: telemetry.Attributes = {
            "catalog.ingest.batch.operations": len(batch),
            "catalog.ingest.partition_key_range": partition.range_id,
        }
        with telemetry.charged_span("bulk batch", attributes=attributes, links=links) as span:
            failure = await self._execute(key, batch)
            self._share_charge(batch, span.meter.total)  # before any outcome is settled
            if failure is None:
                self._written(key, partition, batch)
            else:
                span.set(conventions.ERROR_TYPE, type(failure).__name__)
                self._failed(key, partition, batch, failure, epoch)

    async def _execute(self, key: _KeyQueue, batch: list[_Pending]) -> BaseException | None:
        """Send the batch; the error it met, or None once it is written."""
        try:
            await self.container.execute_item_batch(
                # with its (empty) options: without them the SDK's formatting raises and
                # catches an IndexError per operation
                [("upsert", (pending.record.item,), {}) for pending in batch],
                partition_key=key.partition_key,
                no_response=True,  # Prefer: return=minimal; statuses are all it needs
                **self.options.request_options,
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
        caller: _Caller | None = None
        for pending in batch:  # every record written: the hot path, so without _resolve's calls
            if pending.caller is not caller:  # a batch holds few callers, each in a run
                if caller is not None:
                    caller.end_if_settled()
                caller = pending.caller
                caller.budget.renew()
            if not pending.settled:
                pending.settled = True
                index, charge = pending.record.index, pending.request_charge
                caller.add(Outcome(index=index, kind=OutcomeKind.WRITTEN, request_charge=charge))
        if caller is not None:
            caller.end_if_settled()

    def _share_charge(self, batch: list[_Pending], charge: float) -> None:
        """A batch's charge, split evenly among the operations it carried."""
        self.stats.request_charge += charge
        for pending in batch:
            pending.request_charge += charge / len(batch)

    def _failed(
        self,
        key: _KeyQueue,
        partition: _Range,
        batch: list[_Pending],
        error: BaseException,
        epoch: int,
    ) -> None:
        action = decide(error, len(batch))
        key.last_error = error
        metrics.count_if_timeout(error)
        requeue = batch
        if action is Action.WAIT_AND_RETRY:
            self._wait(key, partition, error, epoch)
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
        self._requeue(key, requeue, error)

    def _requeue(self, key: _KeyQueue, batch: list[_Pending], error: BaseException) -> None:
        """Back to the front of the key's queue, but for records whose caller's deadline passed
        while their batch was out: their deadline's timer has fired, so they end here."""
        now = self.clock()
        alive = []
        for pending in batch:
            if pending.finished:
                continue
            if pending.deadline <= now:
                reason = _expiry_reason(pending, error)
                _resolve(pending, OutcomeKind.RETRY, reason=reason, error=error)
            else:
                alive.append(pending)
        key.pending.extendleft(reversed(alive))

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

    def _wait(self, key: _KeyQueue, partition: _Range, error: BaseException, epoch: int) -> None:
        now = self.clock()
        if classify(error) is CosmosFailure.THROTTLED:
            self.stats.throttled += 1
            metrics.count_throttled(partition.range_id)
            if partition.limit.on_throttled(epoch):
                metrics.record_window(partition.range_id, partition.limit.window)
            pause_ends = now + cosmos_retry_after(error)
            if pause_ends > partition.paused_until:
                partition.paused_until = pause_ends
                metrics.record_pause(partition.range_id, pause_ends - now)
                self._at(pause_ends, None)
        else:
            key.not_before = now + self.backoff.delay(key.failures)
            key.failures += 1


def _too_large(record: Record) -> Outcome:
    return Outcome(
        index=record.index, kind=OutcomeKind.REJECTED, status=413, reason="item is larger than 2 MB"
    )


def _expiry_reason(pending: _Pending, last_error: BaseException | None) -> str:
    """Why a record's budget ran out, as it really happened."""
    last = f"; last error: {error_summary(last_error)}" if last_error is not None else ""
    if pending.attempts:
        return f"retry budget exhausted after {pending.attempts} attempts{last}"
    if last_error is None:
        return "not sent within the retry budget: its partition was busy (throttled or full)"
    return f"not sent within the retry budget{last}"


def _resolve(
    pending: _Pending,
    kind: OutcomeKind,
    *,
    status: int | None = None,
    reason: str | None = None,
    error: BaseException | None = None,
) -> None:
    if not pending.settled:
        pending.settled = True
        outcome = Outcome(
            index=pending.record.index,
            kind=kind,
            status=status,
            reason=reason,
            error=error,
            request_charge=pending.request_charge,
        )
        pending.caller.settle(outcome)


async def _build_executor() -> BulkExecutor:
    settings = get_settings()
    options = ExecutorOptions(
        max_concurrency=settings.bulk_max_concurrency,
        initial_concurrency=min(settings.bulk_initial_concurrency, settings.bulk_max_concurrency),
        linger_seconds=settings.bulk_linger_ms / 1000,
        request_options=bulk_request_options(settings),
    )
    container = await bulk_products_container()
    return BulkExecutor(container, options=options, ranges=FeedRanges(container))


async def shared_executor() -> BulkExecutor:
    """The process's executor (one per event loop), built on first use from the settings and
    kept with the Cosmos clients it writes through: discarding or closing them closes it."""
    return await attached("bulk executor", _build_executor)
