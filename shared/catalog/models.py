"""Product models: what a client may send, and the item shape stored in Cosmos DB.

Python code uses Python names; the JSON (and the stored item) uses camelCase, so
`category_id` is `categoryId` on the wire. Fields the model does not know are kept as sent.
Cosmos system properties are never taken from a client.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    model_validator,
)
from pydantic.alias_generators import to_camel

from shared.platform.errors import PayloadTooLargeError
from shared.platform.json_numbers import MAX_SAFE_INTEGER
from shared.platform.limits import MAX_ITEM_BYTES
from shared.platform.utf8_json import utf8_size

SYSTEM_PROPERTIES = frozenset({"_rid", "_self", "_etag", "_ts", "_attachments", "_lsn"})
KEY_FIELDS = frozenset({"id", "categoryId"})
MAX_ID_LENGTH = 255
MAX_TTL_SECONDS = 2**31 - 1  # Cosmos DB's largest ttl
DOT_SEGMENTS = frozenset({".", ".."})

# The id rule, for product ids and category ids alike: both become segments of a URL path (ours
# and the SDK's). Cosmos and the SDK refuse / \ ? # and an id ending in a space; control
# characters (C0, DEL, C1) cannot travel in a URL. The validator adds what a pattern says badly:
# "." and ".." would be resolved as dot segments and address another resource, and a lone
# surrogate cannot be encoded at all.
ID_PATTERN = r"^[^/\\?#\x00-\x1f\x7f-\x9f]*[^/\\?#\x00-\x20\x7f-\x9f]$"


def _addressable(value: str) -> str:
    if value in DOT_SEGMENTS:
        raise ValueError("an id may not be '.' or '..'")
    if not value.isascii() and any("\ud800" <= char <= "\udfff" for char in value):
        raise ValueError("an id may not hold a lone surrogate")
    return value


def _integral_number(value: Any) -> Any:
    """JSON does not tell 1616 from 1616.0; a whole number is an integer either way."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _ttl_is_positive_or_never(ttl: int) -> int:
    if ttl != -1 and not 0 < ttl <= MAX_TTL_SECONDS:
        raise ValueError(f"ttl must be from 1 to {MAX_TTL_SECONDS} seconds, or -1 for never")
    return ttl


ProductId = Annotated[
    StrictStr,
    Field(
        min_length=1,
        max_length=MAX_ID_LENGTH,
        pattern=ID_PATTERN,
        json_schema_extra={"not": {"enum": sorted(DOT_SEGMENTS)}},
    ),
    AfterValidator(_addressable),
]
CategoryId = ProductId
# Not blank. The validator's \s (Rust's, Unicode White_Space) leaves out U+001C..U+001F, which
# Python's (the document's checkers) counts as space: both are named, so the two agree.
Name = Annotated[StrictStr, Field(min_length=1, pattern=r"[^\s\x1c-\x1f]")]
Price = Annotated[float, Field(ge=0, le=MAX_SAFE_INTEGER, allow_inf_nan=False, strict=True)]
Tag = StrictStr
Tags = list[Tag]
Ttl = Annotated[
    StrictInt,
    BeforeValidator(_integral_number),
    Field(json_schema_extra={"anyOf": [{"const": -1}, {"minimum": 1, "maximum": MAX_TTL_SECONDS}]}),
    AfterValidator(_ttl_is_positive_or_never),
]


def new_product_id() -> str:
    return str(uuid.uuid4())


def item_within_limit(item: dict[str, Any]) -> dict[str, Any]:
    """`item`, if Cosmos DB can store it: at most MAX_ITEM_BYTES as it counts an item, the UTF-8
    length of its JSON (what the client sends). 413 otherwise, before anything is sent."""
    size = utf8_size(item)
    if size > MAX_ITEM_BYTES:
        raise PayloadTooLargeError(
            f"The product is {size:,} bytes as Cosmos DB counts an item (its JSON in UTF-8); "
            f"an item may be at most {MAX_ITEM_BYTES:,}."
        )
    return item


def strip_system_properties(data: dict[str, Any]) -> dict[str, Any]:
    """`data` without Cosmos system properties (itself, when it has none: the usual case)."""
    if SYSTEM_PROPERTIES.isdisjoint(data):
        return data
    return {key: value for key, value in data.items() if key not in SYSTEM_PROPERTIES}


class ProductFields(BaseModel):
    """The fields every product has, validated; unknown fields pass through untouched."""

    # By the JSON names only: `category_id` is an unknown field, not `categoryId` under another name
    model_config = ConfigDict(alias_generator=to_camel, extra="allow")

    category_id: CategoryId
    name: Name
    price: Price
    tags: Tags = Field(default_factory=list)
    ttl: Ttl | None = None

    @model_validator(mode="before")
    @classmethod
    def _drop_system_properties(cls, data: Any) -> Any:
        return strip_system_properties(data) if isinstance(data, dict) else data

    def to_item(self) -> dict[str, Any]:
        """The JSON item for Cosmos DB (camelCase names; ttl only when set)."""
        return self.model_dump(by_alias=True, exclude={"ttl"} if self.ttl is None else set())


class Product(ProductFields):
    """A complete product, as stored and as returned."""

    id: ProductId


class ProductCreate(ProductFields):
    """A product sent to be created; the id is generated when absent."""

    id: ProductId = Field(default_factory=new_product_id)
