"""Queue ingestion end to end: POST /api/imports, Azurite, the queue trigger, batches, emulator."""

from __future__ import annotations

import asyncio
import json
import uuid
import zlib
from typing import Any

import pytest
from azure.cosmos import ContainerProxy
from azure.cosmos.aio import CosmosClient as AsyncCosmosClient

from devtools.stack import EMULATOR_KEY, LocalStack
from shared.ingest import intake
from shared.ingest.executor import BulkExecutor, ExecutorOptions
from shared.ingest.messages import MAX_PART_JSON_BYTES, deflated_import_message
from shared.ingest.outcomes import OutcomeKind, Record
from shared.ingest.ranges import FeedRanges
from shared.ingest.retries import RetryBudget
from shared.platform.limits import JSON_MEDIA_TYPE as JSON
from shared.platform.settings import Settings
from tests.factories import catalog, unique
from tests.integration.conftest import Api, Emulator, Queues, wait_for


def stored_count(products: ContainerProxy, categories: set[str]) -> int:
    return sum(
        next(iter(products.query_items("SELECT VALUE COUNT(1) FROM c", partition_key=category)))
        for category in categories
    )


def start_import(api: Api, products: list[dict[str, Any]]) -> str:
    response = api.post("/imports", json=products)
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["records"] == len(products) and body["messages"] >= 1
    assert response.headers["Location"] == f"/api/imports/{body['importId']}"
    return str(body["importId"])


def finished(api: Api, import_id: str, timeout: float = 90) -> dict[str, Any]:
    def progress() -> dict[str, Any] | None:
        response = api.get(f"/imports/{import_id}")
        if response.status_code in (429, 503):  # injected faults reach the progress read too
            return None
        current = response.json()
        return current if current["state"] != "running" else None

    return wait_for(progress, timeout=timeout, what=f"import {import_id} to finish")


def rejects_of(queues: Queues, import_id: str) -> list[dict[str, Any]]:
    entries = [json.loads(text) for text in queues.drain(queues.rejects)]
    return [entry for entry in entries if entry.get("importId") == import_id]


# --- imports ----------------------------------------------------------------------------------


def test_import_stores_exactly_the_valid_products_and_rejects_the_rest_with_reasons(
    api: Api, products_container: ContainerProxy, queues: Queues
) -> None:
    products = catalog(5000, categories=40, invalid_every=100)
    import_id = start_import(api, products)

    progress = finished(api, import_id)
    assert progress["state"] == "completedWithRejects"
    assert (progress["accepted"], progress["written"], progress["rejected"]) == (5000, 4950, 50)
    assert progress["messagesDone"] == progress["messages"]

    assert stored_count(products_container, {p["categoryId"] for p in products}) == 4950
    rejects = rejects_of(queues, import_id)
    invalid_ids = {products[n]["id"] for n in range(0, 5000, 100)}
    assert {entry["record"]["id"] for entry in rejects} == invalid_ids
    assert len(rejects) == 50
    assert all(entry["status"] == 400 and "price" in entry["reason"] for entry in rejects)
    assert all(entry["messageId"] and entry["index"] is not None for entry in rejects)


def test_an_import_without_rejects_completes(api: Api) -> None:
    import_id = start_import(api, catalog(300, categories=3))
    progress = finished(api, import_id)
    assert (progress["state"], progress["written"], progress["rejected"]) == ("completed", 300, 0)


def test_ndjson_import_is_accepted(api: Api) -> None:
    products = catalog(50, categories=2)
    body = "\n".join(json.dumps(p) for p in products) + "\n"
    response = api.post("/imports", data=body, headers={"content-type": "application/x-ndjson"})
    assert response.status_code == 202
    assert finished(api, response.json()["importId"])["written"] == 50


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"[{", "application/json"),
        (b"[]", "application/json"),
        (b'{"products": []}', "application/json"),
    ],
    ids=["malformed", "empty-array", "not-an-array"],
)
def test_an_import_body_without_records_to_import_is_400(
    api: Api, body: bytes, content_type: str
) -> None:
    assert (
        api.post("/imports", data=body, headers={"content-type": content_type}).status_code == 400
    )


def test_an_import_in_another_media_type_is_415(api: Api) -> None:
    assert api.post("/imports", data=b"x", headers={"content-type": "text/csv"}).status_code == 415


def test_an_import_that_was_never_started_is_404(api: Api) -> None:
    assert api.get(f"/imports/{uuid.uuid4()}").status_code == 404


def parts_as_the_api_sent_them(import_id: str, products: list[dict[str, Any]]) -> list[str]:
    """The import's queue messages, made again by the same code from the same body (as
    `requests` sent it): what the queue would deliver a second time."""
    sent: list[str] = []

    async def capture(queue: str, text: str) -> None:
        sent.append(text)

    body = json.dumps(products).encode()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(intake.queues, "send", capture)
        asyncio.run(
            intake.enqueue_parts(import_id=import_id, body=body, media_type=JSON, queue="q")
        )
    return sent


