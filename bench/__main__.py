"""Compare ways of writing 25,000 products to the local Cosmos endpoint, in one run.

(a) one create_item per record under asyncio.gather, as the source material's lab does;
(b) the batch writer (partition-grouped transactional batches);
(c) end to end: POST /api/imports -> queue -> function -> Cosmos, until the import completes.

Each approach writes into its own fresh container of a freshly started emulator. Prints a table
(records per second, ratio to (a), Cosmos requests per record) and writes it to
docs/benchmarks.md with a description of the machine.
"""

from __future__ import annotations

import asyncio
import os
import platform
import subprocess
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
import urllib3
from azure.cosmos import PartitionKey
from azure.cosmos.aio import ContainerProxy, CosmosClient
from urllib3.exceptions import InsecureRequestWarning

from bench import cold_start
from bench.workload import products
from devtools.stack import EMULATOR_KEY, ROOT, LocalStack
from shared.ingest.retries import RetryBudget
from shared.ingest.writer import BatchWriter, OutcomeKind, Record

RECORDS = 25_000
REPORT = ROOT / "docs" / "benchmarks.md"


@dataclass(frozen=True)
class Result:
    name: str
    records: int
    seconds: float
    requests: int

    @property
    def per_second(self) -> float:
        return self.records / self.seconds


def emulator_requests(stack: LocalStack) -> int:
    url = f"{stack.cosmos_endpoint.rstrip('/')}/_emulator/stats"
    return int(requests.get(url, verify=False, timeout=10).json()["total"])


async def fresh_container(client: CosmosClient, name: str) -> ContainerProxy:
    database = await client.create_database_if_not_exists("bench")
    return await database.create_container(
        id=name, partition_key=PartitionKey(path="/categoryId"), default_ttl=-1
    )


async def create_items_with_gather(container: ContainerProxy, items: list[dict[str, Any]]) -> None:
    # The lab also passes partition_key=..., which the async SDK (4.17) does not accept.
    tasks = [container.create_item(body=item) for item in items]
    await asyncio.gather(*tasks)


async def batch_writer(container: ContainerProxy, items: list[dict[str, Any]]) -> None:
    writer = BatchWriter(container, concurrency=8, budget=RetryBudget(seconds=60))
    report = await writer.write([Record(index=n, item=item) for n, item in enumerate(items)])
    assert len(report.of_kind(OutcomeKind.WRITTEN)) == len(items), "the writer lost records"


async def measure_sdk(
    stack: LocalStack,
    name: str,
    write: Callable[[ContainerProxy, list[dict[str, Any]]], Awaitable[None]],
) -> Result:
    items = products(RECORDS)
    async with CosmosClient(stack.cosmos_endpoint, EMULATOR_KEY, connection_verify=False) as client:
        container = await fresh_container(client, name.split(")")[0].strip("("))
        before = emulator_requests(stack)
        started = time.perf_counter()
        await write(container, items)
        seconds = time.perf_counter() - started
        count = [n async for n in container.query_items("SELECT VALUE COUNT(1) FROM c")]
        assert count == [RECORDS], f"{name}: expected {RECORDS} items, found {count}"
    return Result(name, RECORDS, seconds, emulator_requests(stack) - before)


def measure_end_to_end(stack: LocalStack) -> Result:
    items = products(RECORDS, seed=7)
    session = requests.Session()
    before = emulator_requests(stack)
    started = time.perf_counter()
    response = session.post(f"{stack.api_url}/imports", json=items, timeout=120)
    response.raise_for_status()
    location = f"{stack.api_url}/imports/{response.json()['importId']}"
    while (progress := session.get(location, timeout=30).json())["state"] == "running":
        time.sleep(0.05)
    seconds = time.perf_counter() - started
    assert progress["written"] == RECORDS, progress
    return Result(
        "(c) POST /api/imports, end to end", RECORDS, seconds, emulator_requests(stack) - before
    )


def machine() -> str:
    cpu = (
        next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ),
            platform.processor() or "unknown CPU",
        )
        if Path("/proc/cpuinfo").exists()
        else platform.processor()
    )
    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    return (
        f"{os.cpu_count()} CPUs ({cpu}), {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, Node.js {node}"
    )


def table(results: list[Result]) -> str:
    baseline = results[0].per_second
    rows = [
        "| approach | records | seconds | records/s | ratio to (a) | Cosmos requests per record |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        rows.append(
            f"| {r.name} | {r.records:,} | {r.seconds:.2f} | {r.per_second:,.0f} | "
            f"{r.per_second / baseline:.1f}x | {r.requests / r.records:.3f} |"
        )
    return "\n".join(rows)


def product_to_read(stack: LocalStack) -> str:
    item = products(1, seed=11)[0]
    response = requests.post(f"{stack.api_url}/products", json=item, timeout=60)
    response.raise_for_status()
    return f"/products/{item['categoryId']}/{item['id']}"


def main() -> None:
    urllib3.disable_warnings(InsecureRequestWarning)  # the local endpoint's self-signed certificate
    with LocalStack() as stack:
        starts = cold_start.measure(stack, product_to_read(stack))
        results = [
            asyncio.run(
                measure_sdk(
                    stack, "(a) create_item per record, asyncio.gather", create_items_with_gather
                )
            ),
            asyncio.run(measure_sdk(stack, "(b) batch writer", batch_writer)),
            measure_end_to_end(stack),
        ]
    report = table(results)
    print(report)
    starts_report = cold_start.table(starts)
    print(f"\n{starts_report}")
    REPORT.write_text(
        "# Benchmarks\n\n"
        "`make bench` writes 25,000 products (the source material's lab workload: uuid ids, a word "
        "as name, price 10-1000, 36 categories) to a freshly started local Cosmos endpoint, three "
        "ways, in one run. Absolute times on shared machines are noise; compare the ratios.\n\n"
        f"Machine: {machine()}.\n\n{report}\n\n"
        "## Cold start\n\n"
        "From starting the development host (which runs the app through azure-functions-runtime) "
        "to the first 200 of `GET /api/products/{categoryId}/{id}`, for this app and for a "
        f"minimal app with one route doing a bare SDK `read_item` (the floor), "
        f"{cold_start.STARTS} fresh processes each, interleaved.\n\n{starts_report}\n"
    )
    print(f"\nWritten to {REPORT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
