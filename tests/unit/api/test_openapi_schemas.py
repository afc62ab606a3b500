"""The document's request schemas state what the code refuses: a request valid by the document is
accepted, one the code accepts is valid by the document (rules that need the stored item aside)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from shared.api.batches import parse_batch
from shared.api.openapi import openapi_document
from shared.catalog.patch import to_cosmos_patch
from shared.platform.errors import BadRequestError
from shared.platform.json_input import JsonInputError, loads
from shared.platform.json_numbers import MAX_SAFE_INTEGER


def valid(model: str, value: Any) -> bool:
    schema = {"$ref": f"#/components/schemas/{model}", **openapi_document()}
    return Draft202012Validator(schema).is_valid(value)


def accepted(check: Any, value: Any, *args: Any) -> bool:
    """Whether the code takes `value` sent as JSON: read as every body is, then checked."""
    try:
        check(loads(json.dumps(value)), *args)
    except (BadRequestError, JsonInputError):
        return False
    return True


numbers = st.integers(-(2**60), 2**60) | st.floats(allow_nan=False, allow_infinity=False)
values = st.none() | st.booleans() | st.text(max_size=3) | numbers | st.lists(st.text(), max_size=2)
paths = st.sampled_from(
    ["/name", "/price", "/tags", "/tags/0", "/tags/-", "/tags/01", "/tags/x", "/ttl", "/color",
     "/color/x", "//name", "/price/x", "/id", "/categoryId", "/_etag", "/a~2", "/a~1b", "/"]
)  # fmt: skip
operations = st.fixed_dictionaries(
    {"op": st.sampled_from(["add", "remove", "replace", "set", "incr", "move"]), "path": paths},
    optional={"value": values},
)


@settings(max_examples=1_000)
@given(operations)
def test_a_patch_operation_is_valid_by_the_document_exactly_when_the_code_takes_it(
    operation: dict[str, Any],
) -> None:
    assert valid("JsonPatch", [operation]) == accepted(to_cosmos_patch, [operation])


@pytest.mark.parametrize(
    "operation",
    [
        {"op": "create", "body": {"id": "p"}},
        {"op": "create", "body": {"name": "n", "price": -1}},
        {"op": "upsert", "body": {"name": "n", "price": 1, "weight": 2**53}},
        {"op": "replace", "id": "p", "body": {"name": "n"}},
        {"op": "patch", "id": "p", "patch": [{"op": "remove", "path": "/name"}]},
        {"op": "read"},
        {"op": "merge", "id": "p"},
    ],
)
def test_a_batch_operation_the_code_refuses_is_invalid_by_the_document(
    operation: dict[str, Any],
) -> None:
    body = {"operations": [operation]}
    assert not accepted(parse_batch, body, "c")
    assert not valid("BatchRequest", body)


@pytest.mark.parametrize(
    "operation",
    [
        {"op": "create", "body": {"name": "n", "price": 1}},
        {"op": "upsert", "body": {"id": "p", "name": "n", "price": 0.1, "x": {"y": [1]}}},
        {"op": "replace", "id": "p", "body": {"name": "n", "price": 1}, "ifMatch": '"e"'},
        {"op": "patch", "id": "p", "patch": [{"op": "incr", "path": "/price", "value": 1}]},
        {"op": "read", "id": "p"},
        {"op": "delete", "id": "p", "ifMatch": "*"},
    ],
)
def test_a_whole_operation_of_each_kind_is_valid_by_both(operation: dict[str, Any]) -> None:
    body = {"operations": [operation]}
    assert accepted(parse_batch, body, "c") and valid("BatchRequest", body)


def test_every_number_of_a_product_is_bounded_by_the_document() -> None:
    product = {"categoryId": "c", "name": "n", "price": 1}
    assert valid("ProductCreate", {**product, "x": [MAX_SAFE_INTEGER, -0.5]})
    assert not valid("ProductCreate", {**product, "x": {"y": MAX_SAFE_INTEGER + 1}})
    assert not valid("ProductCreate", {**product, "price": 1e300})
