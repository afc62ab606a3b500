"""The process-wide bulk executor against a scripted container: batches fill across callers,
throttling shrinks the window, and every record still gets exactly one outcome."""

from __future__ import annotations

import asyncio
from typing import Any

from shared.ingest.executor import BulkExecutor, ExecutorOptions
from shared.ingest.retries import RetryBudget
from shared.ingest.writer import OutcomeKind, Record
from tests.unit.fakes import ScriptedContainer, http_error, operation_error


def record(index: int, category: str = "bikes", item_id: str | None = None) -> Record:
    item = {"id": item_id or f"p{index}", "categoryId": category, "name": "n", "price": 1}
    return Record(index=index, item=item)


def executor(container: ScriptedContainer, **options: Any) -> BulkExecutor:
    settings = {"linger_seconds": 0.02, "initial_concurrency": 1, "max_concurrency": 4, **options}
    return BulkExecutor(container, options=ExecutorOptions(**settings))  # type: ignore[arg-type]


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
