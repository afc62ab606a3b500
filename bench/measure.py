"""Running one approach in one scenario and what is measured of it.

Every figure that the emulator can count comes from it (requests, 429 answers, RU charged), so
that all approaches, the JS SDK's included, are measured the same way.
"""

from __future__ import annotations

import contextlib
import gc
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

import requests
from azure.cosmos import CosmosClient, PartitionKey

from bench.approaches import Approach, Target
from devtools.stack import EMULATOR_KEY, LocalStack

BENCH_DATABASE = "bench"


@dataclass(frozen=True)
class Measurement:
    scenario: str
    approach: str
    records: int
    seconds: float
    written: int
    lost: int
    throttled: int
    requests: int
    request_charge: float
    provisioned_ru_per_second: int | None
    client_cpu_seconds: float | None
    # (seconds since the start, RU/s charged since the previous sample), for throttled runs
    timeline: tuple[tuple[float, float], ...] = ()
    run: int = 1  # which of the scenario's runs

    @property
    def records_per_second(self) -> float:
        return self.written / self.seconds

    @property
    def requests_per_record(self) -> float:
        return self.requests / self.records

    @property
    def goodput(self) -> float | None:
        """RU charged by the writes / (provisioned RU/s x seconds): how much of the budget the
        approach turned into stored records."""
        if not self.provisioned_ru_per_second:
            return None
        return self.request_charge / (self.provisioned_ru_per_second * self.seconds)

    @property
    def cpu_per_thousand(self) -> float | None:
        if self.client_cpu_seconds is None:
            return None
        return self.client_cpu_seconds / self.records * 1000

    def to_json(self) -> dict[str, Any]:
        derived = {
            "recordsPerSecond": round(self.records_per_second, 1),
            "requestsPerRecord": round(self.requests_per_record, 4),
            "goodput": None if self.goodput is None else round(self.goodput, 3),
            "clientCpuSecondsPer1000": None
            if self.cpu_per_thousand is None
            else round(self.cpu_per_thousand, 4),
        }
        figures = {**asdict(self), **derived}
        figures["timeline"] = [[round(t, 2), round(rate, 1)] for t, rate in self.timeline]
        return figures


class ChargeTimeline:
    """The request units the endpoint charges, sampled every `interval` seconds on a thread
    while a run goes on: the run's goodput over time."""

    def __init__(self, stack: LocalStack, *, interval: float = 0.25) -> None:
        self.stack, self.interval = stack, interval
        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        started = time.perf_counter()
        while True:
            charged = float(emulator_stats(self.stack)["requestCharge"])
            self.samples.append((time.perf_counter() - started, charged))
            if self._stop.wait(self.interval):
                return

    def __enter__(self) -> ChargeTimeline:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def rates(self) -> tuple[tuple[float, float], ...]:
        """(seconds, RU/s) between consecutive samples."""
        return tuple(
            (later_t, (later_ru - earlier_ru) / (later_t - earlier_t))
            for (earlier_t, earlier_ru), (later_t, later_ru) in zip(
                self.samples, self.samples[1:], strict=False
            )
            if later_t > earlier_t
        )


def emulator_stats(stack: LocalStack) -> dict[str, Any]:
    url = f"{stack.cosmos_endpoint}_emulator/stats"
    stats: dict[str, Any] = requests.get(url, verify=False, timeout=10).json()
    return stats


def fresh_container(stack: LocalStack, name: str, ru_per_second: int | None) -> Target:
    cosmos = CosmosClient(stack.cosmos_endpoint, EMULATOR_KEY, connection_verify=False)
    database = cosmos.create_database_if_not_exists(BENCH_DATABASE)
    options: dict[str, Any] = {"offer_throughput": ru_per_second} if ru_per_second else {}
    database.create_container(
        id=name, partition_key=PartitionKey(path="/categoryId"), default_ttl=-1, **options
    )
    return Target(stack, BENCH_DATABASE, name)


def drop_container(target: Target) -> None:
    """Delete a measured run's container: the endpoint keeps every item in memory, and a heap
    grown by every earlier run makes the later ones pay its garbage collection."""
    cosmos = CosmosClient(target.stack.cosmos_endpoint, EMULATOR_KEY, connection_verify=False)
    cosmos.get_database_client(target.database).delete_container(target.container)


