"""Request charges, provisioned throughput and throttling in the local endpoint, seen through
azure-cosmos itself: what each request costs, offers set and changed the way the SDK sets them,
429s that change nothing, and two fidelity checks the source material's code ran into."""

from __future__ import annotations

import json
import math
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from azure.core import MatchConditions
from azure.cosmos import ContainerProxy, CosmosClient, DatabaseProxy, PartitionKey
from azure.cosmos.exceptions import CosmosHttpResponseError

from devtools.stack import EMULATOR_KEY, ROOT, LocalStack
from shared.platform.cosmos import connection_policy
from tests.factories import unique

WRITE_RU_PER_KB = 5.5


@pytest.fixture(scope="module")
def database(cosmos: CosmosClient) -> Iterator[DatabaseProxy]:
    created = cosmos.create_database(unique("throughput"))
    yield created
    cosmos.delete_database(created)


def container(database: DatabaseProxy, **options: Any) -> ContainerProxy:
    return database.create_container(
        id=unique("c"), partition_key=PartitionKey(path="/categoryId"), **options
    )


def charge_of(proxy: ContainerProxy) -> float:
    return float(proxy.client_connection.last_response_headers["x-ms-request-charge"])


def sized(item_id: str, kilobytes: float, category: str = "bikes") -> dict[str, Any]:
    """An item of about `kilobytes` KB as JSON."""
    padding = "x" * max(0, int(kilobytes * 1024) - 60)
    return {"id": item_id, "categoryId": category, "padding": padding}


# --- request charges -----------------------------------------------------------------------


@pytest.mark.parametrize("kilobytes", [0.5, 1.5, 3.2])
def test_writes_and_point_reads_are_charged_per_started_kilobyte(
    database: DatabaseProxy, kilobytes: float
) -> None:
    products = container(database)
    products.create_item(sized("a", kilobytes))
    started_kb = math.ceil(kilobytes)
    assert charge_of(products) == WRITE_RU_PER_KB * started_kb
    products.read_item("a", partition_key="bikes")
    assert charge_of(products) == started_kb
    products.delete_item("a", partition_key="bikes")
    assert charge_of(products) == WRITE_RU_PER_KB * started_kb


def test_a_batch_costs_the_sum_of_its_operations(database: DatabaseProxy) -> None:
    products = container(database)
    operations = [("create", (sized(f"i{n}", 0.5),)) for n in range(4)]
    results = products.execute_item_batch(operations, partition_key="bikes")
    assert [r["requestCharge"] for r in results] == [WRITE_RU_PER_KB] * 4
    assert charge_of(products) == 4 * WRITE_RU_PER_KB


def test_a_query_costs_a_base_and_a_share_per_item(database: DatabaseProxy) -> None:
    products = container(database)
    for n in range(8):
        products.create_item(sized(f"q{n}", 0.3))
    list(products.query_items("SELECT * FROM c", partition_key="bikes"))
    assert charge_of(products) == 2.5 + 0.25 * 8


# --- offers ---------------------------------------------------------------------------------


def test_throughput_is_set_at_creation_and_replaced_through_the_offers_api(
    database: DatabaseProxy,
) -> None:
    products = container(database, offer_throughput=4000)
    assert products.get_throughput().offer_throughput == 4000
    products.replace_throughput(1000)
    assert products.get_throughput().offer_throughput == 1000


def test_a_container_without_throughput_has_no_offer_and_is_never_throttled(
    database: DatabaseProxy,
) -> None:
    products = container(database)
    operations = [("upsert", (sized(f"u{n}", 2),)) for n in range(100)]
    products.execute_item_batch(operations, partition_key="bikes")  # 1,100 RU, unthrottled


# --- throttling -------------------------------------------------------------------------------


def raw_throttle(products: ContainerProxy) -> Any:
    """Spend the budget, then the next request's 429 as the SDK (without retries) sees it."""
    batch = [("upsert", (sized(f"t{n}", 1),)) for n in range(80)]  # 440 RU > 400 RU/s
    products.execute_item_batch(batch, partition_key="bikes")
    with pytest.raises(CosmosHttpResponseError) as raised:
        products.create_item(sized("refused", 1))
    return raised.value


@pytest.fixture
def impatient(stack: LocalStack) -> CosmosClient:
    """The SDK with its own throttle retries turned off, so that 429s reach the test."""
    return CosmosClient(
        stack.cosmos_endpoint,
        credential=EMULATOR_KEY,
        connection_verify=False,
        connection_policy=connection_policy(retry_throttling=False),
    )


def test_overdrawing_the_budget_is_429_3200_with_retry_after_and_changes_nothing(
    database: DatabaseProxy, impatient: CosmosClient
) -> None:
    created = container(database, offer_throughput=400)
    products = impatient.get_database_client(database.id).get_container_client(created.id)
    error = raw_throttle(products)
    assert error.status_code == 429 and error.sub_status == 3200
    retry_after_ms = int(error.headers["x-ms-retry-after-ms"])
    assert 0 < retry_after_ms <= 1000  # the batch left the bucket 40 RU in debt
    assert error.headers["x-ms-request-charge"] == "0"
    assert not list(
        created.query_items("SELECT * FROM c WHERE c.id = 'refused'", partition_key="bikes")
    )
    time.sleep(retry_after_ms / 1000 + 0.05)
    products.create_item(sized("refused", 1))  # fits once the budget refilled


