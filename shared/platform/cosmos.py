"""The one Cosmos DB client of the process, created lazily inside the running event loop.

Every invocation reuses the same client (and its connection pool). Nothing connects at import
time: the client is built on first use, so a cold start pays only for what it needs.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from dataclasses import dataclass

from azure.core.credentials_async import AsyncTokenCredential
from azure.cosmos import PartitionKey
from azure.cosmos._retry_options import RetryOptions  # documents re-exports it implicitly
from azure.cosmos.aio import ContainerProxy, CosmosClient, DatabaseProxy
from azure.cosmos.documents import ConnectionPolicy

from shared.platform.charges import record_response
from shared.platform.settings import Settings, get_settings

logger = logging.getLogger(__name__)

PRODUCTS_PARTITION_KEY = "/categoryId"
IMPORTS_PARTITION_KEY = "/importId"


@dataclass
class _Clients:
    loop: asyncio.AbstractEventLoop
    client: CosmosClient
    database: DatabaseProxy
    products: ContainerProxy
    imports: ContainerProxy
    bulk_client: CosmosClient | None = None


_clients: _Clients | None = None
_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)


def _credential(settings: Settings) -> str | AsyncTokenCredential:
    if settings.cosmos_key is not None:
        return settings.cosmos_key.get_secret_value()
    from azure.identity.aio import DefaultAzureCredential  # only needed in Azure

    return DefaultAzureCredential()


def connection_policy(*, retry_throttling: bool = True) -> ConnectionPolicy:
    """The SDK's connection policy; without throttle retries, every 429 reaches the caller.
    (retry_throttle_total=0 reads as unset in the SDK, so the policy is given whole.)"""
    policy = ConnectionPolicy()
    if not retry_throttling:
        policy.RetryOptions = RetryOptions(max_retry_attempt_count=0)
    return policy


def _build_client(settings: Settings, *, retry_throttling: bool = True) -> CosmosClient:
    policy = connection_policy(retry_throttling=retry_throttling)
    return CosmosClient(
        settings.cosmos_endpoint,
        credential=_credential(settings),
        connection_verify=settings.cosmos_verify_tls,
        consistency_level="Session",
        connection_policy=policy,
        raw_response_hook=record_response,
    )


async def _ensure_resources(settings: Settings, client: CosmosClient) -> DatabaseProxy:
    database = await client.create_database_if_not_exists(settings.cosmos_database)
    await database.create_container_if_not_exists(
        id=settings.cosmos_container,
        partition_key=PartitionKey(path=PRODUCTS_PARTITION_KEY),
        default_ttl=-1,  # per-item ttl works; items without one never expire
    )
    await database.create_container_if_not_exists(
        id=settings.cosmos_imports_container,
        partition_key=PartitionKey(path=IMPORTS_PARTITION_KEY),
    )
    logger.info("Ensured database %s and its containers", settings.cosmos_database)
    return database


async def _connect(settings: Settings) -> _Clients:
    client = _build_client(settings)
    if settings.cosmos_create_if_missing:
        try:
            database = await _ensure_resources(settings, client)
        except BaseException:
            await client.close()  # the next invocation tries again with a new client
            raise
    else:
        database = client.get_database_client(settings.cosmos_database)
    return _Clients(
        loop=asyncio.get_running_loop(),
        client=client,
        database=database,
        products=database.get_container_client(settings.cosmos_container),
        imports=database.get_container_client(settings.cosmos_imports_container),
    )


async def _current() -> _Clients:
    global _clients
    loop = asyncio.get_running_loop()
    if _clients is not None and _clients.loop is loop:
        return _clients
    async with _locks.setdefault(loop, asyncio.Lock()):
        if _clients is None or _clients.loop is not loop:
            _clients = await _connect(get_settings())
    return _clients


async def products_container() -> ContainerProxy:
    """The products container (partition key /categoryId)."""
    return (await _current()).products


async def imports_container() -> ContainerProxy:
    """The imports progress container (partition key /importId)."""
    return (await _current()).imports


async def bulk_products_container() -> ContainerProxy:
    """The products container through a client that does not retry throttled requests: the
    bulk executor answers 429s itself, so that they reach its congestion control."""
    clients = await _current()
    if clients.bulk_client is None:
        clients.bulk_client = _build_client(get_settings(), retry_throttling=False)
    settings = get_settings()
    database = clients.bulk_client.get_database_client(settings.cosmos_database)
    return database.get_container_client(settings.cosmos_container)


async def database() -> DatabaseProxy:
    return (await _current()).database


DISCARDED_CLIENT_GRACE_SECONDS = 30


def discard_clients() -> None:
    """Build the clients again on next use: after the database or a container went missing, so
    that COSMOS_CREATE_IF_MISSING creates them again. In-flight calls keep the old client, which
    is closed after a grace period."""
    global _clients
    if _clients is None:
        return
    stale, _clients = _clients, None
    for client in (stale.client, stale.bulk_client):
        if client is not None:
            stale.loop.call_later(DISCARDED_CLIENT_GRACE_SECONDS, _close_later, client)


def _close_later(client: CosmosClient) -> None:
    asyncio.get_running_loop().create_task(client.close())


async def close() -> None:
    """Close the shared client; the next use creates a new one."""
    global _clients
    if _clients is not None:
        clients, _clients = _clients, None
        await clients.client.close()
        if clients.bulk_client is not None:
            await clients.bulk_client.close()
