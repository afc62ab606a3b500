"""Storage queue clients, one per queue name, created lazily in the running event loop and
shared by every invocation. Messages are base64 text, as the Functions queue trigger expects.

The connection is the host's own (AzureWebJobsStorage): a connection string, or identity-based
with no key anywhere (managed identity in Azure), read as the host reads it.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from azure.core.credentials_async import AsyncTokenCredential
from azure.core.exceptions import ResourceExistsError
from azure.storage.queue import BinaryBase64DecodePolicy, TextBase64EncodePolicy
from azure.storage.queue.aio import QueueClient

from shared.platform.settings import Settings, get_settings

_clients: dict[tuple[asyncio.AbstractEventLoop, str], QueueClient] = {}


def _identity(settings: Settings) -> AsyncTokenCredential:
    from azure.identity.aio import DefaultAzureCredential, ManagedIdentityCredential

    if (settings.storage_credential or "").lower() == "managedidentity":
        return ManagedIdentityCredential(client_id=settings.storage_client_id)
    return DefaultAzureCredential(managed_identity_client_id=settings.storage_client_id)


def build_queue_client(settings: Settings, name: str) -> QueueClient:
    """A client of queue `name` on the configured storage connection (nothing is sent yet)."""
    codec: dict[str, Any] = {
        "message_encode_policy": TextBase64EncodePolicy(),
        "message_decode_policy": BinaryBase64DecodePolicy(),
    }
    connection_string = settings.storage_connection_string
    if connection_string is not None:
        return QueueClient.from_connection_string(connection_string, name, **codec)
    assert settings.queue_service_uri is not None  # one of the two is always set
    return QueueClient(settings.queue_service_uri, name, credential=_identity(settings), **codec)


async def queue_client(name: str) -> QueueClient:
    """The client of queue `name`; the queue is created on first use if it does not exist."""
    key = (asyncio.get_running_loop(), name)
    client = _clients.get(key)
    if client is None:
        client = build_queue_client(get_settings(), name)
        with contextlib.suppress(ResourceExistsError):
            await client.create_queue()
        _clients[key] = client
    return client


async def send(name: str, text: str) -> None:
    await (await queue_client(name)).send_message(text)
