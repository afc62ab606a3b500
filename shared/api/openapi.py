"""The API's OpenAPI 3.1 document, generated from the models and the route table.

Schemas come from the pydantic models (so the id rule, the ttl range and the price rule are the
validators' own) and from the limits the code enforces; the route table below is checked against
the routes `function_app` registers by a unit test, so neither can drift from the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from pydantic import TypeAdapter

from shared.api import openapi_schemas as schemas_
from shared.api.docs_page import ASSET_MEDIA_TYPES
from shared.api.http import ROUTE_PREFIX
from shared.api.openapi_schemas import ETAG_SCHEMA, ID_SCHEMA, REF
from shared.api.params import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from shared.api.products import JSON_PATCH_CONTENT_TYPE
from shared.api.wire import (
    BatchResults,
    CategoryDeletion,
    Health,
    ImportAccepted,
    ImportProgress,
    ImportRejects,
    Problem,
    ProductPage,
)
from shared.catalog.models import Product, ProductCreate
from shared.catalog.patch import MAX_PATCH_OPERATIONS
from shared.platform.json_input import MAX_DEPTH
from shared.platform.json_numbers import MAX_SAFE_INTEGER
from shared.platform.limits import (
    JSON_MEDIA_TYPE,
    MAX_BATCH_OPERATIONS,
    MAX_IMPORT_BYTES,
    MAX_IMPORT_RECORDS,
    MAX_ITEM_BYTES,
    MAX_JSON_BODY_BYTES,
    NDJSON_MEDIA_TYPE,
)

PROBLEM = "application/problem+json"
ASSET_MEDIA = tuple(sorted({media.split(";")[0] for media in ASSET_MEDIA_TYPES.values()}))
# Azure's function keys, sent either way; every operation but the anonymous ones needs one.
SECURITY_SCHEMES = {
    "functionKey": {"type": "apiKey", "in": "header", "name": "x-functions-key"},
    "functionCode": {"type": "apiKey", "in": "query", "name": "code"},
}
KEYED: list[dict[str, list[str]]] = [{name: []} for name in SECURITY_SCHEMES]


@dataclass(frozen=True, kw_only=True)
class Route:
    """One operation: the function's name is its operationId."""

    name: str
    method: str
    path: str
    summary: str
    ok: int
    ok_schema: str | None = None
    body: dict[str, str] = field(default_factory=dict)  # media type -> schema name
    params: tuple[str, ...] = ()
    errors: tuple[int, ...] = ()
    ok_headers: tuple[str, ...] = ()
    anonymous: bool = False  # no function key needed, in Azure either
    ok_media: tuple[str, ...] = (JSON_MEDIA_TYPE,)
    uses_cosmos: bool = True  # False: no request charge, none of Cosmos DB's errors


PRODUCT = "/products/{categoryId}/{id}"
ROUTES = (
    Route(name="create_product", method="post", path="/products", summary="Create a product",
          ok=201, ok_schema="Product", body={JSON_MEDIA_TYPE: "ProductCreate"}, errors=(409,),
          ok_headers=("ETag", "Location")),
    Route(name="read_product", method="get", path=PRODUCT, summary="Read a product", ok=200,
          ok_schema="Product", params=("categoryId", "id", "If-Match", "If-None-Match"),
          errors=(404, 412), ok_headers=("ETag",)),
    Route(name="replace_product", method="put", path=PRODUCT, summary="Replace a product",
          ok=200, ok_schema="Product", body={JSON_MEDIA_TYPE: "ProductReplace"},
          params=("categoryId", "id", "If-Match"), errors=(404, 412), ok_headers=("ETag",)),
    Route(name="patch_product", method="patch", path=PRODUCT,
          summary="Change part of a product (JSON Patch)", ok=200, ok_schema="Product",
          body={JSON_PATCH_CONTENT_TYPE: "JsonPatch"}, params=("categoryId", "id", "If-Match"),
          errors=(404, 409, 412), ok_headers=("ETag",)),
    Route(name="delete_product", method="delete", path=PRODUCT, summary="Delete a product",
          ok=204, params=("categoryId", "id", "If-Match"), errors=(404, 412)),
    Route(name="list_category_products", method="get", path="/categories/{categoryId}/products",
          summary="A page of a category's products", ok=200, ok_schema="ProductPage",
          params=("categoryId", "limit", "continuation")),
    Route(name="delete_category_products", method="delete",
          path="/categories/{categoryId}/products", summary="Delete every product of a category",
          ok=200, ok_schema="CategoryDeletion", params=("categoryId",)),
    Route(name="run_category_batch", method="post", path="/categories/{categoryId}/batch",
          summary="A transactional batch in one category", ok=200, ok_schema="BatchResults",
          body={JSON_MEDIA_TYPE: "BatchRequest"}, params=("categoryId",), errors=(404, 409, 412)),
    Route(name="start_import", method="post", path="/imports", summary="Start an import",
          ok=202, ok_schema="ImportAccepted",
          body={JSON_MEDIA_TYPE: "ImportArray", NDJSON_MEDIA_TYPE: "ImportNdjson"},
          params=("Idempotency-Key",), errors=(422,), ok_headers=("Location",)),
    Route(name="read_import", method="get", path="/imports/{importId}",
          summary="An import's progress", ok=200, ok_schema="ImportProgress",
          params=("importId",), errors=(404,)),
    Route(name="list_import_rejects", method="get", path="/imports/{importId}/rejects",
          summary="A page of an import's rejected records", ok=200, ok_schema="ImportRejects",
          params=("importId", "limit", "continuation"), errors=(404,)),
    Route(name="health", method="get", path="/health", summary="Whether Cosmos DB answers",
          ok=200, ok_schema="Health", anonymous=True),
    Route(name="openapi", method="get", path="/openapi.json", summary="This document", ok=200,
          anonymous=True, uses_cosmos=False),
    Route(name="api_page", method="get", path="/docs",
          summary="This document as an interactive page (Swagger UI)", ok=200, anonymous=True,
          ok_media=("text/html",), uses_cosmos=False),
    Route(name="api_page_asset", method="get", path="/docs/{asset}",
          summary="A file of the interactive page", ok=200, params=("asset",), errors=(404,),
          anonymous=True, ok_media=ASSET_MEDIA, uses_cosmos=False),
)  # fmt: skip

