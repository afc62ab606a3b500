"""Several instances on one budget: three development hosts drain one queue into one container
provisioned at 1,000 RU/s, as the instances Flex Consumption scales the queue function out to.
Each writes its share, and every record is stored once."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import pytest
from azure.cosmos import CosmosClient, DatabaseProxy, PartitionKey

from devtools.stack import LocalStack, records_processed
from shared.platform.cosmos import PRODUCTS_PARTITION_KEY
from tests.factories import catalog, unique
from tests.integration.conftest import Queues, wait_for

HOSTS = 3
RECORDS = 600
RU_PER_SECOND = 1_000


@pytest.fixture
def database(cosmos: CosmosClient) -> Iterator[DatabaseProxy]:
    """A database of the hosts' own, its products container provisioned (the app creates the
    imports container itself)."""
    created = cosmos.create_database(unique("several"))
    created.create_container(
        id="products",
        partition_key=PartitionKey(path=PRODUCTS_PARTITION_KEY),
        default_ttl=-1,
        offer_throughput=RU_PER_SECOND,
    )
    yield created
    cosmos.delete_database(created)


def stored(database: DatabaseProxy) -> int:
    container = database.get_container_client("products")
    query = "SELECT VALUE COUNT(1) FROM c"
    return int(next(iter(container.query_items(query, enable_cross_partition_query=True))))


def test_hosts_on_one_queue_share_its_messages_and_store_every_record_once(
    stack: LocalStack, queues: Queues, database: DatabaseProxy
) -> None:
    queue, rejects = unique("several-ingest"), unique("several-rejects")
    settings = {"COSMOS_DATABASE": database.id, "INGEST_QUEUE": queue, "REJECTS_QUEUE": rejects}
    products = catalog(RECORDS, categories=6)
    with stack.extra_hosts("devhost-several", HOSTS, **settings) as hosts:
        sender = queues.client(queue)
        for product in products:  # one message each, so that every host finds some
            sender.send_message(base64.b64encode(json.dumps(product).encode()).decode())
        wait_for(lambda: stored(database) == RECORDS, timeout=120, what="every record stored")
        wait_for(
            lambda: sum(records_processed(host)[0] for _, host in hosts) == RECORDS,
            what="every host's log",
        )
        written = [records_processed(host)[0] for _, host in hosts]
    assert all(count > 0 for count in written), written
    assert not queues.drain(f"{queue}-poison") and not queues.drain(rejects)
