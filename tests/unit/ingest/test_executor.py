"""The process-wide bulk executor against a scripted container: batches fill across callers,
throttling shrinks the window, and every record still gets exactly one outcome."""

from __future__ import annotations

import asyncio
import gc
import itertools
import time
import weakref
from collections.abc import Sequence
from typing import Any

from shared.ingest.executor import BulkExecutor, ExecutorOptions
from shared.ingest.outcomes import OutcomeKind, Record
from shared.ingest.ranges import OneRange
from shared.ingest.retries import Backoff, RetryBudget
from shared.platform import telemetry
from shared.platform.charges import add_charge
from shared.platform.telemetry import REQUEST_CHARGE_ATTRIBUTE
from tests.factories import record
from tests.unit.conftest import Captured
from tests.unit.fakes import ScriptedContainer, http_error, operation_error


def write(
    container: ScriptedContainer, records: list[Record], *, budget: float = 10.0, fixed: int = 0
) -> Any:
    """One caller's write through a fresh executor, with deterministic back-off."""
    options = ExecutorOptions(linger_seconds=0.001, initial_concurrency=4, max_concurrency=4)
    if fixed:
        options = ExecutorOptions(
            linger_seconds=0.001,
            initial_concurrency=fixed,
            max_concurrency=fixed,
            fixed_concurrency=True,
        )
    backoff = Backoff(random=lambda: 1.0)
    bulk = BulkExecutor(container, options=options, backoff=backoff, ranges=OneRange())

    async def run_once() -> Any:
        try:
            return await bulk.write(records, budget=RetryBudget(seconds=budget))
        finally:
            await bulk.close()

    return asyncio.run(run_once())


def outcome_kinds(report: Any) -> dict[int, OutcomeKind]:
    return {outcome.index: outcome.kind for outcome in report.outcomes}


def executor(container: ScriptedContainer, **options: Any) -> BulkExecutor:
    settings = {"linger_seconds": 0.02, "initial_concurrency": 1, "max_concurrency": 4, **options}
    return BulkExecutor(container, options=ExecutorOptions(**settings), ranges=OneRange())


def kinds(report: Any) -> list[OutcomeKind]:
    return [outcome.kind for outcome in report.outcomes]


async def run(bulk: BulkExecutor, *calls: list[Record], budget: float = 5.0) -> list[Any]:
    try:
        return await asyncio.gather(
            *(bulk.write(records, budget=RetryBudget(seconds=budget)) for records in calls)
        )
    finally:
        await bulk.close()


def test_small_calls_of_one_key_fill_one_batch_across_callers() -> None:
    container = ScriptedContainer()
    calls = [
        [record(10 * caller + n, item_id=f"c{caller}-{n}") for n in range(5)] for caller in range(8)
    ]
    reports = asyncio.run(run(executor(container), *calls))
    assert [len(items) for _, items in container.calls] == [40]
    assert all(kinds(report) == [OutcomeKind.WRITTEN] * 5 for report in reports)


def test_a_full_batch_goes_without_waiting_for_the_linger() -> None:
    container = ScriptedContainer()
    asyncio.run(run(executor(container, linger_seconds=60), [record(n) for n in range(100)]))
    assert [len(items) for _, items in container.calls] == [100]


def test_a_throttled_batch_halves_the_window_and_is_written_after_the_retry_after() -> None:
    answers = iter([http_error(429, retry_after_ms=20)])

    def respond(_: str, __: list[dict[str, Any]]) -> None:
        error = next(answers, None)
        if error:
            raise error

    container = ScriptedContainer(respond)
    bulk = executor(container, initial_concurrency=4)
    (report,) = asyncio.run(run(bulk, [record(n) for n in range(10)]))
    assert kinds(report) == [OutcomeKind.WRITTEN] * 10
    assert bulk.stats.throttled == 1
    assert bulk.concurrency_of() < 4
    assert len(container.calls) == 2


def test_a_record_cosmos_refuses_is_rejected_alone() -> None:
    def respond(_: str, items: list[dict[str, Any]]) -> None:
        bad = [n for n, item in enumerate(items) if item["id"] == "p3"]
        if bad:
            raise operation_error(bad[0], 400, len(items))

    (report,) = asyncio.run(
        run(executor(ScriptedContainer(respond)), [record(n) for n in range(6)])
    )
    assert (
        kinds(report)
        == [OutcomeKind.WRITTEN] * 3 + [OutcomeKind.REJECTED] + [OutcomeKind.WRITTEN] * 2
    )
    assert report.outcomes[3].status == 400