# Every route can answer these: bad input, throttling, Cosmos unreachable or refusing the app.
COMMON_ERRORS = (400, 429, 502, 503)
BODY_ERRORS = (413, 415)

_PARAMETERS: dict[str, dict[str, Any]] = {
    "categoryId": {"in": "path", "required": True, "schema": ID_SCHEMA},
    "id": {"in": "path", "required": True, "schema": ID_SCHEMA},
    "asset": {"in": "path", "required": True, "schema": {"enum": sorted(ASSET_MEDIA_TYPES)}},
    "importId": {"in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}},
    "limit": {
        "in": "query",
        "schema": {
            "type": "integer",
            "minimum": 1,
            "maximum": MAX_PAGE_SIZE,
            "default": DEFAULT_PAGE_SIZE,
        },
    },
    "continuation": {
        "in": "query",
        "description": (
            "The continuation of the previous page of this same listing, as it gave it; empty "
            "means the first page. Opaque: only a token this service issued for this listing "
            "is valid (anything else is 400), which no schema can state."
        ),
        "schema": {"type": "string"},
    },
    "If-Match": {
        "in": "header",
        "description": (
            "Act only if the product still has this ETag (or * for any version): otherwise 412."
        ),
        "schema": ETAG_SCHEMA,
    },
    "Idempotency-Key": {
        "in": "header",
        "description": (
            "Any string of yours (a UUID, say) naming this request: the same request sent again "
            "with the same key (after a timeout or a 503) returns the same import instead of "
            "importing twice; the same key with another body is 422. At most 255 characters; "
            "an empty value is no key."
        ),
        # The length rule is in the description: a schema for it would have generated clients
        # send non-ASCII bytes as counter-examples, which the Functions host itself refuses (an
        # empty 400) before the app can answer with a problem.
        "schema": {"type": "string"},
    },
    "If-None-Match": {
        "in": "header",
        "description": "304 when the product still has one of these ETags.",
        "schema": {"type": "string"},
    },
}
_HEADERS = {
    "ETag": "The product's version, for If-Match and If-None-Match.",
    "Location": "The URL of what was created.",
    "Retry-After": "Seconds to wait before retrying.",
    "x-ms-request-charge": "Request units Cosmos DB charged for the request.",
}


def _header(name: str) -> dict[str, Any]:
    return {"description": _HEADERS[name], "schema": {"type": "string"}}


def _schemas() -> dict[str, Any]:
    adapters: dict[str, Any] = {
        "ProductPage": ProductPage,
        "CategoryDeletion": CategoryDeletion,
        "BatchResults": BatchResults,
        "ImportAccepted": ImportAccepted,
        "ImportProgress": ImportProgress,
        "ImportRejects": ImportRejects,
        "Health": Health,
        "Problem": Problem,
    }
    create = ProductCreate.model_json_schema(by_alias=True, ref_template=REF)
    product = Product.model_json_schema(by_alias=True, mode="serialization", ref_template=REF)
    schemas = {
        "JsonValue": schemas_.json_value_schema(),
        # As stored: a field of the client's own may hold what Cosmos DB's incr made of it.
        "Product": product,
        "ProductCreate": schemas_.with_json_values(create),
        "ProductReplace": schemas_.replace_schema(create),
        "BatchProduct": schemas_.batch_product_schema(create),
        "JsonPatch": schemas_.patch_schema(),
        "BatchRequest": schemas_.batch_schema(),
        "ImportArray": schemas_.import_array_schema(),
        "ImportNdjson": {"type": "string", "description": "One product per line."},
    }
    for name, shape in adapters.items():
        schema = TypeAdapter(shape).json_schema(
            by_alias=True, mode="serialization", ref_template=REF
        )
        for nested, definition in schema.pop("$defs", {}).items():
            schemas.setdefault(nested, definition)
        schemas[name] = schema
    return schemas


def _problem(status: int) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": "A problem (RFC 9457).",
        "content": {PROBLEM: {"schema": {"$ref": REF.format(model="Problem")}}},
    }
    if status in (429, 503):
        response["headers"] = {"Retry-After": _header("Retry-After")}
    return response


