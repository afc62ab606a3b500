"""The product routes over real HTTP, through the development host and the SDK into the emulator."""

from __future__ import annotations

import json
import time
from typing import Any

from shared.platform.limits import MAX_JSON_BODY_BYTES
from tests.factories import product_json, unique
from tests.integration.conftest import Api, Emulator

PROBLEM = "application/problem+json"
JSON_PATCH = {"content-type": "application/json-patch+json"}


def create(api: Api, **overrides: Any) -> dict[str, Any]:
    response = api.post("/products", json=product_json(**overrides))
    assert response.status_code == 201, response.text
    return response.json() | {"etag": response.headers["ETag"]}


def path_of(product: dict[str, Any]) -> str:
    return f"/products/{product['categoryId']}/{product['id']}"


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    assert "Traceback" not in response.text
    return body


# --- create -------------------------------------------------------------------------------


def test_create_returns_201_with_location_etag_and_request_charge(api: Api) -> None:
    sent = product_json()
    response = api.post("/products", json=sent)
    assert response.status_code == 201
    assert response.headers["Location"] == f"/api/products/{sent['categoryId']}/{sent['id']}"
    assert response.headers["ETag"]
    assert float(response.headers["x-ms-request-charge"]) > 0
    assert response.json() == sent
    assert api.get(path_of(sent)).json() == sent


def test_create_generates_an_id_when_absent(api: Api) -> None:
    sent = product_json()
    del sent["id"]
    response = api.post("/products", json=sent)
    assert response.status_code == 201
    assert response.json()["id"]
    assert api.get(path_of(response.json())).status_code == 200


def test_create_keeps_unknown_fields_and_ignores_system_properties(api: Api) -> None:
    created = create(api, color="red", _etag="forged", _ts=1)
    stored = api.get(path_of(created)).json()
    assert stored["color"] == "red"
    assert "_etag" not in stored and "_ts" not in stored


def test_create_with_existing_id_in_category_returns_409(api: Api) -> None:
    created = create(api)
    response = api.post(
        "/products", json=product_json(id=created["id"], categoryId=created["categoryId"])
    )
    assert_problem(response, 409)


def test_same_id_in_another_category_is_a_different_product(api: Api) -> None:
    created = create(api)
    assert api.post("/products", json=product_json(id=created["id"])).status_code == 201


def test_create_invalid_product_returns_400_naming_each_field(api: Api) -> None:
    response = api.post("/products", json={"categoryId": "", "name": "x", "price": -1})
    body = assert_problem(response, 400)
    assert {error["field"] for error in body["errors"]} == {"categoryId", "price"}


def test_create_with_malformed_json_returns_400(api: Api) -> None:
    response = api.post(
        "/products", data=b'{"name": ', headers={"content-type": "application/json"}
    )
    assert_problem(response, 400)


def test_create_with_a_non_object_body_returns_400(api: Api) -> None:
    assert_problem(api.post("/products", json=[product_json()]), 400)


def test_create_of_a_product_over_2_mb_returns_413(api: Api) -> None:
    response = api.post("/products", json=product_json(blob="x" * (2 * 1024 * 1024 + 1)))
    assert_problem(response, 413)


def test_create_with_a_member_named_twice_is_refused(api: Api) -> None:
    body = '{"categoryId":"c3","name":"n","price":1,"id":"dup","id":"dup2"}'
    response = api.post("/products", data=body, headers={"content-type": "application/json"})
    assert "same member twice" in assert_problem(response, 400)["detail"]
    assert_problem(api.get("/products/c3/dup2"), 404)


def test_create_with_a_body_over_the_json_body_limit_returns_413(api: Api) -> None:
    body = b"{" + b" " * MAX_JSON_BODY_BYTES + b"}"
    response = api.post("/products", data=body, headers={"content-type": "application/json"})
    assert f"{MAX_JSON_BODY_BYTES}" in assert_problem(response, 413)["detail"]


# --- read -----------------------------------------------------------------------------------


def test_read_returns_product_with_etag(api: Api) -> None:
    created = create(api)
    response = api.get(path_of(created))
    assert response.status_code == 200
    assert response.headers["ETag"] == created["etag"]
    assert float(response.headers["x-ms-request-charge"]) > 0


def test_read_with_current_etag_in_if_none_match_returns_304(api: Api) -> None:
    created = create(api)
    response = api.get(path_of(created), headers={"If-None-Match": created["etag"]})
    assert response.status_code == 304
    assert response.content == b""


