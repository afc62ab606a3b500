from __future__ import annotations

import pytest

from shared.platform.settings import Settings, SettingsError, get_settings


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def test_missing_required_setting_is_named(environment: pytest.MonkeyPatch) -> None:
    environment.delenv("COSMOS_ENDPOINT", raising=False)
    with pytest.raises(SettingsError, match="COSMOS_ENDPOINT"):
        get_settings()


def test_tls_verification_may_be_off_only_for_a_local_endpoint(
    environment: pytest.MonkeyPatch,
) -> None:
    environment.setenv("COSMOS_ENDPOINT", "https://account.documents.azure.com:443/")
    environment.setenv("COSMOS_VERIFY_TLS", "false")
    with pytest.raises(SettingsError, match="COSMOS_VERIFY_TLS"):
        get_settings()
    environment.setenv("COSMOS_ENDPOINT", "https://127.0.0.1:8081/")
    assert get_settings().cosmos_verify_tls is False


def test_secrets_do_not_show_in_the_settings_repr(environment: pytest.MonkeyPatch) -> None:
    environment.setenv("COSMOS_ENDPOINT", "https://127.0.0.1:8081/")
    environment.setenv("COSMOS_KEY", "very-secret-key")
    environment.setenv("AzureWebJobsStorage", "AccountKey=very-secret-storage")
    settings = get_settings()
    assert "very-secret" not in repr(settings)
    assert (
        settings.cosmos_key is not None
        and settings.cosmos_key.get_secret_value() == "very-secret-key"
    )


def test_defaults_name_the_database_containers_and_queues() -> None:
    settings = Settings(cosmos_endpoint="https://127.0.0.1:8081/")
    assert (settings.cosmos_database, settings.cosmos_container) == ("cosmicworks", "products")
    assert (settings.ingest_queue, settings.rejects_queue) == (
        "product-ingest",
        "product-ingest-rejects",
    )


def test_bulk_writes_are_low_priority_in_no_bucket_by_default() -> None:
    settings = Settings(cosmos_endpoint="https://127.0.0.1:8081/")
    assert (settings.bulk_priority, settings.bulk_throughput_bucket) == ("low", None)


def test_bulk_priority_is_read_in_any_case_and_anything_but_low_or_high_is_named(
    environment: pytest.MonkeyPatch,
) -> None:
    environment.setenv("COSMOS_ENDPOINT", "https://127.0.0.1:8081/")
    environment.setenv("BULK_PRIORITY", "High")
    assert get_settings().bulk_priority == "high"
    get_settings.cache_clear()
    environment.setenv("BULK_PRIORITY", "medium")
    with pytest.raises(SettingsError, match="BULK_PRIORITY"):
        get_settings()


@pytest.mark.parametrize(("value", "bucket"), [("", None), ("1", 1), ("5", 5)])
def test_a_bulk_throughput_bucket_is_1_to_5_and_empty_is_none(
    environment: pytest.MonkeyPatch, value: str, bucket: int | None
) -> None:
    environment.setenv("COSMOS_ENDPOINT", "https://127.0.0.1:8081/")
    environment.setenv("BULK_THROUGHPUT_BUCKET", value)
    assert get_settings().bulk_throughput_bucket == bucket


@pytest.mark.parametrize("value", ["0", "6", "two"])
def test_a_bulk_throughput_bucket_outside_1_to_5_is_named(
    environment: pytest.MonkeyPatch, value: str
) -> None:
    environment.setenv("COSMOS_ENDPOINT", "https://127.0.0.1:8081/")
    environment.setenv("BULK_THROUGHPUT_BUCKET", value)
    with pytest.raises(SettingsError, match="BULK_THROUGHPUT_BUCKET"):
        get_settings()
