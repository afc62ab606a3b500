"""The bulk executor against throttled containers in the local endpoint: nothing lost, exact
counts, and a congestion window that shrinks on 429 and grows back."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator

import pytest
import requests
from azure.cosmos import CosmosClient, PartitionKey
from azure.cosmos.aio import CosmosClient as AsyncCosmosClient

from devtools.stack import EMULATOR_KEY, LocalStack, Service
from shared.ingest import ranges as range_map
from shared.ingest.executor import BulkExecutor, ExecutorOptions
from shared.ingest.outcomes import OutcomeKind, Record
from shared.ingest.ranges import FeedRanges
from shared.ingest.retries import RetryBudget
from shared.platform.cosmos import connection_policy
from tests.factories import catalog, unique
from tests.integration.conftest import wait_for
from tests.integration.test_emulator_throughput import split


async def write_through_executor(
    stack: LocalStack, database: str, container: str, records: list[Record]
) -> tuple[list[OutcomeKind], list[float], int]:
    async with AsyncCosmosClient(
        stack.cosmos_endpoint,
        EMULATOR_KEY,
        connection_verify=False,
        connection_policy=connection_policy(retry_throttling=False),
    ) as client:
        proxy = client.get_database_client(database).get_container_client(container)
        options = ExecutorOptions(initial_concurrency=2, max_concurrency=8, linger_seconds=0.005)
        bulk = BulkExecutor(proxy, options=options, ranges=FeedRanges(proxy))
        windows: list[float] = []

        async def sample() -> None:
            while True:
                windows.append(bulk.concurrency_of())
                await asyncio.sleep(0.005)

        sampler = asyncio.create_task(sample())
        report = await bulk.write(records, budget=RetryBudget(seconds=60))
        sampler.cancel()
        await bulk.close()
        return [o.kind for o in report.outcomes], windows, bulk.stats.throttled


def test_throttling_shrinks_the_window_which_grows_back_and_nothing_is_lost(
    stack: LocalStack, cosmos: CosmosClient
) -> None:
    database = cosmos.create_database(unique("bulk"))
    container = database.create_container(
        id="products", partition_key=PartitionKey(path="/categoryId"), offer_throughput=2000
    )
    products = catalog(1500, categories=15)
    records = [Record(index=n, item=item) for n, item in enumerate(products)]
    kinds, windows, throttled = asyncio.run(
        write_through_executor(stack, database.id, container.id, records)
    )
    assert kinds == [OutcomeKind.WRITTEN] * len(records)
    count = list(
        container.query_items("SELECT VALUE COUNT(1) FROM c", enable_cross_partition_query=True)
    )
    assert count == [len(products)]
    assert throttled > 0
    peak = windows.index(max(windows))
    trough = min(range(peak, len(windows)), key=windows.__getitem__)
    assert windows[trough] < windows[peak]  # a 429 halved the window after it had grown
    assert max(windows[trough:]) > windows[trough]  # and successes grew it again
    cosmos.delete_database(database)


@pytest.fixture
def throttled_host(stack: LocalStack, cosmos: CosmosClient) -> Iterator[tuple[str, str]]:
    """A development host whose products container is provisioned at 1,000 RU/s."""
    database = unique("throttled")
    cosmos.create_database(database).create_container(
        id="products",
        partition_key=PartitionKey(path="/categoryId"),
        offer_throughput=1000,
        default_ttl=-1,
    )
    env = {
        **stack.host_environment(),
        "COSMOS_DATABASE": database,
        "INGEST_QUEUE": unique("ingest"),
        # The service's own budget, not the suite's short one: this is about exact counts
        # under throttling, and 2 s a delivery would leave records to the last delivery.
        "WRITER_RETRY_BUDGET_SECONDS": "30",
    }
    host = Service(
        "devhost-throttled",
        [sys.executable, "-m", "devtools.devhost", "--port", "0"],
        r"listening on (http://\S+)",
        env,
    )
    yield host.start().group(1), database
    host.stop()
    cosmos.delete_database(database)


def test_an_import_into_a_throttled_container_is_counted_exactly(
    throttled_host: tuple[str, str], cosmos: CosmosClient, stack: LocalStack
) -> None:
    url, database = throttled_host
    before = requests.get(
        f"{stack.cosmos_endpoint}_emulator/stats", verify=False, timeout=10
    ).json()
    products = catalog(1000, categories=10)
    started = requests.post(f"{url}/imports", json=products, timeout=60)
    assert started.status_code == 202, started.text
    location = f"{url}/imports/{started.json()['importId']}"
    progress = wait_for(
        lambda: (p := requests.get(location, timeout=30).json())["state"] != "running" and p,
        timeout=120,
        what="the import to complete",
    )
    assert (progress["written"], progress["rejected"]) == (1000, 0)
    container = cosmos.get_database_client(database).get_container_client("products")
    count = list(
        container.query_items("SELECT VALUE COUNT(1) FROM c", enable_cross_partition_query=True)
    )
    assert count == [1000]
    after = requests.get(f"{stack.cosmos_endpoint}_emulator/stats", verify=False, timeout=10).json()
    assert after["throttled"] > before["throttled"]


def test_each_physical_partition_gets_its_own_window(
    stack: LocalStack, cosmos: CosmosClient
) -> None:
    database = cosmos.create_database(unique("ranges"))
    database.create_container(
        id="products", partition_key=PartitionKey(path="/categoryId"), offer_throughput=20000
    )  # two physical partitions of 10,000 RU/s each
    products = catalog(600, categories=12)

    async def write() -> tuple[set[str], list[OutcomeKind]]:
        async with AsyncCosmosClient(
            stack.cosmos_endpoint, EMULATOR_KEY, connection_verify=False
        ) as client:
            proxy = client.get_database_client(database.id).get_container_client("products")
            bulk = BulkExecutor(proxy, options=ExecutorOptions(), ranges=FeedRanges(proxy))
            records = [Record(index=n, item=item) for n, item in enumerate(products)]
            report = await bulk.write(records, budget=RetryBudget(seconds=60))
            await bulk.close()
            return bulk.partitions_in_use(), [o.kind for o in report.outcomes]

    ranges, kinds = asyncio.run(write())
    assert len(ranges) == 2  # one window per physical partition
    assert kinds == [OutcomeKind.WRITTEN] * len(products)
    cosmos.delete_database(database)


def test_a_split_in_the_middle_of_a_write_loses_nothing_and_the_windows_follow_it(
    stack: LocalStack, cosmos: CosmosClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(range_map, "REFRESH_SECONDS", 0.0)  # read the ranges at every new key
    database = cosmos.create_database(unique("split"))
    products_proxy = database.create_container(
        id="products", partition_key=PartitionKey(path="/categoryId"), offer_throughput=4000
    )
    products = catalog(4000, categories=40)

    async def write_with_a_split() -> tuple[set[str], set[str], list[OutcomeKind]]:
        async with AsyncCosmosClient(
            stack.cosmos_endpoint, EMULATOR_KEY, connection_verify=False
        ) as client:
            proxy = client.get_database_client(database.id).get_container_client("products")
            bulk = BulkExecutor(proxy, options=ExecutorOptions(), ranges=FeedRanges(proxy))
            records = [Record(index=n, item=item) for n, item in enumerate(products)]
            first = asyncio.create_task(bulk.write(records[:2000], budget=RetryBudget(60)))
            while not bulk.partitions_in_use():  # the first write has met its partition
                await asyncio.sleep(0.01)
            before = bulk.partitions_in_use()
            await asyncio.to_thread(split, stack, database, "products", 3)
            second = await bulk.write(records[2000:], budget=RetryBudget(60))
            outcomes = [*(await first).outcomes, *second.outcomes]
            after = bulk.partitions_in_use()
            await bulk.close()
            return before, after, [o.kind for o in outcomes]

    before, after, kinds = asyncio.run(write_with_a_split())
    assert len(before) == 1 and len(after) == 3
    assert kinds == [OutcomeKind.WRITTEN] * len(products)
    count = list(
        products_proxy.query_items(
            "SELECT VALUE COUNT(1) FROM c", enable_cross_partition_query=True
        )
    )
    assert count == [len(products)]
    cosmos.delete_database(database)
