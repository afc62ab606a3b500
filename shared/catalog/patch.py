"""JSON Patch (RFC 6902) documents translated into Cosmos DB partial-update operations.

Supported: add, remove, replace (RFC 6902) and Cosmos's own set and incr. Cosmos applies at most
10 operations per patch. The id and the partition key cannot be patched, nor system properties;
values written to the product's own fields are validated like a full product.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from shared.catalog.models import KEY_FIELDS, SYSTEM_PROPERTIES
from shared.platform.errors import BadRequestError

MAX_PATCH_OPERATIONS = 10
SUPPORTED_OPS = ("add", "remove", "replace", "set", "incr")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and value.strip() != ""


def _is_tags(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(tag, str) for tag in value)


def _is_ttl(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and (value > 0 or value == -1)


# Values a patch may write to the product's own top-level fields.
_FIELD_CHECKS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "name": (_is_text, "name must be a non-empty string"),
    "price": (lambda v: _is_number(v) and v >= 0, "price must be a finite number >= 0"),
    "tags": (_is_tags, "tags must be a list of strings"),
    "ttl": (_is_ttl, "ttl must be a positive integer or -1"),
}
_REQUIRED_FIELDS = frozenset({"name", "price"})


def _top_level(path: str) -> str:
    return path.split("/")[1].replace("~1", "/").replace("~0", "~")


def _check_operation(index: int, operation: Any) -> dict[str, Any]:
    where = f"operation {index}"
    if not isinstance(operation, dict):
        raise BadRequestError(f"{where} must be a JSON object")
    op, path = operation.get("op"), operation.get("path")
    if op not in SUPPORTED_OPS:
        raise BadRequestError(f"{where}: op must be one of {', '.join(SUPPORTED_OPS)}")
    if not isinstance(path, str) or not path.startswith("/") or path == "/":
        raise BadRequestError(f"{where}: path must be a JSON Pointer below the root, like /price")
    field = _top_level(path)
    if field in KEY_FIELDS or field in SYSTEM_PROPERTIES:
        raise BadRequestError(f"{where}: {field} cannot be patched")
    if op == "remove":
        if path == f"/{field}" and field in _REQUIRED_FIELDS:
            raise BadRequestError(f"{where}: {field} is required and cannot be removed")
        return {"op": op, "path": path}
    if "value" not in operation:
        raise BadRequestError(f"{where}: {op} needs a value")
    value = operation["value"]
    if op == "incr" and not _is_number(value):
        raise BadRequestError(f"{where}: incr needs a finite number")
    if op != "incr" and path == f"/{field}" and field in _FIELD_CHECKS:
        check, message = _FIELD_CHECKS[field]
        if not check(value):
            raise BadRequestError(f"{where}: {message}")
    return {"op": op, "path": path, "value": value}


def to_cosmos_patch(document: Any) -> list[dict[str, Any]]:
    """Validate a JSON Patch document and return the equivalent Cosmos patch operations."""
    if not isinstance(document, list) or not document:
        raise BadRequestError("A JSON Patch document must be a non-empty JSON array of operations")
    if len(document) > MAX_PATCH_OPERATIONS:
        raise BadRequestError(f"Cosmos DB applies at most {MAX_PATCH_OPERATIONS} patch operations")
    return [_check_operation(index, operation) for index, operation in enumerate(document)]
