"""What is sent is what is stored, over real HTTP into the local endpoint: every number exactly
as sent or refused with 400 naming its field (Cosmos DB stores doubles), on every way in."""

from __future__ import annotations

import json
from typing import Any

import pytest
from azure.cosmos import ContainerProxy

from shared.platform.utf8_json import utf8_size
from tests.factories import product_json, unique
from tests.integration.conftest import Api, Queues, wait_for
from tests.integration.test_products_api import JSON_PATCH, assert_problem, create, path_of

JSON = {"content-type": "application/json"}
NDJSON = {"content-type": "application/x-ndjson"}

# Numbers a double cannot hold as written: each would be stored as something else (null for
# the first, whose double is Infinity; 2^53 for the second and third; 0.1 and 0 for the last).
UNSTORABLE = [
    "1" + "0" * 400,
    "9007199254740993",
    "9007199254740993.0",
    "0.10000000000000000001",
    "1e-400",
]
# Numbers at the edges of the rule, read back as written.
EXACT = {
    "largest": 9007199254740991,
    "smallest": -9007199254740991,
    "largest_fraction": 4503599627370495.5,
    "tenth": 0.1,
    "tiny": 5e-324,
}


def with_number(product: dict[str, Any], field: str, literal: str) -> str:
    """The product's JSON with `field` set to the number literal exactly as written."""
    return json.dumps(product)[:-1] + f', "{field}": {literal}}}'


# --- 1. numbers ---------------------------------------------------------------------------


@pytest.mark.parametrize("literal", UNSTORABLE)
def test_a_number_a_double_cannot_hold_is_refused_naming_the_field(api: Api, literal: str) -> None:
    product = product_json()
    response = api.post("/products", data=with_number(product, "x", literal), headers=JSON)
    body = assert_problem(response, 400)
    assert [error["field"] for error in body["errors"]] == ["x"]
    assert literal not in response.text
    assert api.get(path_of(product)).status_code == 404


def test_numbers_at_the_edges_of_a_double_are_stored_exactly(
    api: Api, products_container: ContainerProxy
) -> None:
    created = create(api, **EXACT)
    stored = products_container.read_item(created["id"], partition_key=created["categoryId"])
    assert {field: stored[field] for field in EXACT} == EXACT
    assert {field: api.get(path_of(created)).json()[field] for field in EXACT} == EXACT


def test_a_replace_refuses_an_unstorable_number_in_a_known_field(api: Api) -> None:
    created = create(api)
    body = with_number({"name": "n", "tags": []}, "price", "1" + "0" * 30)
    response = api.put(path_of(created), data=body, headers=JSON)
    assert assert_problem(response, 400)["errors"][0]["field"] == "price"
    assert api.get(path_of(created)).json()["price"] == created["price"]


def test_a_patch_value_that_cannot_be_stored_is_refused_naming_its_place(api: Api) -> None:
    created = create(api)
    patch = '[{"op": "set", "path": "/weight", "value": 9007199254740993}]'
    response = api.patch(path_of(created), data=patch, headers=JSON_PATCH)
    assert assert_problem(response, 400)["errors"][0]["field"] == "0.value"
    assert "weight" not in api.get(path_of(created)).json()


def test_a_batch_body_with_an_unstorable_number_is_refused_before_anything_is_sent(
    api: Api,
) -> None:
    category = unique("cat")
    body = with_number({"id": "p", "name": "n", "price": 1}, "x", "1e-400")
    text = f'{{"operations": [{{"op": "create", "body": {body}}}]}}'
    response = api.post(f"/categories/{category}/batch", data=text, headers=JSON)
    assert assert_problem(response, 400)["errors"][0]["field"] == "operations.0.body.x"
    assert "x-ms-request-charge" not in response.headers


def test_an_import_record_with_an_unstorable_number_is_refused_naming_its_line_and_field(
    api: Api,
) -> None:
    good = json.dumps(product_json())
    bad = with_number(product_json(), "weight", "12345678901234567890")
    response = api.post("/imports", data=f"{good}\n{bad}\n", headers=NDJSON)
    detail = assert_problem(response, 400)["detail"]
    assert "Line 2" in detail and "weight" in detail and "2^53" in detail


