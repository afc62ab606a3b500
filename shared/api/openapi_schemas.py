"""The request schemas of the OpenAPI document that the models alone do not give: JSON values
held to the number rule, JSON Patch with the product's rules, and batch operations by kind.

Each states what the code refuses, so that a request valid by the document is accepted unless a
rule needs the stored item or the rest of the request (which the descriptions say).
"""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from shared.api.batches import KINDS
from shared.api.params import ENTITY_TAG_PATTERN
from shared.catalog.models import KEY_FIELDS, SYSTEM_PROPERTIES, Name, Price, ProductId, Tags, Ttl
from shared.catalog.patch import MAX_PATCH_OPERATIONS, WRITES
from shared.platform.json_numbers import MAX_SAFE_INTEGER
from shared.platform.limits import MAX_BATCH_OPERATIONS, MAX_IMPORT_RECORDS

REF = "#/components/schemas/{model}"
ID_SCHEMA = TypeAdapter(ProductId).json_schema()
ETAG_SCHEMA = {"type": "string", "pattern": ENTITY_TAG_PATTERN}
# In a batch operation, null is no precondition, as leaving ifMatch out is.
OPTIONAL_ETAG_SCHEMA = {"type": ["string", "null"], "pattern": ENTITY_TAG_PATTERN}
NUMBER = {"type": "number", "minimum": -MAX_SAFE_INTEGER, "maximum": MAX_SAFE_INTEGER}
JSON_VALUE = {"$ref": REF.format(model="JsonValue")}
# A JSON Pointer below the root without empty segments, escaping only ~0 and ~1 (RFC 6901).
TOKEN = "([^/~]|~[01])+"
MAX_POINTER_LENGTH = 1024


def ref(model: str) -> dict[str, str]:
    return {"$ref": REF.format(model=model)}


def json_value_schema() -> dict[str, Any]:
    return {
        "description": (
            "Any JSON value whose numbers lie within +-(2^53 - 1) and have no more precision "
            "than a double (Cosmos DB stores numbers as doubles: anything else would not read "
            "back as sent)."
        ),
        "anyOf": [
            {"type": ["string", "boolean", "null"]},
            NUMBER,
            {"type": "array", "items": JSON_VALUE},
            {"type": "object", "additionalProperties": JSON_VALUE},
        ],
    }


def with_json_values(schema: dict[str, Any]) -> dict[str, Any]:
    """A product schema whose fields of the client's own hold JSON values."""
    return {**schema, "additionalProperties": JSON_VALUE}


def _shape(ops: list[str], path: dict[str, Any], value: dict[str, Any] | None = None) -> Any:
    """Operations `ops` on `path`, with `value` when they write one (any other member, a remove's
    value included, is ignored but read: its numbers too)."""
    properties: dict[str, Any] = {"op": {"enum": ops}, "path": path}
    required = ["op", "path"]
    if value is not None:
        properties["value"] = value
        required.append("value")
    return {
        "type": "object",
        "required": required,
        "properties": properties,
        "additionalProperties": JSON_VALUE,
    }


def _patch_operation_schema() -> dict[str, Any]:
    """What `catalog.patch` takes, one shape per path: the product's own fields with the models'
    own types and what may be done to each, then any other field of the client's (never id,
    categoryId or a system property). Shapes rather than if/then rules, so that generators
    make valid operations without discarding most of what they try."""
    writes = sorted(WRITES)
    reserved = "|".join(sorted({"name", "price", "tags", "ttl"} | KEY_FIELDS | SYSTEM_PROPERTIES))
    own = {
        "type": "string",
        "pattern": f"^/(?!(?:{reserved})(?:/|$)){TOKEN}(/{TOKEN})*$",
        "maxLength": MAX_POINTER_LENGTH,
    }
    tag = {"type": "string", "pattern": "^/tags/(0|[1-9][0-9]{0,8})$"}
    text = {"type": "string"}
    return {
        "anyOf": [
            _shape(writes, {"const": "/name"}, TypeAdapter(Name).json_schema()),
            _shape(writes, {"const": "/price"}, TypeAdapter(Price).json_schema()),
            _shape(["incr"], {"const": "/price"}, NUMBER),
            _shape(writes, {"const": "/tags"}, TypeAdapter(Tags).json_schema()),
            _shape(["remove"], {"const": "/tags"}),
            _shape(writes, tag, text),
            _shape(["remove"], tag),
            _shape(["add"], {"const": "/tags/-"}, text),
            _shape(writes, {"const": "/ttl"}, TypeAdapter(Ttl).json_schema()),
            _shape(["remove"], {"const": "/ttl"}),
            _shape(writes, own, JSON_VALUE),
            _shape(["incr"], own, NUMBER),
            _shape(["remove"], own),
        ]
    }


