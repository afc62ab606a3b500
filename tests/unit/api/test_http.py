from __future__ import annotations

import asyncio
import inspect
import json
from types import SimpleNamespace
from typing import Any

import azure.functions as func
import pytest
from opentelemetry.trace import SpanKind, StatusCode
from pydantic import ValidationError

from shared.api.http import http_endpoint, json_response, problem_response, read_json
from shared.catalog.models import ProductCreate
from shared.platform.charges import add_charge, note_throttling
from shared.platform.errors import (
    BadRequestError,
    PayloadTooLargeError,
    UnsupportedMediaTypeError,
    to_service_error,
)
from shared.platform.limits import MAX_JSON_BODY_BYTES
from shared.platform.telemetry import REQUEST_CHARGE_ATTRIBUTE
from tests.factories import http_request
from tests.unit.conftest import Captured
from tests.unit.fakes import http_error


def test_problem_response_has_rfc9457_members() -> None:
    response = problem_response(to_service_error(http_error(404)), instance="/api/products/c/i")
    body = json.loads(response.get_body())
    assert {"type", "title", "status", "detail", "instance"} <= body.keys()
    assert body["status"] == 404 and body["title"] == "Not Found"
    assert "status 404" not in response.get_body().decode()  # Cosmos's own message stays inside


def test_validation_errors_are_400_listing_fields_without_echoing_input() -> None:
    with pytest.raises(ValidationError) as raised:
        ProductCreate.model_validate({"categoryId": "c", "name": "n", "price": -1})
    response = problem_response(to_service_error(raised.value), instance="/api/products")
    body = json.loads(response.get_body())
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert body["errors"] == [
        {"field": "price", "message": "Input should be greater than or equal to 0"}
    ]
    assert "-1" not in response.get_body().decode()


def test_read_json_parses_a_json_body_with_or_without_a_charset() -> None:
    for content_type in ("application/json", "application/json; charset=utf-8", ""):
        request = http_request(
            "POST", body=b'{"a": [1, 2]}', headers={"content-type": content_type}
        )
        assert read_json(request) == {"a": [1, 2]}


def test_read_json_refuses_another_media_type_with_415() -> None:
    request = http_request("POST", body=b"{}", headers={"content-type": "text/plain"})
    with pytest.raises(UnsupportedMediaTypeError):
        read_json(request)


def test_read_json_refuses_a_body_over_the_json_body_limit_with_413() -> None:
    request = http_request("POST", body=b" " * (MAX_JSON_BODY_BYTES + 1))
    with pytest.raises(PayloadTooLargeError):
        read_json(request)


@pytest.mark.parametrize(
    "body",
    [
        b'{"s3cr3t": ',
        b'{"s3cr3t": ' + b"[" * 100 + b"]" * 100 + b"}",
        b'{"s3cr3t": "\xff"}',
    ],
    ids=["truncated", "too-deep", "not-utf8"],
)
def test_read_json_refuses_unacceptable_json_with_400_without_echoing_it(body: bytes) -> None:
    with pytest.raises(BadRequestError) as refused:
        read_json(http_request("POST", body=body, headers={"content-type": "application/json"}))
    assert "s3cr3t" not in refused.value.detail


@pytest.mark.parametrize("number", [b"1e400", b"12345678901234567890", b"0.10000000000000000001"])
def test_a_refused_number_is_named_by_its_place_never_by_its_value(number: bytes) -> None:
    body = b'{"tags": [], "weight": ' + number + b"}"
    with pytest.raises(BadRequestError) as refused:
        read_json(http_request("POST", body=body, headers={"content-type": "application/json"}))
    assert refused.value.extensions["errors"][0]["field"] == "weight"
    assert number.decode() not in refused.value.detail


def test_a_long_key_is_cut_where_a_refused_number_is_named() -> None:
    key = "k" * 10_000
    body = b'{"' + key.encode() + b'": 1e400}'
    with pytest.raises(BadRequestError) as refused:
        read_json(http_request("POST", body=body, headers={"content-type": "application/json"}))
    assert len(refused.value.detail) < 500


