"""The bulk executor over a long life: many partition keys, and fairness under throttling.

- many keys: 200,000 records over 100,000 partition keys beside 200,000 over 40, written in
  messages of 200 records, 16 at a time, as the queue function writes them, through one
  executor against a container in this process that answers every batch at once: what costs
  CPU is the executor's own scheduling, not the SDK or the endpoint. A third run writes the
  40-key workload again on the executor that has just seen 100,000 keys: cost must follow the
  work, not the history. After each run drains, the executor's count of keys it still tracks.
  Beside each run, its floor: as many calls of the same container as the executor made batches,
  from 16 plain loops with no scheduling at all. The floor shows what the target leaves the
  executor per batch: the many-key run pays its per-batch work 200,000 times.
- fairness under throttling: one hot category (HOT_RECORDS records in messages of 200) and
  COLD_KEYS cold ones (one message of COLD_RECORDS each, sent once the hot ones are under way)
  into a container provisioned at the lab's 4,000 RU/s on the local endpoint: how long each
  cold message waited for all its records, and how many records of any message ran out of
  their retry budget.
"""

from __future__ import annotations

import asyncio
import itertools
import statistics
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from bench.approaches import client, proxy
from bench.measure import fresh_container
from bench.workload import products
from devtools.stack import LocalStack
from shared.ingest.executor import BulkExecutor, ExecutorOptions
from shared.ingest.outcomes import OutcomeKind, Record, WriteReport
from shared.ingest.ranges import FeedRanges, OneRange
from shared.ingest.retries import RetryBudget

RECORDS = 200_000
MANY_KEYS = 100_000
FEW_KEYS = 40
MESSAGE_RECORDS = 200
MESSAGES_IN_FLIGHT = 16
CPU_RATIO_TARGET = 1.5

HOT_RECORDS = 6_000
COLD_KEYS = 20
COLD_RECORDS = 50
FAIRNESS_RU_PER_SECOND = 4_000
BUDGET_SECONDS = 30.0  # the writer's default retry budget (WRITER_RETRY_BUDGET_SECONDS)
COLD_START_DELAY = 1.0


class InstantContainer:
    """A container that answers every batch at once (after one turn of the event loop)."""

    def __init__(self) -> None:
        self.batches = 0

    async def execute_item_batch(
        self, batch_operations: Sequence[tuple[str, tuple[Any, ...]]], partition_key: str, **_: Any
    ) -> list[dict[str, Any]]:
        self.batches += 1
        await asyncio.sleep(0)
        return [{"statusCode": 200} for _ in batch_operations]


def keyed_records(count: int, keys: int) -> list[Record]:
    """`count` small records spread evenly over `keys` partition keys, shuffled by key."""
    return [
        Record(index=n, item={"id": f"p{n}", "categoryId": f"k{n % keys}", "price": 1.0})
        for n in range(count)
    ]


async def _write_as_messages(bulk: BulkExecutor, records: list[Record]) -> list[WriteReport]:
    slots = asyncio.Semaphore(MESSAGES_IN_FLIGHT)

    async def message(start: int) -> WriteReport:
        async with slots:
            batch = records[start : start + MESSAGE_RECORDS]
            return await bulk.write(batch, budget=RetryBudget(seconds=600))

    return await asyncio.gather(*(message(s) for s in range(0, len(records), MESSAGE_RECORDS)))


@dataclass(frozen=True, kw_only=True)
class KeysRun:
    workload: str
    keys: int
    records: int
    cpu_seconds: float
    batches: int
    written: int
    keys_after_drain: int
    floor_cpu_seconds: float  # the same number of container calls, no executor

    @property
    def cpu_per_thousand(self) -> float:
        return self.cpu_seconds / self.records * 1000

    @property
    def own_cpu_seconds(self) -> float:
        """The executor's CPU beyond its floor."""
        return self.cpu_seconds - self.floor_cpu_seconds

    @property
    def floor_per_thousand(self) -> float:
        return self.floor_cpu_seconds / self.records * 1000

    @property
    def cpu_per_batch_ms(self) -> float:
        return self.cpu_seconds / self.batches * 1000