def test_when_transient_failures_outlast_the_budget_the_outcome_is_retry() -> None:
    def respond(_: str, __: list[dict[str, Any]]) -> None:
        raise http_error(503)

    (report,) = asyncio.run(run(executor(ScriptedContainer(respond)), [record(0)], budget=0.3))
    assert kinds(report) == [OutcomeKind.RETRY]
    assert "503" in (report.outcomes[0].reason or "")


def test_a_superseded_record_shares_the_outcome_of_its_replacement() -> None:
    records = [record(0, item_id="same"), record(1, item_id="same")]
    container = ScriptedContainer()
    (report,) = asyncio.run(run(executor(container), records))
    assert kinds(report) == [OutcomeKind.WRITTEN, OutcomeKind.WRITTEN]
    assert "superseded by record 1" in (report.outcomes[0].reason or "")
    assert [len(items) for _, items in container.calls] == [1]


def test_keys_are_written_in_their_own_batches() -> None:
    container = ScriptedContainer()
    records = [record(n, category=f"c{n % 3}") for n in range(9)]
    (report,) = asyncio.run(run(executor(container), records))
    assert sorted(key for key, _ in container.calls) == ["c0", "c1", "c2"]
    assert kinds(report) == [OutcomeKind.WRITTEN] * 9


# --- one caller's records: every guarantee the per-message writer gave ----------------


def test_every_record_is_written_in_batches_per_partition() -> None:
    container = ScriptedContainer()
    records = [record(n, f"c{n % 3}") for n in range(300)]
    report = write(container, records)
    assert all(kind is OutcomeKind.WRITTEN for kind in outcome_kinds(report).values())
    assert len(report.outcomes) == 300
    assert sorted(len(items) for _, items in container.calls) == [100, 100, 100]


def test_batches_of_a_partition_are_sent_in_order() -> None:
    container = ScriptedContainer()
    write(container, [record(n) for n in range(250)])
    assert [items[0]["id"] for _, items in container.calls] == ["p0", "p100", "p200"]


def test_a_bad_record_is_rejected_and_the_rest_resubmitted() -> None:
    def refuse_p5(_: str, items: list[dict[str, Any]]) -> None:
        ids = [item["id"] for item in items]
        if "p5" in ids:
            raise operation_error(ids.index("p5"), 400, len(ids))

    container = ScriptedContainer(refuse_p5)
    report = write(container, [record(n) for n in range(10)])
    rejected = report.of_kind(OutcomeKind.REJECTED)
    assert [(o.index, o.status) for o in rejected] == [(5, 400)]
    assert "bad item" in (rejected[0].reason or "")
    assert len(report.of_kind(OutcomeKind.WRITTEN)) == 9
    assert [len(items) for _, items in container.calls] == [10, 9]


def test_throttling_waits_the_retry_after_cosmos_asked_for() -> None:
    failures = [http_error(429, retry_after_ms=150)]
    sent: list[float] = []

    def throttle_once(*_: Any) -> None:
        sent.append(time.monotonic())
        if failures:
            raise failures.pop()

    report = write(ScriptedContainer(throttle_once), [record(0)])
    assert sent[1] - sent[0] >= 0.15
    assert outcome_kinds(report) == {0: OutcomeKind.WRITTEN}


def test_unavailability_backs_off_exponentially() -> None:
    failures = [http_error(503) for _ in range(4)]
    sent: list[float] = []

    def unavailable(*_: Any) -> None:
        sent.append(time.monotonic())
        if failures:
            raise failures.pop()

    write(ScriptedContainer(unavailable), [record(0)])
    gaps = [later - earlier for earlier, later in itertools.pairwise(sent)]
    assert [round(gap, 1) for gap in gaps] == [0.1, 0.1, 0.2, 0.4]  # 0.05, 0.1, 0.2, 0.4 s


