from __future__ import annotations

import asyncio
from typing import Any

import pytest

from shared.ingest.retries import Backoff, RetryBudget
from shared.ingest.writer import (
    Action,
    BatchWriter,
    OutcomeKind,
    Record,
    chunk,
    decide,
    deduplicate,
    group_by_partition,
)
from tests.unit.fakes import FakeClock, ScriptedContainer, http_error, operation_error


def record(
    index: int, category: str = "bikes", item_id: str | None = None, **fields: Any
) -> Record:
    item = {"id": item_id or f"p{index}", "categoryId": category, "name": "n", "price": 1, **fields}
    return Record(index=index, item=item)


def budget(seconds: float = 10.0, clock: FakeClock | None = None) -> RetryBudget:
    clock = clock or FakeClock()
    return RetryBudget(
        seconds=seconds, backoff=Backoff(random=lambda: 1.0), clock=clock, sleep=clock.sleep
    )


def write(container: ScriptedContainer, records: list[Record], **options: Any) -> Any:
    writer = BatchWriter(
        container, concurrency=options.pop("concurrency", 4), budget=options.pop("budget", budget())
    )  # type: ignore[arg-type]
    return asyncio.run(writer.write(records))


def kinds(report: Any) -> dict[int, OutcomeKind]:
    return {outcome.index: outcome.kind for outcome in report.outcomes}


# --- grouping, de-duplication, chunking ----------------------------------------------------


def test_records_are_grouped_by_partition_key_in_order() -> None:
    records = [record(0, "a"), record(1, "b"), record(2, "a")]
    assert {
        key: [r.index for r in group] for key, group in group_by_partition(records).items()
    } == {
        "a": [0, 2],
        "b": [1],
    }


def test_the_last_occurrence_of_an_id_wins() -> None:
    records = [
        record(0, item_id="x", price=1),
        record(1, item_id="y"),
        record(2, item_id="x", price=2),
    ]
    kept, superseded = deduplicate(records)
    assert [r.index for r in kept] == [1, 2]
    assert superseded == {0: 2}


def test_chunks_hold_at_most_100_operations() -> None:
    chunks = chunk([record(n) for n in range(250)])
    assert [len(c) for c in chunks] == [100, 100, 50]


def test_chunks_stay_within_the_byte_limit() -> None:
    records = [record(n, blob="x" * 300_000) for n in range(10)]
    chunks = chunk(records, max_bytes=1_200_000)
    assert [len(c) for c in chunks] == [3, 3, 3, 1]
    assert all(sum(r.size for r in c) <= 1_200_000 for c in chunks)


def test_a_record_larger_than_the_chunk_limit_gets_a_chunk_of_its_own() -> None:
    records = [record(0), record(1, blob="x" * 1_500_000), record(2)]
    assert [[r.index for r in c] for c in chunk(records)] == [[0], [1], [2]]


# --- retry decisions -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "size", "action"),
    [
        (http_error(429), 10, Action.WAIT_AND_RETRY),
        (http_error(503), 10, Action.WAIT_AND_RETRY),
        (http_error(408), 10, Action.WAIT_AND_RETRY),
        (http_error(449), 10, Action.WAIT_AND_RETRY),
        (TimeoutError(), 10, Action.WAIT_AND_RETRY),
        (ConnectionResetError(), 10, Action.WAIT_AND_RETRY),
        (operation_error(3, 400, 10), 10, Action.REJECT_FAILED_OPERATION),
        (operation_error(0, 413, 10), 10, Action.REJECT_FAILED_OPERATION),
        (http_error(413), 10, Action.SPLIT),
        (http_error(413), 1, Action.REJECT_RECORD),
        (http_error(400), 1, Action.REJECT_RECORD),
        (http_error(403), 10, Action.GIVE_UP),
        (http_error(404), 10, Action.GIVE_UP),
        (KeyError("bug"), 10, Action.GIVE_UP),
    ],
)
def test_decision_after_a_failed_batch(error: BaseException, size: int, action: Action) -> None:
    assert decide(error, size) is action


# --- writing ------------------------------------------------------------------------------


def test_every_record_is_written_in_batches_per_partition() -> None:
    container = ScriptedContainer()
    records = [record(n, f"c{n % 3}") for n in range(300)]
    report = write(container, records)
    assert all(kind is OutcomeKind.WRITTEN for kind in kinds(report).values())
    assert len(report.outcomes) == 300
    assert sorted(len(items) for _, items in container.calls) == [100, 100, 100]
    assert report.batches == 3


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
    failures = [http_error(429, retry_after_ms=1500)]

    def throttle_once(*_: Any) -> None:
        if failures:
            raise failures.pop()

    clock = FakeClock()
    report = write(ScriptedContainer(throttle_once), [record(0)], budget=budget(clock=clock))
    assert clock.sleeps == [1.5]
    assert kinds(report) == {0: OutcomeKind.WRITTEN}


def test_unavailability_backs_off_exponentially() -> None:
    failures = [http_error(503) for _ in range(4)]

    def unavailable(*_: Any) -> None:
        if failures:
            raise failures.pop()

    clock = FakeClock()
    write(ScriptedContainer(unavailable), [record(0)], budget=budget(clock=clock))
    assert clock.sleeps == [0.05, 0.1, 0.2, 0.4]


def test_transient_failures_beyond_the_budget_leave_records_to_retry() -> None:
    def always_unavailable(*_: Any) -> None:
        raise http_error(503)

    report = write(
        ScriptedContainer(always_unavailable),
        [record(n) for n in range(150)],
        budget=budget(seconds=1),
    )
    assert all(kind is OutcomeKind.RETRY for kind in kinds(report).values())
    assert len(report.outcomes) == 150


def test_a_failed_partition_does_not_hold_up_the_others() -> None:
    def cars_unavailable(partition_key: str, _: Any) -> None:
        if partition_key == "cars":
            raise http_error(503)

    records = [record(0, "cars"), record(1, "bikes")]
    report = write(ScriptedContainer(cars_unavailable), records, budget=budget(seconds=1))
    assert kinds(report) == {0: OutcomeKind.RETRY, 1: OutcomeKind.WRITTEN}


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
    assert kinds(report) == {0: OutcomeKind.REJECTED, 1: OutcomeKind.WRITTEN}
    assert report.outcomes[0].status == 413
    assert [[item["id"] for item in items] for _, items in container.calls] == [["p1"]]


def test_superseded_duplicates_count_as_written_and_are_not_sent() -> None:
    container = ScriptedContainer()
    report = write(container, [record(0, item_id="x", price=1), record(1, item_id="x", price=2)])
    assert kinds(report) == {0: OutcomeKind.WRITTEN, 1: OutcomeKind.WRITTEN}
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
    assert kinds(report) == {0: OutcomeKind.REJECTED, 1: OutcomeKind.REJECTED}
    assert "superseded by record 1" in (report.outcomes[0].reason or "")


def test_partitions_run_concurrently_up_to_the_bound() -> None:
    running, peak = 0, 0

    class SlowContainer(ScriptedContainer):
        async def execute_item_batch(
            self, batch_operations: list[Any], partition_key: str, **kwargs: Any
        ) -> Any:
            nonlocal running, peak
            running += 1
            peak = max(peak, running)
            await asyncio.sleep(0.01)
            running -= 1
            return await super().execute_item_batch(batch_operations, partition_key, **kwargs)

    write(SlowContainer(), [record(n, f"c{n}") for n in range(12)], concurrency=3)
    assert peak == 3
