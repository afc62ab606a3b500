"""Product persistence: one function per operation on the products container.

Every call records its request charge, and lets Cosmos errors through for
`shared.platform.errors` to translate. Items returned are the public shape: Cosmos system
properties removed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from azure.core import MatchConditions
from azure.core.async_paging import AsyncItemPaged, AsyncPageIterator
from azure.cosmos.exceptions import (
    CosmosAccessConditionFailedError,
    CosmosBatchOperationError,
    CosmosHttpResponseError,
    CosmosResourceNotFoundError,
)

from shared.catalog import continuation as continuation_tokens
from shared.catalog.continuation import InvalidContinuationError
from shared.catalog.models import (
    Product,
    ProductCreate,
    item_within_limit,
    strip_system_properties,
)
from shared.catalog.patch import CosmosPatch
from shared.platform.cosmos import products_container
from shared.platform.errors import (
    ConflictError,
    StoreMissingError,
    batch_extensions,
)
from shared.platform.limits import MAX_BATCH_OPERATIONS

logger = logging.getLogger(__name__)

# Statuses with which an account without the (preview) partition key delete capability refuses it.
PARTITION_DELETE_UNSUPPORTED = frozenset({400, 403, 405, 501})


# A patch that does not apply to the product as it is now is a conflict (RFC 5789), whether it
# is sent alone or in a batch: one cause, one status (409), whatever Cosmos DB answered.
PATCH_CONFLICT = (
    "The patch does not apply to the product as it is now: a path it names does not exist, "
    "or incr names a value that is not a number."
)
PRICE_CONFLICT = "The patch would leave the product's price negative or beyond 2^53 - 1."


class BatchPatchConflictError(ConflictError):
    """A patch in a batch did not apply to the stored item: the batch's problem says 409 for
    it, as a patch alone would."""

    def __init__(self, error: CosmosBatchOperationError, *, reason: str) -> None:
        extensions = batch_extensions(error, failed_status=int(self.status))
        super().__init__(f"Operation {error.error_index}: {reason}", extensions=extensions)


@dataclass(frozen=True)
class StoredProduct:
    item: dict[str, Any]
    etag: str


@dataclass(frozen=True)
class Page:
    """One page of query results (products, or any item of this store's containers)."""

    items: list[dict[str, Any]]
    continuation: str | None


@dataclass(frozen=True)
class CategoryDeletion:
    method: str
    deleted: int | None


def _stored(item: dict[str, Any]) -> StoredProduct:
    return StoredProduct(item=strip_system_properties(dict(item)), etag=item["_etag"])


def _only_if_unchanged(etag: str | None) -> dict[str, Any]:
    """The SDK arguments that make a write conditional on `etag` (none without one)."""
    return {"etag": etag, "match_condition": MatchConditions.IfNotModified} if etag else {}


async def create_product(*, product: ProductCreate) -> StoredProduct:
    container = await products_container()
    item = await container.create_item(body=item_within_limit(product.to_item()))
    return _stored(item)


async def read_product(*, category_id: str, product_id: str) -> StoredProduct:
    container = await products_container()
    item = await container.read_item(item=product_id, partition_key=category_id)
    return _stored(item)


async def replace_product(*, product: Product, if_match: str | None) -> StoredProduct:
    container = await products_container()
    item = await container.replace_item(
        item=product.id, body=item_within_limit(product.to_item()), **_only_if_unchanged(if_match)
    )
    return _stored(item)


async def patch_product(
    *, category_id: str, product_id: str, patch: CosmosPatch, if_match: str | None
) -> StoredProduct:
    """Apply `patch`; 409 when the stored item does not meet the patch's condition (an increment
    that would make the price negative), 412 when If-Match names another version."""
    container = await products_container()
    try:
        item = await container.patch_item(
            item=product_id,
            partition_key=category_id,
            patch_operations=patch.operations,
            filter_predicate=patch.filter_predicate,
            **_only_if_unchanged(if_match),
        )
    except CosmosAccessConditionFailedError:
        if not await _filter_refused(category_id, product_id, patch.filter_predicate, if_match):
            raise
        raise ConflictError(PRICE_CONFLICT) from None
    except CosmosHttpResponseError as error:
        if error.status_code != 400:
            raise
        # RFC 5789: a patch that cannot apply to the resource's current state is a conflict.
        raise ConflictError(PATCH_CONFLICT) from None
    return _stored(item)


async def _filter_refused(
    category_id: str, product_id: str, filter_predicate: str | None, if_match: str | None
) -> bool:
    """Whether a patch's 412 came from its filter predicate (the stored price) rather than from
    If-Match: without If-Match it can only be the filter; with one, the filter refused it only
    if the product still has that ETag."""
    if filter_predicate is None:
        return False
    if if_match is None:
        return True
    current = await read_product(category_id=category_id, product_id=product_id)
    return current.etag == if_match


async def delete_product(*, category_id: str, product_id: str, if_match: str | None) -> None:
    container = await products_container()
    await container.delete_item(
        item=product_id,
        partition_key=category_id,
        **_only_if_unchanged(if_match),
    )


async def read_page(
    *, listing: str, continuation: str | None, query: Callable[[], AsyncItemPaged[dict[str, Any]]]
) -> Page:
    """The page of `listing` that `continuation` (a token issued for that listing) points at,
    or the first: its items without system properties, and the token of the next page (None on
    the last). The token is checked before the query is built: 400 for one that is not ours or
    is another listing's."""
    cosmos_token = continuation_tokens.redeem(continuation, listing=listing)
    pager = cast(AsyncPageIterator[Any], query().by_page(cosmos_token))
    items: list[dict[str, Any]] = []
    try:
        async for page in pager:
            items = [strip_system_properties(item) async for item in page]
            break
    except CosmosHttpResponseError as error:
        if cosmos_token and error.status_code == 400:  # Cosmos did not write this token
            raise InvalidContinuationError() from None
        raise
    next_token = continuation_tokens.issue(pager.continuation_token, listing=listing)
    return Page(items=items, continuation=next_token)


async def list_products(*, category_id: str, limit: int, continuation: str | None) -> Page:
    """One page of a category's products and the token for the next page (None on the last)."""
    container = await products_container()
    return await read_page(
        listing=f"categories/{category_id}/products",
        continuation=continuation,
        query=lambda: container.query_items(
            "SELECT * FROM c", partition_key=category_id, max_item_count=limit
        ),
    )


# An operation of a transactional batch as the SDK takes it: its kind, its arguments and its
# options (which the SDK takes out of the dict it is given).
BatchOperation = tuple[str, tuple[Any, ...], dict[str, Any]]


async def execute_batch(
    *, category_id: str, operations: Sequence[BatchOperation]
) -> list[dict[str, Any]]:
    """Run a transactional batch in one category; a failed operation fails it as a whole."""
    container = await products_container()
    try:
        # The SDK takes options out of the dicts it is given: it gets copies, so that a failure
        # can still be read against the operation as sent.
        sent = [(kind, arguments, dict(options)) for kind, arguments, options in operations]
        results = await container.execute_item_batch(sent, partition_key=category_id)
    except CosmosBatchOperationError as error:
        reason = await _patch_conflict(category_id, operations[error.error_index], error)
        if reason is not None:
            raise BatchPatchConflictError(error, reason=reason) from error
        raise  # shared.platform.errors translates it, as every Cosmos error
    return list(results)


async def _patch_conflict(
    category_id: str,
    operation: BatchOperation,
    error: CosmosBatchOperationError,
) -> str | None:
    """Why the failed operation of a batch is a patch that does not apply to the stored item, or
    None when it failed for another reason (a stale ifMatch stays 412)."""
    kind, arguments, options = operation
    if kind != "patch":
        return None
    if error.status_code == 400:
        return PATCH_CONFLICT
    filter_predicate, if_match = options.get("filter_predicate"), options.get("if_match_etag")
    if error.status_code == 412 and await _filter_refused(
        category_id, arguments[0], filter_predicate, if_match
    ):
        return PRICE_CONFLICT
    return None


async def _delete_in_batches(category_id: str) -> int:
    container = await products_container()
    ids = [
        row["id"]
        async for row in container.query_items("SELECT c.id FROM c", partition_key=category_id)
    ]
    for start in range(0, len(ids), MAX_BATCH_OPERATIONS):
        chunk = ids[start : start + MAX_BATCH_OPERATIONS]
        await container.execute_item_batch(
            [("delete", (product_id,), {}) for product_id in chunk],
            partition_key=category_id,
        )
    return len(ids)


async def delete_category(*, category_id: str) -> CategoryDeletion:
    """Remove every product of a category: partition key delete where the account allows it,
    otherwise transactional batches of deletes."""
    container = await products_container()
    try:
        await container.delete_all_items_by_partition_key(partition_key=category_id)
        return CategoryDeletion(method="partitionKeyDelete", deleted=None)
    except CosmosHttpResponseError as error:
        if error.status_code not in PARTITION_DELETE_UNSUPPORTED:
            raise
        logger.info("Partition key delete refused (%s); deleting in batches", error.status_code)
    return CategoryDeletion(method="batch", deleted=await _delete_in_batches(category_id))


HEALTH_TIMEOUT_SECONDS = 4  # so that the probe has its answer within 5 s


async def check_health() -> None:
    """Raise unless Cosmos DB answers a read of the products container within a few seconds."""
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT_SECONDS):
            container = await products_container()
            await container.read(timeout=HEALTH_TIMEOUT_SECONDS)
    except CosmosResourceNotFoundError:  # the container itself (or its database) is missing
        raise StoreMissingError() from None