def test_read_with_old_etag_in_if_none_match_returns_the_product(api: Api) -> None:
    created = create(api)
    api.patch(
        path_of(created), json=[{"op": "set", "path": "/price", "value": 1}], headers=JSON_PATCH
    )
    response = api.get(path_of(created), headers={"If-None-Match": created["etag"]})
    assert response.status_code == 200 and response.json()["price"] == 1


def test_read_with_if_match_is_412_for_another_version_and_400_for_a_non_tag(api: Api) -> None:
    created = create(api)
    assert api.get(path_of(created), headers={"If-Match": created["etag"]}).status_code == 200
    assert api.get(path_of(created), headers={"If-Match": "*"}).status_code == 200
    assert_problem(api.get(path_of(created), headers={"If-Match": '"stale"'}), 412)
    assert_problem(api.get(path_of(created), headers={"If-Match": "garbage value"}), 400)


def test_read_missing_product_returns_404(api: Api) -> None:
    assert_problem(api.get(f"/products/{unique('c')}/{unique('p')}"), 404)


# --- replace --------------------------------------------------------------------------------


def test_replace_changes_the_whole_product_and_the_etag(api: Api) -> None:
    created = create(api, color="red")
    replacement = {"name": "New name", "price": 10, "tags": []}
    response = api.put(path_of(created), json=replacement)
    assert response.status_code == 200
    assert response.headers["ETag"] != created["etag"]
    stored = api.get(path_of(created)).json()
    assert stored == {**replacement, "id": created["id"], "categoryId": created["categoryId"]}


def test_replace_with_current_etag_succeeds(api: Api) -> None:
    created = create(api)
    response = api.put(
        path_of(created),
        json=product_json(id=created["id"], categoryId=created["categoryId"], price=5),
        headers={"If-Match": created["etag"]},
    )
    assert response.status_code == 200


def test_replace_with_stale_etag_returns_412(api: Api) -> None:
    created = create(api)
    body = product_json(id=created["id"], categoryId=created["categoryId"])
    assert api.put(path_of(created), json=body).status_code == 200
    assert_problem(api.put(path_of(created), json=body, headers={"If-Match": created["etag"]}), 412)


def test_lost_update_race_second_writer_gets_412_and_first_write_survives(api: Api) -> None:
    created = create(api, price=10)
    first, second = Api(api.base_url), Api(api.base_url)
    etag_seen_by_first = first.get(path_of(created)).headers["ETag"]
    etag_seen_by_second = second.get(path_of(created)).headers["ETag"]
    assert etag_seen_by_first == etag_seen_by_second

    base = {"id": created["id"], "categoryId": created["categoryId"], "name": "n", "tags": []}
    won = first.put(
        path_of(created), json=base | {"price": 11}, headers={"If-Match": etag_seen_by_first}
    )
    lost = second.put(
        path_of(created), json=base | {"price": 99}, headers={"If-Match": etag_seen_by_second}
    )

    assert won.status_code == 200
    assert_problem(lost, 412)
    assert api.get(path_of(created)).json()["price"] == 11


def test_replace_with_id_differing_from_path_returns_400(api: Api) -> None:
    created = create(api)
    assert_problem(
        api.put(path_of(created), json=product_json(id="other", categoryId=created["categoryId"])),
        400,
    )


def test_replace_with_category_differing_from_path_returns_400(api: Api) -> None:
    created = create(api)
    assert_problem(
        api.put(path_of(created), json=product_json(id=created["id"], categoryId="other")), 400
    )


def test_replace_missing_product_returns_404(api: Api) -> None:
    assert_problem(
        api.put(f"/products/{unique('c')}/{unique('p')}", json={"name": "n", "price": 1}), 404
    )


def test_replace_with_invalid_product_returns_400(api: Api) -> None:
    created = create(api)
    assert_problem(api.put(path_of(created), json={"name": "n", "price": "free"}), 400)


# --- patch ----------------------------------------------------------------------------------


def test_patch_applies_json_patch_and_cosmos_operations(api: Api) -> None:
    created = create(api, price=10, tags=["a"], color="red", stock=5)
    document = [
        {"op": "replace", "path": "/price", "value": 12.5},
        {"op": "add", "path": "/tags/-", "value": "b"},
        {"op": "remove", "path": "/color"},
        {"op": "set", "path": "/size", "value": "L"},
        {"op": "incr", "path": "/stock", "value": -2},
    ]
    response = api.patch(path_of(created), data=json.dumps(document), headers=JSON_PATCH)
    assert response.status_code == 200, response.text
    assert response.headers["ETag"] != created["etag"]
    stored = api.get(path_of(created)).json()
    assert stored["price"] == 12.5 and stored["tags"] == ["a", "b"] and stored["size"] == "L"
    assert stored["stock"] == 3 and "color" not in stored


