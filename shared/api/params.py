"""Values from a request's path and headers, checked before anything is sent to Cosmos DB.

A route value becomes a segment of the SDK's REST path, so it must obey the id rule (no "." or
"..", nothing a URL resolves or truncates); a precondition that cannot be understood is refused,
never ignored, since ignoring it would make a conditional write unconditional.
"""

from __future__ import annotations

import re
from typing import Any

import azure.functions as func
from pydantic import TypeAdapter, ValidationError

from shared.catalog.models import ProductId
from shared.platform.errors import BadRequestError

_ID: TypeAdapter[str] = TypeAdapter(ProductId)
# An entity tag as RFC 9110 writes it (optionally weak), a bare token, or *: printable ASCII.
ENTITY_TAG_PATTERN = r'^[ \t]*(\*|(W/)?"[\x21\x23-\x7e]*"|[\x21-\x7e]+)[ \t]*$'
_ENTITY_TAG = re.compile(ENTITY_TAG_PATTERN)


def is_valid_id(value: Any) -> bool:
    """Whether `value` obeys the id rule of product and category ids."""
    try:
        _ID.validate_python(value)
    except ValidationError:
        return False
    return True


def route_id(req: func.HttpRequest, name: str) -> str:
    """A route value checked against the id rule before it can become part of a REST path."""
    value: str = req.route_params.get(name, "")
    if not is_valid_id(value):
        raise BadRequestError(f"The {name} in the path is not a valid id.")
    return value


def parse_etag(value: str | None, *, where: str) -> str | None:
    """A precondition's entity tag; None only when none was sent or it is '*' (any version).
    A value that is present but unusable is a 400, never silently ignored."""
    if value is None or value.strip() == "*":
        return None
    if not _ENTITY_TAG.match(value):
        raise BadRequestError(f"{where} must be an entity tag (as the ETag header gave it) or *.")
    return value.strip()


DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
_PAGE_SIZE = re.compile(r"[0-9]{1,4}")  # ASCII digits only: str.isdigit() also accepts '²'


def parse_page_size(req: func.HttpRequest) -> int:
    raw = req.params.get("limit")
    if raw is None:
        return DEFAULT_PAGE_SIZE
    if not _PAGE_SIZE.fullmatch(raw) or not 1 <= int(raw) <= MAX_PAGE_SIZE:
        raise BadRequestError(f"limit must be an integer from 1 to {MAX_PAGE_SIZE}.")
    return int(raw)