def test_the_budget_refills_at_the_provisioned_rate(
    database: DatabaseProxy, impatient: CosmosClient
) -> None:
    created = container(database, offer_throughput=400)
    products = impatient.get_database_client(database.id).get_container_client(created.id)
    batch = [("upsert", (sized(f"r{n}", 1),)) for n in range(10)]  # 55 RU a request
    written, throttled, started = 0, 0, time.monotonic()
    while time.monotonic() - started < 3.0:
        try:
            products.execute_item_batch(batch, partition_key="bikes")
            written += len(batch)
        except CosmosHttpResponseError as error:
            assert error.status_code == 429
            throttled += 1
            time.sleep(int(error.headers["x-ms-retry-after-ms"]) / 1000)
    seconds = time.monotonic() - started
    ru_per_second = written * WRITE_RU_PER_KB / seconds
    assert throttled > 0
    # The provisioned rate, plus the first second's burst spread over the run.
    assert 400 * 0.8 <= ru_per_second <= 400 * (1 + 1 / seconds) + 55


# --- fidelity -----------------------------------------------------------------------------------


@pytest.mark.parametrize("ttl", [0, None])
def test_an_item_ttl_of_zero_or_null_is_400_as_cosmos_answers(
    database: DatabaseProxy, ttl: Any
) -> None:
    products = container(database, default_ttl=-1)
    with pytest.raises(CosmosHttpResponseError) as raised:
        products.create_item({"id": "t", "categoryId": "bikes", "ttl": ttl})
    assert raised.value.status_code == 400
    with pytest.raises(CosmosHttpResponseError):
        products.execute_item_batch(
            [("upsert", ({"id": "t", "categoryId": "bikes", "ttl": ttl},))], partition_key="bikes"
        )
    assert not list(products.query_items("SELECT * FROM c", partition_key="bikes"))


def test_a_point_read_with_the_current_etag_in_if_none_match_is_304(
    database: DatabaseProxy,
) -> None:
    products = container(database)
    created = products.create_item(sized("etag", 0.2))
    statuses: list[int] = []

    def read(etag: str) -> None:
        products.read_item(
            "etag",
            partition_key="bikes",
            etag=etag,
            match_condition=MatchConditions.IfModified,
            raw_response_hook=lambda response: statuses.append(response.http_response.status_code),
        )

    read(created["_etag"])
    read('"another"')
    assert statuses == [304, 200]


# --- the JS SDK's bulk executor ----------------------------------------------------------------


def test_the_js_sdk_bulk_executor_works_against_the_endpoint(
    database: DatabaseProxy, stack: LocalStack, tmp_path: Path
) -> None:
    products = container(database)
    lines = [
        json.dumps({"id": f"js-{n}", "categoryId": f"cat-{n % 7}", "name": "bell", "price": 9.5})
        for n in range(250)
    ]
    (tmp_path / "products.ndjson").write_text("\n".join(lines))
    script = ROOT / "bench" / "js" / "bulk.js"
    command = [
        "node", str(script), stack.cosmos_endpoint, EMULATOR_KEY, database.id, products.id,
        str(tmp_path / "products.ndjson"),
    ]  # fmt: skip
    run = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    answer = json.loads(run.stdout)
    assert answer["statuses"] in ({"200": 250}, {"201": 250})
    assert answer["readCharge"] == 1
    count = list(
        products.query_items("SELECT VALUE COUNT(1) FROM c", enable_cross_partition_query=True)
    )
    assert count == [250]


def split(stack: LocalStack, database: DatabaseProxy, container_id: str, partitions: int) -> None:
    answer = requests.put(
        f"{stack.cosmos_endpoint}_emulator/partitions",
        json={"database": database.id, "container": container_id, "partitions": partitions},
        verify=False,
        timeout=10,
    )
    assert answer.json()["partitions"] == partitions


def categories_in_other_partitions(products: ContainerProxy, count: int) -> list[str]:
    """One category per physical partition, found as the SDK places keys: by their feed range."""
    ranges = list(products.read_feed_ranges())
    found: dict[int, str] = {}
    for n in range(200):
        category = f"cat-{n}"
        key_range = products.feed_range_from_partition_key(category)
        index = next(i for i, r in enumerate(ranges) if products.is_feed_range_subset(r, key_range))
        found.setdefault(index, category)
        if len(found) == count:
            return [found[i] for i in sorted(found)]
    raise AssertionError("no category found for every partition")


def test_pkranges_describe_the_physical_partitions_and_queries_see_each_item_once(
    database: DatabaseProxy, stack: LocalStack
) -> None:
    products = container(database, offer_throughput=3000)
    split(stack, database, products.id, 3)
    assert len(list(products.read_feed_ranges(force_refresh=True))) == 3
    categories = categories_in_other_partitions(products, 3)
    for category in categories:
        for n in range(4):
            products.create_item({"id": f"{category}-{n}", "categoryId": category})
    query = "SELECT VALUE COUNT(1) FROM c"
    assert list(products.query_items(query, enable_cross_partition_query=True)) == [12]
    ids = [
        i["id"]
        for i in products.query_items("SELECT c.id FROM c", enable_cross_partition_query=True)
    ]
    assert sorted(ids) == sorted(f"{c}-{n}" for c in categories for n in range(4))


def test_each_physical_partition_has_its_own_budget(
    database: DatabaseProxy, impatient: CosmosClient, stack: LocalStack
) -> None:
    created = container(database, offer_throughput=2000)
    split(stack, database, created.id, 2)
    first, second = categories_in_other_partitions(created, 2)
    products = impatient.get_database_client(database.id).get_container_client(created.id)
    # 100 x 27.5 RU = 2,750 RU against 1,000 RU/s: the partition is in debt for over a second,
    # so that a slow machine does not refill it before the next request.
    spend = [("upsert", (sized(f"s{n}", 4.9, first),)) for n in range(100)]
    products.execute_item_batch(spend, partition_key=first)
    with pytest.raises(CosmosHttpResponseError) as raised:
        products.create_item(sized("more", 1, first))
    assert raised.value.status_code == 429
    products.create_item(sized("other", 1, second))  # the other partition's budget is untouched