def test_a_queue_record_with_an_unstorable_number_is_rejected_alone_naming_the_field(
    api: Api, queues: Queues
) -> None:
    queues.drain(queues.rejects)
    category = unique("cat")
    good = [json.dumps(product_json(categoryId=category)) for _ in range(2)]
    bad = with_number(product_json(categoryId=category), "stock", "1" + "0" * 400)
    queues.send_text(queues.ingest, f"[{good[0]}, {bad}, {good[1]}]")
    rejects = wait_for(
        lambda: [json.loads(t) for t in queues.drain(queues.rejects) if category in t],
        what="the reject of the record with the unstorable number",
    )
    assert [(r["index"], r["status"]) for r in rejects] == [(1, 400)]
    assert rejects[0]["reason"].startswith("stock: a number beyond")
    assert wait_for(
        lambda: api.get(f"/categories/{category}/products").json()["count"] == 2,
        what="the two valid records",
    )
    stored = api.get(f"/categories/{category}/products").json()["items"]
    assert all("stock" not in item for item in stored)


# --- 2. text ------------------------------------------------------------------------------

MIB = 1024 * 1024


def utf8_body(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()


def test_an_800_kb_product_of_accented_text_is_stored_whole(
    api: Api, products_container: ContainerProxy
) -> None:
    """Sent escaped by the SDK, its 400,000 é would be 2.4 MB: over Cosmos DB's 2 MB."""
    product = product_json(description="é" * 400_000)
    body = utf8_body(product)
    assert 800_000 < len(body) < 900_000
    response = api.post("/products", data=body, headers=JSON)
    assert response.status_code == 201, response.text[:300]
    stored = products_container.read_item(product["id"], partition_key=product["categoryId"])
    assert stored["description"] == product["description"]


def test_a_1_8_mb_batch_of_accented_text_commits(api: Api) -> None:
    category = unique("cat")
    operations = [
        {"op": "create", "body": {"id": f"p{n}", "name": "n", "price": 1, "d": "é" * 300_000}}
        for n in range(3)
    ]
    body = utf8_body({"operations": operations})
    assert 1.7 * MIB < len(body) < 1.9 * MIB
    response = api.post(f"/categories/{category}/batch", data=body, headers=JSON)
    assert response.status_code == 200, response.text[:300]
    assert api.get(f"/products/{category}/p2").json()["d"] == "é" * 300_000


def test_a_product_sent_escaped_is_measured_as_cosmos_counts_it(api: Api) -> None:
    """requests escapes non-ASCII text (json=): 3.6 MB of body for a 1.2 MB product."""
    product = product_json(description="é" * 600_000)
    response = api.post("/products", json=product)
    assert response.status_code == 201, response.text[:300]
    assert api.get(path_of(product)).json()["description"] == product["description"]


def test_a_product_over_2_mb_as_cosmos_counts_it_is_413_naming_its_size(api: Api) -> None:
    product = product_json(description="é" * MIB)
    response = api.post("/products", data=utf8_body(product), headers=JSON)
    detail = assert_problem(response, 413)["detail"]
    assert "UTF-8" in detail and f"{utf8_size(product):,}" in detail
    assert api.get(path_of(product)).status_code == 404


def test_an_import_record_of_24_kb_of_cjk_text_sent_escaped_is_written(api: Api) -> None:
    """Its 8,100 characters are 24 KB of UTF-8 but 48.6 KB of \\uXXXX escapes (json=): more
    than a queue message holds."""
    product = product_json(description="字" * 8_100)
    response = api.post("/imports", json=[product])
    assert response.status_code == 202, response.text[:300]
    assert wait_for(
        lambda: api.get(path_of(product)).status_code == 200, what="the imported product"
    )
    assert api.get(path_of(product)).json()["description"] == product["description"]


def test_a_rejected_record_of_cjk_text_is_kept_whole_in_its_reject(api: Api) -> None:
    """24 KB of UTF-8 in the reject, not 48 KB of escapes cut to fit a queue message."""
    record = product_json(description="字" * 8_100, price=-1)
    response = api.post("/imports", data=utf8_body([record]), headers=JSON)
    assert response.status_code == 202, response.text[:300]
    rejects = f"/imports/{response.json()['importId']}/rejects"
    page = wait_for(lambda: api.get(rejects).json()["items"], what="the stored reject")
    assert page[0]["record"] == record and "truncated" not in page[0]
