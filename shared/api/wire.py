"""The shapes of the API's JSON responses, typed, for the handlers and the OpenAPI document.

(`typing_extensions.TypedDict`, which pydantic reads on every Python version.)
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, NotRequired

from pydantic import GetPydanticSchema
from typing_extensions import TypedDict

from shared.catalog.models import Product
from shared.ingest.rejects import RejectEntry

# A stored product as JSON (system properties removed): a dict to the code, the Product model
# to the schema.
ProductJson = Annotated[dict[str, Any], GetPydanticSchema(lambda _, handler: handler(Product))]


class ProductPage(TypedDict):
    items: list[ProductJson]
    count: int
    continuation: NotRequired[str]


class CategoryDeletion(TypedDict):
    method: Literal["partitionKeyDelete", "batch"]
    deleted: int | None


class BatchResult(TypedDict):
    status: int
    requestCharge: float
    etag: NotRequired[str]
    body: NotRequired[ProductJson]


class BatchResults(TypedDict):
    results: list[BatchResult]


class ImportAccepted(TypedDict):
    importId: str
    records: int
    messages: int


class ImportLinks(TypedDict):
    rejects: str


class ImportProgress(TypedDict):
    importId: str
    state: Literal["running", "completed", "completedWithRejects", "failed"]
    accepted: int
    written: int
    rejected: int
    messages: int
    messagesDone: int
    duplicateDeliveries: int
    superseded: int
    createdAt: str
    reason: NotRequired[str]
    links: NotRequired[ImportLinks]


class ImportRejects(TypedDict):
    """A page of an import's rejected records, each as the rejects queue carries it."""

    items: list[RejectEntry]
    count: int
    continuation: NotRequired[str]


class Health(TypedDict):
    status: Literal["healthy"]


class FieldError(TypedDict):
    field: str
    message: str


class Problem(TypedDict):
    """RFC 9457 problem details, with this service's extension members."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    errors: NotRequired[list[FieldError]]
    operationIndex: NotRequired[int]
    failedOperationIndex: NotRequired[int]
    operations: NotRequired[list[dict[str, int]]]
    importId: NotRequired[str]  # an import that failed: GET it for the reason
