"""Interactive during import: what an import does to the people using the API at the same time.

The back office's load (`bench.interactive_load`: 25 requests/s, product reads and price patches)
goes to one development host; the import (`IMPORT_RECORDS` products, POST /api/imports) to another
on the same container, provisioned at 4,000 RU/s (one physical partition), as Flex Consumption
scales HTTP and queue functions in instance groups of their own. First the load alone, then during
the import three ways: as before this change (bulk writes high priority), with low-priority bulk
writes (the default), and with the import in a throughput bucket capped at 70% of the RU/s. For
each: the users' p50, p99, max and statuses; the import's seconds, 429s and goodput against what
it may use (the RU/s less the users' own; 70% of it in the bucket).

Targets with low priority: users' p99 during the import at most 3 times alone, no 429 or 503 to
users, import goodput at least 0.85.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from azure.cosmos import ContainerProxy, CosmosClient, DatabaseProxy, PartitionKey

from bench.interactive_load import RATE_PER_SECOND, Latencies, run_load
from bench.measure import emulator_stats
from bench.names import unique_name
from bench.workload import products
from devtools.stack import EMULATOR_KEY, LocalStack
from devtools.throughput_buckets import set_throughput_buckets
from shared.platform.cosmos import PRODUCTS_PARTITION_KEY

RU_PER_SECOND = 4_000
IMPORT_RECORDS = 15_000
USERS_PRODUCTS = 200
ALONE_SECONDS = 10.0
BUCKET, BUCKET_PERCENTAGE = 1, 70
DATABASE = "bench-interactive"
P99_TARGET, GOODPUT_TARGET = 3.0, 0.85
USER_KINDS = ("read", "patch")


@dataclass(frozen=True)
class Way:
    name: str
    settings: dict[str, str]
    cap: float | None = None  # the share of the RU/s the import may use, when capped


WAYS = (
    Way("as before: bulk writes high priority", {"BULK_PRIORITY": "high"}),
    Way("low-priority bulk writes", {"BULK_PRIORITY": "low"}),
    Way(
        f"import in bucket {BUCKET} capped at {BUCKET_PERCENTAGE}%",
        {"BULK_PRIORITY": "high", "BULK_THROUGHPUT_BUCKET": str(BUCKET)},
        cap=BUCKET_PERCENTAGE / 100,
    ),
)
LOW_PRIORITY = WAYS[1].name
DESCRIPTION = (
    f"{RATE_PER_SECOND} requests/s of product reads and price patches (alternating, open loop) "
    "through one development host, alone and then during an import of "
    f"{IMPORT_RECORDS:,} products POSTed to another host on the same container, provisioned at "
    f"{RU_PER_SECOND:,} RU/s (one physical partition), three ways. 429s retried by the API: "
    "the users' reads and patches the endpoint throttled (the API's client retried them). "
    "Import goodput: the RU the container charged for the import over (the RU/s it may use x its "
    "seconds), where it may use all the users leave, or its bucket's share."
)


def users_throttled(before: dict[str, Any], after: dict[str, Any]) -> int:
    """429s the users' reads and patches met (the API's client retried them) between two
    snapshots of the endpoint's stats."""
    earlier, later = before["throttledByKind"], after["throttledByKind"]
    return sum(later.get(kind, 0) - earlier.get(kind, 0) for kind in USER_KINDS)


@dataclass(frozen=True)
class Phase:
    """The users' requests of one phase, and the 429s they met on the way."""

    latencies: Latencies
    throttled: int


@dataclass(frozen=True)
class DuringImport:
    way: Way
    users: Latencies
    users_throttled: int
    import_seconds: float
    import_charge: float  # the container's RU in the meantime, less the users'
    import_throttled: int

    @property
    def may_use(self) -> float:
        """RU/s the import may use: its cap, or all the users leave."""
        if self.way.cap is not None:
            return RU_PER_SECOND * self.way.cap
        return RU_PER_SECOND - self.users.request_charge / self.import_seconds

    @property
    def goodput(self) -> float:
        return self.import_charge / (self.may_use * self.import_seconds)


@dataclass(frozen=True)
class InteractiveDuringImport:
    alone: Phase
    during: list[DuringImport] = field(default_factory=list)

    def by_way(self, name: str) -> DuringImport:
        return next(run for run in self.during if run.way.name == name)

    def checks(self) -> dict[str, bool]:
        low = self.by_way(LOW_PRIORITY)
        return {
            "p99Within3xAlone": low.users.p99 <= P99_TARGET * self.alone.latencies.p99,
            "no429Or503ToUsers": low.users.refused(429, 503) == 0,
            "goodputAtLeast085": low.goodput >= GOODPUT_TARGET,
        }

    def figures(self) -> dict[str, float]:
        alone = self.alone.latencies
        figures = {
            "aloneP50Ms": _ms(alone.p50),
            "aloneP99Ms": _ms(alone.p99),
            "aloneMaxMs": _ms(alone.max),
            "aloneUsers429s": self.alone.throttled,
        }
        for number, run in enumerate(self.during, start=1):
            figures |= {
                f"way{number}P50Ms": _ms(run.users.p50),
                f"way{number}P99Ms": _ms(run.users.p99),
                f"way{number}MaxMs": _ms(run.users.max),
                f"way{number}Refused": run.users.refused(429, 503),
                f"way{number}Users429s": run.users_throttled,
                f"way{number}ImportSeconds": round(run.import_seconds, 2),
                f"way{number}ImportGoodput": round(run.goodput, 3),
                f"way{number}Import429s": run.import_throttled,
            }
        return figures

    def to_json(self) -> dict[str, Any]:
        ways = {f"way{n}": run.way.name for n, run in enumerate(self.during, start=1)}
        statuses = {run.way.name: run.users.statuses for run in self.during}
        return {
            "ways": ways,
            **self.figures(),
            "statuses": {"alone": self.alone.latencies.statuses, **statuses},
            "checks": self.checks(),
        }


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def _container(database: DatabaseProxy) -> ContainerProxy:
    """A fresh products container at RU_PER_SECOND, with the bucket configured."""
    container = database.create_container(
        id=unique_name("products"),
        partition_key=PartitionKey(path=PRODUCTS_PARTITION_KEY),
        default_ttl=-1,
        offer_throughput=RU_PER_SECOND,
    )
    set_throughput_buckets(container, {BUCKET: BUCKET_PERCENTAGE})
    return container


