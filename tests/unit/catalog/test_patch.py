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
    assert to_cosmos_patch(document) == [
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
