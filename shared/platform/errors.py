"""The service's errors, each carrying its HTTP status, and the one translation of Cosmos errors.

Handlers raise these (or let SDK errors through); `shared.api.http` turns any of them into an
RFC 9457 problem response. Nothing else decides a status code.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from enum import StrEnum
from http import HTTPStatus
from typing import Any

import aiohttp
from azure.core.exceptions import HttpResponseError, ServiceRequestError, ServiceResponseError
from azure.cosmos.exceptions import (
    CosmosBatchOperationError,
    CosmosClientTimeoutError,
    CosmosHttpResponseError,
)
from pydantic import ValidationError

logger = logging.getLogger(__name__)

DEFAULT_RETRY_AFTER_SECONDS = 1
PRECONDITION_FAILED_DETAIL = (
    "The resource has changed since the given ETag; read it again and retry."
)


class ServiceError(Exception):
    """An error with a status and a message safe to show to a client."""

    status: HTTPStatus = HTTPStatus.INTERNAL_SERVER_ERROR

    def __init__(self, detail: str, *, extensions: Mapping[str, Any] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extensions: dict[str, Any] = dict(extensions or {})
        self.headers: dict[str, str] = {}


class BadRequestError(ServiceError):
    status = HTTPStatus.BAD_REQUEST


class NotFoundError(ServiceError):
    status = HTTPStatus.NOT_FOUND


class ConflictError(ServiceError):
    status = HTTPStatus.CONFLICT


class PreconditionFailedError(ServiceError):
    status = HTTPStatus.PRECONDITION_FAILED


class PayloadTooLargeError(ServiceError):
    status = HTTPStatus.REQUEST_ENTITY_TOO_LARGE


class UnsupportedMediaTypeError(ServiceError):
    status = HTTPStatus.UNSUPPORTED_MEDIA_TYPE


class UnprocessableContentError(ServiceError):
    status = HTTPStatus.UNPROCESSABLE_CONTENT


class RetryableError(ServiceError):
    """A transient failure; the client should retry after `retry_after` seconds."""

    def __init__(self, detail: str, *, retry_after: float = DEFAULT_RETRY_AFTER_SECONDS) -> None:
        super().__init__(detail)
        self.retry_after = retry_after
        self.headers["Retry-After"] = str(max(1, round(retry_after + 0.49)))


class TooManyRequestsError(RetryableError):
    status = HTTPStatus.TOO_MANY_REQUESTS


class ServiceUnavailableError(RetryableError):
    status = HTTPStatus.SERVICE_UNAVAILABLE


class StoreMissingError(ServiceUnavailableError):
    """The database or a container does not exist (deleted, or never created)."""

    def __init__(self) -> None:
        super().__init__("The database or one of its containers does not exist; retry later.")


class InternalError(ServiceError):
    status = HTTPStatus.INTERNAL_SERVER_ERROR


class UpstreamAuthError(ServiceError):
    status = HTTPStatus.BAD_GATEWAY


def field_errors(errors: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """Pydantic errors as `{field, message}` pairs, without echoing the rejected input."""
    return [
        {"field": ".".join(str(part) for part in error["loc"]) or "body", "message": error["msg"]}
        for error in errors
    ]


def validation_problem(error: ValidationError) -> BadRequestError:
    fields = field_errors(error.errors(include_input=False, include_url=False))
    return BadRequestError(
        "The request body is not a valid product.", extensions={"errors": fields}
    )


_COSMOS_CLIENT_ERRORS: dict[int, type[ServiceError]] = {
    400: BadRequestError,
    404: NotFoundError,
    409: ConflictError,
    412: PreconditionFailedError,
    413: PayloadTooLargeError,
}
# The substatus of a 404 whose database or container (not the item) does not exist.
OWNER_RESOURCE_NOT_FOUND = "1003"
THROTTLED_STATUS = 429
# Cosmos statuses worth retrying after a back-off (429 waits what Cosmos asks for instead).
TRANSIENT_STATUSES = frozenset({408, 449, 503})
# Statuses that say the request as sent cannot be taken (malformed, or too large).
REQUEST_REFUSED_STATUSES = frozenset({400, 413})
# CosmosBatchOperationError is an HttpResponseError but not a CosmosHttpResponseError.
COSMOS_ERRORS = (CosmosHttpResponseError, CosmosBatchOperationError)


class CosmosFailure(StrEnum):
    """What a failed Cosmos DB call means, the one classification every retry decision and
    every HTTP answer starts from."""

    THROTTLED = "throttled"  # 429: wait what Cosmos DB asked (x-ms-retry-after-ms), then retry
    TRANSIENT = "transient"  # 408, 449, 503, a timeout or a lost connection: back off, retry
    STORE_MISSING = "store missing"  # 404/1003: the database or container is gone
    OPERATION_REFUSED = "operation refused"  # one operation of a transactional batch
    REQUEST_REFUSED = "request refused"  # 400 or 413: the request as sent
    OTHER = "other"


def classify_status(status: int | None, substatus: str | None = None) -> CosmosFailure:
    """The failure a Cosmos DB status (and substatus) means."""
    if status == THROTTLED_STATUS:
        return CosmosFailure.THROTTLED
    if status in TRANSIENT_STATUSES:
        return CosmosFailure.TRANSIENT
    if status == HTTPStatus.NOT_FOUND and substatus == OWNER_RESOURCE_NOT_FOUND:
        return CosmosFailure.STORE_MISSING
    if status in REQUEST_REFUSED_STATUSES:
        return CosmosFailure.REQUEST_REFUSED
    return CosmosFailure.OTHER


def classify(error: BaseException | None) -> CosmosFailure:
    """The failure an exception from a Cosmos DB call means."""
    if isinstance(error, COSMOS_ERRORS):
        failure = classify_status(error.status_code, _substatus(error))
        if failure in (CosmosFailure.THROTTLED, CosmosFailure.TRANSIENT):
            return failure
        if isinstance(error, CosmosBatchOperationError):
            return CosmosFailure.OPERATION_REFUSED
        return failure
    if isinstance(error, TRANSIENT_EXCEPTIONS):
        return CosmosFailure.TRANSIENT
    return CosmosFailure.OTHER


def _substatus(error: HttpResponseError) -> str | None:
    substatus = getattr(error, "sub_status", None)
    if substatus is not None:
        return str(substatus)
    return (getattr(error, "headers", None) or {}).get("x-ms-substatus")


_COSMOS_DETAIL = {
    400: "Cosmos DB rejected the request.",
    404: "The resource does not exist.",
    409: "A resource with this id already exists.",
    412: PRECONDITION_FAILED_DETAIL,
    413: "The item or request is larger than Cosmos DB allows.",
}


def cosmos_retry_after(error: BaseException) -> float:
    """Seconds Cosmos asked the client to wait, from x-ms-retry-after-ms."""
    return retry_after_of(getattr(error, "headers", None))


def retry_after_of(headers: Mapping[str, str] | None) -> float:
    """Seconds a Cosmos DB response asks to wait (x-ms-retry-after-ms), or the default."""
    headers = headers or {}
    raw = headers.get("x-ms-retry-after-ms") or headers.get("retry-after-ms")
    try:
        return float(raw) / 1000 if raw is not None else DEFAULT_RETRY_AFTER_SECONDS
    except ValueError:
        return DEFAULT_RETRY_AFTER_SECONDS


def request_charge_of(headers: Mapping[str, str] | None) -> float:
    try:
        return float((headers or {}).get("x-ms-request-charge", 0) or 0)
    except ValueError:
        return 0.0


def is_store_missing(error: BaseException | None) -> bool:
    """Whether Cosmos DB said the database or container does not exist (404, substatus 1003):
    clients built for it must be built again once it is re-created."""
    return classify(error) is CosmosFailure.STORE_MISSING


def for_cosmos_status(status: int, headers: Mapping[str, str] | None = None) -> ServiceError:
    """The service error a client should see for a Cosmos status (of a request or operation)."""
    translated: ServiceError
    failure = classify_status(status, (headers or {}).get("x-ms-substatus"))
    if failure is CosmosFailure.STORE_MISSING:
        logger.error("The Cosmos DB database or container is missing")
        translated = StoreMissingError()
    elif status in _COSMOS_CLIENT_ERRORS:
        translated = _COSMOS_CLIENT_ERRORS[status](_COSMOS_DETAIL[status])
    elif failure is CosmosFailure.THROTTLED:
        translated = TooManyRequestsError(
            "Cosmos DB is throttling requests; retry later.", retry_after=retry_after_of(headers)
        )
    elif failure is CosmosFailure.TRANSIENT:
        translated = ServiceUnavailableError("Cosmos DB is temporarily unavailable; retry later.")
    elif status in (401, 403):
        logger.error("Cosmos DB refused the app's credentials (status %s)", status)
        translated = UpstreamAuthError("The service cannot reach its database right now.")
    else:
        logger.error("Unexpected Cosmos DB status %s", status)
        translated = InternalError("The database returned an unexpected error.")
    return translated


def batch_extensions(
    error: CosmosBatchOperationError, *, failed_status: int | None = None
) -> dict[str, Any]:
    """The problem members of a failed transactional batch: which operation failed, and the
    status of every operation (424 for those that failed because another did). `failed_status`
    replaces Cosmos DB's for the failed operation when the service answers its cause with
    another status."""
    statuses = [int(response["statusCode"]) for response in error.operation_responses]
    if failed_status is not None:
        statuses[error.error_index] = failed_status
    return {
        "failedOperationIndex": error.error_index,
        "operations": [{"index": i, "status": status} for i, status in enumerate(statuses)],
    }


def batch_failure(error: CosmosBatchOperationError) -> ServiceError:
    """The failing operation's status as a problem naming its index and every status."""
    problem = for_cosmos_status(error.status_code or 500, error.headers)
    problem.detail = f"Operation {error.error_index} failed, so none took effect. {problem.detail}"
    problem.extensions.update(batch_extensions(error))
    return problem


TRANSIENT_EXCEPTIONS: tuple[type[BaseException], ...] = (
    asyncio.TimeoutError,
    CosmosClientTimeoutError,
    aiohttp.ClientError,
    ServiceRequestError,
    ServiceResponseError,
    ConnectionError,
)


def to_service_error(error: BaseException) -> ServiceError:
    """Any exception as the service error to answer with. Unknown ones become a generic 500."""
    if isinstance(error, ServiceError):
        return error
    if isinstance(error, CosmosBatchOperationError):
        return batch_failure(error)
    if isinstance(error, COSMOS_ERRORS):
        return for_cosmos_status(error.status_code or 0, error.headers)
    if isinstance(error, ValidationError):
        return validation_problem(error)
    if isinstance(error, TRANSIENT_EXCEPTIONS):
        logger.warning("Cosmos DB could not be reached: %s", type(error).__name__)
        return ServiceUnavailableError("Cosmos DB could not be reached; retry later.")
    logger.error("Unhandled %s while serving a request", type(error).__name__)
    return InternalError("The service failed to handle the request.")