def test_transient_failures_beyond_the_budget_leave_records_to_retry() -> None:
    def always_unavailable(*_: Any) -> None:
        raise http_error(503)

    report = write(
        ScriptedContainer(always_unavailable),
        [record(n) for n in range(150)],
        budget=0.5,
    )
    assert all(kind is OutcomeKind.RETRY for kind in outcome_kinds(report).values())
    assert len(report.outcomes) == 150


def test_records_never_sent_after_a_batch_failed_for_good_say_they_were_not_attempted() -> None:
    def unexpected(*_: Any) -> None:
        raise http_error(500)

    container = ScriptedContainer(unexpected)
    report = write(container, [record(n) for n in range(150)])
    assert len(container.calls) == 1  # the second batch of the key is never sent
    assert all(kind is OutcomeKind.RETRY for kind in outcome_kinds(report).values())
    sent, unsent = report.outcomes[:100], report.outcomes[100:]
    assert {outcome.reason for outcome in sent} == {"Cosmos DB status 500"}
    assert all((o.reason or "").startswith("not attempted: an earlier batch") for o in unsent)
    assert all(o.error is not None and o.error.status_code == 500 for o in report.outcomes)


def test_records_whose_budget_ran_out_before_they_were_sent_say_they_were_not_sent() -> None:
    def always_unavailable(*_: Any) -> None:
        raise http_error(503)

    report = write(
        ScriptedContainer(always_unavailable), [record(n) for n in range(150)], budget=0.5
    )
    reasons = [outcome.reason or "" for outcome in report.outcomes]
    assert all(reason.startswith("retry budget exhausted") for reason in reasons[:100])
    assert all(reason.startswith("not sent within the retry budget") for reason in reasons[100:])
    assert all("503" in reason for reason in reasons)


def test_a_failed_partition_does_not_hold_up_the_others() -> None:
    def cars_unavailable(partition_key: str, _: Any) -> None:
        if partition_key == "cars":
            raise http_error(503)

    records = [record(0, "cars"), record(1, "bikes")]
    report = write(ScriptedContainer(cars_unavailable), records, budget=0.5)
    assert outcome_kinds(report) == {0: OutcomeKind.RETRY, 1: OutcomeKind.WRITTEN}


def test_too_large_batch_is_split_until_it_fits() -> None:
    def small_batches_only(_: str, items: list[dict[str, Any]]) -> None:
        if len(items) > 25:
            raise http_error(413)

    container = ScriptedContainer(small_batches_only)
    report = write(container, [record(n) for n in range(100)])
    assert len(report.of_kind(OutcomeKind.WRITTEN)) == 100
    assert sorted(len(items) for _, items in container.calls if len(items) <= 25) == [
        25,
        25,
        25,
        25,
    ]


def test_an_item_over_2_mb_is_rejected_without_being_sent() -> None:
    container = ScriptedContainer()
    report = write(container, [record(0, blob="x" * (2 * 1024 * 1024)), record(1)])
    assert outcome_kinds(report) == {0: OutcomeKind.REJECTED, 1: OutcomeKind.WRITTEN}
    assert report.outcomes[0].status == 413
    assert [[item["id"] for item in items] for _, items in container.calls] == [["p1"]]


def test_superseded_duplicates_count_as_written_and_are_not_sent() -> None:
    container = ScriptedContainer()
    report = write(container, [record(0, item_id="x", price=1), record(1, item_id="x", price=2)])
    assert outcome_kinds(report) == {0: OutcomeKind.WRITTEN, 1: OutcomeKind.WRITTEN}
    assert [items for _, items in container.calls] == [
        [{"id": "x", "categoryId": "bikes", "name": "n", "price": 2}]
    ]


def test_a_superseded_record_shares_the_fate_of_the_record_that_replaced_it() -> None:
    def refuse_price_2(_: str, items: list[dict[str, Any]]) -> None:
        prices = [item["price"] for item in items]
        if 2 in prices:
            raise operation_error(prices.index(2), 400, len(items))

    report = write(
        ScriptedContainer(refuse_price_2),
        [record(0, item_id="x", price=1), record(1, item_id="x", price=2)],
    )
    assert outcome_kinds(report) == {0: OutcomeKind.REJECTED, 1: OutcomeKind.REJECTED}
    assert "superseded by record 1" in (report.outcomes[0].reason or "")


