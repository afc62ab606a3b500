"""SDK clients trust the environment (and pay aiohttp's per-request lookups) only for a proxy."""

from __future__ import annotations

import pytest

from shared.platform.http_transport import proxy_configured, sdk_transport


@pytest.fixture(autouse=True)
def no_proxy_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
    ):
        monkeypatch.delenv(name, raising=False)


def test_without_a_proxy_the_environment_is_not_consulted() -> None:
    assert not proxy_configured()
    assert sdk_transport()._use_env_settings is False


@pytest.mark.parametrize("name", ["HTTPS_PROXY", "http_proxy", "ALL_PROXY"])
def test_a_proxy_in_the_environment_is_honoured(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.setenv(name, "http://proxy.example:3128")
    assert proxy_configured()
    assert sdk_transport()._use_env_settings is True


def test_an_empty_proxy_variable_names_no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "")
    assert not proxy_configured()