def patch_schema() -> dict[str, Any]:
    return {
        "type": "array",
        "minItems": 1,
        "maxItems": MAX_PATCH_OPERATIONS,
        "items": _patch_operation_schema(),
        "description": (
            "RFC 6902 JSON Patch, with Cosmos DB's set and incr, applied atomically. Paths are "
            "JSON Pointers without empty segments; id, categoryId and system properties cannot "
            "be patched, and what is written to name, price, tags (or a tag) and ttl follows "
            "the product's rules. What needs the whole patch or the stored product is checked "
            "when it is applied: a price set and then incremented below 0 is 400; a path "
            "missing from the stored product, incr of a value that is not a number, or an incr "
            "that would make the price negative is 409."
        ),
    }


def _product_without(create: dict[str, Any], fields: list[str], description: str) -> dict[str, Any]:
    """The create schema without `fields`, which the path gives and the body must not name."""
    properties = {k: v for k, v in create["properties"].items() if k not in fields}
    required = [name for name in create.get("required", []) if name in properties]
    return {
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": JSON_VALUE,
        "not": {"anyOf": [{"required": [name]} for name in fields]},
        "description": description,
    }


def replace_schema(create: dict[str, Any]) -> dict[str, Any]:
    """A PUT body, or a batch replace's: the product without its keys."""
    return _product_without(
        create, ["id", "categoryId"], "The whole product. id and categoryId come from the path."
    )


def batch_product_schema(create: dict[str, Any]) -> dict[str, Any]:
    """A batch create's or upsert's body: the product without its category (one naming the
    path's own category is accepted too; no schema can say so)."""
    return _product_without(
        create,
        ["categoryId"],
        "A whole product of the path's category (which the path gives); the id is generated "
        "if absent.",
    )


def _operation(kind: str, required: list[str], **properties: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "title": kind,
        "required": ["op", *required],
        "additionalProperties": JSON_VALUE,  # ignored, but read: their numbers too
        "properties": {"op": {"const": kind}, **properties, "ifMatch": OPTIONAL_ETAG_SCHEMA},
    }


def batch_schema() -> dict[str, Any]:
    """A batch: operations typed by kind; a create, upsert or replace carries a whole product."""
    operations = {
        "create": _operation("create", ["body"], body=ref("BatchProduct")),
        "upsert": _operation("upsert", ["body"], body=ref("BatchProduct")),
        "replace": _operation("replace", ["id", "body"], id=ID_SCHEMA, body=ref("ProductReplace")),
        "patch": _operation("patch", ["id", "patch"], id=ID_SCHEMA, patch=ref("JsonPatch")),
        "read": _operation("read", ["id"], id=ID_SCHEMA),
        "delete": _operation("delete", ["id"], id=ID_SCHEMA),
    }
    assert set(operations) == set(KINDS)
    return {
        "type": "object",
        "required": ["operations"],
        "additionalProperties": JSON_VALUE,
        "properties": {
            "operations": {
                "type": "array",
                "minItems": 1,
                "maxItems": MAX_BATCH_OPERATIONS,
                # anyOf, not oneOf: the kinds exclude each other by their op anyway, and a
                # generator would discard most oneOf candidates proving it.
                "items": {"anyOf": list(operations.values())},
            }
        },
    }


def import_array_schema() -> dict[str, Any]:
    return {
        "type": "array",
        "minItems": 1,
        "maxItems": MAX_IMPORT_RECORDS,
        "items": JSON_VALUE,
        "description": (
            "Products; a record that is not a valid product becomes a reject (a number that "
            "cannot be stored as sent refuses the whole request). Within one import the last "
            "record with a given categoryId and id is stored; earlier ones become rejects (409) "
            "naming it."
        ),
    }
