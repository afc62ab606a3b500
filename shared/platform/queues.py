"""Storage queue clients, one per queue name, created lazily in the running event loop and
shared by every invocation. Messages are base64 text, as the Functions queue trigger expects."""

from __future__ import annotations

import asyncio
import contextlib

from azure.core.exceptions import ResourceExistsError
from azure.storage.queue import BinaryBase64DecodePolicy, TextBase64EncodePolicy
from azure.storage.queue.aio import QueueClient

from shared.platform.settings import get_settings

_clients: dict[tuple[asyncio.AbstractEventLoop, str], QueueClient] = {}


async def queue_client(name: str) -> QueueClient:
    """The client of queue `name`; the queue is created on first use if it does not exist."""
    key = (asyncio.get_running_loop(), name)
    client = _clients.get(key)
    if client is None:
        connection = get_settings().storage_connection.get_secret_value()
        client = QueueClient.from_connection_string(
            connection,
            name,
            message_encode_policy=TextBase64EncodePolicy(),
            message_decode_policy=BinaryBase64DecodePolicy(),
        )
        with contextlib.suppress(ResourceExistsError):
            await client.create_queue()
        _clients[key] = client
    return client


async def send(name: str, text: str) -> None:
    await (await queue_client(name)).send_message(text)
