"""The product catalog function app: every trigger and route, each a thin adapter over `shared/`.

Nothing here connects to anything at import time; the Cosmos client is created on first use.
Bulk writes, imports and the OpenAPI document are imported by the functions that use them, so
that a cold start serving a product read does not pay for the storage SDK or the batch writer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import azure.functions as func

from shared.api import products
from shared.api.http import (
    Handler,
    content_response,
    empty_response,
    http_endpoint,
    json_response,
    read_json,
)
from shared.api.params import parse_page_size, route_id
from shared.catalog import store
from shared.ingest.queue_edge import queue_endpoint
from shared.platform import garbage_collection, telemetry
from shared.platform.settings import get_settings

# Read (not connect) at import so that a missing setting stops start-up, naming the setting.
settings = get_settings()
# Function keys in Azure (x-functions-key or ?code=); Core Tools and the development host
# do not check keys locally. The health probe stays anonymous.
app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)
# Telemetry export as the settings say; with no exporter configured nothing is imported.
telemetry.configure(settings)


def http_route(
    route: str, *, methods: list[str], auth_level: func.AuthLevel | None = None
) -> Callable[[Handler], Any]:
    """Register a handler at `route` for `methods`, served through the shared HTTP edge. A route
    that serves GET declares HEAD as well (the same answer without its body), and one function
    per route declares OPTIONS (answered with every method of the route in Allow)."""

    def register(handler: Handler) -> Any:
        endpoint = http_endpoint(route, methods=methods)(handler)
        return app.route(route=route, methods=methods, auth_level=auth_level)(endpoint)

    return register


def _product_headers(stored: store.StoredProduct) -> dict[str, str]:
    return {"ETag": stored.etag}


@http_route("products", methods=["POST", "OPTIONS"])
async def create_product(req: func.HttpRequest) -> func.HttpResponse:
    stored = await store.create_product(product=products.parse_create(req))
    location = products.product_location(stored.item["categoryId"], stored.item["id"])
    headers = {**_product_headers(stored), "Location": location}
    return json_response(stored.item, status=201, headers=headers)


@http_route("products/{categoryId}/{id}", methods=["GET", "HEAD", "OPTIONS"])
async def read_product(req: func.HttpRequest) -> func.HttpResponse:
    category_id, product_id = products.product_key(req)
    if_match = products.parse_if_match(req)
    stored = await store.read_product(category_id=category_id, product_id=product_id)
    products.check_if_match(if_match, stored.etag)
    if products.matches_if_none_match(req, stored.etag):
        return empty_response(status=304, headers=_product_headers(stored))
    return json_response(stored.item, headers=_product_headers(stored))


@http_route("products/{categoryId}/{id}", methods=["PUT"])
async def replace_product(req: func.HttpRequest) -> func.HttpResponse:
    product = products.parse_replace(req)
    stored = await store.replace_product(product=product, if_match=products.parse_if_match(req))
    return json_response(stored.item, headers=_product_headers(stored))


@http_route("products/{categoryId}/{id}", methods=["PATCH"])
async def patch_product(req: func.HttpRequest) -> func.HttpResponse:
    category_id, product_id = products.product_key(req)
    stored = await store.patch_product(
        category_id=category_id,
        product_id=product_id,
        patch=products.parse_patch(req),
        if_match=products.parse_if_match(req),
    )
    return json_response(stored.item, headers=_product_headers(stored))


@http_route("products/{categoryId}/{id}", methods=["DELETE"])
async def delete_product(req: func.HttpRequest) -> func.HttpResponse:
    category_id, product_id = products.product_key(req)
    await store.delete_product(
        category_id=category_id, product_id=product_id, if_match=products.parse_if_match(req)
    )
    return empty_response(status=204)


@http_route("categories/{categoryId}/products", methods=["GET", "HEAD", "OPTIONS"])
async def list_category_products(req: func.HttpRequest) -> func.HttpResponse:
    page = await store.list_products(
        category_id=route_id(req, "categoryId"),
        limit=parse_page_size(req),
        continuation=req.params.get("continuation"),
    )
    return json_response(products.page_body(page))


@http_route("categories/{categoryId}/products", methods=["DELETE"])
async def delete_category_products(req: func.HttpRequest) -> func.HttpResponse:
    products.refuse_if_match(req, what="a whole category")
    deletion = await store.delete_category(category_id=route_id(req, "categoryId"))
    return json_response({"method": deletion.method, "deleted": deletion.deleted})


@http_route("categories/{categoryId}/batch", methods=["POST", "OPTIONS"])
async def run_category_batch(req: func.HttpRequest) -> func.HttpResponse:
    from shared.api import batches

    category_id = route_id(req, "categoryId")
    operations = batches.parse_batch(read_json(req), category_id)
    results = await store.execute_batch(category_id=category_id, operations=operations)
    return json_response(batches.batch_results(results))


@http_route("imports", methods=["POST", "OPTIONS"])
async def start_import(req: func.HttpRequest) -> func.HttpResponse:
    from shared.api import imports

    started = await imports.start(req)
    location = imports.import_location(started.import_id)
    return json_response(imports.accepted_body(started), status=202, headers={"Location": location})


@http_route("imports/{importId}", methods=["GET", "HEAD", "OPTIONS"])
async def read_import(req: func.HttpRequest) -> func.HttpResponse:
    from shared.api import imports

    state = await imports.visible_progress(imports.import_key(req))
    return json_response(imports.progress_body(state))


@http_route("imports/{importId}/rejects", methods=["GET", "HEAD", "OPTIONS"])
async def list_import_rejects(req: func.HttpRequest) -> func.HttpResponse:
    from shared.api import imports
    from shared.ingest import reject_reporting

    import_id = imports.import_key(req)
    await imports.visible_progress(import_id)  # 404 for an import that never started
    page = await reject_reporting.read_rejects(
        import_id=import_id,
        limit=parse_page_size(req),
        continuation=req.params.get("continuation"),
    )
    return json_response(imports.rejects_body(page))


@app.queue_trigger(
    arg_name="msg", queue_name=settings.ingest_queue, connection="AzureWebJobsStorage"
)
@queue_endpoint(settings.ingest_queue)
async def ingest_products(msg: func.QueueMessage) -> None:
    """Raises (so the host delivers the message again) only when transient failures persist."""
    from shared.ingest import consumer

    summary = await consumer.ingest(
        msg.get_body(), message_id=msg.id or "", dequeue_count=msg.dequeue_count or 1
    )
    logging.info(
        "Message %s: %s written, %s rejected%s",
        msg.id,
        summary.written,
        summary.rejected,
        " (already counted)" if summary.duplicate else "",
    )


@http_route("docs", methods=["GET", "HEAD", "OPTIONS"], auth_level=func.AuthLevel.ANONYMOUS)
async def api_page(req: func.HttpRequest) -> func.HttpResponse:
    from shared.api import docs_page

    page = docs_page.page()
    return content_response(
        page.content, media_type=page.media_type, headers=docs_page.PAGE_HEADERS
    )


@http_route("docs/{asset}", methods=["GET", "HEAD", "OPTIONS"], auth_level=func.AuthLevel.ANONYMOUS)
async def api_page_asset(req: func.HttpRequest) -> func.HttpResponse:
    from shared.api import docs_page

    found = docs_page.asset(req.route_params.get("asset", ""))
    return content_response(
        found.content, media_type=found.media_type, headers=docs_page.ASSET_HEADERS
    )


@http_route("openapi.json", methods=["GET", "HEAD", "OPTIONS"], auth_level=func.AuthLevel.ANONYMOUS)
async def openapi(req: func.HttpRequest) -> func.HttpResponse:
    from shared.api.openapi import openapi_document

    return json_response(openapi_document())


@http_route("health", methods=["GET", "HEAD", "OPTIONS"], auth_level=func.AuthLevel.ANONYMOUS)
async def health(req: func.HttpRequest) -> func.HttpResponse:
    await store.check_health()
    return json_response({"status": "healthy"})


# Last: everything start-up built lives as long as the process (see garbage_collection).
garbage_collection.freeze_start_up()