def test_a_part_delivered_twice_stores_no_duplicates_and_counts_once(
    api: Api, products_container: ContainerProxy, queues: Queues
) -> None:
    products = catalog(200, categories=1)
    import_id = start_import(api, products)
    first = finished(api, import_id)
    assert first["messages"] == 1

    (again,) = parts_as_the_api_sent_them(import_id, products)
    queues.send_text(queues.ingest, again)
    wait_for(
        lambda: api.get(f"/imports/{import_id}").json()["duplicateDeliveries"] == 1,
        what="the second delivery to be noticed",
    )
    progress = api.get(f"/imports/{import_id}").json()
    assert (progress["written"], progress["rejected"], progress["messagesDone"]) == (200, 0, 1)
    assert stored_count(products_container, {products[0]["categoryId"]}) == 200


def test_another_message_under_a_counted_part_s_number_is_rejected_whole_not_dropped(
    api: Api, products_container: ContainerProxy, queues: Queues
) -> None:
    products = catalog(3, categories=1)
    import_id = start_import(api, products)
    finished(api, import_id)
    marker = unique("forged")
    forged = [{**products[0], "name": marker}, {**products[1], "id": marker}]
    queues.send_text(
        queues.ingest, json.dumps({"importId": import_id, "part": 0, "products": forged})
    )
    (whole,) = wait_for(
        lambda: [json.loads(t) for t in queues.drain(queues.rejects) if marker in t],
        what="the reject of the other message",
    )
    assert whole["status"] == 409 and whole["index"] is None and marker in whole["raw"]
    assert "counted from a message with other content" in whole["reason"]
    category = {products[0]["categoryId"]}
    assert stored_count(products_container, category) == 3  # nothing of it written
    progress = api.get(f"/imports/{import_id}").json()
    assert (progress["written"], progress["duplicateDeliveries"]) == (3, 0)


@pytest.mark.slow
def test_import_under_injected_429s_and_503s_ends_with_the_same_counts(
    api: Api, products_container: ContainerProxy, queues: Queues, emulator: Emulator
) -> None:
    # Small enough that, on a loaded machine, no message outlasts its five deliveries of the
    # stack's 2 s retry budget: what is checked is that every fault ends in an exact count.
    products = catalog(2000, categories=40, invalid_every=100)
    emulator.reset_stats()
    emulator.inject_faults(rate=0.3, statuses=[429, 503], retryAfterMs=20)
    import_id = wait_for(lambda: _try_start_import(api, products), what="the import to be accepted")

    progress = finished(api, import_id, timeout=180)
    emulator.clear_faults()
    injected = emulator.stats()["faultsInjected"]
    # The executor fills batches across messages, so fewer requests (and faults) than per message.
    assert injected.get("429", 0) >= 2 and injected.get("503", 0) >= 2
    assert injected.get("429", 0) + injected.get("503", 0) > 10
    assert (progress["written"], progress["rejected"], progress["state"]) == (
        1980,
        20,
        "completedWithRejects",
    )
    assert stored_count(products_container, {p["categoryId"] for p in products}) == 1980
    rejects = rejects_of(queues, import_id)
    # Rejects are at least once: a part retried after its rejects were sent sends them again.
    assert {entry["record"]["id"] for entry in rejects} == {
        products[n]["id"] for n in range(0, 2000, 100)
    }


def _try_start_import(api: Api, products: list[dict[str, Any]]) -> str | None:
    response = api.post("/imports", json=products)
    if response.status_code in (429, 503):
        assert "Retry-After" in response.headers
        return None
    assert response.status_code == 202, response.text
    return str(response.json()["importId"])


# --- messages sent straight to the queue -------------------------------------------------------


def test_a_part_of_an_import_that_does_not_exist_is_written_and_reported_as_a_reject(
    queues: Queues, products_container: ContainerProxy
) -> None:
    import_id = str(uuid.uuid4())
    products = catalog(3, categories=1)
    queues.send_text(
        queues.ingest, json.dumps({"importId": import_id, "part": 0, "products": products})
    )
    (orphan,) = wait_for(
        lambda: [json.loads(t) for t in queues.drain(queues.rejects) if import_id in t],
        what="the reject of the uncountable part",
    )
    assert orphan["status"] == 404 and orphan["index"] is None
    assert f"import {import_id} does not exist" in orphan["reason"]
    assert (orphan["importId"], orphan["part"]) == (import_id, 0)
    assert stored_count(products_container, {products[0]["categoryId"]}) == 3


