"""Priority-based execution and throughput buckets in the local endpoint, through azure-cosmos:
low-priority requests yield a reserve to high-priority ones, and a bucket's requests stay within
its share of the container's throughput, whoever sends them."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from azure.cosmos import ContainerProxy, CosmosClient, DatabaseProxy, PartitionKey
from azure.cosmos.exceptions import CosmosHttpResponseError

from devtools.stack import EMULATOR_KEY, LocalStack
from devtools.throughput_buckets import set_throughput_buckets
from shared.platform.cosmos import connection_policy
from tests.factories import unique
from tests.integration.conftest import Emulator

WRITE_RU_PER_KB = 5.5
BATCH_RU = 100 * WRITE_RU_PER_KB  # a batch of 100 items under 1 KB
LOW_PRIORITY_RESERVE = 0.1  # of a partition's one-second budget (devtools/cosmos/admission.js)
RU_BUDGET_EXCEEDED, BUCKET_EXCEEDED = 3200, 3212


@pytest.fixture(scope="module")
def database(cosmos: CosmosClient) -> Iterator[DatabaseProxy]:
    created = cosmos.create_database(unique("admission"))
    yield created
    cosmos.delete_database(created)


@pytest.fixture
def impatient(stack: LocalStack, database: DatabaseProxy) -> Callable[[int], ContainerProxy]:
    """A fresh container at the given RU/s, through a client that does not retry 429s."""
    client = CosmosClient(
        stack.cosmos_endpoint,
        credential=EMULATOR_KEY,
        connection_verify=False,
        connection_policy=connection_policy(retry_throttling=False),
    )

    def fresh(ru_per_second: int) -> ContainerProxy:
        created = database.create_container(
            id=unique("c"), partition_key=PartitionKey(path="/categoryId"),
            offer_throughput=ru_per_second,
        )  # fmt: skip
        return client.get_database_client(database.id).get_container_client(created.id)

    return fresh


def batch(prefix: str, count: int = 100) -> list[tuple[str, tuple[Any, ...]]]:
    return [("upsert", ({"id": f"{prefix}-{n}", "categoryId": "bikes"},)) for n in range(count)]


def refusal(send: Callable[[], Any]) -> CosmosHttpResponseError:
    with pytest.raises(CosmosHttpResponseError) as raised:
        send()
    assert raised.value.status_code == 429
    return raised.value


def sustained_rate(send: Callable[[], Any], ru_per_request: float, seconds: float = 3.0) -> float:
    """RU/s the requests `send` makes are admitted at, obeying every retry-after."""
    admitted, started = 0, time.monotonic()
    while time.monotonic() - started < seconds:
        try:
            send()
            admitted += 1
        except CosmosHttpResponseError as error:
            assert error.status_code == 429
            time.sleep(int(error.headers["x-ms-retry-after-ms"]) / 1000)
    return admitted * ru_per_request / (time.monotonic() - started)


# --- priority-based execution ---------------------------------------------------------------


def test_low_priority_is_refused_3200_at_the_reserve_that_high_priority_still_spends(
    impatient: Callable[[int], ContainerProxy],
) -> None:
    products = impatient(1000)  # reserve: 100 RU of the 1,000 a second holds
    products.execute_item_batch(batch("a"), partition_key="bikes", priority="Low")  # 450 left
    error = refusal(  # 440 RU would leave less than the reserve
        lambda: products.execute_item_batch(batch("b", 80), partition_key="bikes", priority="Low")
    )
    assert error.sub_status == RU_BUDGET_EXCEEDED
    assert 0 < int(error.headers["x-ms-retry-after-ms"]) <= 150  # until 540 RU are there
    products.execute_item_batch(batch("c", 80), partition_key="bikes", priority="High")


def test_a_request_without_a_priority_is_high_priority(
    impatient: Callable[[int], ContainerProxy],
) -> None:
    products = impatient(1000)
    products.execute_item_batch(batch("a"), partition_key="bikes", priority="Low")
    products.execute_item_batch(batch("b", 80), partition_key="bikes")  # 440 of the 450 left


def test_low_priority_work_alone_still_gets_the_whole_provisioned_throughput(
    impatient: Callable[[int], ContainerProxy],
) -> None:
    products = impatient(1000)
    operations = batch("r", 20)  # 110 RU a request
    rate = sustained_rate(
        lambda: products.execute_item_batch(operations, partition_key="bikes", priority="Low"),
        ru_per_request=20 * WRITE_RU_PER_KB,
    )
    # The reserve is a level, not a rate: only the first second's burst is smaller.
    assert 1000 * 0.85 <= rate <= 1000 * (1 + 1 / 3) + 110


def test_an_account_without_the_capability_ignores_the_priority(
    impatient: Callable[[int], ContainerProxy], emulator: Emulator
) -> None:
    emulator.set_capabilities(priorityBasedExecution=False)
    products = impatient(1000)
    products.execute_item_batch(batch("a"), partition_key="bikes", priority="Low")
    products.execute_item_batch(batch("b", 80), partition_key="bikes", priority="Low")


# --- throughput buckets ------------------------------------------------------------------------


def test_buckets_are_kept_in_the_offer_and_outlive_a_change_of_throughput(
    impatient: Callable[[int], ContainerProxy],
) -> None:
    products = impatient(1000)
    set_throughput_buckets(products, {1: 30, 2: 70})
    products.replace_throughput(2000)
    content = products.get_throughput().properties["content"]
    assert content["offerThroughput"] == 2000
    assert content["throughputBuckets"] == [
        {"id": 1, "maxThroughputPercentage": 30},
        {"id": 2, "maxThroughputPercentage": 70},
    ]


@pytest.mark.parametrize(
    "buckets",
    [{6: 50}, {0: 50}, {1: 0}, {1: 101}],
    ids=["id-6", "id-0", "percentage-0", "percentage-101"],
)
def test_a_bucket_outside_1_to_5_or_a_percentage_outside_1_to_100_is_refused(
    impatient: Callable[[int], ContainerProxy], buckets: dict[int, int]
) -> None:
    products = impatient(1000)
    with pytest.raises(CosmosHttpResponseError) as raised:
        set_throughput_buckets(products, buckets)
    assert raised.value.status_code == 400


def test_a_bucket_is_refused_3212_beyond_its_share_while_other_requests_go_on(
    impatient: Callable[[int], ContainerProxy],
) -> None:
    products = impatient(2000)
    set_throughput_buckets(products, {1: 30})  # 600 RU/s
    products.execute_item_batch(batch("a"), partition_key="bikes", throughput_bucket=1)
    error = refusal(
        lambda: products.execute_item_batch(batch("b"), partition_key="bikes", throughput_bucket=1)
    )
    assert error.sub_status == BUCKET_EXCEEDED
    assert error.headers["x-ms-request-charge"] == "0"
    products.execute_item_batch(batch("c"), partition_key="bikes")  # the container had 1,450 left


def test_a_bucket_s_requests_are_admitted_at_its_share_of_the_throughput(
    impatient: Callable[[int], ContainerProxy],
) -> None:
    products = impatient(2000)
    set_throughput_buckets(products, {2: 25})  # 500 RU/s
    operations = batch("s", 20)
    rate = sustained_rate(
        lambda: products.execute_item_batch(operations, partition_key="bikes", throughput_bucket=2),
        ru_per_request=20 * WRITE_RU_PER_KB,
    )
    assert 500 * 0.8 <= rate <= 500 * (1 + 1 / 3) + 110


def test_a_bucket_the_container_does_not_configure_limits_nothing(
    impatient: Callable[[int], ContainerProxy],
) -> None:
    products = impatient(1000)
    set_throughput_buckets(products, {1: 10})
    products.execute_item_batch(batch("a"), partition_key="bikes", throughput_bucket=3)
    products.execute_item_batch(batch("b", 80), partition_key="bikes", throughput_bucket=3)


def test_a_request_naming_a_bucket_outside_1_to_5_is_400(
    impatient: Callable[[int], ContainerProxy],
) -> None:
    products = impatient(1000)
    with pytest.raises(CosmosHttpResponseError) as raised:
        products.create_item({"id": "x", "categoryId": "bikes"}, throughput_bucket=6)
    assert raised.value.status_code == 400
