"""JSON Patch (RFC 6902) documents translated into Cosmos DB partial-update operations.

Supported: add, remove, replace (RFC 6902) and Cosmos's own set and incr; Cosmos applies at most
10 operations per patch. A patch is accepted only if the patched product still obeys the product
rules. What can be checked before sending is checked here, with the model's own field types:
paths, the values written to the product's fields, removals of required fields. What depends on
the stored value (an `incr` of the price) becomes a filter predicate that Cosmos evaluates
atomically with the patch, so that no request can leave an invalid product behind.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import TypeAdapter, ValidationError

from shared.catalog.models import (
    KEY_FIELDS,
    SYSTEM_PROPERTIES,
    Name,
    Price,
    ProductFields,
    Tag,
    Tags,
    Ttl,
)
from shared.platform.errors import BadRequestError
from shared.platform.json_numbers import MAX_SAFE_INTEGER

MAX_PATCH_OPERATIONS = 10
SUPPORTED_OPS = ("add", "remove", "replace", "set", "incr")
WRITES = frozenset({"add", "replace", "set"})
_BAD_ESCAPE = re.compile(r"~(?![01])")
_ARRAY_INDEX = re.compile(r"0|[1-9][0-9]{0,8}")

# The product's own fields, validated with the types the model itself uses.
_FIELD_TYPES: dict[str, TypeAdapter[Any]] = {
    "name": TypeAdapter(Name),
    "price": TypeAdapter(Price),
    "tags": TypeAdapter(Tags),
    "ttl": TypeAdapter(Ttl),
}
_TAG = TypeAdapter(Tag)
REQUIRED_FIELDS = frozenset(
    field.alias or name for name, field in ProductFields.model_fields.items() if field.is_required()
)


@dataclass(frozen=True, kw_only=True)
class CosmosPatch:
    """Operations for `patch_item`, and the condition the stored item must meet, if any."""

    operations: list[dict[str, Any]]
    filter_predicate: str | None = None


def _fail(index: int, message: str) -> BadRequestError:
    return BadRequestError(f"operation {index}: {message}")


def _pointer(index: int, path: Any) -> list[str]:
    """The tokens of a JSON Pointer (RFC 6901) below the root; empty tokens are refused, since
    Cosmos would not read `//name` as the client meant it."""
    if not isinstance(path, str) or not path.startswith("/") or len(path) > 1024:
        raise _fail(index, "path must be a JSON Pointer below the root, like /price")
    tokens = path[1:].split("/")
    if any(token == "" or _BAD_ESCAPE.search(token) for token in tokens):
        raise _fail(index, "path has an empty segment or an escape other than ~0 and ~1")
    return [token.replace("~1", "/").replace("~0", "~") for token in tokens]


def _check_value(index: int, field: str, adapter: TypeAdapter[Any], value: Any) -> None:
    try:
        adapter.validate_python(value)
    except ValidationError as error:
        message = error.errors(include_input=False, include_url=False)[0]["msg"]
        raise _fail(index, f"{field}: {message}") from None


def _is_number(value: Any) -> bool:
    """A number Cosmos DB stores exactly: within +-(2^53 - 1) (so finite too)."""
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER
    )


def _check_tags_element(index: int, op: str, tokens: list[str], value: Any) -> None:
    position = tokens[1]
    if len(tokens) > 2 or op == "incr":
        raise _fail(index, "a tag is a string; only whole tags can be written or removed")
    if not (_ARRAY_INDEX.fullmatch(position) or (position == "-" and op == "add")):
        raise _fail(index, "a tag's position is an array index (or - to append with add)")
    if op in WRITES:
        _check_value(index, "tags", _TAG, value)


def _check_product_field(index: int, op: str, tokens: list[str], value: Any) -> None:
    """The rules for an operation on one of the product's own fields."""
    field = tokens[0]
    if field == "tags" and len(tokens) > 1:
        _check_tags_element(index, op, tokens, value)
        return
    if len(tokens) > 1:
        raise _fail(index, f"{field} has no members to patch")
    if op == "remove" and field in REQUIRED_FIELDS:
        raise _fail(index, f"{field} is required and cannot be removed")
    if op == "incr" and field != "price":
        raise _fail(index, f"{field} cannot be incremented")
    if op in WRITES:
        _check_value(index, field, _FIELD_TYPES[field], value)


