from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from shared.api.http import problem_response
from shared.catalog.models import ProductCreate
from shared.platform.errors import to_service_error
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
