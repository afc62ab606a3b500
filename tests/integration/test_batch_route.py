"""POST /api/categories/{categoryId}/batch over real HTTP into the emulator."""

from __future__ import annotations

import pytest
from azure.cosmos import ContainerProxy
from azure.cosmos.exceptions import CosmosBatchOperationError

from tests.factories import unique
from tests.integration.conftest import Api
from tests.integration.test_products_api import assert_problem, create


def batch(api: Api, category: str, *operations: dict[str, object]) -> object:
    return api.post(f"/categories/{category}/batch", json={"operations": list(operations)})


def test_committed_batch_returns_one_result_per_operation(api: Api) -> None:
    category = unique("batch")
    existing = create(api, categoryId=category, price=1)
    response = batch(
        api,
        category,
        {"op": "create", "body": {"id": "new", "name": "n", "price": 2}},
        {"op": "upsert", "body": {"id": "up", "name": "n", "price": 3}},
        {
            "op": "replace",
            "id": existing["id"],
            "body": {"name": "r", "price": 4},
            "ifMatch": existing["etag"],
        },
        {"op": "patch", "id": "new", "patch": [{"op": "incr", "path": "/price", "value": 5}]},
        {"op": "read", "id": "up"},
        {"op": "delete", "id": "up"},
    )
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == [201, 201, 200, 200, 200, 204]
    assert results[3]["body"]["price"] == 7 and results[3]["etag"]
    assert all("requestCharge" in r for r in results)
    assert float(response.headers["x-ms-request-charge"]) > 0
    assert api.get(f"/products/{category}/new").json()["price"] == 7
    assert api.get(f"/products/{category}/up").status_code == 404


def test_failed_operation_commits_nothing_and_names_the_failing_index(api: Api) -> None:
    category = unique("batch")
    existing = create(api, categoryId=category)
    response = batch(
        api,
        category,
        {"op": "create", "body": {"id": "first", "name": "n", "price": 1}},
        {"op": "create", "body": {"id": existing["id"], "name": "n", "price": 1}},
        {"op": "delete", "id": existing["id"]},
    )
    body = assert_problem(response, 409)
    assert body["failedOperationIndex"] == 1
    assert [o["status"] for o in body["operations"]] == [424, 409, 424]
    assert api.get(f"/products/{category}/first").status_code == 404
    assert api.get(f"/products/{category}/{existing['id']}").status_code == 200


def test_stale_if_match_in_a_batch_returns_412(api: Api) -> None:
    category = unique("batch")
    existing = create(api, categoryId=category)
    api.put(f"/products/{category}/{existing['id']}", json={"name": "changed", "price": 1})
    response = batch(
        api, category, {"op": "delete", "id": existing["id"], "ifMatch": existing["etag"]}
    )
    assert assert_problem(response, 412)["failedOperationIndex"] == 0


def test_missing_item_in_a_batch_returns_404(api: Api) -> None:
    assert_problem(batch(api, unique("batch"), {"op": "read", "id": "nothing"}), 404)


def test_item_of_another_category_is_refused_before_anything_is_sent(api: Api) -> None:
    category = unique("batch")
    response = batch(
        api,
        category,
        {"op": "create", "body": {"id": "ok", "name": "n", "price": 1}},
        {"op": "create", "body": {"id": "x", "categoryId": "elsewhere", "name": "n", "price": 1}},
    )
    assert_problem(response, 400)
    assert "x-ms-request-charge" not in response.headers
    assert api.get(f"/products/{category}/ok").status_code == 404


def test_more_than_100_operations_or_unknown_ones_are_400(api: Api) -> None:
    category = unique("batch")
    assert_problem(batch(api, category, *[{"op": "read", "id": "a"}] * 101), 400)
    assert_problem(batch(api, category, {"op": "merge", "id": "a"}), 400)


def test_a_failed_batch_reports_the_charge_cosmos_gave_it_once(
    api: Api, products_container: ContainerProxy
) -> None:
    category = unique("batch")
    existing = create(api, categoryId=category)
    operations = [{"op": "create", "body": {"id": existing["id"], "name": "n", "price": 1}}]
    sdk_operations = [("create", ({"id": existing["id"], "categoryId": category, "name": "n",
                                   "price": 1},))]  # fmt: skip
    with pytest.raises(CosmosBatchOperationError) as refused:
        products_container.execute_item_batch(sdk_operations, partition_key=category)
    charged_by_cosmos = float(refused.value.headers["x-ms-request-charge"])
    assert charged_by_cosmos > 0

    response = batch(api, category, *operations)
    assert_problem(response, 409)
    assert float(response.headers["x-ms-request-charge"]) == charged_by_cosmos


# One cause, one status: a patch that does not apply to the stored product is 409 alone and in
# a batch (Cosmos DB answers 412 for a filter predicate and 400 for a missing path).
NOT_APPLICABLE = {
    "price-would-go-negative": [{"op": "incr", "path": "/price", "value": -100}],
    "path-does-not-exist": [{"op": "remove", "path": "/nothing"}],
    "incr-of-a-string": [{"op": "incr", "path": "/color", "value": 1}],
}


@pytest.mark.parametrize("patch", NOT_APPLICABLE.values(), ids=NOT_APPLICABLE.keys())
def test_a_patch_that_does_not_apply_is_409_alone_and_in_a_batch(
    api: Api, patch: list[dict[str, object]]
) -> None:
    created = create(api, price=5, color="red")
    alone = api.patch(
        f"/products/{created['categoryId']}/{created['id']}",
        json=patch,
        headers={"content-type": "application/json-patch+json"},
    )
    assert_problem(alone, 409)
    read = {"op": "read", "id": created["id"]}
    in_batch = batch(
        api, created["categoryId"], read, {"op": "patch", "id": created["id"], "patch": patch}
    )
    body = assert_problem(in_batch, 409)
    assert body["failedOperationIndex"] == 1
    assert [o["status"] for o in body["operations"]] == [424, 409]


def test_a_guarded_increment_with_a_stale_if_match_in_a_batch_is_still_412(api: Api) -> None:
    created = create(api, price=5)
    operation = {
        "op": "patch",
        "id": created["id"],
        "patch": [{"op": "incr", "path": "/price", "value": -100}],
        "ifMatch": '"00000000-0000-0000-0000-000000000000"',
    }
    assert_problem(batch(api, created["categoryId"], operation), 412)