def test_partitions_run_concurrently_up_to_the_window() -> None:
    running, peak = 0, 0

    class SlowContainer(ScriptedContainer):
        async def execute_item_batch(
            self,
            batch_operations: Sequence[tuple[str, tuple[Any, ...]]],
            partition_key: str,
            **kwargs: Any,
        ) -> Any:
            nonlocal running, peak
            running += 1
            peak = max(peak, running)
            await asyncio.sleep(0.01)
            running -= 1
            return await super().execute_item_batch(batch_operations, partition_key, **kwargs)

    write(SlowContainer(), [record(n, f"c{n}") for n in range(12)], fixed=3)
    assert peak == 3


def test_a_batch_is_a_span_linked_to_every_caller_riding_in_it(captured: Captured) -> None:
    def charged(*_: Any) -> None:
        add_charge(8.0)  # what the client's response hook does for the batch's response

    bulk = executor(ScriptedContainer(charged))

    async def caller(name: str, records: list[Record]) -> Any:
        with telemetry.span(name):
            return await bulk.write(records, budget=RetryBudget(seconds=5))

    async def main() -> list[Any]:
        try:
            return await asyncio.gather(
                caller(
                    "first",
                    [record(0, item_id="a"), record(1, item_id="b"), record(2, item_id="c")],
                ),
                caller("second", [record(0, item_id="d")]),
            )
        finally:
            await bulk.close()

    first, second = asyncio.run(main())
    batch = captured.span("bulk batch")
    assert batch.parent is None  # shared work: linked, not parented
    callers = {captured.span("first").context.span_id, captured.span("second").context.span_id}
    assert {link.context.span_id for link in batch.links} == callers
    assert batch.attributes["catalog.ingest.batch.operations"] == 4
    assert batch.attributes[REQUEST_CHARGE_ATTRIBUTE] == 8.0
    assert (first.request_charge, second.request_charge) == (6.0, 2.0)
    (sizes,) = captured.points("catalog.ingest.batch.operations")
    assert (sizes.count, sizes.sum) == (1, 4)


def test_a_batch_that_timed_out_is_counted_as_a_timeout_and_sent_again(captured: Captured) -> None:
    failures = [TimeoutError()]

    def slow_once(*_: Any) -> None:
        if failures:
            raise failures.pop()

    report = write(ScriptedContainer(slow_once), [record(0)])
    assert kinds(report) == [OutcomeKind.WRITTEN]
    (timeouts,) = captured.points("catalog.cosmos.transient_failures")
    assert timeouts.attributes["error.type"] == "timeout" and timeouts.value == 1


# --- a long life: cost, fairness, congestion events, deadlines, failures, shutdown ---------


def test_keys_are_forgotten_once_their_work_is_done() -> None:
    container = ScriptedContainer()
    bulk = executor(container, linger_seconds=0.0)

    async def many_keys() -> int:
        records = [record(n, category=f"k{n}") for n in range(5000)]
        await bulk.write(records, budget=RetryBudget(seconds=10))
        await asyncio.sleep(0)
        active = bulk.active_keys
        await bulk.close()
        return active

    assert asyncio.run(many_keys()) == 0
    assert len(container.calls) == 5000


def test_a_cold_key_waits_at_most_one_round_behind_a_hot_one() -> None:
    order: list[str] = []

    def note(partition_key: str, _: Any) -> None:
        order.append(partition_key)

    bulk = executor(ScriptedContainer(note), linger_seconds=0.0, max_concurrency=1)

    async def hot_then_cold() -> None:
        hot = asyncio.create_task(
            bulk.write([record(n, category="hot") for n in range(1000)], budget=RetryBudget(5))
        )
        while not order:  # the cold key arrives once the hot one is being written, not before
            await asyncio.sleep(0)
        await bulk.write([record(0, category="cold")], budget=RetryBudget(5))
        await hot
        await bulk.close()

    asyncio.run(hot_then_cold())
    assert order.index("cold") <= 3  # the batch in flight, maybe one more, then its turn