def stored(target: Target) -> int:
    cosmos = CosmosClient(target.stack.cosmos_endpoint, EMULATOR_KEY, connection_verify=False)
    container = cosmos.get_database_client(target.database).get_container_client(target.container)
    query = "SELECT VALUE COUNT(1) FROM c"
    return int(next(iter(container.query_items(query, enable_cross_partition_query=True))))


async def measure(
    *,
    scenario: str,
    name: str,
    approach: Approach,
    target: Target,
    items: list[dict[str, Any]],
    ru_per_second: int | None,
    run: int = 1,
    count_stored: Callable[[Target], int] | None = None,
) -> Measurement:
    """One run of `approach`; `count_stored` says how many items the target holds after it (a
    COUNT query unless given). A throttled run samples its charge timeline on a thread; an
    unthrottled one has nothing to sample, and no thread takes CPU or the GIL from it."""
    before = emulator_stats(target.stack)
    started = time.perf_counter()
    timeline = ChargeTimeline(target.stack) if ru_per_second else None
    with timeline or contextlib.nullcontext(), workload_frozen():
        attempt = await approach(target, items)
    seconds = attempt.seconds or time.perf_counter() - started
    return measured(
        target=target,
        records=len(items),
        scenario=scenario,
        approach=name,
        before=before,
        seconds=seconds,
        ru_per_second=ru_per_second,
        cpu_seconds=attempt.cpu_seconds,
        timeline=timeline.rates() if timeline is not None else (),
        run=run,
        count_stored=count_stored or stored,
    )


@contextlib.contextmanager
def workload_frozen() -> Iterator[None]:
    """Everything the harness holds (the whole workload, 100,000 items in the largest runs) out
    of the garbage collector's reach while an approach runs, as the app's worker freezes what
    start-up built (`shared.platform.garbage_collection`) and never holds more than a message's
    records. Otherwise every full collection an approach's garbage sets off walks the harness's
    workload, and the approach that allocates most pays for the harness the most."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


WRITE_KINDS = ("batch", "create", "upsert")


def all_requests(before: dict[str, Any], after: dict[str, Any]) -> int:
    return int(after["total"] - before["total"])


def write_requests(before: dict[str, Any], after: dict[str, Any]) -> int:
    """Batches, creates and upserts only: what an app run sends to write its records."""
    return sum(after["byKind"].get(k, 0) - before["byKind"].get(k, 0) for k in WRITE_KINDS)


def measured(
    *,
    target: Target,
    records: int,
    scenario: str,
    approach: str,
    before: dict[str, Any],
    seconds: float,
    ru_per_second: int | None,
    cpu_seconds: float | None = None,
    count_requests: Callable[[dict[str, Any], dict[str, Any]], int] = all_requests,
    count_stored: Callable[[Target], int] = stored,
    timeline: tuple[tuple[float, float], ...] = (),
    run: int = 1,
) -> Measurement:
    """A run's measurement from the emulator's counters before it and now."""
    after = emulator_stats(target.stack)
    written = count_stored(target)
    return Measurement(
        scenario=scenario,
        approach=approach,
        records=records,
        seconds=seconds,
        written=written,
        lost=records - written,
        throttled=after["throttled"] - before["throttled"],
        requests=count_requests(before, after),
        request_charge=round(after["requestCharge"] - before["requestCharge"], 2),
        provisioned_ru_per_second=ru_per_second,
        client_cpu_seconds=cpu_seconds,
        timeline=timeline,
        run=run,
    )


def medians(results: list[Measurement]) -> list[Measurement]:
    """Per scenario and approach, in the order first run, the run with the median rate."""
    runs: dict[tuple[str, str], list[Measurement]] = {}
    for result in results:
        runs.setdefault((result.scenario, result.approach), []).append(result)
    return [
        sorted(group, key=lambda r: r.records_per_second)[(len(group) - 1) // 2]
        for group in runs.values()
    ]


def runs_of(results: list[Measurement], median: Measurement) -> list[Measurement]:
    """Every run of the median's scenario and approach, in run order."""
    same = [r for r in results if (r.scenario, r.approach) == (median.scenario, median.approach)]
    return sorted(same, key=lambda r: r.run)