def test_message_that_is_not_json_becomes_one_reject_with_its_raw_text(queues: Queues) -> None:
    queues.drain(queues.rejects)
    marker = unique("garbage")
    queues.send_text(queues.ingest, f"this is not json {marker}")
    entries = wait_for(
        lambda: [json.loads(t) for t in queues.drain(queues.rejects) if marker in t],
        what="the reject entry",
    )
    assert len(entries) == 1
    assert entries[0]["raw"] == f"this is not json {marker}"
    assert "not valid JSON" in entries[0]["reason"] and entries[0]["status"] == 400
    assert not [t for t in queues.drain(queues.poison) if marker in t]


def test_message_of_the_wrong_shape_becomes_one_reject(queues: Queues) -> None:
    marker = unique("shape")
    queues.send_text(queues.ingest, json.dumps({"importId": marker, "part": 0, "products": "nope"}))
    entries = wait_for(
        lambda: [json.loads(t) for t in queues.drain(queues.rejects) if marker in t],
        what="the reject entry",
    )
    assert len(entries) == 1 and "products must be a JSON array" in entries[0]["reason"]


def test_a_deflated_part_that_expands_too_far_becomes_one_reject_and_writes_nothing(
    api: Api, queues: Queues
) -> None:
    marker = unique("bomb")
    (product,) = catalog(1, categories=1)
    padding = b" " * MAX_PART_JSON_BYTES  # a megabyte of spaces deflates to about a kilobyte
    products = b"[" + json.dumps(product).encode() + padding + b"]"
    queues.send_text(queues.ingest, deflated_import_message(marker, 0, zlib.compress(products, 9)))
    entries = wait_for(
        lambda: [json.loads(t) for t in queues.drain(queues.rejects) if marker in t],
        what="the reject entry",
    )
    assert len(entries) == 1 and "expands beyond" in entries[0]["reason"]
    assert api.get(f"/products/{product['categoryId']}/{product['id']}").status_code == 404


def test_bare_product_and_bare_array_messages_are_written(api: Api, queues: Queues) -> None:
    single, *many = catalog(3, categories=1)
    queues.send_text(queues.ingest, json.dumps(single))
    queues.send_text(queues.ingest, json.dumps(many))
    for product in (single, *many):
        path = f"/products/{product['categoryId']}/{product['id']}"
        wait_for(lambda p=path: api.get(p).status_code == 200, what=f"{path} to be written")


def test_single_category_message_reaches_cosmos_as_one_batch_per_100_records(
    api: Api, products_container: ContainerProxy, queues: Queues, emulator: Emulator
) -> None:
    products = catalog(300, categories=1)
    category = products[0]["categoryId"]
    emulator.reset_stats()
    queues.send_text(queues.ingest, json.dumps(products))
    wait_for(lambda: stored_count(products_container, {category}) == 300, what="300 products")
    assert emulator.stats()["byKind"]["batch"] == 3


def test_message_that_can_never_succeed_ends_in_the_poison_queue(
    queues: Queues, emulator: Emulator
) -> None:
    marker = unique("doomed")
    emulator.inject_faults(rate=1.0, statuses=[503])
    queues.send_text(
        queues.ingest, json.dumps({"id": marker, "categoryId": "c", "name": "n", "price": 1})
    )
    poisoned = wait_for(
        lambda: [t for t in queues.drain(queues.poison) if marker in t],
        timeout=120,
        what="the message in the poison queue",
    )
    assert len(poisoned) == 1
    assert json.loads(poisoned[0])["id"] == marker


def test_message_that_is_not_base64_ends_in_the_poison_queue(queues: Queues) -> None:
    marker = unique("raw")
    queues.send_raw(queues.ingest, f"{{not base64 {marker}}}")
    wait_for(
        lambda: [m for m in queues.drain(queues.poison, decode=False) if marker in m],
        timeout=60,
        what="the undecodable message in the poison queue",
    )


# --- the batch writer against the emulator ------------------------------------------------------


def test_the_executor_sends_1000_records_of_one_category_as_10_batches(
    stack: LocalStack,
    products_container: ContainerProxy,
    host_settings: Settings,
    emulator: Emulator,
) -> None:
    items = catalog(1000, categories=1)
    records = [Record(index=n, item=product) for n, product in enumerate(items)]

    async def write() -> Any:
        async with AsyncCosmosClient(
            stack.cosmos_endpoint, EMULATOR_KEY, connection_verify=False
        ) as client:
            database = client.get_database_client(host_settings.cosmos_database)
            target = database.get_container_client(host_settings.cosmos_container)
            bulk = BulkExecutor(target, options=ExecutorOptions(), ranges=FeedRanges(target))
            report = await bulk.write(records, budget=RetryBudget(seconds=10))
            await bulk.close()
            return report

    emulator.reset_stats()
    report = asyncio.run(write())
    assert len(report.of_kind(OutcomeKind.WRITTEN)) == 1000
    assert emulator.stats()["byKind"] == {"batch": 10}
    assert stored_count(products_container, {items[0]["categoryId"]}) == 1000
