"""The HTTP edge shared by every HTTP function: JSON in, JSON or problem+json out.

`http_endpoint` wraps a handler so that any error becomes an RFC 9457 problem response through
the one mapping in `shared.platform.errors`, every response that touched Cosmos DB carries its
request charge, and every invocation is a server span (when telemetry is on).
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from collections.abc import Awaitable, Callable, Collection, Mapping
from typing import Any
from urllib.parse import urlsplit

import azure.functions as func

from shared.platform import charges, conventions, cosmos, metrics, telemetry
from shared.platform.charges import RequestCharge
from shared.platform.errors import (
    BadRequestError,
    PayloadTooLargeError,
    ServiceError,
    ServiceUnavailableError,
    StoreMissingError,
    TooManyRequestsError,
    UnsupportedMediaTypeError,
    to_service_error,
)
from shared.platform.invocations import invocation_id, passing_context
from shared.platform.json_input import JsonInputError, RefusedNumberError, loads
from shared.platform.limits import JSON_MEDIA_TYPE, MAX_JSON_BODY_BYTES
from shared.platform.settings import get_settings

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"
ROUTE_PREFIX = "api"  # host.json: extensions.http.routePrefix

Handler = Callable[[func.HttpRequest], Awaitable[func.HttpResponse]]


def api_path(path: str) -> str:
    """`path` (a route, or a resource's path) as clients address it, under the route prefix."""
    return f"/{ROUTE_PREFIX}/{path}"


def json_response(
    body: Any, *, status: int = 200, headers: Mapping[str, str] | None = None
) -> func.HttpResponse:
    return func.HttpResponse(
        body=json.dumps(body),
        status_code=status,
        headers=dict(headers or {}),
        mimetype=JSON_MEDIA_TYPE,
    )


def content_response(
    content: bytes, *, media_type: str, headers: Mapping[str, str] | None = None
) -> func.HttpResponse:
    """A 200 with `content` as it is (a page, a script, an image)."""
    return func.HttpResponse(
        body=content, status_code=200, headers={"Content-Type": media_type, **(headers or {})}
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


def read_body(req: func.HttpRequest, *, limit: int = MAX_JSON_BODY_BYTES) -> bytes:
    """The body as sent: 415 when it is content-coded (gzip, br ...), which no route decodes
    (RFC 9110 15.5.16: answered with the codings accepted); 413 over `limit` bytes."""
    coding = (req.headers.get("content-encoding") or "").strip().lower()
    if coding not in ("", "identity"):
        refused = UnsupportedMediaTypeError(
            "The body must be sent without a content coding; compressed bodies are not accepted."
        )
        refused.headers["Accept-Encoding"] = "identity"
        raise refused
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
    except RefusedNumberError as error:
        raise BadRequestError(
            f"The request body holds a number that cannot be stored as sent. {error}",
            extensions={"errors": [{"field": error.field, "message": error.reason}]},
        ) from None
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


async def _answer(handler: Handler, req: func.HttpRequest) -> func.HttpResponse:
    """The handler's response, or the problem response for whatever it raised. A handler that
    outlasts HTTP_TIMEOUT_SECONDS (a hung database, say) is cancelled: 503."""
    seconds = get_settings().http_timeout_seconds
    deadline = asyncio.timeout(seconds)
    try:
        async with deadline:
            return await handler(req)
    except Exception as error:  # noqa: BLE001 - the edge: every error becomes a response
        if deadline.expired():
            metrics.count_timeout()
            problem: ServiceError = _out_of_time(seconds)
        else:
            metrics.count_if_timeout(error)
            problem = to_service_error(error)
        if isinstance(problem, StoreMissingError):
            cosmos.discard_clients()
        return problem_response(problem, instance=_path_of(req))


def _out_of_time(seconds: float) -> ServiceError:
    """A handler cancelled at the deadline: 429 if Cosmos DB was throttling it until then (the
    SDK retries a query's 429s in two layers, which can outlast any budget), else 503."""
    retry_after = charges.throttled_for()
    if retry_after is not None:
        return TooManyRequestsError(
            f"Cosmos DB throttled the request for {seconds:g} s; retry later.",
            retry_after=retry_after,
        )
    return ServiceUnavailableError(f"No answer within {seconds:g} s; retry later.")


# The methods each route serves, over every function registered on it: what OPTIONS answers.
_ROUTE_METHODS: dict[str, set[str]] = {}


def allowed_methods(route: str) -> str:
    """The Allow header of `route`: every method its functions declare."""
    return ", ".join(sorted(_ROUTE_METHODS.get(route, ())))


def http_endpoint(route: str, *, methods: Collection[str]) -> Callable[[Handler], Handler]:
    """Serve `handler` (registered at `route` for `methods`) through the edge: OPTIONS answers
    with the route's Allow header, HEAD as GET does (the host sends no body), every error becomes
    a problem response, the request charge is added, and the invocation is one server span."""

    http_route = api_path(route)
    _ROUTE_METHODS.setdefault(route, set()).update(method.upper() for method in methods)

    async def options(req: func.HttpRequest) -> func.HttpResponse:
        return empty_response(status=204, headers={"Allow": allowed_methods(route)})

    def wrap(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def endpoint(
            req: func.HttpRequest, *, context: func.Context | None = None
        ) -> func.HttpResponse:
            method = (req.method or "GET").upper()
            serve = options if method == "OPTIONS" else handler
            attributes: telemetry.Attributes = {
                conventions.FAAS_NAME: handler.__name__,
                conventions.FAAS_TRIGGER: conventions.FAAS_TRIGGER_HTTP,
                conventions.HTTP_REQUEST_METHOD: method,
                conventions.HTTP_ROUTE: http_route,
            }
            if (invocation := invocation_id(context)) is not None:
                attributes = {**attributes, conventions.FAAS_INVOCATION_ID: invocation}
            name = f"{method} {http_route}"
            with telemetry.charged_span(
                name, kind="server", attributes=attributes, carrier=req.headers
            ) as span:
                response = _with_charge(await _answer(serve, req), span.meter)
                span.set(conventions.HTTP_RESPONSE_STATUS_CODE, response.status_code)
                if response.status_code >= 500:
                    span.fail(f"HTTP {response.status_code}")
            return response

        passing_context(endpoint, handler)
        return endpoint

    return wrap


def _path_of(req: func.HttpRequest) -> str:
    return urlsplit(req.url or "").path or "/"
