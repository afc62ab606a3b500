"""Product models: what a client may send, and the item shape stored in Cosmos DB.

Python code uses Python names; the JSON (and the stored item) uses camelCase, so
`category_id` is `categoryId` on the wire. Fields the model does not know are kept as sent.
Cosmos system properties are never taken from a client.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

SYSTEM_PROPERTIES = frozenset({"_rid", "_self", "_etag", "_ts", "_attachments", "_lsn"})
KEY_FIELDS = frozenset({"id", "categoryId"})
MAX_BODY_BYTES = 2 * 1024 * 1024

# Cosmos ids may not contain / \ ? # and control characters make them unaddressable in a URL.
ProductId = Annotated[str, Field(min_length=1, max_length=255, pattern=r"^[^/\\?#\x00-\x1f\x7f]+$")]
NonEmptyText = Annotated[StrictStr, Field(min_length=1, pattern=r"\S")]
Price = Annotated[float, Field(ge=0, allow_inf_nan=False, strict=True)]


def new_product_id() -> str:
    return str(uuid.uuid4())


def strip_system_properties(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if key not in SYSTEM_PROPERTIES}


class ProductFields(BaseModel):
    """The fields every product has, validated; unknown fields pass through untouched."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow")

    category_id: NonEmptyText
    name: NonEmptyText
    price: Price
    tags: list[StrictStr] = Field(default_factory=list)
    ttl: StrictInt | None = None

    @model_validator(mode="before")
    @classmethod
    def _drop_system_properties(cls, data: Any) -> Any:
        return strip_system_properties(data) if isinstance(data, dict) else data

    @field_validator("ttl")
    @classmethod
    def _ttl_is_positive_or_never(cls, ttl: int | None) -> int | None:
        if ttl is not None and ttl != -1 and ttl <= 0:
            raise ValueError("ttl must be a positive number of seconds, or -1 for never")
        return ttl

    def to_item(self) -> dict[str, Any]:
        """The JSON item for Cosmos DB (camelCase names; ttl only when set)."""
        return self.model_dump(by_alias=True, exclude={"ttl"} if self.ttl is None else set())


class Product(ProductFields):
    """A complete product, as stored and as returned."""

    id: ProductId


class ProductCreate(ProductFields):
    """A product sent to be created; the id is generated when absent."""

    id: ProductId = Field(default_factory=new_product_id)
