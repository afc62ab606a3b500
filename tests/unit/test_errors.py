from __future__ import annotations

import json

import aiohttp
import pytest
from azure.cosmos.exceptions import CosmosHttpResponseError
from pydantic import ValidationError

from shared.errors import to_service_error
from shared.http import problem_response
from shared.models import ProductCreate


def cosmos_error(status: int, headers: dict[str, str] | None = None) -> CosmosHttpResponseError:
    error = CosmosHttpResponseError(status_code=status, message="secret internal detail")
    error.headers = headers or {}
    return error


@pytest.mark.parametrize(
    ("cosmos_status", "http_status"),
    [
        (400, 400),
        (404, 404),
        (409, 409),
        (412, 412),
        (413, 413),
        (429, 429),
        (408, 503),
        (449, 503),
        (503, 503),
    ],
)
def test_cosmos_status_maps_to_http_status(cosmos_status: int, http_status: int) -> None:
    assert to_service_error(cosmos_error(cosmos_status)).status == http_status


def test_throttling_carries_retry_after_rounded_up_from_cosmos() -> None:
    error = to_service_error(cosmos_error(429, {"x-ms-retry-after-ms": "1500"}))
    assert error.headers["Retry-After"] == "2"


@pytest.mark.parametrize("status", [408, 449, 503])
def test_transient_cosmos_errors_carry_retry_after(status: int) -> None:
    assert "Retry-After" in to_service_error(cosmos_error(status)).headers


@pytest.mark.parametrize("status", [401, 403])
def test_auth_failures_are_a_generic_5xx(status: int) -> None:
    error = to_service_error(cosmos_error(status))
    assert 500 <= error.status < 600
    assert "secret" not in error.detail


@pytest.mark.parametrize(
    "exception",
    [TimeoutError(), aiohttp.ClientConnectionError("refused"), ConnectionResetError()],
)
def test_timeouts_and_connection_failures_are_503(exception: BaseException) -> None:
    error = to_service_error(exception)
    assert error.status == 503 and "Retry-After" in error.headers


def test_unexpected_errors_are_500_without_details() -> None:
    error = to_service_error(KeyError("internal-name"))
    assert error.status == 500
    assert "internal-name" not in error.detail


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


def test_problem_response_has_rfc9457_members() -> None:
    response = problem_response(to_service_error(cosmos_error(404)), instance="/api/products/c/i")
    body = json.loads(response.get_body())
    assert {"type", "title", "status", "detail", "instance"} <= body.keys()
    assert body["status"] == 404 and body["title"] == "Not Found"
    assert "secret" not in response.get_body().decode()
