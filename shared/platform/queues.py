"""Storage queue clients, one per queue name, created lazily in the running event loop and
shared by every invocation (kept as every platform client is: `loop_scoped`). Messages are
base64 text, as the Functions queue trigger expects.

The connection is the host's own (AzureWebJobsStorage): a connection string, or identity-based
with no key anywhere (managed identity in Azure), read as the host reads it.
"""

from __future__ import annotations

import contextlib
from typing import Any

from azure.core.credentials_async import AsyncTokenCredential
from azure.core.exceptions import ResourceExistsError
from azure.storage.queue import BinaryBase64DecodePolicy, TextBase64EncodePolicy
from azure.storage.queue.aio import QueueClient

from shared.platform.http_transport import sdk_transport
from shared.platform.loop_scoped import LoopScoped
from shared.platform.settings import Settings, get_settings

_clients: LoopScoped[str, QueueClient] = LoopScoped()


def _identity(settings: Settings) -> AsyncTokenCredential:
    from azure.identity.aio import DefaultAzureCredential, ManagedIdentityCredential

    if (settings.storage_credential or "").lower() == "managedidentity":
        return ManagedIdentityCredential(client_id=settings.storage_client_id)
    return DefaultAzureCredential(managed_identity_client_id=settings.storage_client_id)


def build_queue_client(settings: Settings, name: str) -> QueueClient:
    """A client of queue `name` on the configured storage connection (nothing is sent yet)."""
    options: dict[str, Any] = {
        "message_encode_policy": TextBase64EncodePolicy(),
        "message_decode_policy": BinaryBase64DecodePolicy(),
        # The SDK's default retry waits 15 s (+-3) and more between tries, longer than an HTTP
        # request may take; its exponential retry from these is 0.5 s, then 1.5 s twice.
        "initial_backoff": 0.5,
        "increment_base": 1,
        "retry_total": 3,
        "random_jitter_range": 0.25,
        "transport": sdk_transport(),
    }
    connection_string = settings.storage_connection_string
    if connection_string is not None:
        return QueueClient.from_connection_string(connection_string, name, **options)
    assert settings.queue_service_uri is not None  # one of the two is always set
    return QueueClient(settings.queue_service_uri, name, credential=_identity(settings), **options)


async def _connect(name: str) -> QueueClient:
    client = build_queue_client(get_settings(), name)
    try:
        with contextlib.suppress(ResourceExistsError):
            await client.create_queue()
    except BaseException:
        await client.close()  # the next send tries again with a new client
        raise
    return client


async def queue_client(name: str) -> QueueClient:
    """The client of queue `name`; the queue is created on first use if it does not exist."""
    return await _clients.get(name, lambda: _connect(name))


async def send(name: str, text: str) -> None:
    await (await queue_client(name)).send_message(text)


async def close() -> None:
    """Close the queue clients of the running loop; the next send creates new ones."""
    for client in _clients.discard():
        await client.close()
