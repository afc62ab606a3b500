"""The local Cosmos endpoint behaves as Cosmos DB documents it, seen through azure-cosmos itself."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from azure.cosmos import ContainerProxy, CosmosClient, DatabaseProxy, PartitionKey
from azure.cosmos.exceptions import (
    CosmosBatchOperationError,
    CosmosHttpResponseError,
    CosmosResourceNotFoundError,
)

from devtools.stack import EMULATOR_KEY, LocalStack
from shared.platform.limits import MAX_ITEM_BYTES
from shared.platform.utf8_json import utf8_size
from tests.factories import unique
from tests.integration.conftest import Emulator


@pytest.fixture(scope="module")
def database(cosmos: CosmosClient) -> Iterator[DatabaseProxy]:
    created = cosmos.create_database(unique("contract"))
    yield created
    cosmos.delete_database(created)


def make_container(database: DatabaseProxy, **options: object) -> ContainerProxy:
    return database.create_container(
        id=unique("c"), partition_key=PartitionKey(path="/categoryId"), **options
    )


@pytest.fixture
def container(database: DatabaseProxy) -> ContainerProxy:
    return make_container(database, default_ttl=-1)


def ids_in(container: ContainerProxy, category: str) -> set[str]:
    return {i["id"] for i in container.query_items("SELECT * FROM c", partition_key=category)}


def item(item_id: str, category: str = "bikes", **fields: object) -> dict[str, object]:
    return {"id": item_id, "categoryId": category, **fields}


# --- transactional batch ---------------------------------------------------------------------


def test_batch_whose_third_operation_conflicts_leaves_no_trace(container: ContainerProxy) -> None:
    container.create_item(item("existing", price=1))
    operations = [
        ("create", (item("first"),)),
        ("upsert", (item("existing", price=2),)),
        ("create", (item("existing"),)),
    ]
    with pytest.raises(CosmosBatchOperationError) as raised:
        container.execute_item_batch(operations, partition_key="bikes")
    assert raised.value.error_index == 2
    assert [r["statusCode"] for r in raised.value.operation_responses] == [424, 424, 409]
    assert ids_in(container, "bikes") == {"existing"}
    assert container.read_item("existing", partition_key="bikes")["price"] == 1


def test_batch_runs_every_operation_kind_atomically(container: ContainerProxy) -> None:
    etag = container.create_item(item("a", price=1)).get_response_headers()["etag"]
    container.create_item(item("gone"))
    operations = [
        ("create", (item("b", price=2),)),
        ("upsert", (item("c", price=3),)),
        ("replace", ("a", item("a", price=10)), {"if_match_etag": etag}),
        ("patch", ("b", [{"op": "incr", "path": "/price", "value": 5}])),
        ("read", ("c",)),
        ("delete", ("gone",)),
    ]
    results = container.execute_item_batch(operations, partition_key="bikes")
    assert [r["statusCode"] for r in results] == [201, 201, 200, 200, 200, 204]
    assert results[4]["resourceBody"]["price"] == 3
    assert ids_in(container, "bikes") == {"a", "b", "c"}
    assert container.read_item("b", partition_key="bikes")["price"] == 7


def test_batch_with_stale_if_match_fails_with_412_and_changes_nothing(
    container: ContainerProxy,
) -> None:
    stale = container.create_item(item("a", price=1)).get_response_headers()["etag"]
    container.upsert_item(item("a", price=2))
    operations = [
        ("create", (item("b"),)),
        ("replace", ("a", item("a", price=3)), {"if_match_etag": stale}),
    ]
    with pytest.raises(CosmosBatchOperationError) as raised:
        container.execute_item_batch(operations, partition_key="bikes")
    assert [r["statusCode"] for r in raised.value.operation_responses] == [424, 412]
    assert ids_in(container, "bikes") == {"a"}


def test_batch_rolls_back_deletes_and_patches(container: ContainerProxy) -> None:
    container.create_item(item("a", price=1))
    container.create_item(item("b", price=1))
    operations = [
        ("delete", ("a",)),
        ("patch", ("b", [{"op": "set", "path": "/price", "value": 9}])),
        ("read", ("missing",)),
    ]
    with pytest.raises(CosmosBatchOperationError) as raised:
        container.execute_item_batch(operations, partition_key="bikes")
    assert raised.value.error_index == 2 and raised.value.status_code == 404
    assert ids_in(container, "bikes") == {"a", "b"}
    assert container.read_item("b", partition_key="bikes")["price"] == 1


def test_batch_of_more_than_100_operations_is_rejected_with_400(container: ContainerProxy) -> None:
    operations = [("create", (item(f"i{n}"),)) for n in range(101)]
    with pytest.raises(CosmosHttpResponseError) as raised:
        container.execute_item_batch(operations, partition_key="bikes")
    assert raised.value.status_code == 400
    assert ids_in(container, "bikes") == set()


def test_batch_item_from_another_partition_fails_the_batch(container: ContainerProxy) -> None:
    operations = [("create", (item("a"),)), ("create", (item("b", category="cars"),))]
    with pytest.raises(CosmosBatchOperationError) as raised:
        container.execute_item_batch(operations, partition_key="bikes")
    assert raised.value.status_code == 400
    assert ids_in(container, "bikes") == set()


# --- queries and deletes by partition -----------------------------------------------------------


def test_partition_scoped_query_sees_only_its_partition(container: ContainerProxy) -> None:
    for n in range(3):
        container.create_item(item(f"bike{n}", category="bikes"))
        container.create_item(item(f"car{n}", category="cars"))
    assert ids_in(container, "bikes") == {"bike0", "bike1", "bike2"}
    rows = container.query_items(
        "SELECT VALUE COUNT(1) FROM c WHERE c.id != @none",
        parameters=[{"name": "@none", "value": ""}],
        partition_key="cars",
    )
    assert list(rows) == [3]


def test_delete_all_items_by_partition_key_removes_only_that_partition(
    container: ContainerProxy,
) -> None:
    container.create_item(item("a", category="bikes"))
    container.create_item(item("b", category="cars"))
    container.delete_all_items_by_partition_key("bikes")
    assert ids_in(container, "bikes") == set()
    assert ids_in(container, "cars") == {"b"}


def test_partition_key_delete_can_be_refused_like_an_account_without_it(
    container: ContainerProxy, emulator: Emulator
) -> None:
    emulator.set_capabilities(partitionKeyDelete=False)
    container.create_item(item("a"))
    with pytest.raises(CosmosHttpResponseError) as raised:
        container.delete_all_items_by_partition_key("bikes")
    assert raised.value.status_code == 400
    assert ids_in(container, "bikes") == {"a"}


# --- time to live ----------------------------------------------------------------------------


def test_time_to_live_follows_container_and_item_settings(database: DatabaseProxy) -> None:
    no_default = make_container(database)  # defaultTtl absent: nothing expires
    per_item = make_container(database, default_ttl=-1)
    everything = make_container(database, default_ttl=2)
    no_default.create_item(item("ignored-ttl", ttl=1))
    per_item.create_item(item("short", ttl=1))
    per_item.create_item(item("forever"))
    everything.create_item(item("default"))
    everything.create_item(item("never", ttl=-1))
    everything.create_item(item("longer", ttl=60))
    time.sleep(3.2)
    assert ids_in(no_default, "bikes") == {"ignored-ttl"}
    assert ids_in(per_item, "bikes") == {"forever"}
    assert ids_in(everything, "bikes") == {"never", "longer"}
    with pytest.raises(CosmosResourceNotFoundError):
        per_item.read_item("short", partition_key="bikes")


# --- fault injection -------------------------------------------------------------------------


def test_injected_429s_reach_the_sdk_with_retry_after(
    stack: object, container: ContainerProxy, emulator: Emulator
) -> None:
    container.create_item(item("a"))
    emulator.reset_stats()
    emulator.inject_faults(rate=1.0, statuses=[429], retryAfterMs=5)
    with pytest.raises(CosmosHttpResponseError) as raised:
        container.read_item("a", partition_key="bikes")
    assert raised.value.status_code == 429
    assert raised.value.headers["x-ms-retry-after-ms"] == "5"
    assert emulator.stats()["byKind"]["read"] > 1  # the SDK retried before giving up


def test_fault_rate_applies_to_a_fraction_of_requests_and_can_be_turned_off(
    container: ContainerProxy, emulator: Emulator
) -> None:
    container.create_item(item("a"))
    emulator.inject_faults(rate=0.5, statuses=[503], retryAfterMs=1)
    failures = 0
    for _ in range(60):
        try:
            container.read_item("a", partition_key="bikes", retry_total=0)
        except CosmosHttpResponseError as error:
            assert error.status_code == 503
            failures += 1
    assert 5 < failures < 55
    emulator.clear_faults()
    assert container.read_item("a", partition_key="bikes")["id"] == "a"


def test_injected_latency_delays_requests(container: ContainerProxy, emulator: Emulator) -> None:
    container.create_item(item("a"))
    emulator.inject_faults(latencyMs=300)
    started = time.monotonic()
    container.read_item("a", partition_key="bikes")
    assert time.monotonic() - started >= 0.3


def test_turning_on_a_container_default_ttl_expires_items_written_before(
    database: DatabaseProxy,
) -> None:
    container = make_container(database)
    container.create_item(item("old"))
    database.replace_container(
        container, partition_key=PartitionKey(path="/categoryId"), default_ttl=1
    )
    time.sleep(2.2)
    assert ids_in(container, "bikes") == set()


def test_batch_with_minimal_response_returns_statuses_without_bodies(
    container: ContainerProxy,
) -> None:
    container.create_item(item("a"))
    results = container.execute_item_batch(
        [("upsert", (item("b"),)), ("read", ("a",))], partition_key="bikes", no_response=True
    )
    assert [r["statusCode"] for r in results] == [201, 200]
    assert "resourceBody" not in results[0]
    assert results[1]["resourceBody"]["id"] == "a"


def test_an_item_is_measured_by_the_bytes_that_arrive_its_utf8_json_at_most_2_mib(
    stack: LocalStack, database: DatabaseProxy
) -> None:
    """As Cosmos DB counts an item (the UTF-8 length of its JSON): one of exactly 2 MiB fits
    when sent as UTF-8, one byte more does not, and the same item escaped (the SDK's default,
    two bytes of é become six) is far over."""
    container = make_container(database)
    compact = CosmosClient(
        stack.cosmos_endpoint,
        credential=EMULATOR_KEY,
        connection_verify=False,
        enable_compact_utf8_item_writes=True,
    )
    writer = compact.get_database_client(database.id).get_container_client(container.id)
    fitting = item("fits", description="")
    fitting["description"] = "é" * ((MAX_ITEM_BYTES - utf8_size(fitting) - 100) // 2)
    fitting["pad"] = "x" * (MAX_ITEM_BYTES - utf8_size({**fitting, "pad": ""}))
    assert utf8_size(fitting) == MAX_ITEM_BYTES
    writer.create_item(fitting)
    assert (
        container.read_item("fits", partition_key="bikes")["description"]
        == (fitting["description"])
    )
    with pytest.raises(CosmosHttpResponseError) as too_large:
        writer.create_item({**fitting, "id": "over", "pad": fitting["pad"] + "x"})
    assert too_large.value.status_code == 413
    with pytest.raises(CosmosHttpResponseError) as escaped:
        container.create_item({**item("escaped"), "description": "é" * 400_000})
    assert escaped.value.status_code == 413


INCR = [{"op": "incr", "path": "/price", "value": 1}]


def same_id_in_two_partitions(container: ContainerProxy) -> None:
    """Item "same" priced 0 in "cheap" and 100 in "dear"."""
    container.create_item(item("same", category="cheap", price=0))
    container.create_item(item("same", category="dear", price=100))


def test_a_patch_condition_is_judged_on_its_own_item_as_written(container: ContainerProxy) -> None:
    """Not satisfied by an item of the same id in another partition, and not lower-cased."""
    same_id_in_two_partitions(container)
    with pytest.raises(CosmosHttpResponseError) as refused:
        container.patch_item(
            "same", partition_key="dear", patch_operations=INCR,
            filter_predicate="FROM c WHERE c.price <= 0",
        )  # fmt: skip
    assert refused.value.status_code == 412
    patched = container.patch_item(
        "same", partition_key="dear", patch_operations=INCR,
        filter_predicate="FROM c WHERE c.categoryId = 'dear' AND c.price >= 100",
    )  # fmt: skip
    assert patched["price"] == 101


def test_a_batch_patch_condition_is_judged_on_its_own_item(container: ContainerProxy) -> None:
    same_id_in_two_partitions(container)
    with pytest.raises(CosmosBatchOperationError) as refused:
        container.execute_item_batch(
            [("patch", ("same", INCR), {"filter_predicate": "FROM c WHERE c.price <= 0"})],
            partition_key="dear",
        )
    assert refused.value.status_code == 412
    assert container.read_item("same", partition_key="dear")["price"] == 100
