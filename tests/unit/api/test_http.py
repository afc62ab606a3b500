from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from shared.api.http import problem_response, read_json
from shared.catalog.models import ProductCreate
from shared.platform.errors import (
    BadRequestError,
    PayloadTooLargeError,
    UnsupportedMediaTypeError,
    to_service_error,
)
from shared.platform.limits import MAX_ITEM_BYTES
from tests.factories import http_request
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


def test_read_json_refuses_a_body_over_the_item_limit_with_413() -> None:
    request = http_request("POST", body=b" " * (MAX_ITEM_BYTES + 1))
    with pytest.raises(PayloadTooLargeError):
        read_json(request)


@pytest.mark.parametrize(
    "body",
    [
        b'{"s3cr3t": ',
        b'{"s3cr3t": NaN}',
        b'{"s3cr3t": ' + b"[" * 100 + b"]" * 100 + b"}",
        b'{"s3cr3t": "\xff"}',
    ],
    ids=["truncated", "nan", "too-deep", "not-utf8"],
)
def test_read_json_refuses_unacceptable_json_with_400_without_echoing_it(body: bytes) -> None:
    with pytest.raises(BadRequestError) as refused:
        read_json(http_request("POST", body=body, headers={"content-type": "application/json"}))
    assert "s3cr3t" not in refused.value.detail
