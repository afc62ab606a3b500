from __future__ import annotations

from typing import Any

import pytest

from shared.api.batches import batch_results, parse_batch
from shared.platform.errors import BadRequestError
from shared.platform.limits import MAX_BATCH_OPERATIONS


def ops(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"operations": list(operations)}


def test_operations_become_sdk_operations_in_the_path_category() -> None:
    parsed = parse_batch(
        ops(
            {"op": "create", "body": {"id": "a", "name": "n", "price": 1}},
            {"op": "upsert", "body": {"id": "b", "categoryId": "bikes", "name": "n", "price": 2}},
            {"op": "replace", "id": "a", "body": {"name": "m", "price": 3}, "ifMatch": "etag-1"},
            {"op": "patch", "id": "a", "patch": [{"op": "incr", "path": "/price", "value": 1}]},
            {"op": "read", "id": "a"},
            {"op": "delete", "id": "b", "ifMatch": "etag-2"},
        ),
        "bikes",
    )
    assert [kind for kind, _, _ in parsed] == [
        "create",
        "upsert",
        "replace",
        "patch",
        "read",
        "delete",
    ]
    assert parsed[0][1][0]["categoryId"] == "bikes"
    assert parsed[2][1] == (
        "a",
        {"categoryId": "bikes", "name": "m", "price": 3, "tags": [], "id": "a"},
    )
    assert parsed[2][2] == {"if_match_etag": "etag-1"}
    assert parsed[3][1] == ("a", [{"op": "incr", "path": "/price", "value": 1}])
    assert parsed[5][2] == {"if_match_etag": "etag-2"}


@pytest.mark.parametrize(
    "body",
    [
        {},
        ops(),
        ops(*[{"op": "read", "id": "a"}] * (MAX_BATCH_OPERATIONS + 1)),
        ops({"op": "merge", "id": "a"}),
        ops({"op": "create", "body": {"categoryId": "cars", "name": "n", "price": 1}}),
        ops({"op": "create", "body": {"name": "n", "price": -1}}),
        ops({"op": "replace", "id": "a", "body": {"id": "b", "name": "n", "price": 1}}),
        ops({"op": "read"}),
        ops({"op": "patch", "id": "a", "patch": [{"op": "set", "path": "/id", "value": "x"}]}),
        ops("create"),
    ],
)
def test_invalid_batches_are_refused_before_sending(body: Any) -> None:
    with pytest.raises(BadRequestError):
        parse_batch(body, "bikes")


def test_results_carry_status_etag_body_and_charge() -> None:
    results = batch_results(
        [
            {
                "statusCode": 201,
                "requestCharge": 5.2,
                "eTag": "e1",
                "resourceBody": {"id": "a", "_rid": "x"},
            },
            {"statusCode": 204, "requestCharge": 1},
        ]
    )
    assert results["results"] == [
        {"status": 201, "requestCharge": 5.2, "etag": "e1", "body": {"id": "a"}},
        {"status": 204, "requestCharge": 1.0},
    ]
