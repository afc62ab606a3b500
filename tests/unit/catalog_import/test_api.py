"""Requests to the import routes: retried when another attempt may succeed, and starting an
import retried safely, with the same idempotency key and the same bytes."""

from __future__ import annotations

import uuid

import pytest

from catalog_import.api import CatalogApi
from catalog_import.errors import ApiError
from catalog_import.retries import RetryPolicy
from tests.unit.catalog_import.fake_api import Answer, FakeApi

BODY = b'{"id":"p1","categoryId":"c","name":"n","price":1}\n' * 1000
ACCEPTED = Answer(status=202, body={"importId": "imp-1", "records": 1000})
QUICK = RetryPolicy(attempts=5, first_delay=0.01)


def keys_and_bodies(fake: FakeApi) -> list[tuple[str, bytes]]:
    return [
        (sent.headers["idempotency-key"], sent.body) for sent in fake.sent_to("POST", "/imports")
    ]


def test_a_503_is_retried_with_the_same_idempotency_key_and_the_same_body(
    fake_api: FakeApi,
) -> None:
    fake_api.on("POST", "/imports", Answer(status=503, headers={"Retry-After": "0"}), ACCEPTED)
    started = CatalogApi(fake_api.url).start_import(BODY)
    assert started.import_id == "imp-1"
    (key, body), again = keys_and_bodies(fake_api)
    assert again == (key, body) and body == BODY
    assert uuid.UUID(key).version == 4


@pytest.mark.parametrize("status", [429, 502, 504])
def test_a_429_or_a_gateway_error_is_retried_like_a_503(fake_api: FakeApi, status: int) -> None:
    fake_api.on("POST", "/imports", Answer(status=status, headers={"Retry-After": "0"}), ACCEPTED)
    CatalogApi(fake_api.url).start_import(BODY)
    first, again = keys_and_bodies(fake_api)
    assert first == again


def test_a_timed_out_request_is_sent_again_with_the_same_key_and_body(fake_api: FakeApi) -> None:
    fake_api.on("POST", "/imports", Answer(status=202, delay=2.0), ACCEPTED)
    api = CatalogApi(fake_api.url, retry=QUICK, timeouts=(5.0, 0.5))
    assert api.start_import(BODY).import_id == "imp-1"
    sent = keys_and_bodies(fake_api)
    assert len(sent) >= 2 and set(sent) == {(sent[0][0], BODY)}


def test_a_lost_connection_is_sent_again_with_the_same_key_and_body(fake_api: FakeApi) -> None:
    fake_api.on("POST", "/imports", Answer(drop=True), ACCEPTED)
    assert CatalogApi(fake_api.url, retry=QUICK).start_import(BODY).import_id == "imp-1"
    first, again = keys_and_bodies(fake_api)
    assert first == again


def test_every_body_is_sent_under_an_idempotency_key_of_its_own(fake_api: FakeApi) -> None:
    fake_api.on("POST", "/imports", ACCEPTED)
    api = CatalogApi(fake_api.url)
    api.start_import(BODY)
    api.start_import(BODY)
    (first, _), (second, _) = keys_and_bodies(fake_api)
    assert first != second


def test_the_wait_before_a_retry_is_the_retry_after_the_api_asked_for(fake_api: FakeApi) -> None:
    fake_api.on("POST", "/imports", Answer(status=429, headers={"Retry-After": "7"}), ACCEPTED)
    waits: list[float] = []
    CatalogApi(fake_api.url, sleep=waits.append).start_import(BODY)
    assert waits == [7.0]


def test_after_the_last_attempt_the_error_names_the_last_refusal(fake_api: FakeApi) -> None:
    busy = {"status": 503, "title": "Service Unavailable", "detail": "No answer within 10 s"}
    fake_api.on("POST", "/imports", Answer(status=503, body=busy, headers={"Retry-After": "0"}))
    with pytest.raises(ApiError) as raised:
        CatalogApi(fake_api.url, retry=QUICK).start_import(BODY)
    assert str(raised.value) == (
        "POST /imports answered 503 Service Unavailable: No answer within 10 s "
        "(gave up after 5 attempts)"
    )
    assert len({key for key, _ in keys_and_bodies(fake_api)}) == 1
    assert len(fake_api.sent) == 5


def test_a_refusal_that_another_attempt_would_not_change_is_not_retried(
    fake_api: FakeApi,
) -> None:
    invalid = {"status": 400, "detail": "line 1: not JSON"}
    fake_api.on("POST", "/imports", Answer(status=400, body=invalid))
    with pytest.raises(
        ApiError, match=r"^POST /imports answered 400 Bad Request: line 1: not JSON$"
    ):
        CatalogApi(fake_api.url, retry=QUICK).start_import(BODY)
    assert len(fake_api.sent) == 1


def test_reads_of_progress_are_retried_too(fake_api: FakeApi) -> None:
    progress = {"importId": "imp-1", "state": "running", "written": 1}
    fake_api.on(
        "GET", "/imports/imp-1", Answer(status=503), Answer(drop=True), Answer(body=progress)
    )
    assert CatalogApi(fake_api.url, retry=QUICK).progress("imp-1") == progress


def test_an_unreachable_api_is_named_once_the_attempts_are_spent() -> None:
    api = CatalogApi("http://127.0.0.1:9/api", retry=RetryPolicy(attempts=2, first_delay=0.01))
    with pytest.raises(ApiError) as raised:
        api.progress("imp-1")
    assert str(raised.value) == (
        "cannot reach the API at http://127.0.0.1:9/api (gave up after 2 attempts)"
    )


@pytest.mark.parametrize(("line", "named"), [(3, 3), (0, None), (True, None), ("3", None)])
def test_a_refusal_naming_a_line_of_the_body_carries_it(
    fake_api: FakeApi, line: object, named: int | None
) -> None:
    problem = {"status": 400, "detail": "Line 3: price: refused.", "line": line}
    fake_api.on("POST", "/imports", Answer(status=400, body=problem))
    with pytest.raises(ApiError) as raised:
        CatalogApi(fake_api.url).start_import(BODY)
    assert raised.value.line == named
