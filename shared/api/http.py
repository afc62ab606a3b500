"""The HTTP edge shared by every HTTP function: JSON in, JSON or problem+json out.

`http_endpoint` wraps a handler so that any error becomes an RFC 9457 problem response through
the one mapping in `shared.platform.errors`, and every response that touched Cosmos DB carries its
request charge.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import azure.functions as func

from shared.platform import cosmos
from shared.platform.charges import RequestCharge, start_metering
from shared.platform.errors import (
    BadRequestError,
    PayloadTooLargeError,
    ServiceError,
    ServiceUnavailableError,
    StoreMissingError,
    UnsupportedMediaTypeError,
    to_service_error,
)
from shared.platform.json_input import JsonInputError, loads
from shared.platform.limits import JSON_MEDIA_TYPE, MAX_ITEM_BYTES
from shared.platform.settings import get_settings

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"

Handler = Callable[[func.HttpRequest], Awaitable[func.HttpResponse]]


def json_response(
    body: Any, *, status: int = 200, headers: Mapping[str, str] | None = None
) -> func.HttpResponse:
    return func.HttpResponse(
        body=json.dumps(body),
        status_code=status,
        headers=dict(headers or {}),
        mimetype=JSON_MEDIA_TYPE,
    )


def empty_response(*, status: int, headers: Mapping[str, str] | None = None) -> func.HttpResponse:
    return func.HttpResponse(status_code=status, headers=dict(headers or {}))


def problem_response(error: ServiceError, *, instance: str) -> func.HttpResponse:
    problem: dict[str, Any] = {
        "type": "about:blank",
        "title": error.status.phrase,
        "status": int(error.status),
        "detail": error.detail,
        "instance": instance,
        **error.extensions,
    }
    return func.HttpResponse(
        body=json.dumps(problem),
        status_code=int(error.status),
        headers=dict(error.headers),
        mimetype=PROBLEM_CONTENT_TYPE,
    )


def read_body(req: func.HttpRequest, *, limit: int = MAX_ITEM_BYTES) -> bytes:
    body = req.get_body() or b""
    if len(body) > limit:
        raise PayloadTooLargeError(f"The request body is larger than {limit} bytes.")
    return body


def media_type(req: func.HttpRequest) -> str:
    return (req.headers.get("content-type") or "").split(";")[0].strip().lower()


def read_json(req: func.HttpRequest, *, media_types: tuple[str, ...] = (JSON_MEDIA_TYPE,)) -> Any:
    """The body as JSON: 413 when too large, 415 for another media type, 400 if malformed."""
    body = read_body(req)
    sent_type = media_type(req)
    if sent_type and sent_type not in media_types:
        raise UnsupportedMediaTypeError(f"Send the body as {' or '.join(media_types)}.")
    try:
        return loads(body)
    except JsonInputError as error:
        raise BadRequestError(f"The request body is not acceptable JSON. {error}") from None


def read_json_object(req: func.HttpRequest) -> dict[str, Any]:
    data = read_json(req)
    if not isinstance(data, dict):
        raise BadRequestError("The request body must be a JSON object.")
    return data


def _with_charge(response: func.HttpResponse, meter: RequestCharge) -> func.HttpResponse:
    if meter.touched_cosmos:
        response.headers["x-ms-request-charge"] = f"{meter.total:g}"
    return response


def http_endpoint(handler: Handler) -> Handler:
    """Turn every error raised by `handler` into a problem response and add the request charge.
    A handler that outlasts HTTP_TIMEOUT_SECONDS (a hung database, say) is cancelled: 503."""

    @functools.wraps(handler)
    async def endpoint(req: func.HttpRequest) -> func.HttpResponse:
        meter = start_metering()
        seconds = get_settings().http_timeout_seconds
        deadline = asyncio.timeout(seconds)
        try:
            async with deadline:
                response = await handler(req)
        except Exception as error:  # noqa: BLE001 - the edge: every error becomes a response
            problem = (
                ServiceUnavailableError(f"No answer within {seconds:g} s; retry later.")
                if deadline.expired()
                else to_service_error(error)
            )
            if isinstance(problem, StoreMissingError):
                cosmos.discard_clients()
            response = problem_response(problem, instance=_path_of(req))
        return _with_charge(response, meter)

    return endpoint


def _path_of(req: func.HttpRequest) -> str:
    return urlsplit(req.url or "").path or "/"
