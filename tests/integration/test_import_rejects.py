"""GET /api/imports/{importId}/rejects: an import's rejected records, stored once each beside its
progress, however often a message is delivered; the rejects queue still receives them."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from shared.platform.settings import Settings
from tests.factories import catalog
from tests.integration.conftest import Api, Emulator, Queues, wait_for
from tests.integration.test_ingestion import finished, start_import
from tests.integration.test_products_api import assert_problem


def all_rejects(api: Api, import_id: str, *, limit: int) -> list[dict[str, Any]]:
    """Every stored reject of the import, page by page."""
    entries: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": limit}
    while True:
        response = api.get(f"/imports/{import_id}/rejects", params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        assert page["count"] == len(page["items"]) <= limit
        entries += page["items"]
        if "continuation" not in page:
            return entries
        params["continuation"] = page["continuation"]


def test_an_import_s_rejects_page_through_the_api_each_once_with_its_reason(api: Api) -> None:
    products = catalog(300, categories=3, invalid_every=10)
    import_id = start_import(api, products)
    progress = finished(api, import_id)
    assert progress["rejected"] == 30
    assert progress["links"] == {"rejects": f"/api/imports/{import_id}/rejects"}

    entries = all_rejects(api, import_id, limit=7)
    assert len(entries) == 30
    places = [(entry["part"], entry["index"]) for entry in entries]
    assert places == sorted(set(places))  # each once, in order of part and index
    assert {entry["record"]["id"] for entry in entries} == {
        products[n]["id"] for n in range(0, 300, 10)
    }
    for entry in entries:
        assert entry["importId"] == import_id and entry["status"] == 400
        assert "price" in entry["reason"] and entry["messageId"]


def test_an_import_without_rejects_links_to_none_and_has_an_empty_page(api: Api) -> None:
    import_id = start_import(api, catalog(20, categories=1))
    assert "links" not in finished(api, import_id)
    response = api.get(f"/imports/{import_id}/rejects")
    assert response.status_code == 200
    assert response.json() == {"items": [], "count": 0}


def test_the_rejects_of_an_import_that_never_started_are_404(api: Api) -> None:
    assert_problem(api.get(f"/imports/{uuid.uuid4()}/rejects"), 404)


def test_a_rejects_page_refuses_a_bad_limit_or_continuation(api: Api) -> None:
    import_id = start_import(api, catalog(10, categories=1, invalid_every=2))
    finished(api, import_id)
    assert_problem(api.get(f"/imports/{import_id}/rejects", params={"limit": "0"}), 400)
    bad_token = {"continuation": "bm90IG91cnM"}
    assert_problem(api.get(f"/imports/{import_id}/rejects", params=bad_token), 400)


def test_a_part_delivered_again_after_its_rejects_were_stored_stores_each_once(
    api: Api, queues: Queues, emulator: Emulator, host_settings: Settings
) -> None:
    """The first delivery stores and sends its rejects, then cannot count the part (every later
    batch on the imports container fails) and goes back to the queue; the second delivery
    stores the same rejects again and counts the part."""
    queues.drain(queues.rejects)
    imports = host_settings.cosmos_imports_container
    emulator.inject_faults(rate=1.0, statuses=[503], kind="batch", collection=imports, skip=1)
    products = catalog(50, categories=1, invalid_every=10)
    import_id = start_import(api, products)
    sent: list[dict[str, Any]] = []

    def first_delivery_sent() -> bool:
        sent.extend(
            e for e in map(json.loads, queues.drain(queues.rejects)) if e["importId"] == import_id
        )
        return len(sent) >= 5

    wait_for(first_delivery_sent, what="the first delivery's rejects")
    time.sleep(host_settings.writer_retry_budget_seconds + 1)  # its count fails for good
    emulator.clear_faults()

    progress = finished(api, import_id)
    assert (progress["written"], progress["rejected"]) == (45, 5)
    sent += [e for e in map(json.loads, queues.drain(queues.rejects)) if e["importId"] == import_id]
    assert len(sent) >= 10  # at least once on the queue: both deliveries sent them
    stored = all_rejects(api, import_id, limit=100)
    assert sorted(entry["index"] for entry in stored) == [0, 10, 20, 30, 40]