async def container_calls_alone(
    container: InstantContainer, records: list[Record], batches: int
) -> float:
    """CPU seconds of `batches` calls of `container` carrying `records` in order, from
    MESSAGES_IN_FLIGHT plain loops: the least any executor sending that many batches pays."""
    bounds = [len(records) * n // batches for n in range(batches + 1)]
    calls = itertools.pairwise(bounds)

    async def loop() -> None:
        for start, end in calls:
            operations = [("upsert", (r.item,), {}) for r in records[start:end]]
            await container.execute_item_batch(operations, records[start].partition_key)

    started = time.process_time()
    await asyncio.gather(*(loop() for _ in range(MESSAGES_IN_FLIGHT)))
    return time.process_time() - started


async def _keys_run(bulk: BulkExecutor, workload: str, keys: int) -> KeysRun:
    container = bulk.container
    assert isinstance(container, InstantContainer)
    records = keyed_records(RECORDS, keys)
    batches_before = container.batches
    started = time.process_time()
    reports = await _write_as_messages(bulk, records)
    cpu = time.process_time() - started
    written = sum(len(report.of_kind(OutcomeKind.WRITTEN)) for report in reports)
    batches = container.batches - batches_before
    return KeysRun(
        workload=workload,
        keys=keys,
        records=RECORDS,
        cpu_seconds=cpu,
        batches=batches,
        written=written,
        keys_after_drain=bulk.active_keys,
        floor_cpu_seconds=await container_calls_alone(InstantContainer(), records, batches),
    )


@dataclass(frozen=True, kw_only=True)
class ManyKeys:
    runs: list[KeysRun]

    def run(self, workload: str) -> KeysRun:
        return next(run for run in self.runs if run.workload == workload)

    @property
    def ratio(self) -> float:
        """CPU per 1,000 records over 100,000 keys against over 40 keys, fresh."""
        return self.run("many").cpu_per_thousand / self.run("few").cpu_per_thousand

    @property
    def per_batch_allowance_us(self) -> float:
        """What the target leaves the executor per many-key batch beyond the container call,
        were its other work no dearer than in the 40-key run: microseconds."""
        few, many = self.run("few"), self.run("many")
        allowed = CPU_RATIO_TARGET * few.cpu_seconds - few.own_cpu_seconds - many.floor_cpu_seconds
        return allowed / many.batches * 1e6

    @property
    def per_batch_own_us(self) -> float:
        """The executor's own CPU per many-key batch beyond the container call, by the same
        reckoning: microseconds."""
        few, many = self.run("few"), self.run("many")
        return (many.own_cpu_seconds - few.own_cpu_seconds) / many.batches * 1e6

    @property
    def history_ratio(self) -> float:
        """The 40-key workload after 100,000 keys were seen, against on a fresh executor."""
        return self.run("few, after many").cpu_per_thousand / self.run("few").cpu_per_thousand

    def to_json(self) -> dict[str, Any]:
        return {
            "runs": [
                {
                    **asdict(run),
                    "cpuSecondsPer1000": round(run.cpu_per_thousand, 4),
                    "cpuMsPerBatch": round(run.cpu_per_batch_ms, 4),
                    "floorCpuSecondsPer1000": round(run.floor_per_thousand, 4),
                }
                for run in self.runs
            ],
            "ratioManyToFew": round(self.ratio, 2),
            "perBatchAllowanceMicroseconds": round(self.per_batch_allowance_us, 2),
            "perBatchOwnMicroseconds": round(self.per_batch_own_us, 2),
            "ratioFewAfterManyToFew": round(self.history_ratio, 2),
        }


def many_keys() -> ManyKeys:
    async def three_runs() -> list[KeysRun]:
        fresh = BulkExecutor(InstantContainer(), options=ExecutorOptions(), ranges=OneRange())
        few = await _keys_run(fresh, "few", FEW_KEYS)
        await fresh.close()
        seasoned = BulkExecutor(InstantContainer(), options=ExecutorOptions(), ranges=OneRange())
        many = await _keys_run(seasoned, "many", MANY_KEYS)
        again = await _keys_run(seasoned, "few, after many", FEW_KEYS)
        await seasoned.close()
        return [few, many, again]

    return ManyKeys(runs=asyncio.run(three_runs()))


@dataclass(frozen=True, kw_only=True)
class Fairness:
    hot_records: int
    cold_keys: int
    cold_records: int
    ru_per_second: int
    seconds: float
    cold_waits: list[float]  # seconds from each cold message's write to its last outcome
    hot_seconds: float
    out_of_budget: int
    written: int

    @property
    def longest_cold_wait(self) -> float:
        return max(self.cold_waits)

    def to_json(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "coldWaits": [round(wait, 2) for wait in self.cold_waits],
            "longestColdWait": round(self.longest_cold_wait, 2),
            "medianColdWait": round(statistics.median(self.cold_waits), 2),
        }


async def _timed(bulk: BulkExecutor, records: list[Record]) -> tuple[float, WriteReport]:
    started = time.monotonic()
    report = await bulk.write(records, budget=RetryBudget(seconds=BUDGET_SECONDS))
    return time.monotonic() - started, report


def _as_records(items: list[dict[str, Any]], category: str) -> list[Record]:
    return [Record(index=n, item={**item, "categoryId": category}) for n, item in enumerate(items)]


async def _fairness(stack: LocalStack) -> Fairness:
    target = fresh_container(stack, f"fairness-{time.monotonic_ns()}", FAIRNESS_RU_PER_SECOND)
    items = products(HOT_RECORDS + COLD_KEYS * COLD_RECORDS, seed=12)
    hot = _as_records(items[:HOT_RECORDS], "hot")
    colds = [
        _as_records(items[HOT_RECORDS + k * COLD_RECORDS :][:COLD_RECORDS], f"cold-{k}")
        for k in range(COLD_KEYS)
    ]
    async with client(target, retry_throttling=False) as cosmos:
        container = proxy(cosmos, target)
        bulk = BulkExecutor(container, options=ExecutorOptions(), ranges=FeedRanges(container))
        started = time.monotonic()
        hot_messages = [
            asyncio.create_task(_timed(bulk, hot[s : s + MESSAGE_RECORDS]))
            for s in range(0, len(hot), MESSAGE_RECORDS)
        ]
        await asyncio.sleep(COLD_START_DELAY)
        cold_results = await asyncio.gather(*(_timed(bulk, cold) for cold in colds))
        hot_results = await asyncio.gather(*hot_messages)
        seconds = time.monotonic() - started
        await bulk.close()
    reports = [report for _, report in (*cold_results, *hot_results)]
    return Fairness(
        hot_records=HOT_RECORDS,
        cold_keys=COLD_KEYS,
        cold_records=COLD_RECORDS,
        ru_per_second=FAIRNESS_RU_PER_SECOND,
        seconds=seconds,
        cold_waits=[wait for wait, _ in cold_results],
        hot_seconds=max(wait for wait, _ in hot_results),
        out_of_budget=sum(len(report.of_kind(OutcomeKind.RETRY)) for report in reports),
        written=sum(len(report.of_kind(OutcomeKind.WRITTEN)) for report in reports),
    )


def fairness(stack: LocalStack) -> Fairness:
    return asyncio.run(_fairness(stack))


def _met(ok: bool) -> str:
    return "met" if ok else "**not met**"


def keys_table(result: ManyKeys) -> str:
    rows = [
        "| workload | keys | batches | CPU s | CPU s per 1,000 records | CPU ms per batch "
        "| keys tracked after the drain | floor: CPU s per 1,000 records |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for run in result.runs:
        rows.append(
            f"| {run.workload} | {run.keys:,} | {run.batches:,} | {run.cpu_seconds:.2f} | "
            f"{run.cpu_per_thousand:.3f} | {run.cpu_per_batch_ms:.3f} | {run.keys_after_drain:,} "
            f"| {run.floor_per_thousand:.4f} |"
        )
    rows += [
        "",
        f"CPU per 1,000 records, 100,000 keys against 40: {result.ratio:.2f} (target <= "
        f"{CPU_RATIO_TARGET}: {_met(result.ratio <= CPU_RATIO_TARGET)}); 40 keys after 100,000 "
        f"were seen against a fresh executor: {result.history_ratio:.2f}.",
        "",
        "The floor is the same number of calls of the same container with no executor. Were the "
        "executor's work per record no dearer with 100,000 keys than with 40, the target would "
        f"leave it {result.per_batch_allowance_us:.1f} µs of its own per batch beyond the floor; "
        f"it spends {result.per_batch_own_us:.1f} µs.",
    ]
    return "\n".join(rows)


def fairness_table(result: Fairness) -> str:
    waits = result.cold_waits
    return "\n".join(
        [
            "| figure | measured | target |",
            "| --- | ---: | --- |",
            f"| hot records, cold keys x records | {result.hot_records:,}, "
            f"{result.cold_keys} x {result.cold_records} | |",
            f"| seconds, all written | {result.seconds:.1f} | |",
            f"| hot messages' longest wait (s) | {result.hot_seconds:.1f} | |",
            f"| cold messages' wait (s): median, longest | {statistics.median(waits):.2f}, "
            f"{max(waits):.2f} | |",
            f"| records out of budget ({BUDGET_SECONDS:g} s) | {result.out_of_budget:,} | none: "
            f"{_met(result.out_of_budget == 0)} |",
            f"| written | {result.written:,} | |",
        ]
    )


@dataclass(frozen=True, kw_only=True)
class Scaling:
    """Both scenarios of one run, for the report."""

    keys: ManyKeys
    fairness: Fairness