def test_sixteen_batches_throttled_together_halve_the_window_once() -> None:
    throttled: set[str] = set()

    def throttle_each_key_once(partition_key: str, _: Any) -> None:
        if partition_key not in throttled:
            throttled.add(partition_key)
            raise http_error(429, retry_after_ms=10)

    bulk = executor(
        ScriptedContainer(throttle_each_key_once),
        linger_seconds=0.0,
        initial_concurrency=16,
        max_concurrency=16,
    )

    async def sixteen_keys() -> float:
        slow = SlowStart(bulk)
        async with asyncio.timeout(5):
            records = [record(n, category=f"k{n}") for n in range(16)]
            await bulk.write(records, budget=RetryBudget(5))
        await bulk.close()
        return slow.first_reduction

    assert asyncio.run(sixteen_keys()) == 8


class SlowStart:
    """Notes the window just after its first reduction."""

    def __init__(self, bulk: BulkExecutor) -> None:
        self.first_reduction = 0.0
        limit = bulk._range("0").limit
        reduce = limit.on_throttled

        def noted(sent_in_epoch: int | None = None) -> bool:
            reduced = reduce(sent_in_epoch)
            if reduced and not self.first_reduction:
                self.first_reduction = limit.window
            return reduced

        limit.on_throttled = noted  # type: ignore[method-assign]


def test_a_caller_gets_its_outcome_by_its_deadline_even_while_its_partition_is_paused() -> None:
    def throttled_for_three_seconds(*_: Any) -> None:
        raise http_error(429, retry_after_ms=3000)

    bulk = executor(ScriptedContainer(throttled_for_three_seconds), linger_seconds=0.0)

    async def short_budget() -> tuple[float, Any]:
        first = asyncio.create_task(bulk.write([record(0)], budget=RetryBudget(seconds=10)))
        await asyncio.sleep(0.05)  # the partition is paused for 3 s now
        started = time.monotonic()
        report = await bulk.write([record(1, item_id="late")], budget=RetryBudget(seconds=0.2))
        waited = time.monotonic() - started
        first.cancel()
        await bulk.close()
        return waited, report

    waited, report = asyncio.run(short_budget())
    assert waited < 0.5
    (outcome,) = report.outcomes
    assert outcome.kind is OutcomeKind.RETRY
    assert "not sent within the retry budget" in (outcome.reason or "")
    assert "429" in (outcome.reason or "")


class SlowContainer(ScriptedContainer):
    """Answers each batch after `seconds`."""

    def __init__(self, seconds: float, respond: Any = None) -> None:
        super().__init__(respond)
        self.seconds = seconds

    async def execute_item_batch(self, *args: Any, **kwargs: Any) -> list[dict[str, Any]]:
        await asyncio.sleep(self.seconds)
        return await super().execute_item_batch(*args, **kwargs)


def test_a_caller_whose_batches_go_on_being_written_outlasts_its_budget() -> None:
    """The budget counts failing, not waiting: six batches of one key go one at a time (0.36 s)
    against a 0.15 s budget, and each one written renews it."""
    bulk = executor(SlowContainer(0.06), linger_seconds=0.0, max_concurrency=1)
    (report,) = asyncio.run(run(bulk, [record(n) for n in range(600)], budget=0.15))
    assert kinds(report) == [OutcomeKind.WRITTEN] * 600
    assert len(bulk.container.calls) == 6  # type: ignore[attr-defined]


def test_another_callers_progress_does_not_renew_a_failing_callers_budget() -> None:
    def unavailable_for_b(partition_key: str, _: Any) -> None:
        if partition_key == "b":
            raise http_error(503)

    bulk = executor(SlowContainer(0.05, unavailable_for_b), linger_seconds=0.0)

    async def one_written_one_failing() -> tuple[Any, Any, float]:
        writing = asyncio.create_task(
            bulk.write([record(n, category="a") for n in range(800)], budget=RetryBudget(0.2))
        )
        started = time.monotonic()
        failing = await bulk.write([record(0, category="b")], budget=RetryBudget(0.2))
        waited = time.monotonic() - started
        written = await writing
        await bulk.close()
        return written, failing, waited

    written, failing, waited = asyncio.run(one_written_one_failing())
    assert kinds(written) == [OutcomeKind.WRITTEN] * 800
    assert kinds(failing) == [OutcomeKind.RETRY] and waited < 0.6
    assert "503" in (failing.outcomes[0].reason or "")