def _check_operation(index: int, operation: Any) -> dict[str, Any]:
    if not isinstance(operation, dict):
        raise _fail(index, "must be a JSON object")
    op = operation.get("op")
    if op not in SUPPORTED_OPS:
        raise _fail(index, f"op must be one of {', '.join(SUPPORTED_OPS)}")
    tokens = _pointer(index, operation.get("path"))
    if tokens[0] in KEY_FIELDS or tokens[0] in SYSTEM_PROPERTIES:
        raise _fail(index, f"{tokens[0]} cannot be patched")
    if op == "remove":
        value = None
    elif "value" not in operation:
        raise _fail(index, f"{op} needs a value")
    else:
        value = operation["value"]
    if op == "incr" and not _is_number(value):
        raise _fail(index, f"incr needs a number within +-{MAX_SAFE_INTEGER}")
    if tokens[0] in _FIELD_TYPES:
        _check_product_field(index, op, tokens, value)
    checked = {"op": op, "path": operation["path"]}
    return checked if op == "remove" else {**checked, "value": value}


def _plain(number: float) -> str:
    """A number as a Cosmos SQL literal, without exponent notation."""
    return format(Decimal(repr(number)), "f")


def _price_guard(operations: list[dict[str, Any]]) -> str | None:
    """Follow the price through the operations in order. A price set outright must end valid
    (checked now); one that ends as the stored price plus increments gets a predicate that
    holds exactly when the result is a valid price: from 0 to 2^53 - 1."""
    known: float | None = None
    increments: list[float] = []
    for operation in operations:
        if operation["path"] != "/price":
            continue
        if operation["op"] == "incr":
            if known is None:
                increments.append(operation["value"])
            else:
                known += operation["value"]
        else:
            known, increments = operation["value"], []
    if known is not None:
        if not 0 <= known <= MAX_SAFE_INTEGER:
            raise BadRequestError(
                f"The patch would leave price negative or beyond {MAX_SAFE_INTEGER}."
            )
        return None
    delta = sum(increments)
    if not -MAX_SAFE_INTEGER <= delta <= MAX_SAFE_INTEGER:
        raise BadRequestError(f"The increments would take any price beyond {MAX_SAFE_INTEGER}.")
    conditions = []
    if delta < 0:
        conditions.append(f"c.price >= {_plain(_bound(-delta, increments, up=True))}")
    if delta > 0:
        bound = _bound(MAX_SAFE_INTEGER - delta, increments, up=False)
        conditions.append(f"c.price <= {_plain(bound)}")
    return f"FROM c WHERE {' AND '.join(conditions)}" if conditions else None


def _bound(start: float, increments: list[float], *, up: bool) -> float:
    """The stored price nearest `start` from which Cosmos DB's sums (one increment after the
    other, each rounded to a double) stay a valid price: the exact bound may round past it."""
    bound = start
    while not 0 <= _after(bound, increments) <= MAX_SAFE_INTEGER:
        bound = math.nextafter(bound, math.inf if up else -math.inf)
    return bound


def _after(price: float, increments: list[float]) -> float:
    for increment in increments:
        price += increment
    return price


def to_cosmos_patch(document: Any) -> CosmosPatch:
    """Validate a JSON Patch document and return the equivalent Cosmos patch."""
    if not isinstance(document, list) or not document:
        raise BadRequestError("A JSON Patch document must be a non-empty JSON array of operations")
    if len(document) > MAX_PATCH_OPERATIONS:
        raise BadRequestError(f"Cosmos DB applies at most {MAX_PATCH_OPERATIONS} patch operations")
    operations = [_check_operation(index, operation) for index, operation in enumerate(document)]
    return CosmosPatch(operations=operations, filter_predicate=_price_guard(operations))
