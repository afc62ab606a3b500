"""The host's settings the app reads: host.json, overridden by AzureFunctionsJobHost__ settings."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from shared.platform import host_config
from shared.platform.host_config import (
    DEFAULT_FUNCTION_TIMEOUT_SECONDS,
    FUNCTION_TIMEOUT_OVERRIDE,
    function_timeout_seconds,
    timespan_seconds,
)


@pytest.fixture(autouse=True)
def fresh_reads() -> Iterator[None]:
    function_timeout_seconds.cache_clear()
    yield
    function_timeout_seconds.cache_clear()


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("00:05:00", 300.0),
        ("00:00:01.5", 1.5),
        ("1.02:00:00", 93_600.0),
        (" 00:10:00 ", 600.0),
    ],
)
def test_a_timespan_as_host_json_writes_it_is_read_in_seconds(text: str, seconds: float) -> None:
    assert timespan_seconds(text) == seconds


@pytest.mark.parametrize("text", ["-1", "", "5", "00:10", "00:00:00", "00:61:00", "ten minutes"])
def test_anything_else_is_no_timeout(text: str) -> None:
    assert timespan_seconds(text) is None


def test_without_a_function_timeout_in_host_json_the_flex_default_holds() -> None:
    assert "functionTimeout" not in host_config._host_json(host_config.HOST_JSON)
    assert function_timeout_seconds() == DEFAULT_FUNCTION_TIMEOUT_SECONDS == 1800


def test_an_app_setting_overrides_host_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(FUNCTION_TIMEOUT_OVERRIDE, "00:04:00")
    assert function_timeout_seconds() == 240