def test_a_batch_whose_handling_fails_still_gives_every_record_an_outcome() -> None:
    bulk = executor(ScriptedContainer(), linger_seconds=0.0)

    def broken(*_: Any) -> None:
        raise RuntimeError("bookkeeping failed")

    bulk._written = broken  # type: ignore[method-assign]

    async def write_once() -> Any:
        try:
            async with asyncio.timeout(2):
                return await bulk.write([record(n) for n in range(3)], budget=RetryBudget(5))
        finally:
            await bulk.close()

    report = asyncio.run(write_once())
    assert kinds(report) == [OutcomeKind.RETRY] * 3
    assert all("could not be handled: RuntimeError" in (o.reason or "") for o in report.outcomes)


def test_a_cancelled_callers_queued_records_are_never_sent() -> None:
    sent: list[str] = []

    def paused_then_note(partition_key: str, items: list[dict[str, Any]]) -> None:
        sent.extend(item["id"] for item in items)
        if sent == ["first"]:
            raise http_error(429, retry_after_ms=200)

    bulk = executor(ScriptedContainer(paused_then_note), linger_seconds=0.0)

    async def cancel_one() -> None:
        first = asyncio.create_task(bulk.write([record(0, item_id="first")], budget=RetryBudget(5)))
        await asyncio.sleep(0.05)
        doomed = asyncio.create_task(
            bulk.write([record(1, item_id="withdrawn")], budget=RetryBudget(5))
        )
        await asyncio.sleep(0.01)
        doomed.cancel()
        await first
        await asyncio.sleep(0.05)
        await bulk.close()

    asyncio.run(cancel_one())
    assert "withdrawn" not in sent and sent.count("first") == 2


def test_closing_the_executor_resolves_every_waiting_record() -> None:
    def throttled(*_: Any) -> None:
        raise http_error(429, retry_after_ms=5000)

    bulk = executor(ScriptedContainer(throttled), linger_seconds=0.0)

    async def close_meanwhile() -> Any:
        writing = asyncio.create_task(
            bulk.write([record(n) for n in range(3)], budget=RetryBudget(30))
        )
        await asyncio.sleep(0.05)
        await bulk.close()
        async with asyncio.timeout(1):
            return await writing

    report = asyncio.run(close_meanwhile())
    assert kinds(report) == [OutcomeKind.RETRY] * 3
    assert all("closed" in (o.reason or "") for o in report.outcomes)


class SplitRanges:
    """One partition "0" until `split`, then "a" and "b" by the key's first letter; the same
    set of ids until then, as a real lookup gives."""

    BEFORE = frozenset({"0"})
    AFTER = frozenset({"a", "b"})

    def __init__(self) -> None:
        self.split = False

    async def range_of(self, partition_key: str) -> str:
        return ("a" if partition_key < "m" else "b") if self.split else "0"

    def range_ids(self) -> frozenset[str] | None:
        return self.AFTER if self.split else self.BEFORE


def test_after_a_split_the_windows_follow_the_new_partitions() -> None:
    lookup = SplitRanges()
    bulk = BulkExecutor(
        ScriptedContainer(), options=ExecutorOptions(linger_seconds=0.0), ranges=lookup
    )

    async def split_midway() -> tuple[set[str], set[str]]:
        budget = RetryBudget(seconds=5)
        await bulk.write(
            [record(0, category="apples"), record(1, category="zebras")], budget=budget
        )
        before = bulk.partitions_in_use()
        lookup.split = True
        await bulk.write(
            [record(2, category="apples"), record(3, category="zebras")], budget=budget
        )
        after = bulk.partitions_in_use()
        await bulk.close()
        return before, after

    assert asyncio.run(split_midway()) == ({"0"}, {"a", "b"})


class GatedContainer(ScriptedContainer):
    """Holds the batches of `held` until its gate opens."""

    def __init__(self, held: str) -> None:
        super().__init__()
        self.held = held
        self.gate = asyncio.Event()

    async def execute_item_batch(
        self, batch_operations: Sequence[Any], partition_key: str, **options: Any
    ) -> list[dict[str, Any]]:
        if partition_key == self.held:
            await self.gate.wait()
        return await super().execute_item_batch(batch_operations, partition_key, **options)


