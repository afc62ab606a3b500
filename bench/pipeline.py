"""Benchmarks through the running app: an import end to end, and many one-product messages."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import sys
import time
from typing import Any

import requests
from azure.cosmos import CosmosClient, PartitionKey
from azure.cosmos.exceptions import CosmosResourceNotFoundError
from azure.storage.queue.aio import QueueClient

from bench.approaches import Target
from bench.measure import (
    ChargeTimeline,
    Measurement,
    emulator_stats,
    measured,
    stored,
    write_requests,
)
from devtools.stack import EMULATOR_KEY, LocalStack, Service

APP_DATABASE = "cosmicworks"
APP_CONTAINER = "products"
SMALL_MESSAGE_QUEUE = "bench-small-messages"
SMALL_MESSAGE_LINGER_MS = 4000
SEND_CONCURRENCY = 32


def reset_app_container(stack: LocalStack, ru_per_second: int | None) -> Target:
    """The app's products container, emptied and provisioned at `ru_per_second` (None: none)."""
    cosmos = CosmosClient(stack.cosmos_endpoint, EMULATOR_KEY, connection_verify=False)
    database = cosmos.create_database_if_not_exists(APP_DATABASE)
    with contextlib.suppress(CosmosResourceNotFoundError):
        database.delete_container(APP_CONTAINER)
    options: dict[str, Any] = {"offer_throughput": ru_per_second} if ru_per_second else {}
    database.create_container(
        id=APP_CONTAINER, partition_key=PartitionKey(path="/categoryId"), default_ttl=-1, **options
    )
    return Target(stack, APP_DATABASE, APP_CONTAINER)


def end_to_end_import(
    target: Target, items: list[dict[str, Any]], *, scenario: str, ru_per_second: int | None
) -> Measurement:
    """POST /api/imports, then poll the progress until the import completes."""
    session = requests.Session()
    before = emulator_stats(target.stack)
    started = time.perf_counter()
    with ChargeTimeline(target.stack) as timeline:
        response = session.post(f"{target.stack.api_url}/imports", json=items, timeout=600)
        response.raise_for_status()
        location = f"{target.stack.api_url}/imports/{response.json()['importId']}"
        while session.get(location, timeout=30).json()["state"] == "running":
            time.sleep(0.05)
    return measured(
        target=target,
        records=len(items),
        scenario=scenario,
        approach="(e) POST /api/imports, end to end",
        before=before,
        seconds=time.perf_counter() - started,
        ru_per_second=ru_per_second,
        count_requests=write_requests,
        timeline=timeline.rates() if ru_per_second else (),
    )


async def _send_all(stack: LocalStack, queue_name: str, items: list[dict[str, Any]]) -> None:
    queue = QueueClient.from_connection_string(stack.storage_connection, queue_name)
    slots = asyncio.Semaphore(SEND_CONCURRENCY)

    async def send(item: dict[str, Any]) -> None:
        async with slots:
            await queue.send_message(base64.b64encode(json.dumps(item).encode()).decode())

    async with queue:
        await asyncio.gather(*(send(item) for item in items))


def extra_host(stack: LocalStack, name: str, settings: dict[str, str]) -> Service:
    """Another development host on the stack's emulators, with `settings` over the stack's own;
    `start()` returns its API URL as group 1."""
    command = [sys.executable, "-m", "devtools.devhost", "--port", "0"]
    env = {**stack.host_environment(), **settings}
    return Service(name, command, r"listening on (http://\S+)", env)


def pid_of(service: Service) -> int:
    if service.process is None:
        raise RuntimeError(f"{service.name} is not running")
    return service.process.pid


def host_pid(stack: LocalStack) -> int:
    """The process id of the stack's development host."""
    return pid_of(next(s for s in stack.services if s.name == "devhost"))


def _small_message_host(stack: LocalStack) -> Service:
    """A second host for this run, tuned for it: many messages in flight, and a partial batch
    waits up to SMALL_MESSAGE_LINGER_MS to fill, since with dozens of categories only that many
    one-product messages of one category meet within a few milliseconds."""
    settings = {
        "INGEST_QUEUE": SMALL_MESSAGE_QUEUE,
        "BULK_LINGER_MS": str(SMALL_MESSAGE_LINGER_MS),
        "AzureFunctionsJobHost__extensions__queues__batchSize": "32",
        "AzureFunctionsJobHost__extensions__queues__newBatchThreshold": "2000",
        "AzureFunctionsJobHost__extensions__queues__maxPollingInterval": "00:00:00.2",
    }
    return extra_host(stack, "devhost-small-messages", settings)


def one_product_messages(target: Target, items: list[dict[str, Any]]) -> Measurement:
    """Every product as its own queue message; how many Cosmos requests per record."""
    host = _small_message_host(target.stack)
    host.start()
    try:
        before = emulator_stats(target.stack)
        started = time.perf_counter()
        asyncio.run(_send_all(target.stack, SMALL_MESSAGE_QUEUE, items))
        deadline = time.monotonic() + 600
        while stored(target) < len(items) and time.monotonic() < deadline:
            time.sleep(0.2)
        seconds = time.perf_counter() - started
    finally:
        host.stop()
    approach = f"(b) the executor, via the queue (linger {SMALL_MESSAGE_LINGER_MS} ms)"
    return measured(
        target=target,
        records=len(items),
        scenario="small messages",
        approach=approach,
        before=before,
        seconds=seconds,
        ru_per_second=None,
        count_requests=write_requests,
    )