def served(handler: Any, req: func.HttpRequest, route: str = "products/{categoryId}/{id}") -> Any:
    return asyncio.run(http_endpoint(route, methods=["GET", "HEAD", "OPTIONS"])(handler)(req))


def test_an_http_invocation_is_a_server_span_named_by_its_route(captured: Captured) -> None:
    async def read_product(req: func.HttpRequest) -> func.HttpResponse:
        add_charge(1.0)
        add_charge(2.5)
        return json_response({"id": "p1"})

    response = served(read_product, http_request("GET"))
    assert response.headers["x-ms-request-charge"] == "3.5"
    span = captured.span("GET /api/products/{categoryId}/{id}")
    assert span.kind is SpanKind.SERVER
    assert span.attributes["faas.name"] == "read_product"
    assert span.attributes["http.route"] == "/api/products/{categoryId}/{id}"
    assert span.attributes["http.response.status_code"] == 200
    assert span.attributes[REQUEST_CHARGE_ATTRIBUTE] == 3.5


def test_an_invocation_answered_with_a_5xx_is_an_error_span(captured: Captured) -> None:
    async def health(req: func.HttpRequest) -> func.HttpResponse:
        raise http_error(503)

    response = served(health, http_request("GET"), route="health")
    assert response.status_code == 503
    span = captured.span("GET /api/health")
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["http.response.status_code"] == 503


def test_an_invocation_answered_with_a_4xx_is_not_an_error_span(captured: Captured) -> None:
    async def read_product(req: func.HttpRequest) -> func.HttpResponse:
        raise http_error(404)

    assert served(read_product, http_request("GET")).status_code == 404
    span = captured.span("GET /api/products/{categoryId}/{id}")
    assert span.status.status_code is not StatusCode.ERROR


def test_options_answers_every_method_of_the_route_without_calling_the_handler() -> None:
    async def never(req: func.HttpRequest) -> func.HttpResponse:
        raise AssertionError("OPTIONS reached the handler")

    route = "things/{id}"
    http_endpoint(route, methods=["PUT"])(never)
    response = asyncio.run(
        http_endpoint(route, methods=["GET", "HEAD", "OPTIONS"])(never)(http_request("OPTIONS"))
    )
    assert response.status_code == 204
    assert response.headers["Allow"] == "GET, HEAD, OPTIONS, PUT"
    assert response.get_body() == b""


def test_the_worker_is_asked_for_the_context_and_its_invocation_id_is_on_the_span(
    captured: Captured,
) -> None:
    async def read_product(req: func.HttpRequest) -> func.HttpResponse:
        return json_response({"id": "p1"})

    endpoint = http_endpoint("products/{categoryId}/{id}", methods=["GET"])(read_product)
    assert list(inspect.signature(endpoint).parameters) == ["req", "context"]
    context = SimpleNamespace(invocation_id="5f0b1c7e-invocation")
    asyncio.run(endpoint(http_request("GET"), context=context))
    span = captured.span("GET /api/products/{categoryId}/{id}")
    assert span.attributes["faas.invocation_id"] == "5f0b1c7e-invocation"


@pytest.fixture
def short_http_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    from shared.api import http
    from shared.platform.settings import get_settings

    settings = get_settings().model_copy(update={"http_timeout_seconds": 0.2})
    monkeypatch.setattr(http, "get_settings", lambda: settings)


@pytest.mark.usefixtures("short_http_timeout")
@pytest.mark.parametrize(("last", "status"), [(1.5, 429), (None, 503)])
def test_out_of_time_is_429_while_cosmos_throttles_and_503_otherwise(
    last: float | None, status: int
) -> None:
    async def list_products(req: func.HttpRequest) -> func.HttpResponse:
        note_throttling(2.0)
        note_throttling(last)  # the last response decides: throttled or not
        await asyncio.sleep(10)
        raise AssertionError("cancelled at the deadline")

    response = served(list_products, http_request("GET"))
    assert response.status_code == status
    assert response.headers["Retry-After"] == ("2" if status == 429 else "1")