def test_a_window_busy_when_the_split_is_seen_goes_once_it_is_idle() -> None:
    lookup, container = SplitRanges(), GatedContainer(held="apples")
    bulk = BulkExecutor(container, options=ExecutorOptions(linger_seconds=0.0), ranges=lookup)

    async def split_while_in_flight() -> tuple[set[str], set[str]]:
        budget = RetryBudget(seconds=5)
        held = asyncio.create_task(bulk.write([record(0, category="apples")], budget=budget))
        while not bulk.partitions_in_use():
            await asyncio.sleep(0.001)
        lookup.split = True
        await bulk.write([record(1, category="zebras")], budget=budget)
        during = bulk.partitions_in_use()
        container.gate.set()
        await held
        after = bulk.partitions_in_use()
        await bulk.close()
        return during, after

    assert asyncio.run(split_while_in_flight()) == ({"0", "b"}, {"b"})


def test_a_finished_call_leaves_none_of_its_records_behind_until_its_deadline() -> None:
    """The deadline's timer outlives the call (its budget is tens of seconds): were it to keep
    the call's records, a busy process would hold every record of the last budget's worth."""
    bulk = executor(ScriptedContainer(), linger_seconds=0.0)

    async def write_and_forget() -> list[weakref.ref[Record]]:
        records = [record(n) for n in range(50)]
        kept = [weakref.ref(each) for each in records]
        await bulk.write(records, budget=RetryBudget(seconds=600))
        del records
        gc.collect()
        try:
            return kept
        finally:
            await bulk.close()

    kept = asyncio.run(write_and_forget())
    assert [ref() for ref in kept] == [None] * 50


def records_of(keys: int, per_key: int) -> list[Record]:
    return [record(n, category=f"k{n % keys}", item_id=f"p{n}") for n in range(keys * per_key)]


def test_a_long_call_s_first_batches_go_out_while_the_rest_is_still_being_queued() -> None:
    queued_at_first_send: list[int] = []
    bulk = executor(ScriptedContainer(lambda *_: None), initial_concurrency=4, linger_seconds=0.0)

    def note(*_: Any) -> None:
        if not queued_at_first_send:
            queued_at_first_send.append(bulk.queued_operations)

    bulk.container = ScriptedContainer(note)
    [report] = asyncio.run(run(bulk, records_of(keys=20, per_key=500)))
    assert kinds(report) == [OutcomeKind.WRITTEN] * 10_000
    # a round is a batch of each key: 2,000 records; all 10,000 are never queued at once
    assert queued_at_first_send and queued_at_first_send[0] <= 4_000


def test_a_call_of_a_batch_per_key_or_less_is_queued_in_one_go() -> None:
    container = ScriptedContainer()
    [report] = asyncio.run(run(executor(container, max_concurrency=16), records_of(20, 100)))
    assert kinds(report) == [OutcomeKind.WRITTEN] * 2_000
    assert sorted(len(items) for _, items in container.calls) == [100] * 20


def test_a_call_cancelled_while_it_is_queued_sends_nothing_more() -> None:
    container = ScriptedContainer()
    bulk = executor(container, initial_concurrency=1, max_concurrency=1, linger_seconds=0.0)

    async def cancelled_while_queued() -> None:
        call = asyncio.create_task(bulk.write(records_of(10, 1_000), budget=RetryBudget(5)))
        await asyncio.sleep(0)  # its first round is queued
        await asyncio.sleep(0)
        call.cancel()
        await asyncio.sleep(0.05)
        assert call.cancelled()
        await bulk.close()

    asyncio.run(cancelled_while_queued())
    assert 0 < sum(len(items) for _, items in container.calls) <= 300
    assert bulk.active_keys == 0


def test_closing_the_executor_while_a_call_is_queued_fails_the_call() -> None:
    container = ScriptedContainer()
    bulk = executor(container, linger_seconds=0.0)

    async def closed_while_queued() -> str:
        call = asyncio.create_task(bulk.write(records_of(10, 1_000), budget=RetryBudget(5)))
        await asyncio.sleep(0)
        await bulk.close()
        try:
            await call
        except RuntimeError as error:
            return str(error)
        return "no error"

    assert asyncio.run(closed_while_queued()) == "the bulk executor is closed"
    assert sum(len(items) for _, items in container.calls) < 10_000