def test_patch_with_stale_etag_returns_412_and_changes_nothing(api: Api) -> None:
    created = create(api, price=10)
    api.patch(
        path_of(created), json=[{"op": "set", "path": "/price", "value": 11}], headers=JSON_PATCH
    )
    stale = {**JSON_PATCH, "If-Match": created["etag"]}
    assert_problem(
        api.patch(
            path_of(created), json=[{"op": "set", "path": "/price", "value": 1}], headers=stale
        ),
        412,
    )
    assert api.get(path_of(created)).json()["price"] == 11


def test_patch_of_id_or_category_returns_400(api: Api) -> None:
    created = create(api)
    for path in ("/id", "/categoryId"):
        response = api.patch(
            path_of(created), json=[{"op": "set", "path": path, "value": "x"}], headers=JSON_PATCH
        )
        assert_problem(response, 400)


def test_patch_requires_json_patch_media_type(api: Api) -> None:
    created = create(api)
    response = api.patch(path_of(created), json=[{"op": "set", "path": "/price", "value": 1}])
    assert_problem(response, 415)


def test_patch_missing_product_returns_404(api: Api) -> None:
    response = api.patch(
        f"/products/{unique('c')}/{unique('p')}",
        json=[{"op": "set", "path": "/price", "value": 1}],
        headers=JSON_PATCH,
    )
    assert_problem(response, 404)


# --- delete ---------------------------------------------------------------------------------


def test_delete_returns_204_and_the_product_is_gone(api: Api) -> None:
    created = create(api)
    response = api.delete(path_of(created))
    assert response.status_code == 204
    assert float(response.headers["x-ms-request-charge"]) > 0
    assert_problem(api.get(path_of(created)), 404)


def test_delete_with_stale_etag_returns_412_and_keeps_the_product(api: Api) -> None:
    created = create(api)
    api.patch(
        path_of(created), json=[{"op": "set", "path": "/price", "value": 2}], headers=JSON_PATCH
    )
    assert_problem(api.delete(path_of(created), headers={"If-Match": created["etag"]}), 412)
    assert api.get(path_of(created)).status_code == 200


def test_delete_missing_product_returns_404(api: Api) -> None:
    assert_problem(api.delete(f"/products/{unique('c')}/{unique('p')}"), 404)


# --- time to live ---------------------------------------------------------------------------


def test_product_with_ttl_expires_and_one_without_stays(api: Api) -> None:
    category = unique("ttl")
    short_lived = create(api, categoryId=category, ttl=2)
    lasting = create(api, categoryId=category)
    assert api.get(path_of(short_lived)).status_code == 200
    time.sleep(3.5)
    assert_problem(api.get(path_of(short_lived)), 404)
    assert api.get(path_of(lasting)).status_code == 200
    listed = api.get(f"/categories/{category}/products").json()["items"]
    assert [item["id"] for item in listed] == [lasting["id"]]


# --- categories -----------------------------------------------------------------------------


def test_paging_through_250_products_in_pages_of_100(api: Api) -> None:
    category = unique("paging")
    created = {create(api, categoryId=category)["id"] for _ in range(250)}
    create(api)  # another category must not leak into the pages
    sizes, seen, continuation = [], [], None
    while True:
        params = {"limit": 100} | ({"continuation": continuation} if continuation else {})
        page = api.get(f"/categories/{category}/products", params=params).json()
        sizes.append(page["count"])
        seen += [item["id"] for item in page["items"]]
        continuation = page.get("continuation")
        if not continuation:
            break
    assert sizes == [100, 100, 50]
    assert len(seen) == len(set(seen)) and set(seen) == created


def test_page_limit_outside_1_to_1000_returns_400(api: Api) -> None:
    for limit in ("0", "1001", "ten", "-5"):
        assert_problem(api.get(f"/categories/{unique('c')}/products", params={"limit": limit}), 400)


def test_invalid_continuation_token_returns_400(api: Api) -> None:
    response = api.get(f"/categories/{unique('c')}/products", params={"continuation": "%%%"})
    assert_problem(response, 400)


