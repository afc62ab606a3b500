from __future__ import annotations

import pytest

from shared.catalog.patch import MAX_PATCH_OPERATIONS, to_cosmos_patch
from shared.platform.errors import BadRequestError


def test_json_patch_operations_translate_one_to_one() -> None:
    document = [
        {"op": "replace", "path": "/price", "value": 70},
        {"op": "add", "path": "/tags/-", "value": "new"},
        {"op": "remove", "path": "/color"},
        {"op": "set", "path": "/stock", "value": 3},
        {"op": "incr", "path": "/stock", "value": -1},
    ]
    assert to_cosmos_patch(document).operations == [
        {"op": "replace", "path": "/price", "value": 70},
        {"op": "add", "path": "/tags/-", "value": "new"},
        {"op": "remove", "path": "/color"},
        {"op": "set", "path": "/stock", "value": 3},
        {"op": "incr", "path": "/stock", "value": -1},
    ]


@pytest.mark.parametrize("path", ["/id", "/categoryId", "/_etag", "/_ts"])
def test_keys_and_system_properties_cannot_be_patched(path: str) -> None:
    with pytest.raises(BadRequestError, match="cannot be patched"):
        to_cosmos_patch([{"op": "set", "path": path, "value": "x"}])


@pytest.mark.parametrize(
    "operation",
    [
        {"op": "move", "from": "/a", "path": "/b"},
        {"op": "test", "path": "/a", "value": 1},
        {"op": "replace", "path": "price", "value": 1},
        {"op": "replace", "path": "/", "value": {}},
        {"op": "replace", "path": "/price"},
        {"op": "incr", "path": "/stock", "value": "1"},
        {"op": "replace", "path": "/price", "value": -5},
        {"op": "set", "path": "/name", "value": ""},
        {"op": "set", "path": "/tags", "value": [1]},
        {"op": "set", "path": "/ttl", "value": 0},
        {"op": "remove", "path": "/price"},
        {"op": "remove", "path": "/name"},
        {"op": "set", "path": "/price", "value": None},
        {"op": "set", "path": "/ttl", "value": -5},
        {"op": "set", "path": "/ttl", "value": 2**31},
        {"op": "incr", "path": "/ttl", "value": -10},
        {"op": "incr", "path": "/name", "value": 1},
        {"op": "add", "path": "/tags/0", "value": 5},
        {"op": "set", "path": "/tags/-", "value": "x"},
        {"op": "add", "path": "/tags/first", "value": "x"},
        {"op": "set", "path": "/tags/0/x", "value": "x"},
        {"op": "set", "path": "/price/amount", "value": 1},
        {"op": "set", "path": "//name", "value": ""},
        {"op": "remove", "path": "//name"},
        {"op": "set", "path": "/name/", "value": ""},
        {"op": "set", "path": "/a~2b", "value": 1},
        "not an object",
    ],
)
def test_invalid_operation_is_a_bad_request(operation: object) -> None:
    with pytest.raises(BadRequestError):
        to_cosmos_patch([operation])


@pytest.mark.parametrize("document", [[], {}, "x", None])
def test_document_must_be_a_non_empty_array(document: object) -> None:
    with pytest.raises(BadRequestError):
        to_cosmos_patch(document)


def test_more_operations_than_cosmos_allows_is_a_bad_request() -> None:
    document = [{"op": "incr", "path": "/n", "value": 1}] * (MAX_PATCH_OPERATIONS + 1)
    with pytest.raises(BadRequestError, match=str(MAX_PATCH_OPERATIONS)):
        to_cosmos_patch(document)


def test_an_increment_of_the_price_is_guarded_by_a_predicate_on_the_stored_price() -> None:
    patch = to_cosmos_patch([{"op": "incr", "path": "/price", "value": -2.5}])
    assert patch.filter_predicate == "FROM c WHERE c.price >= 2.5"


def test_a_price_set_outright_then_incremented_is_checked_before_sending() -> None:
    with pytest.raises(BadRequestError, match="negative"):
        to_cosmos_patch(
            [
                {"op": "set", "path": "/price", "value": 5},
                {"op": "incr", "path": "/price", "value": -10},
            ]
        )
    ok = to_cosmos_patch(
        [{"op": "set", "path": "/price", "value": 5}, {"op": "incr", "path": "/price", "value": -5}]
    )
    assert ok.filter_predicate is None


def test_increments_that_raise_the_price_keep_it_within_2_to_the_53_minus_1() -> None:
    patch = to_cosmos_patch([{"op": "incr", "path": "/price", "value": 3}])
    assert patch.filter_predicate == "FROM c WHERE c.price <= 9007199254740988"


def test_an_increment_beyond_2_to_the_53_minus_1_is_refused() -> None:
    with pytest.raises(BadRequestError):
        to_cosmos_patch([{"op": "incr", "path": "/price", "value": 1.5e308}])


@pytest.mark.parametrize(
    "operation",
    [
        {"op": "add", "path": "/tags/-", "value": "new"},
        {"op": "replace", "path": "/tags/0", "value": "first"},
        {"op": "remove", "path": "/tags/1"},
        {"op": "remove", "path": "/tags"},
        {"op": "remove", "path": "/ttl"},
        {"op": "set", "path": "/ttl", "value": 2**31 - 1},
        {"op": "set", "path": "/dimensions/width", "value": 3},
        {"op": "set", "path": "/a~1b", "value": 1},
    ],
)
def test_operations_that_keep_the_product_valid_are_accepted(operation: dict[str, object]) -> None:
    assert to_cosmos_patch([operation]).operations[0]["op"] == operation["op"]
