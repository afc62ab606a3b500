"""Hostile input over real HTTP: every defect an outside probe found, pinned by the request that
found it. Each test sends what a hostile client would and checks that the answer is a clear 4xx
(never a 500) and that nothing invalid or unintended happened behind the API."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from azure.cosmos import ContainerProxy

from devtools.stack import LocalStack
from tests.factories import product_json, unique
from tests.integration.conftest import Api, Queues, wait_for
from tests.integration.test_products_api import JSON_PATCH, assert_problem, create, path_of

DOT_SEGMENTS = ["%2E", "%2E%2E", "%2e%2e", ".%2E"]
DEEP = 1_000


def deep_array(levels: int) -> str:
    return "[" * levels + "]" * levels


def assert_products_container_intact(api: Api) -> None:
    assert api.get("/health").status_code == 200
    create(api)


# --- 1. route ids -------------------------------------------------------------------------


@pytest.mark.parametrize("segment", DOT_SEGMENTS)
@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
def test_dot_segment_product_ids_are_refused_before_reaching_cosmos(
    api: Api, method: str, segment: str
) -> None:
    headers = JSON_PATCH if method == "PATCH" else {}
    body = [{"op": "set", "path": "/price", "value": 1}] if method == "PATCH" else product_json()
    response = api.request(method, f"/products/c/{segment}", json=body, headers=headers)
    assert_problem(response, 400)
    assert_products_container_intact(api)


@pytest.mark.parametrize("segment", DOT_SEGMENTS)
def test_dot_segment_category_ids_are_refused_on_every_category_route(
    api: Api, segment: str
) -> None:
    assert_problem(api.get(f"/products/{segment}/some-id"), 400)
    assert_problem(api.get(f"/categories/{segment}/products"), 400)
    assert_problem(api.delete(f"/categories/{segment}/products"), 400)
    batch = {"operations": [{"op": "read", "id": "x"}]}
    assert_problem(api.post(f"/categories/{segment}/batch", json=batch), 400)
    assert_products_container_intact(api)


@pytest.mark.parametrize("bad_id", [".", "..", "trailing space ", "c1\u0085", "c1\u009f"])
def test_invalid_ids_are_refused_at_creation_on_every_path(api: Api, bad_id: str) -> None:
    category = unique("cat")
    assert_problem(api.post("/products", json=product_json(id=bad_id, categoryId=category)), 400)
    assert_problem(api.post("/products", json=product_json(categoryId=bad_id)), 400)
    create_op = {"op": "create", "body": product_json(id=bad_id)}
    response = api.post(f"/categories/{category}/batch", json={"operations": [create_op]})
    assert_problem(response, 400)
    read_op = {"op": "read", "id": bad_id}
    response = api.post(f"/categories/{category}/batch", json={"operations": [read_op]})
    assert_problem(response, 400)
    assert api.get(f"/categories/{category}/products").json()["count"] == 0


def test_a_category_id_with_a_slash_is_refused_with_the_reason(api: Api) -> None:
    body = assert_problem(api.post("/products", json=product_json(categoryId="bikes/road")), 400)
    assert [error["field"] for error in body["errors"]] == ["categoryId"]


def test_an_import_id_that_is_not_a_uuid_names_no_import(api: Api) -> None:
    for segment in ("%2E%2E", "%2E", "not-a-uuid"):
        assert_problem(api.get(f"/imports/{segment}"), 404)


# --- 2, 3. nesting depth -------------------------------------------------------------------


def devhost_peak_rss_kib(stack: LocalStack) -> int:
    (host,) = [service for service in stack.services if service.name == "devhost"]
    assert host.process is not None
    status = Path(f"/proc/{host.process.pid}/status").read_text()
    (line,) = [line for line in status.splitlines() if line.startswith("VmHWM:")]
    return int(line.split()[1])


def test_a_100000_level_import_is_400_and_the_host_memory_stays_flat(
    api: Api, stack: LocalStack
) -> None:
    before = devhost_peak_rss_kib(stack)
    response = api.post(
        "/imports", data="[" * 100_000, headers={"content-type": "application/json"}
    )
    assert_problem(response, 400)
    assert devhost_peak_rss_kib(stack) - before < 50 * 1024


@pytest.mark.parametrize(
    ("method", "route", "content_type"),
    [
        ("POST", "/products", "application/json"),
        ("PUT", "/products/c/p", "application/json"),
        ("PATCH", "/products/c/p", "application/json-patch+json"),
        ("POST", "/categories/c/batch", "application/json"),
        ("POST", "/imports", "application/json"),
        ("POST", "/imports", "application/x-ndjson"),
    ],
)
def test_deep_nesting_is_a_400_on_every_json_input(
    api: Api, method: str, route: str, content_type: str
) -> None:
    response = api.request(
        method, route, data=deep_array(DEEP), headers={"content-type": content_type}
    )
    body = assert_problem(response, 400)
    assert "64" in body["detail"]


def test_deep_nesting_in_a_continuation_token_is_a_400(api: Api) -> None:
    token = base64.urlsafe_b64encode(deep_array(DEEP).encode()).decode()
    assert_problem(api.get(f"/categories/c/products?continuation={token}"), 400)


def test_a_tampered_continuation_token_is_a_400(api: Api) -> None:
    category = unique("cat")
    for _ in range(3):
        create(api, categoryId=category)
    token = base64.urlsafe_b64encode(json.dumps({"cosmos": "garbage"}).encode()).decode()
    response = api.get(f"/categories/{category}/products?limit=1&continuation={token}")
    assert_problem(response, 400)


# --- 4. patches that would break the product rules ----------------------------------------


@pytest.mark.parametrize(
    "operation",
    [
        {"op": "set", "path": "/price", "value": -1},
        {"op": "set", "path": "/price", "value": None},
        {"op": "add", "path": "/tags/0", "value": 7},
        {"op": "set", "path": "/ttl", "value": -5},
        {"op": "set", "path": "//name", "value": ""},
        {"op": "remove", "path": "/name"},
        {"op": "remove", "path": "//price"},
        {"op": "incr", "path": "/ttl", "value": -10},
    ],
)
def test_a_patch_that_would_store_an_invalid_product_is_refused(
    api: Api, products_container: ContainerProxy, operation: dict[str, Any]
) -> None:
    created = create(api)
    assert_problem(api.patch(path_of(created), json=[operation], headers=JSON_PATCH), 400)
    batch = {"operations": [{"op": "patch", "id": created["id"], "patch": [operation]}]}
    assert_problem(api.post(f"/categories/{created['categoryId']}/batch", json=batch), 400)
    stored = products_container.read_item(created["id"], partition_key=created["categoryId"])
    assert stored["_etag"] == created["etag"]


def test_an_increment_that_would_make_the_price_negative_is_409_and_changes_nothing(
    api: Api, products_container: ContainerProxy
) -> None:
    created = create(api, price=5)
    decrement = [{"op": "incr", "path": "/price", "value": -10}]
    body = assert_problem(api.patch(path_of(created), json=decrement, headers=JSON_PATCH), 409)
    assert "price" in body["detail"]
    stored = products_container.read_item(created["id"], partition_key=created["categoryId"])
    assert stored["price"] == 5
    allowed = [{"op": "incr", "path": "/price", "value": -5}]
    assert api.patch(path_of(created), json=allowed, headers=JSON_PATCH).json()["price"] == 0


def test_a_guarded_increment_with_a_stale_if_match_is_still_412(api: Api) -> None:
    created = create(api, price=5)
    decrement = [{"op": "incr", "path": "/price", "value": -10}]
    stale = {**JSON_PATCH, "If-Match": '"00000000-0000-0000-0000-000000000000"'}
    assert_problem(api.patch(path_of(created), json=decrement, headers=stale), 412)


def test_a_batch_increment_that_would_make_the_price_negative_fails_the_batch(
    api: Api, products_container: ContainerProxy
) -> None:
    created = create(api, price=5)
    patch = {
        "op": "patch",
        "id": created["id"],
        "patch": [{"op": "incr", "path": "/price", "value": -6}],
    }
    response = api.post(f"/categories/{created['categoryId']}/batch", json={"operations": [patch]})
    assert_problem(response, 409)
    stored = products_container.read_item(created["id"], partition_key=created["categoryId"])
    assert stored["price"] == 5


# --- 5, 12. preconditions and media types -------------------------------------------------


@pytest.mark.parametrize("if_match", [b"\xff", b'"\xff"', b""])
@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_an_unusable_if_match_is_refused_never_ignored(
    api: Api, products_container: ContainerProxy, method: str, if_match: bytes
) -> None:
    created = create(api)
    headers: dict[str, Any] = {"If-Match": if_match}
    body: Any = product_json(id=created["id"], categoryId=created["categoryId"])
    if method == "PATCH":
        headers |= JSON_PATCH
        body = [{"op": "set", "path": "/price", "value": 1}]
    response = api.request(method, path_of(created), json=body, headers=headers)
    assert response.status_code in (400, 412), response.text
    stored = products_container.read_item(created["id"], partition_key=created["categoryId"])
    assert stored["_etag"] == created["etag"]


def test_a_batch_if_match_that_is_not_an_entity_tag_is_refused(api: Api) -> None:
    created = create(api)
    operation = {"op": "delete", "id": created["id"], "ifMatch": {"not": "a tag"}}
    response = api.post(
        f"/categories/{created['categoryId']}/batch", json={"operations": [operation]}
    )
    assert_problem(response, 400)
    assert api.get(path_of(created)).status_code == 200


def test_a_patch_without_a_content_type_is_415(api: Api) -> None:
    created = create(api)
    body = json.dumps([{"op": "set", "path": "/price", "value": 1}]).encode()
    response = api.patch(path_of(created), data=body, headers={"content-type": ""})
    assert_problem(response, 415)
    assert api.get(path_of(created)).json()["price"] == created["price"]


# --- 7. odd page sizes --------------------------------------------------------------------


@pytest.mark.parametrize("limit", ["²", "¹", "①", "٣", "1" * 4_301, "+5", " 5", "5.0"])
def test_a_limit_that_is_not_ascii_digits_is_400(api: Api, limit: str) -> None:
    assert_problem(api.get("/categories/c/products", params={"limit": limit}), 400)


# --- 8. NaN and Infinity ------------------------------------------------------------------


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_non_finite_numbers_are_refused_at_the_edge(api: Api, literal: str) -> None:
    text = json.dumps(product_json())[:-1] + f', "extra": {literal}}}'
    headers = {"content-type": "application/json"}
    assert_problem(api.post("/products", data=text, headers=headers), 400)
    ndjson = json.dumps(product_json()) + "\n" + text + "\n"
    response = api.post("/imports", data=ndjson, headers={"content-type": "application/x-ndjson"})
    assert_problem(response, 400)


def test_a_queue_record_with_nan_is_rejected_alone_and_the_rest_written(
    api: Api, queues: Queues, products_container: ContainerProxy
) -> None:
    queues.drain(queues.rejects)
    category = unique("cat")
    good = [product_json(categoryId=category) for _ in range(3)]
    bad = json.dumps(product_json(categoryId=category))[:-1] + ', "weight": NaN}'
    queues.send_text(
        queues.ingest, "[" + ",".join([json.dumps(good[0]), bad, *map(json.dumps, good[1:])]) + "]"
    )
    rejects = wait_for(
        lambda: [json.loads(t) for t in queues.drain(queues.rejects) if category in t],
        what="the reject of the NaN record",
    )
    assert [(r["index"], r["status"]) for r in rejects] == [(1, 400)]
    assert "NaN" in rejects[0]["reason"]
    assert wait_for(
        lambda: api.get(f"/categories/{category}/products").json()["count"] == 3,
        what="the three valid records",
    )


# --- 11. ttl range ------------------------------------------------------------------------


@pytest.mark.parametrize("ttl", [2**31, 10**24, 2**64, 2**53 + 1])
def test_a_ttl_beyond_cosmos_maximum_is_refused(api: Api, ttl: int) -> None:
    body = assert_problem(api.post("/products", json=product_json(ttl=ttl)), 400)
    assert body["errors"][0]["field"] == "ttl"


def test_the_largest_ttl_is_stored_exactly(api: Api) -> None:
    created = create(api, ttl=2**31 - 1)
    assert api.get(path_of(created)).json()["ttl"] == 2**31 - 1


# --- 13. no echo of the body --------------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", '[{"name": "secret-marker-7731" ,,]'),
        ("application/x-ndjson", '{"name": "secret-marker-7731" ,,}\n'),
        ("application/json", '{"name": "secret-marker-7731"'),
    ],
)
def test_parse_errors_never_echo_the_body(api: Api, content_type: str, body: str) -> None:
    for route in ("/imports", "/products"):
        if route == "/products" and content_type != "application/json":
            continue
        response = api.post(route, data=body, headers={"content-type": content_type})
        assert_problem(response, 400)
        assert "secret-marker" not in response.text and "7731" not in response.text


def test_a_route_id_holding_a_newline_is_the_app_s_400_not_the_host_s_404(api: Api) -> None:
    assert_problem(api.get("/products/c/a%0Ab"), 400)