def test_delete_category_removes_only_that_category(api: Api) -> None:
    category = unique("doomed")
    for _ in range(5):
        create(api, categoryId=category)
    survivor = create(api)
    response = api.delete(f"/categories/{category}/products")
    assert response.status_code == 200
    assert response.json()["method"] == "partitionKeyDelete"
    assert api.get(f"/categories/{category}/products").json()["items"] == []
    assert api.get(path_of(survivor)).status_code == 200


def test_delete_category_with_if_match_is_refused_and_deletes_nothing(api: Api) -> None:
    category = unique("guarded")
    kept = create(api, categoryId=category)
    for tag in ('"any"', "*", "garbage value"):
        response = api.delete(f"/categories/{category}/products", headers={"If-Match": tag})
        assert "no entity tag" in assert_problem(response, 400)["detail"]
    assert api.get(path_of(kept)).status_code == 200


def test_delete_category_falls_back_to_batches_without_partition_key_delete(
    api: Api, emulator: Emulator
) -> None:
    emulator.set_capabilities(partitionKeyDelete=False)
    category = unique("doomed")
    for _ in range(130):
        create(api, categoryId=category)
    response = api.delete(f"/categories/{category}/products")
    assert response.status_code == 200
    assert response.json() == {"method": "batch", "deleted": 130}
    assert api.get(f"/categories/{category}/products").json()["items"] == []


# --- health, throttling and the host's routing -----------------------------------------------


def test_health_is_200_when_cosmos_answers(api: Api) -> None:
    response = api.get("/health")
    assert response.status_code == 200 and response.json() == {"status": "healthy"}


def test_throttled_request_returns_429_with_retry_after(api: Api, emulator: Emulator) -> None:
    created = create(api)
    emulator.inject_faults(rate=1.0, statuses=[429], retryAfterMs=10)
    response = api.get(path_of(created))
    assert_problem(response, 429)
    assert int(response.headers["Retry-After"]) >= 1


def get_while_throttled(
    api: Api, emulator: Emulator, path: str, *, retry_after_ms: int
) -> tuple[Any, float]:
    """GET `path` while Cosmos DB throttles every request: the answer and its seconds."""
    emulator.inject_faults(rate=1.0, statuses=[429], retryAfterMs=retry_after_ms)
    started = time.monotonic()
    response = api.get(path)
    return response, time.monotonic() - started


def test_sustained_throttling_is_429_with_cosmos_retry_after_within_the_http_timeout(
    api: Api, emulator: Emulator
) -> None:
    created = create(api)
    response, seconds = get_while_throttled(api, emulator, path_of(created), retry_after_ms=1500)
    assert seconds < 10  # HTTP_TIMEOUT_SECONDS: not its 503
    assert_problem(response, 429)
    assert response.headers["Retry-After"] == "2"  # Cosmos DB's 1.5 s, rounded up


def test_a_listing_throttled_until_the_http_timeout_is_429_not_503(
    api: Api, emulator: Emulator
) -> None:
    listing = f"/categories/{create(api)['categoryId']}/products"
    response, seconds = get_while_throttled(api, emulator, listing, retry_after_ms=100)
    assert seconds < 12
    assert_problem(response, 429)  # the SDK retries a query's 429s in two layers
    assert response.headers["Retry-After"] == "1"


def test_unavailable_cosmos_returns_503_with_retry_after(api: Api, emulator: Emulator) -> None:
    created = create(api)
    emulator.inject_faults(rate=1.0, statuses=[503])
    response = api.get(path_of(created))
    assert_problem(response, 503)
    assert int(response.headers["Retry-After"]) >= 1


def test_unknown_route_returns_404_and_wrong_method_405(api: Api) -> None:
    assert api.get("/nothing-here").status_code == 404
    response = api.post("/health")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]


def test_if_none_match_accepts_lists_weak_tags_and_star(api: Api) -> None:
    created = create(api)
    for header in (f'"other", {created["etag"]}', f"W/{created['etag']}", "*"):
        assert api.get(path_of(created), headers={"If-None-Match": header}).status_code == 304


def test_ids_with_spaces_and_unicode_round_trip_through_the_location(api: Api) -> None:
    sent = product_json(id="saddle für Straße 1", categoryId="bikes & parts")
    response = api.post("/products", json=sent)
    assert response.status_code == 201
    location = response.headers["Location"]
    assert " " not in location
    assert api.get(location.removeprefix("/api")).json() == sent
