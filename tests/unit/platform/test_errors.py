from __future__ import annotations

import aiohttp
import pytest
from azure.cosmos.exceptions import CosmosBatchOperationError, CosmosHttpResponseError

from shared.platform.errors import CosmosFailure, classify, classify_status, to_service_error


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


def test_a_failed_batch_is_the_failing_operations_status_with_every_status() -> None:
    error = CosmosBatchOperationError(
        error_index=1,
        headers={},
        status_code=412,
        message="",
        operation_responses=[{"statusCode": 424}, {"statusCode": 412}, {"statusCode": 424}],
    )
    problem = to_service_error(error)
    assert problem.status == 412
    assert problem.extensions["failedOperationIndex"] == 1
    assert [o["status"] for o in problem.extensions["operations"]] == [424, 412, 424]


def batch_operation_error(status: int) -> CosmosBatchOperationError:
    responses = [{"statusCode": status}]
    return CosmosBatchOperationError(
        error_index=0, headers={}, status_code=status, message="", operation_responses=responses
    )


@pytest.mark.parametrize(
    ("error", "failure"),
    [
        (cosmos_error(429), CosmosFailure.THROTTLED),
        (batch_operation_error(429), CosmosFailure.THROTTLED),
        (cosmos_error(408), CosmosFailure.TRANSIENT),
        (cosmos_error(449), CosmosFailure.TRANSIENT),
        (cosmos_error(503), CosmosFailure.TRANSIENT),
        (aiohttp.ClientConnectionError(), CosmosFailure.TRANSIENT),
        (TimeoutError(), CosmosFailure.TRANSIENT),
        (batch_operation_error(409), CosmosFailure.OPERATION_REFUSED),
        (cosmos_error(404, {"x-ms-substatus": "1003"}), CosmosFailure.STORE_MISSING),
        (cosmos_error(404), CosmosFailure.OTHER),
        (cosmos_error(400), CosmosFailure.REQUEST_REFUSED),
        (cosmos_error(413), CosmosFailure.REQUEST_REFUSED),
        (cosmos_error(401), CosmosFailure.OTHER),
        (ValueError("not Cosmos"), CosmosFailure.OTHER),
        (None, CosmosFailure.OTHER),
    ],
)
def test_every_cosmos_failure_is_classified_once(
    error: BaseException | None, failure: CosmosFailure
) -> None:
    assert classify(error) is failure


def test_a_status_means_what_the_same_error_means() -> None:
    assert classify_status(429) is CosmosFailure.THROTTLED
    assert classify_status(404, "1003") is CosmosFailure.STORE_MISSING
    assert classify_status(200) is CosmosFailure.OTHER