def _success(route: Route) -> dict[str, Any]:
    response: dict[str, Any] = {"description": route.summary}
    if route.ok_schema:
        response["content"] = {
            JSON_MEDIA_TYPE: {"schema": {"$ref": REF.format(model=route.ok_schema)}}
        }
    elif route.name == "openapi":
        response["content"] = {JSON_MEDIA_TYPE: {"schema": {"type": "object"}}}
    elif route.ok_media != (JSON_MEDIA_TYPE,):
        response["content"] = {media: {} for media in route.ok_media}
    charge = ("x-ms-request-charge",) if route.uses_cosmos else ()
    headers = {name: _header(name) for name in (*route.ok_headers, *charge)}
    response["headers"] = headers
    return response


UNAUTHORIZED = {"description": "No valid function key: Azure's own answer, with no body."}


def _links(route: Route) -> dict[str, Any]:
    """From a created product to what can be done with it, for clients and stateful testing."""
    if route.name != "create_product":
        return {}
    keys = {"categoryId": "$response.body#/categoryId", "id": "$response.body#/id"}
    targets = ("read_product", "replace_product", "patch_product", "delete_product")
    return {target: {"operationId": target, "parameters": keys} for target in targets}


def _operation(route: Route) -> dict[str, Any]:
    common = COMMON_ERRORS if route.uses_cosmos else ()
    errors = sorted({*common, *route.errors, *(BODY_ERRORS if route.body else ())})
    responses: dict[str, Any] = {str(route.ok): _success(route)}
    if "If-None-Match" in route.params:
        responses["304"] = {"description": "Not modified", "headers": {"ETag": _header("ETag")}}
    responses.update({str(status): _problem(status) for status in errors})
    if not route.anonymous:
        responses["401"] = UNAUTHORIZED
    links = _links(route)
    if links:
        responses[str(route.ok)]["links"] = links
    operation: dict[str, Any] = {
        "operationId": route.name,
        "summary": route.summary,
        "parameters": [{"name": name, **_PARAMETERS[name]} for name in route.params],
        "responses": responses,
        "security": [] if route.anonymous else KEYED,
    }
    if route.body:
        content = {
            media: {"schema": {"$ref": REF.format(model=name)}}
            for media, name in route.body.items()
        }
        operation["requestBody"] = {"required": True, "content": content}
    return operation


@cache
def openapi_document() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for route in ROUTES:
        paths.setdefault(route.path, {})[route.method] = _operation(route)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Product catalog",
            "version": "1.0.0",
            "description": (
                f"Products in Azure Cosmos DB, partitioned by categoryId. Limits: a product "
                f"{MAX_ITEM_BYTES} bytes as Cosmos DB counts it (its JSON in UTF-8), JSON bodies "
                f"{MAX_JSON_BODY_BYTES} bytes (imports {MAX_IMPORT_BYTES} bytes and "
                f"{MAX_IMPORT_RECORDS} records), nesting {MAX_DEPTH} "
                f"levels, {MAX_BATCH_OPERATIONS} operations per batch, "
                f"{MAX_PATCH_OPERATIONS} per patch; every number within +-{MAX_SAFE_INTEGER} "
                "and no more precise than a double. Every route that serves GET serves HEAD "
                "too, and every route answers OPTIONS with Allow. In Azure every operation that "
                "declares a security requirement needs a function key (x-functions-key header "
                "or code query parameter); /health, /openapi.json and the /docs page do not."
            ),
        },
        "servers": [{"url": f"/{ROUTE_PREFIX}"}],
        "paths": paths,
        "components": {
            "schemas": _schemas(),
            "securitySchemes": SECURITY_SCHEMES,
        },
    }
