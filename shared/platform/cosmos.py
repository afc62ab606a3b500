"""The one Cosmos DB client of the process, created lazily inside the running event loop.

Every invocation reuses the same client (and its connection pool). Nothing connects at import
time: the client is built on first use, so a cold start pays only for what it needs. The clients
are kept as every platform client is (`loop_scoped`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

from azure.core.credentials_async import AsyncTokenCredential
from azure.core.pipeline import PipelineResponse
from azure.cosmos import PartitionKey
from azure.cosmos._retry_options import RetryOptions  # documents re-exports it implicitly
from azure.cosmos.aio import ContainerProxy, CosmosClient, DatabaseProxy
from azure.cosmos.documents import ConnectionPolicy

from shared.platform import metrics, telemetry
from shared.platform.charges import add_charge, note_throttling
from shared.platform.errors import THROTTLED_STATUS, request_charge_of, retry_after_of
from shared.platform.http_transport import sdk_transport
from shared.platform.loop_scoped import LoopScoped
from shared.platform.settings import Settings, get_settings

logger = logging.getLogger(__name__)

PRODUCTS_PARTITION_KEY = "/categoryId"
PRODUCTS_DEFAULT_TTL = -1  # per-item ttl works; items without one never expire
IMPORTS_PARTITION_KEY = "/importId"


class Closable(Protocol):
    async def close(self) -> None: ...


@dataclass
class _Clients:
    client: CosmosClient
    database: DatabaseProxy
    products: ContainerProxy
    imports: ContainerProxy
    bulk_client: CosmosClient | None = None
    # What upper layers built on these clients (the bulk executor): discarded and closed with
    # them, so that nothing keeps using a client that was replaced.
    attachments: dict[str, Closable] = field(default_factory=dict)
    attaching: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def close(self) -> None:
        for attachment in self.attachments.values():
            await attachment.close()
        await self.client.close()
        if self.bulk_client is not None:
            await self.bulk_client.close()


_clients: LoopScoped[str, _Clients] = LoopScoped()


def _credential(settings: Settings) -> str | AsyncTokenCredential:
    if settings.cosmos_key is not None:
        return settings.cosmos_key.get_secret_value()
    from azure.identity.aio import DefaultAzureCredential  # only needed in Azure

    return DefaultAzureCredential()


# Of HTTP_TIMEOUT_SECONDS, how long the SDK may wait out 429s before a request gives up. Its
# default (30 s) outlasts the HTTP edge's budget, which would turn throttling into a 503 with no
# retry-after from Cosmos DB; giving up sooner answers 429 with Cosmos DB's own retry-after.
THROTTLE_WAIT_SHARE = 0.1


def connection_policy(
    *, retry_throttling: bool = True, throttle_wait_seconds: int = 30
) -> ConnectionPolicy:
    """The SDK's connection policy: 429s retried for at most `throttle_wait_seconds` of
    retry-after (the SDK may wait one retry-after beyond it); without throttle retries, every
    429 reaches the caller. (retry_throttle_total=0 reads as unset in the SDK, so the policy
    is given whole.)"""
    policy = ConnectionPolicy()
    if retry_throttling:
        policy.RetryOptions = RetryOptions(max_wait_time_in_seconds=throttle_wait_seconds)
    else:
        policy.RetryOptions = RetryOptions(max_retry_attempt_count=0)
    return policy


def _on_response(response: PipelineResponse[Any, Any]) -> None:
    """Every HTTP response the client receives: its request charge is counted in the current
    invocation, on the current span, and in the request charge histogram."""
    headers = response.http_response.headers
    charge = request_charge_of(headers)
    add_charge(charge)
    status = response.http_response.status_code
    note_throttling(retry_after_of(headers) if status == THROTTLED_STATUS else None)
    telemetry.add_charge_to_current_span(charge)
    request = response.http_request
    metrics.record_cosmos_response(
        charge=charge,
        status=response.http_response.status_code,
        method=request.method,
        url=request.url,
        headers=request.headers,
    )


def _build_client(settings: Settings, *, retry_throttling: bool = True) -> CosmosClient:
    policy = connection_policy(
        retry_throttling=retry_throttling,
        throttle_wait_seconds=max(1, round(settings.http_timeout_seconds * THROTTLE_WAIT_SHARE)),
    )
    return CosmosClient(
        settings.cosmos_endpoint,
        credential=_credential(settings),
        connection_verify=settings.cosmos_verify_tls,
        consistency_level="Session",
        connection_policy=policy,
        raw_response_hook=_on_response,
        transport=sdk_transport(),
        # Items go out as UTF-8, as Cosmos DB counts them against its 2 MB, not as \uXXXX
        # escapes (three times the size of accented Latin text, twice that of CJK).
        enable_compact_utf8_item_writes=True,
    )


async def _ensure_resources(settings: Settings, client: CosmosClient) -> DatabaseProxy:
    database = await client.create_database_if_not_exists(settings.cosmos_database)
    await database.create_container_if_not_exists(
        id=settings.cosmos_container,
        partition_key=PartitionKey(path=PRODUCTS_PARTITION_KEY),
        default_ttl=PRODUCTS_DEFAULT_TTL,
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
        client=client,
        database=database,
        products=database.get_container_client(settings.cosmos_container),
        imports=database.get_container_client(settings.cosmos_imports_container),
    )


async def _current() -> _Clients:
    return await _clients.get("cosmos", lambda: _connect(get_settings()))


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


async def attached[T: Closable](name: str, build: Callable[[], Awaitable[T]]) -> T:
    """The value `name` built on the current clients, built once by `build` (under a lock) and
    reused until the clients are discarded or closed, which close it too."""
    clients = await _current()
    found = clients.attachments.get(name)
    if found is None:
        async with clients.attaching:
            found = clients.attachments.get(name)
            if found is None:
                found = clients.attachments[name] = await build()
    return cast(T, found)


async def database() -> DatabaseProxy:
    return (await _current()).database


DISCARDED_CLIENT_GRACE_SECONDS = 30


def discard_clients() -> None:
    """Build the clients again on next use: after the database or a container went missing, so
    that COSMOS_CREATE_IF_MISSING creates them again. In-flight calls keep the old client, which
    is closed after a grace period."""
    loop = asyncio.get_running_loop()
    for stale in _clients.discard():
        loop.call_later(DISCARDED_CLIENT_GRACE_SECONDS, _close_later, stale)


def _close_later(stale: _Clients) -> None:
    asyncio.get_running_loop().create_task(stale.close())


async def close() -> None:
    """Close the clients of the running loop; the next use creates new ones."""
    for clients in _clients.discard():
        await clients.close()
