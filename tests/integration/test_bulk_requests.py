"""Bulk writes yield to people: through a development host whose bulk writes go in throughput
bucket 2, every batch the queue function sends (the executor's, stored rejects, progress) reaches
Cosmos DB with low priority in that bucket, and what the HTTP routes send carries no priority."""

from __future__ import annotations

from typing import Any

from devtools.stack import LocalStack
from tests.factories import catalog, product_json, unique
from tests.integration.conftest import Emulator, extra_host, wait_for


def counted(before: dict[str, Any], after: dict[str, Any], *path: str) -> dict[str, int]:
    """What the endpoint counted under `path` between two snapshots of its stats."""
    earlier, later = before, after
    for key in path:
        earlier, later = earlier.get(key, {}), later.get(key, {})
    return {
        name: later[name] - earlier.get(name, 0)
        for name in later
        if later[name] != earlier.get(name, 0)
    }


def test_bulk_writes_go_low_priority_in_their_bucket_and_http_routes_high(
    stack: LocalStack, emulator: Emulator
) -> None:
    settings = {
        "INGEST_QUEUE": unique("bulk-ingest"),
        "REJECTS_QUEUE": unique("bulk-rejects"),
        "BULK_THROUGHPUT_BUCKET": "2",
    }
    with extra_host(stack, "devhost-bulk-requests", **settings) as (api, _):
        before = emulator.stats()
        assert api.post("/products", json=product_json()).status_code == 201
        started = api.post("/imports", json=catalog(300, categories=3, invalid_every=50))
        assert started.status_code == 202, started.text
        location = f"/imports/{started.json()['importId']}"
        wait_for(
            lambda: api.get(location).json()["state"] == "completedWithRejects",
            what="the import",
        )
        after = emulator.stats()
    low = counted(before, after, "byPriority", "low")
    high = counted(before, after, "byPriority", "high")
    # The executor's batches, the stored rejects and each part's count: all batches, all low.
    assert low.get("batch", 0) >= 4 and "batch" not in high
    assert high.get("create", 0) >= 2  # the product, and the import's summary
    assert counted(before, after, "byThroughputBucket") == {"2": sum(low.values())}
