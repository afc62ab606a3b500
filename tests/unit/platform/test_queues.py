"""How the queue clients are built from the host's storage settings; nothing is sent."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from azure.identity.aio import DefaultAzureCredential, ManagedIdentityCredential

from shared.platform import queues
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


class FakeQueueClient:
    """Stands in for the SDK's QueueClient: counts creations and closes."""

    built = 0

    def __init__(self) -> None:
        FakeQueueClient.built += 1
        self.closed = False
        self.sent: list[str] = []

    async def create_queue(self) -> None:
        await asyncio.sleep(0.01)

    async def send_message(self, text: str) -> None:
        self.sent.append(text)

    async def close(self) -> None:
        self.closed = True


def test_two_first_sends_at_once_share_one_client_which_close_closes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    FakeQueueClient.built = 0
    monkeypatch.setattr(queues, "build_queue_client", lambda _settings, _name: FakeQueueClient())
    monkeypatch.setattr(queues, "get_settings", lambda: settings())

    async def main() -> FakeQueueClient:
        await asyncio.gather(queues.send("orders", "a"), queues.send("orders", "b"))
        client = await queues.queue_client("orders")
        await queues.close()
        return client  # type: ignore[return-value]

    client = asyncio.run(main())
    assert FakeQueueClient.built == 1
    assert sorted(client.sent) == ["a", "b"]
    assert client.closed
