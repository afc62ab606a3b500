"""Request parsing for the product routes: path, query and header values turned into inputs."""

from __future__ import annotations

from urllib.parse import quote

import azure.functions as func
from pydantic import ValidationError

from shared.api.http import api_path, media_type, read_json, read_json_object
from shared.api.params import parse_etag, route_id
from shared.api.wire import ProductPage
from shared.catalog.models import Product, ProductCreate
from shared.catalog.patch import CosmosPatch, to_cosmos_patch
from shared.catalog.store import Page
from shared.platform.errors import (
    PRECONDITION_FAILED_DETAIL,
    BadRequestError,
    PreconditionFailedError,
    UnsupportedMediaTypeError,
    validation_problem,
)

JSON_PATCH_CONTENT_TYPE = "application/json-patch+json"


def product_location(category_id: str, product_id: str) -> str:
    """The product's URL path; ids may hold characters that need escaping in a URL."""
    return api_path(f"products/{quote(category_id, safe='')}/{quote(product_id, safe='')}")


def page_body(page: Page) -> ProductPage:
    """A page of products; `continuation` only when there is a next page."""
    body = ProductPage(items=page.items, count=len(page.items))
    if page.continuation:
        body["continuation"] = page.continuation
    return body


def product_key(req: func.HttpRequest) -> tuple[str, str]:
    return route_id(req, "categoryId"), route_id(req, "id")


def parse_if_match(req: func.HttpRequest) -> str | None:
    """The ETag an If-Match header names, or None without one; 400 for an unusable value."""
    return parse_etag(req.headers.get("if-match"), where="If-Match")


def check_if_match(if_match: str | None, etag: str) -> None:
    """A read's If-Match (RFC 9110 13.1.1), parsed before the read: 412 when it names another
    version than `etag`; None ('*' or no header) matches the product that was found."""
    if if_match is not None and if_match != etag:
        raise PreconditionFailedError(PRECONDITION_FAILED_DETAIL)


def refuse_if_match(req: func.HttpRequest, *, what: str) -> None:
    """400 for If-Match on a route whose resource has no entity tag: ignoring it would make a
    conditional request unconditional."""
    if req.headers.get("if-match") is not None:
        raise BadRequestError(f"If-Match does not apply to {what}, which has no entity tag.")


def matches_if_none_match(req: func.HttpRequest, etag: str) -> bool:
    """Whether If-None-Match names the current ETag: '*', or a list of (weak or strong) tags."""
    header = req.headers.get("if-none-match")
    if not header:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return "*" in tags or etag in tags


def parse_create(req: func.HttpRequest) -> ProductCreate:
    try:
        return ProductCreate.model_validate(read_json_object(req))
    except ValidationError as error:
        raise validation_problem(error) from None


def parse_replace(req: func.HttpRequest) -> Product:
    """The whole product from a PUT; an id or categoryId differing from the path is a 400."""
    category_id, product_id = product_key(req)
    body = read_json_object(req)
    if (
        body.get("id", product_id) != product_id
        or body.get("categoryId", category_id) != category_id
    ):
        raise BadRequestError("The id and categoryId in the body must match the path.")
    try:
        return Product.model_validate({**body, "id": product_id, "categoryId": category_id})
    except ValidationError as error:
        raise validation_problem(error) from None


def parse_patch(req: func.HttpRequest) -> CosmosPatch:
    """A JSON Patch document; the media type is required, as RFC 6902 registers it."""
    if media_type(req) != JSON_PATCH_CONTENT_TYPE:
        raise UnsupportedMediaTypeError(f"Send the patch as {JSON_PATCH_CONTENT_TYPE}.")
    return to_cosmos_patch(read_json(req, media_types=(JSON_PATCH_CONTENT_TYPE,)))
