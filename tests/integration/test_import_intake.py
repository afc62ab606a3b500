"""POST /api/imports at the sizes the API accepts: one pass, an import that always ends, retries
that import nothing twice, one version per product, parts that cannot lie about their import."""

from __future__ import annotations

import gzip
import json
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from azure.cosmos import ContainerProxy

from devtools.stack import LocalStack, azurite_connection_string, azurite_service
from shared.platform.host_config import max_dequeue_count
from shared.platform.limits import MAX_IMPORT_BYTES, MAX_IMPORT_RECORDS, NDJSON_MEDIA_TYPE
from shared.platform.settings import Settings
from tests.factories import catalog, unique
from tests.integration.conftest import Api, Emulator, Queues, extra_host, wait_for
from tests.integration.test_ingestion import finished, rejects_of, start_import, stored_count

NDJSON = {"content-type": NDJSON_MEDIA_TYPE}


def ndjson(products: list[dict[str, Any]]) -> bytes:
    return "\n".join(json.dumps(product) for product in products).encode()


def body_at_the_limit() -> bytes:
    """NDJSON of ~200-byte products, as close to MAX_IMPORT_BYTES as whole lines allow."""
    line = json.dumps(
        {"id": "0" * 36, "categoryId": "c-000", "name": "n" * 40, "price": 1.5, "tags": ["t" * 60]}
    )
    count = min(MAX_IMPORT_BYTES // (len(line) + 1), MAX_IMPORT_RECORDS)
    lines = (
        line.replace("0" * 36, f"{n:036d}").replace("c-000", f"c-{n % 500:03d}")
        for n in range(count)
    )
    return "\n".join(lines).encode()


@pytest.fixture
def side_host(stack: LocalStack) -> Iterator[tuple[Api, Queues]]:
    """A host with queues of its own, so that what it enqueues is not everyone's work."""
    settings = {"INGEST_QUEUE": unique("side-ingest"), "REJECTS_QUEUE": unique("side-rejects")}
    with extra_host(stack, "devhost-side", **settings) as (api, _):
        own = Queues(stack.storage_connection, Settings(**{**stack.host_environment(), **settings}))
        yield api, own
    for name in (own.ingest, own.rejects):
        own.client(name).delete_queue()


def test_a_body_at_the_limit_is_accepted_in_time_while_reads_are_served(
    side_host: tuple[Api, Queues], host_settings: Settings
) -> None:
    api, _ = side_host
    created = api.post("/products", json={"categoryId": "c", "name": "n", "price": 1})
    assert created.status_code == 201
    read_path = f"/products/c/{created.json()['id']}"
    body = body_at_the_limit()
    assert len(body) > MAX_IMPORT_BYTES * 0.95
    read_seconds: list[float] = []
    done = threading.Event()

    def read_meanwhile() -> None:
        while not done.is_set():
            started = time.monotonic()
            assert api.get(read_path).status_code == 200
            read_seconds.append(time.monotonic() - started)
            time.sleep(0.1)

    with ThreadPoolExecutor(1) as reader:
        reading = reader.submit(read_meanwhile)
        started = time.monotonic()
        response = api.post("/imports", data=body, headers=NDJSON)
        took = time.monotonic() - started
        done.set()
        reading.result()
    assert response.status_code == 202, response.text
    assert took < host_settings.http_timeout_seconds
    assert response.json()["records"] == body.count(b"\n") + 1
    assert len(read_seconds) >= 5 and max(read_seconds) < 1.0


def test_a_body_over_the_limit_is_413_saying_the_limit(api: Api) -> None:
    response = api.post("/imports", data=b"[" + b" " * MAX_IMPORT_BYTES + b"]")
    assert response.status_code == 413
    assert str(MAX_IMPORT_BYTES) in response.json()["detail"]


def test_a_million_empty_records_are_refused_in_time_while_health_keeps_answering(
    api: Api, host_settings: Settings
) -> None:
    body = b"[" + b",".join([b"{}"] * 1_000_000) + b"]"
    with ThreadPoolExecutor(1) as prober:
        probe = prober.submit(lambda: _slowest_health(api, seconds=3))
        started = time.monotonic()
        response = api.post("/imports", data=body)
        took = time.monotonic() - started
        assert probe.result() < 5
    assert response.status_code == 413 and f"{MAX_IMPORT_RECORDS:,}" in response.json()["detail"]
    assert took < host_settings.http_timeout_seconds


def _slowest_health(api: Api, *, seconds: float) -> float:
    slowest, deadline = 0.0, time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.monotonic()
        assert api.get("/health").status_code == 200
        slowest = max(slowest, time.monotonic() - started)
    return slowest


def test_an_enqueue_cut_short_by_the_queue_leaves_a_failed_import_not_a_running_one(
    stack: LocalStack,
) -> None:
    azurite = azurite_service("azurite-doomed")
    connection = azurite_connection_string(azurite.start().group(1))
    try:
        with extra_host(stack, "devhost-doomed", AzureWebJobsStorage=connection) as (api, _):
            body = ndjson(catalog(40_000, categories=50))
            # Killed, not stopped: a stopped Azurite serves its open connections for a minute.
            killer = threading.Timer(0.5, azurite.kill)
            killer.start()
            response = api.post("/imports", data=body, headers=NDJSON)
            killer.join()
            assert response.status_code >= 500, response.text
            import_id = response.json()["importId"]
            progress = api.get(f"/imports/{import_id}").json()
    finally:
        azurite.stop()
    assert progress["state"] == "failed" and "send it again" in progress["reason"].lower()
    assert progress["written"] == 0


def test_a_retried_import_with_the_same_key_is_the_same_import_and_stores_each_record_once(
    api: Api, products_container: ContainerProxy
) -> None:
    products = catalog(1500, categories=3)
    for product in products:
        del product["id"]  # ids derived from the import: a second import would store them again
    headers = {"Idempotency-Key": unique("key")}
    first = api.post("/imports", json=products, headers=headers)
    again = api.post("/imports", json=products, headers=headers)
    assert first.status_code == again.status_code == 202
    assert first.json() == again.json()
    progress = finished(api, first.json()["importId"])
    assert (progress["written"], progress["rejected"]) == (1500, 0)
    categories = {product["categoryId"] for product in products}
    assert stored_count(products_container, categories) == 1500


def test_the_same_key_with_another_body_is_422(api: Api) -> None:
    headers = {"Idempotency-Key": unique("key")}
    assert api.post("/imports", json=catalog(3, categories=1), headers=headers).status_code == 202
    other = api.post("/imports", json=catalog(4, categories=1), headers=headers)
    assert other.status_code == 422 and "Idempotency-Key" in other.json()["detail"]


def test_one_product_per_category_costs_as_few_messages_as_any_body(
    side_host: tuple[Api, Queues],
) -> None:
    api, _ = side_host  # its own queues: writing 20,000 one-record batches is not the point
    body = json.dumps(catalog(20_000, categories=20_000)).encode()
    response = api.post("/imports", data=body)
    assert response.status_code == 202
    assert response.json()["messages"] <= len(body) // 40_000 + 1


@pytest.mark.parametrize("run", [1, 2, 3])
def test_the_last_occurrence_of_a_product_in_an_import_is_the_one_stored(
    api: Api, products_container: ContainerProxy, queues: Queues, run: int
) -> None:
    products = catalog(3000, categories=1, seed=run)
    twin = products[0]["id"]
    products[1500] = {**products[1500], "id": twin, "price": 7}
    products[2999] = {**products[2999], "id": twin, "price": 9}
    import_id = start_import(api, products)
    progress = finished(api, import_id)
    assert progress["messages"] > 2
    assert (progress["written"], progress["rejected"], progress["superseded"]) == (2998, 2, 2)
    stored = products_container.read_item(twin, partition_key=products[0]["categoryId"])
    assert stored["price"] == 9
    rejects = rejects_of(queues, import_id)
    assert len(rejects) == 2
    assert all(r["status"] == 409 and "record 2999" in r["reason"] for r in rejects)


def test_a_forged_part_beyond_an_import_is_reported_and_never_counted(
    api: Api, queues: Queues
) -> None:
    products = catalog(3, categories=1)
    import_id = start_import(api, products)
    done = finished(api, import_id)
    forged = {"importId": import_id, "part": done["messages"], "products": catalog(1, categories=1)}
    queues.send_text(queues.ingest, json.dumps(forged))
    (orphan,) = wait_for(
        lambda: [r for r in rejects_of(queues, import_id) if r["index"] is None],
        what="the forged part's reject",
    )
    assert orphan["status"] == 404 and f"part {done['messages']} is none" in orphan["reason"]
    after = api.get(f"/imports/{import_id}").json()
    assert (after["accepted"], after["written"], after["messagesDone"]) == (3, 3, done["messages"])


def test_a_part_failing_until_its_last_delivery_ends_its_import_with_rejects(
    api: Api, emulator: Emulator, queues: Queues, host_settings: Settings
) -> None:
    products = catalog(30, categories=2)
    emulator.inject_faults(
        rate=1.0, statuses=[503], kind="batch", collection=host_settings.cosmos_container
    )
    import_id = start_import(api, products)
    progress = finished(api, import_id, timeout=120)
    assert progress["state"] == "completedWithRejects"
    assert (progress["written"], progress["rejected"]) == (0, 30)
    rejects = rejects_of(queues, import_id)
    unwritten = [r for r in rejects if r["index"] is not None]
    assert len(unwritten) == 30
    assert all(f"{max_dequeue_count()} deliveries" in r["reason"] for r in unwritten)
    assert wait_for(lambda: queues.drain(queues.poison), what="the part in the poison queue")


def largest_record_with_json_text() -> dict[str, Any]:
    """An invalid product as large as a part can carry, whose field holds JSON text: every quote
    in it is escaped once in the record and once more where a reject quotes the record."""
    product: dict[str, Any] = {**catalog(1, categories=1)[0], "price": -1}
    count = 1
    while len(json.dumps({**product, "notes": json.dumps([{"k": '"q"'}] * count)})) < 48_480:
        count += 1
    return {**product, "notes": json.dumps([{"k": '"q"'}] * (count - 1))}


def test_an_oversized_reject_is_cut_to_fit_and_sent(api: Api, queues: Queues) -> None:
    product = largest_record_with_json_text()
    import_id = start_import(api, [product])
    assert finished(api, import_id)["rejected"] == 1
    (entry,) = wait_for(lambda: rejects_of(queues, import_id), what="the reject")
    assert "record" not in entry and entry["truncated"].startswith("{")
    assert len(json.dumps(entry).encode()) <= 48 * 1024


def test_a_pending_or_unknown_import_id_is_404_and_a_bad_key_400(api: Api) -> None:
    assert api.get(f"/imports/{uuid.uuid4()}").status_code == 404
    bad = api.post("/imports", json=[{}], headers={"Idempotency-Key": "k" * 256})
    assert bad.status_code == 400


@pytest.mark.parametrize(
    "body",
    [b"", b"\n\n", b'{"categoryId":"c","name":"n","price":1e400}\n', b"{not json}\n"],
    ids=["empty", "blank-lines", "refused-number", "malformed"],
)
def test_a_body_refused_before_any_part_is_sent_leaves_no_import_and_frees_its_key(
    api: Api, body: bytes
) -> None:
    key = unique("key")
    refused = api.post("/imports", data=body, headers={**NDJSON, "Idempotency-Key": key})
    assert refused.status_code == 400, refused.text
    assert "importId" not in refused.json()
    fixed = api.post("/imports", json=catalog(3, categories=1), headers={"Idempotency-Key": key})
    assert fixed.status_code == 202, fixed.text
    assert finished(api, fixed.json()["importId"])["written"] == 3


def test_a_body_refused_after_parts_were_sent_fails_its_import_saying_to_correct_it(
    api: Api,
) -> None:
    body = ndjson(catalog(40_000, categories=50)) + b"\n{not json}\n"
    response = api.post("/imports", data=body, headers=NDJSON)
    assert response.status_code == 400, response.text
    assert "Line 40001" in response.json()["detail"] and response.json()["line"] == 40001
    progress = api.get(f"/imports/{response.json()['importId']}").json()
    assert progress["state"] == "failed" and progress["written"] == 0
    assert "correct the body and send it with a new idempotency-key" in progress["reason"].lower()


def test_a_compressed_body_is_415_naming_the_coding_accepted(api: Api) -> None:
    body = gzip.compress(json.dumps(catalog(3, categories=1)).encode())
    headers = {"Content-Encoding": "gzip", "Content-Type": "application/json"}
    response = api.post("/imports", data=body, headers=headers)
    assert response.status_code == 415 and response.headers["Accept-Encoding"] == "identity"
    assert "importId" not in response.json()
    response = api.post("/products", data=b"{}", headers={**headers, "Content-Encoding": "br"})
    assert response.status_code == 415
