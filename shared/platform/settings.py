"""Settings, read once from the environment (app settings in Azure, `Values` locally)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Literal
from urllib.parse import urlparse

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
LOCAL_STORAGE = "UseDevelopmentStorage=true"


class SettingsError(RuntimeError):
    """A required setting is missing or a value is invalid; the message names the setting."""


class Settings(BaseSettings):
    """Every setting the app reads. Required ones have no default."""

    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", frozen=True)

    cosmos_endpoint: str
    cosmos_key: SecretStr | None = None
    cosmos_database: str = "cosmicworks"
    cosmos_container: str = "products"
    cosmos_imports_container: str = "imports"
    cosmos_create_if_missing: bool = False
    cosmos_verify_tls: bool = True

    # Storage, read the way the Functions host reads its AzureWebJobsStorage connection: a
    # connection string, or identity-based (a service URI or account name, and optionally
    # `credential=managedidentity` and the `clientId` of a user-assigned identity).
    storage_connection: SecretStr | None = Field(default=None, alias="AzureWebJobsStorage")
    storage_queue_service_uri: str | None = Field(
        default=None, alias="AzureWebJobsStorage__queueServiceUri"
    )
    storage_account_name: str | None = Field(default=None, alias="AzureWebJobsStorage__accountName")
    storage_credential: str | None = Field(default=None, alias="AzureWebJobsStorage__credential")
    storage_client_id: str | None = Field(default=None, alias="AzureWebJobsStorage__clientId")
    ingest_queue: str = "product-ingest"
    rejects_queue: str = "product-ingest-rejects"

    # Every HTTP route answers within this time (503 + Retry-After when Cosmos DB hangs).
    http_timeout_seconds: float = Field(default=10.0, gt=0, le=230)

    # The bulk executor: batches in flight per physical partition (a window that starts at the
    # initial size and adapts to throttling), and how long a partial batch waits to fill.
    bulk_max_concurrency: int = Field(default=16, ge=1, le=64)
    bulk_initial_concurrency: int = Field(default=4, ge=1, le=64)
    bulk_linger_ms: float = Field(default=5.0, ge=0, le=10_000)
    writer_retry_budget_seconds: float = Field(default=30.0, gt=0)
    # Bulk writes (the executor's batches, stored rejects, the progress the queue function
    # counts) yield to HTTP routes, which go with Cosmos DB's default, high: they are sent with
    # this priority, and in this throughput bucket of the container when set (1-5; a bucket the
    # container does not configure limits nothing).
    bulk_priority: Literal["low", "high"] = "low"
    bulk_throughput_bucket: int | None = Field(default=None, ge=1, le=5)

    # Telemetry export (see shared.platform.telemetry): Azure Monitor, or an OTLP/HTTP endpoint.
    applicationinsights_connection_string: SecretStr | None = None
    otel_exporter_otlp_endpoint: str | None = None

    @property
    def queue_service_uri(self) -> str | None:
        """The queue endpoint of an identity-based storage connection, or None."""
        if self.storage_queue_service_uri:
            return self.storage_queue_service_uri
        if self.storage_account_name:
            return f"https://{self.storage_account_name}.queue.core.windows.net"
        return None

    @property
    def storage_connection_string(self) -> str | None:
        """The connection string, if storage is not identity-based (Azurite by default)."""
        if self.storage_connection is not None:
            return self.storage_connection.get_secret_value()
        return None if self.queue_service_uri else LOCAL_STORAGE

    @property
    def is_local_emulator(self) -> bool:
        return (urlparse(self.cosmos_endpoint).hostname or "") in LOCAL_HOSTS

    @field_validator("bulk_priority", mode="before")
    @classmethod
    def _priority_in_any_case(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("bulk_throughput_bucket", mode="before")
    @classmethod
    def _empty_bucket_is_none(cls, value: Any) -> Any:
        """An empty value is no bucket (the templates set the setting empty for none)."""
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _tls_verification_off_only_for_local_emulator(self) -> Settings:
        if not self.cosmos_verify_tls and not self.is_local_emulator:
            raise ValueError(
                "COSMOS_VERIFY_TLS=false is allowed only for a local emulator endpoint"
            )
        return self


def _describe(error: ValidationError) -> str:
    problems = []
    for item in error.errors(include_input=False):
        name = str(item["loc"][0]).upper() if item["loc"] else "settings"
        problems.append(f"{name}: {item['msg']}")
    return "; ".join(problems)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings, loaded once; a missing or invalid one raises SettingsError naming it."""
    try:
        return Settings()  # type: ignore[call-arg]  # required values come from the environment
    except ValidationError as error:
        raise SettingsError(f"Invalid or missing settings: {_describe(error)}") from None
