"""How the queue clients are built from the host's storage settings; nothing is sent."""

from __future__ import annotations

import asyncio
from typing import Any

from azure.identity.aio import DefaultAzureCredential, ManagedIdentityCredential

from shared.platform.queues import build_queue_client
from shared.platform.settings import Settings

ENDPOINT = {"cosmos_endpoint": "https://127.0.0.1:8081/"}


def settings(**storage: Any) -> Settings:
    return Settings.model_validate({**ENDPOINT, **storage})


def close(client: Any) -> None:
    asyncio.run(client.close())


def test_a_connection_string_is_used_as_given() -> None:
    connection = (
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;"
        "QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;"
    )
    client = build_queue_client(settings(AzureWebJobsStorage=connection), "orders")
    assert client.url == "http://127.0.0.1:10001/devstoreaccount1/orders"
    close(client)


def test_without_any_storage_setting_azurite_is_the_default() -> None:
    client = build_queue_client(settings(), "orders")
    assert client.url.startswith("http://127.0.0.1:10001/devstoreaccount1/orders")
    close(client)


def test_a_queue_service_uri_with_managed_identity_needs_no_key() -> None:
    configured = settings(
        AzureWebJobsStorage__queueServiceUri="https://acct.queue.core.windows.net",
        AzureWebJobsStorage__credential="managedidentity",
        AzureWebJobsStorage__clientId="11111111-2222-3333-4444-555555555555",
    )
    client = build_queue_client(configured, "orders")
    assert client.url == "https://acct.queue.core.windows.net/orders"
    assert isinstance(client.credential, ManagedIdentityCredential)
    close(client)


def test_an_account_name_alone_uses_the_default_credential_chain() -> None:
    client = build_queue_client(settings(AzureWebJobsStorage__accountName="acct"), "orders")
    assert client.url == "https://acct.queue.core.windows.net/orders"
    assert isinstance(client.credential, DefaultAzureCredential)
    close(client)


def test_a_connection_string_wins_over_identity_settings() -> None:
    configured = settings(
        AzureWebJobsStorage="UseDevelopmentStorage=true",
        AzureWebJobsStorage__accountName="acct",
    )
    client = build_queue_client(configured, "orders")
    assert "127.0.0.1" in client.url
    close(client)
