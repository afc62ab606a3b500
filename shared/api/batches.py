"""The transactional batch route: a client's operations checked and turned into SDK operations.

Everything is validated before anything is sent to Cosmos DB: at most 100 operations, known
kinds only, items of the path's category only, valid products and patches.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from shared.api.params import is_valid_id, parse_etag
from shared.api.wire import BatchResult, BatchResults
from shared.catalog.models import (
    Product,
    ProductCreate,
    item_within_limit,
    strip_system_properties,
)
from shared.catalog.patch import to_cosmos_patch
from shared.catalog.store import BatchOperation
from shared.platform.errors import BadRequestError, PayloadTooLargeError, field_errors
from shared.platform.limits import MAX_BATCH_OPERATIONS

KINDS = ("create", "upsert", "replace", "patch", "read", "delete")
NEEDS_ID = frozenset({"replace", "patch", "read", "delete"})


def _fail(index: int, message: str) -> BadRequestError:
    return BadRequestError(f"Operation {index}: {message}", extensions={"operationIndex": index})


def _product_item(
    index: int, kind: str, operation: Mapping[str, Any], category_id: str
) -> dict[str, Any]:
    body = operation.get("body")
    if not isinstance(body, dict):
        raise _fail(index, f"{kind} needs a body object")
    if body.get("categoryId", category_id) != category_id:
        raise _fail(index, "the item names another category than the path")
    if kind == "replace" and body.get("id", operation["id"]) != operation["id"]:
        raise _fail(index, "the body's id differs from the operation's id")
    data = {**body, "categoryId": category_id}
    if kind == "replace":
        data["id"] = operation["id"]
    model = Product if kind == "replace" else ProductCreate
    try:
        return item_within_limit(model.model_validate(data).to_item())
    except ValidationError as error:
        fields = field_errors(error.errors(include_input=False, include_url=False))
        raise BadRequestError(
            f"Operation {index}: the body is not a valid product",
            extensions={"operationIndex": index, "errors": fields},
        ) from None
    except PayloadTooLargeError as error:
        raise PayloadTooLargeError(
            f"Operation {index}: {error.detail}", extensions={"operationIndex": index}
        ) from None


def _preconditions(index: int, if_match: Any) -> dict[str, Any]:
    if if_match is None:
        return {}
    if not isinstance(if_match, str):
        raise _fail(index, "ifMatch must be an entity tag string")
    try:
        etag = parse_etag(if_match, where="ifMatch")
    except BadRequestError as error:
        raise _fail(index, error.detail) from None
    return {"if_match_etag": etag} if etag else {}


def _to_sdk(index: int, operation: Any, category_id: str) -> BatchOperation:
    if not isinstance(operation, dict):
        raise _fail(index, "must be a JSON object")
    kind = operation.get("op")
    if kind not in KINDS:
        raise _fail(index, f"op must be one of {', '.join(KINDS)}")
    if kind in NEEDS_ID and not is_valid_id(operation.get("id")):
        raise _fail(index, f"{kind} needs a valid id")
    options = _preconditions(index, operation.get("ifMatch"))
    if kind in ("create", "upsert"):
        return kind, (_product_item(index, kind, operation, category_id),), options
    if kind == "replace":
        item = _product_item(index, kind, operation, category_id)
        return kind, (operation["id"], item), options
    if kind == "patch":
        try:
            patch = to_cosmos_patch(operation.get("patch"))
        except BadRequestError as error:
            raise _fail(index, error.detail) from None
        if patch.filter_predicate:
            options["filter_predicate"] = patch.filter_predicate
        return kind, (operation["id"], patch.operations), options
    return kind, (operation["id"],), options


def parse_batch(body: Any, category_id: str) -> list[BatchOperation]:
    """The SDK operations for `execute_item_batch`, or a 400 naming the first bad operation."""
    operations = body.get("operations") if isinstance(body, dict) else None
    if not isinstance(operations, list) or not operations:
        raise BadRequestError('Send {"operations": [...]} with 1 to 100 operations.')
    if len(operations) > MAX_BATCH_OPERATIONS:
        raise BadRequestError(
            f"A transactional batch holds at most {MAX_BATCH_OPERATIONS} operations."
        )
    return [_to_sdk(index, operation, category_id) for index, operation in enumerate(operations)]


def batch_results(results: Sequence[Mapping[str, Any]]) -> BatchResults:
    """One result per operation: status, ETag, body where there is one, request charge."""
    formatted: list[BatchResult] = []
    for result in results:
        entry = BatchResult(
            status=int(result["statusCode"]),
            requestCharge=float(result.get("requestCharge", 0)),
        )
        if result.get("eTag"):
            entry["etag"] = result["eTag"]
        body = result.get("resourceBody")
        if isinstance(body, dict) and body:
            entry["body"] = strip_system_properties(body)
        formatted.append(entry)
    return BatchResults(results=formatted)
