"""How long the command waits before another attempt."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from catalog_import.retries import RetryPolicy, retry_after_seconds


def test_the_api_s_retry_after_is_waited_as_it_says() -> None:
    assert RetryPolicy().delay(failed_attempts=1, retry_after=7.0) == 7.0


def test_a_retry_after_longer_than_the_cap_is_cut_to_the_cap() -> None:
    assert RetryPolicy(max_delay=30.0).delay(failed_attempts=1, retry_after=3600.0) == 30.0


def test_without_retry_after_the_wait_doubles_with_jitter_up_to_the_cap() -> None:
    policy = RetryPolicy(first_delay=1.0, max_delay=5.0)
    for failed, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 5.0), (9, 5.0)]:
        wait = policy.delay(failed_attempts=failed, retry_after=None)
        assert ceiling / 2 <= wait <= ceiling


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("0", 0.0), ("2.5", 2.5), ("-3", 0.0), (None, None), ("", None), ("soon", None)],
)
def test_retry_after_is_read_as_seconds(header: str | None, seconds: float | None) -> None:
    assert retry_after_seconds(header) == seconds


def test_retry_after_may_be_an_http_date() -> None:
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert retry_after_seconds("Fri, 02 Jan 2026 03:04:15 GMT", now=now) == 10.0
