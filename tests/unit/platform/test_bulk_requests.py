"""What bulk writes send: their priority always, their throughput bucket when one is set."""

from __future__ import annotations

from shared.platform.bulk_requests import bulk_request_options
from shared.platform.settings import Settings

ENDPOINT = "https://127.0.0.1:8081/"


def test_bulk_writes_go_with_low_priority_and_no_bucket_by_default() -> None:
    assert bulk_request_options(Settings(cosmos_endpoint=ENDPOINT)) == {"priority": "Low"}


def test_bulk_writes_go_with_the_priority_and_bucket_the_settings_give() -> None:
    settings = Settings(cosmos_endpoint=ENDPOINT, BULK_PRIORITY="high", BULK_THROUGHPUT_BUCKET="3")
    assert bulk_request_options(settings) == {"priority": "High", "throughput_bucket": 3}
