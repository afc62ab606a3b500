"""The ways of writing products that the benchmarks compare, each as a coroutine that writes
`items` into a container and returns what it saw (how many failed, the client's CPU)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from azure.cosmos.aio import ContainerProxy, CosmosClient

from devtools.stack import EMULATOR_KEY, ROOT, LocalStack
from shared.ingest.batch_policy import chunk, group_by_partition
from shared.ingest.executor import BulkExecutor, ExecutorOptions
from shared.ingest.outcomes import OutcomeKind, Record
from shared.ingest.ranges import FeedRanges
from shared.ingest.retries import RetryBudget
from shared.platform.cosmos import connection_policy
from shared.platform.http_transport import sdk_transport

JS_BULK = ROOT / "bench" / "js" / "bulk.js"
# The names of the two approaches the report compares run by run.
EXECUTOR = "(b) the executor"
DIRECT = "direct SDK batches"
CEILING = "pre-serialized batch requests (the endpoint's ceiling)"
# Batches in flight without the executor: as many as its window may reach (BULK_MAX_CONCURRENCY).
DIRECT_CONCURRENCY = ExecutorOptions().max_concurrency


@dataclass(frozen=True)
class Attempt:
    """What the client itself saw: records it gave up on, its CPU seconds, and (for a run in
    another process) its own timing, which leaves out that process's start."""

    failed: int
    cpu_seconds: float
    seconds: float | None = None


@dataclass(frozen=True)
class Target:
    """Where an approach writes: the stack, a database and a container, and its client."""

    stack: LocalStack
    database: str
    container: str


Approach = Callable[[Target, list[dict[str, Any]]], Awaitable[Attempt]]


def client(target: Target, *, retry_throttling: bool = True) -> CosmosClient:
    """An async client with the app's transport (no proxy or netrc lookup per request, unless
    a proxy is configured), so that every SDK approach pays what the app pays."""
    options: dict[str, Any] = (
        {} if retry_throttling else {"connection_policy": connection_policy(retry_throttling=False)}
    )
    return CosmosClient(
        target.stack.cosmos_endpoint,
        EMULATOR_KEY,
        connection_verify=False,
        transport=sdk_transport(),
        **options,
    )


def proxy(cosmos: CosmosClient, target: Target) -> ContainerProxy:
    return cosmos.get_database_client(target.database).get_container_client(target.container)


async def gather_create_item(target: Target, items: list[dict[str, Any]]) -> Attempt:
    """(a) The source material's way: one create_item per record, all at once, SDK retries."""
    async with client(target) as cosmos:
        container = proxy(cosmos, target)
        started = time.process_time()
        results = await asyncio.gather(
            *(container.create_item(body=item) for item in items), return_exceptions=True
        )
        failed = sum(isinstance(result, BaseException) for result in results)
        return Attempt(failed, time.process_time() - started)


def executor_approach(*, fixed: int | None = None) -> Approach:
    """(b) the executor, adapting; (c) pinned to `fixed` batches per partition."""

    async def write(target: Target, items: list[dict[str, Any]]) -> Attempt:
        options = (
            ExecutorOptions(
                initial_concurrency=fixed, max_concurrency=fixed, fixed_concurrency=True
            )
            if fixed
            else ExecutorOptions()
        )
        async with client(target, retry_throttling=False) as cosmos:
            container = proxy(cosmos, target)
            bulk = BulkExecutor(container, options=options, ranges=FeedRanges(container))
            records = [Record(index=n, item=item) for n, item in enumerate(items)]
            started = time.process_time()
            report = await bulk.write(records, budget=RetryBudget(seconds=600))
            await bulk.close()
            failed = len(report.outcomes) - len(report.of_kind(OutcomeKind.WRITTEN))
            return Attempt(failed, time.process_time() - started)

    return write


async def direct_sdk_batches(target: Target, items: list[dict[str, Any]]) -> Attempt:
    """Transactional batches straight through the SDK, DIRECT_CONCURRENCY at a time, no executor."""
    records = [Record(index=n, item=item) for n, item in enumerate(items)]
    slots = asyncio.Semaphore(DIRECT_CONCURRENCY)
    async with client(target) as cosmos:
        container = proxy(cosmos, target)

        async def send(key: str, batch: list[Record]) -> None:
            async with slots:
                operations = [("upsert", (record.item,)) for record in batch]
                await container.execute_item_batch(operations, partition_key=key, no_response=True)

        started = time.process_time()
        await asyncio.gather(
            *(
                send(key, batch)
                for key, group in group_by_partition(records).items()
                for batch in chunk(group)
            )
        )
        return Attempt(0, time.process_time() - started)


async def preserialized_batches(target: Target, items: list[dict[str, Any]]) -> Attempt:
    """The endpoint's ceiling: batch request bodies built beforehand, posted with aiohttp and no
    SDK (the local endpoint takes any key)."""
    records = [Record(index=n, item=item) for n, item in enumerate(items)]
    url = f"{target.stack.cosmos_endpoint}dbs/{target.database}/colls/{target.container}/docs"
    requests = [
        (
            json.dumps([key]),
            json.dumps([{"operationType": "Upsert", "resourceBody": r.item} for r in batch]),
        )
        for key, group in group_by_partition(records).items()
        for batch in chunk(group)
    ]
    slots = asyncio.Semaphore(DIRECT_CONCURRENCY)
    connector = aiohttp.TCPConnector(ssl=False, limit=DIRECT_CONCURRENCY)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def send(partition_key: str, body: str) -> None:
            headers = {
                "x-ms-cosmos-is-batch-request": "True",
                "x-ms-cosmos-batch-atomic": "True",
                "x-ms-documentdb-partitionkey": partition_key,
                "x-ms-version": "2020-07-15",
                "authorization": "type%3Dmaster%26ver%3D1.0%26sig%3Dlocal",
                "content-type": "application/json",
                "prefer": "return=minimal",
            }
            async with slots, session.post(url, data=body, headers=headers) as response:
                response.raise_for_status()
                await response.read()

        started = time.process_time()
        await asyncio.gather(*(send(key, body) for key, body in requests))
        return Attempt(0, time.process_time() - started)


async def js_bulk(target: Target, items: list[dict[str, Any]]) -> Attempt:
    """(d) @azure/cosmos's executeBulkOperations, in its own process."""
    with tempfile.TemporaryDirectory() as folder:
        file = Path(folder) / "products.ndjson"
        file.write_text("\n".join(json.dumps(item) for item in items))
        command = [
            "node", str(JS_BULK), target.stack.cosmos_endpoint, EMULATOR_KEY,
            target.database, target.container, str(file),
        ]  # fmt: skip
        run = await asyncio.to_thread(
            subprocess.run, command, capture_output=True, text=True, cwd=ROOT, timeout=1800
        )
    if run.returncode != 0:
        raise RuntimeError(f"the JS bulk run failed: {run.stderr.strip()[:300]}")
    answer = json.loads(run.stdout)
    succeeded = sum(n for status, n in answer["statuses"].items() if status in ("200", "201"))
    return Attempt(len(items) - succeeded, answer["cpuSeconds"], answer["seconds"])