@contextlib.contextmanager
def _host(stack: LocalStack, name: str, container: str, **settings: str) -> Iterator[str]:
    queues = {"INGEST_QUEUE": unique_name(name), "REJECTS_QUEUE": unique_name(f"{name}-rejects")}
    with stack.extra_hosts(
        name, COSMOS_DATABASE=DATABASE, COSMOS_CONTAINER=container, **queues, **settings
    ) as ((url, _),):
        yield url


async def _import(api_url: str, records: Sequence[dict[str, Any]]) -> None:
    """POST the records as one import, then wait for it to complete."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:
        async with session.post(f"{api_url}/imports", json=list(records)) as started:
            started.raise_for_status()
            location = f"{api_url}/imports/{(await started.json())['importId']}"
        while True:
            async with session.get(location) as answer:
                state = (await answer.json())["state"]
            if state != "running":
                if state != "completed":
                    raise RuntimeError(f"the benchmark's import ended {state}")
                return
            await asyncio.sleep(0.2)


async def _during(
    stack: LocalStack, way: Way, users_url: str, import_url: str, items: list[dict[str, Any]],
    key: str,
) -> DuringImport:  # fmt: skip
    users = items[:USERS_PRODUCTS]
    before, stop = emulator_stats(stack), asyncio.Event()
    load = asyncio.create_task(run_load(users_url, users, stop=stop))
    started = time.perf_counter()
    await _import(import_url, items[USERS_PRODUCTS:])
    seconds = time.perf_counter() - started
    stop.set()
    latencies = await load
    stats = emulator_stats(stack)
    after = stats["containers"][key]
    earlier = before["containers"].get(key, {"requestCharge": 0, "throttled": 0})
    throttled = users_throttled(before, stats)
    return DuringImport(
        way=way,
        users=latencies,
        users_throttled=throttled,
        import_seconds=seconds,
        import_charge=after["requestCharge"] - earlier["requestCharge"] - latencies.request_charge,
        import_throttled=after["throttled"] - earlier["throttled"] - throttled,
    )


def run(stack: LocalStack) -> InteractiveDuringImport:
    cosmos = CosmosClient(stack.cosmos_endpoint, EMULATOR_KEY, connection_verify=False)
    database = cosmos.create_database_if_not_exists(DATABASE)
    container = _container(database)
    items = products(USERS_PRODUCTS + IMPORT_RECORDS, seed=19)
    for item in items[:USERS_PRODUCTS]:
        container.upsert_item(item)
    key = f"{DATABASE}/{container.id}"
    with _host(stack, "bench-users", container.id) as users_url:
        time.sleep(1.5)  # the partition's budget full again
        before = emulator_stats(stack)
        alone = asyncio.run(run_load(users_url, items[:USERS_PRODUCTS], seconds=ALONE_SECONDS))
        throttled = users_throttled(before, emulator_stats(stack))
        result = InteractiveDuringImport(Phase(alone, throttled))
        for number, way in enumerate(WAYS, start=1):
            with _host(stack, f"bench-import-{number}", container.id, **way.settings) as url:
                time.sleep(1.5)
                result.during.append(asyncio.run(_during(stack, way, users_url, url, items, key)))
    database.delete_container(container)
    return result


def table(result: InteractiveDuringImport) -> str:
    alone = result.alone.latencies
    rows = [
        "| users' requests | p50 ms | p99 ms | max ms | statuses | 429s retried by the API "
        "| import s | import 429s | import goodput |",
        "| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |",
        f"| alone | {_ms(alone.p50)} | {_ms(alone.p99)} | {_ms(alone.max)} | "
        f"{_statuses(alone)} | {result.alone.throttled:,} | | | |",
    ]
    for run in result.during:
        rows.append(
            f"| during the import, {run.way.name} | {_ms(run.users.p50)} | {_ms(run.users.p99)} "
            f"| {_ms(run.users.max)} | {_statuses(run.users)} | {run.users_throttled:,} | "
            f"{run.import_seconds:.1f} | {run.import_throttled:,} | "
            f"{run.goodput:.2f} of {run.may_use:,.0f} RU/s |"
        )
    checks = result.checks()
    met = ", ".join(f"{name}: {'met' if ok else '**not met**'}" for name, ok in checks.items())
    return "\n".join(rows) + f"\n\nTargets with low priority: {met}."


def _statuses(latencies: Latencies) -> str:
    return ", ".join(f"{status} x{count:,}" for status, count in latencies.statuses.items())
