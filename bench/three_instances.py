"""Three instances on one budget: three development hosts drain one queue of `RECORDS` products (one
import, POSTed to the first) into one container provisioned at 4,000 RU/s, as the instances Flex
Consumption scales the queue function out to, each with an executor of its own and no
coordinator; beside one host doing the same. For each: seconds, goodput (RU the container charged
/ (RU/s x seconds)), 429s per 1,000 records, the records each instance wrote (from its log) and
the records stored, every one read back by id.

Targets: goodput of three at least 0.90; their 429s at most three times one instance's.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from azure.cosmos import CosmosClient, DatabaseProxy, PartitionKey

from bench.approaches import Target
from bench.measure import emulator_stats
from bench.names import unique_name
from bench.readback import stored_records
from bench.workload import products, write_ndjson
from devtools.stack import (
    EMULATOR_KEY,
    LocalStack,
    Service,
    messages_handed_back,
    records_processed,
)
from shared.platform.cosmos import PRODUCTS_PARTITION_KEY

RECORDS = 30_000
RU_PER_SECOND = 4_000
READ_BACK_RU_PER_SECOND = 100_000
INSTANCES = (1, 3)
DATABASE = "bench-instances"
GOODPUT_TARGET, THROTTLED_RATIO_TARGET = 0.90, 3.0
DESCRIPTION = (
    f"One import of {RECORDS:,} products POSTed to the first of N development hosts on one queue "
    f"and one fresh container at {RU_PER_SECOND:,} RU/s, drained by all N; the app's defaults "
    "(low-priority bulk writes, host.json's batches of 8 messages). RU charged / budget: the "
    "container's charge over (RU/s x seconds). Writes per record: every item write the endpoint "
    "did over the records (a message handed back is delivered again and writes all its records "
    "again). "
    "Goodput: RU charged / budget x records / writes, the share of the budget that stored "
    "records. Written by each instance: from each host's log; stored: every record read back."
)


@dataclass(frozen=True)
class Drain:
    """One queue drained by `instances` hosts."""

    instances: int
    seconds: float
    request_charge: float
    throttled: int
    items_written: int  # every write the endpoint did, first or again
    written_by_instance: list[int]
    handed_back: int  # messages whose invocation failed and that were delivered again
    stored: int

    @property
    def charged(self) -> float:
        """RU charged / (RU/s x seconds): how busy the budget was kept."""
        return self.request_charge / (RU_PER_SECOND * self.seconds)

    @property
    def goodput(self) -> float:
        """The share of the budget that stored records: writes of a record again (a message
        delivered again writes all its records again) are not counted."""
        return self.charged * self.stored / max(self.items_written, 1)

    @property
    def throttled_per_thousand(self) -> float:
        return self.throttled / RECORDS * 1000


@dataclass(frozen=True)
class InstancesOnOneBudget:
    one: Drain
    three: Drain

    @property
    def throttled_ratio(self) -> float:
        return self.three.throttled_per_thousand / max(self.one.throttled_per_thousand, 1e-9)

    def checks(self) -> dict[str, bool]:
        return {
            "goodputAtLeast090": self.three.goodput >= GOODPUT_TARGET,
            "throttledAtMost3xOne": self.throttled_ratio <= THROTTLED_RATIO_TARGET,
            "nothingLost": all(d.stored == RECORDS for d in (self.one, self.three)),
        }

    def figures(self) -> dict[str, float]:
        figures: dict[str, float] = {"throttledRatio": round(self.throttled_ratio, 2)}
        for key, drain in (("one", self.one), ("three", self.three)):
            figures |= {
                f"{key}Seconds": round(drain.seconds, 2),
                f"{key}Charged": round(drain.charged, 3),
                f"{key}Goodput": round(drain.goodput, 3),
                f"{key}WritesPerRecord": round(drain.items_written / RECORDS, 3),
                f"{key}HandedBack": drain.handed_back,
                f"{key}429sPer1000": round(drain.throttled_per_thousand, 2),
                f"{key}Stored": drain.stored,
            }
        return figures

    def to_json(self) -> dict[str, Any]:
        written = {f"{d.instances}": d.written_by_instance for d in (self.one, self.three)}
        return {"records": RECORDS, **self.figures(), "writtenByInstance": written,
                "checks": self.checks()}  # fmt: skip


def _import(api_url: str, records: list[dict[str, Any]]) -> None:
    session = requests.Session()
    started = session.post(f"{api_url}/imports", json=records, timeout=120)
    started.raise_for_status()
    location = f"{api_url}/imports/{started.json()['importId']}"
    while (state := session.get(location, timeout=30).json()["state"]) == "running":
        time.sleep(0.2)
    if state != "completed":
        raise RuntimeError(f"the benchmark's import ended {state}")


def _written(hosts: list[tuple[str, Service]]) -> list[int]:
    return [records_processed(host)[0] for _, host in hosts]


def drain(
    stack: LocalStack, database: DatabaseProxy, instances: int, records: list[dict[str, Any]],
    file: Path,
) -> Drain:  # fmt: skip
    """A fresh container and queue, `instances` hosts on them, the records imported through the
    first host and drained by all, then read back."""
    container = database.create_container(
        id=unique_name("products"),
        partition_key=PartitionKey(path=PRODUCTS_PARTITION_KEY),
        default_ttl=-1,
        offer_throughput=RU_PER_SECOND,
    )
    key = f"{database.id}/{container.id}"
    settings = {
        "COSMOS_DATABASE": database.id,
        "COSMOS_CONTAINER": container.id,
        "INGEST_QUEUE": unique_name("bench-instances"),
        "REJECTS_QUEUE": unique_name("bench-instances-rejects"),
    }
    with stack.extra_hosts(f"bench-instance-of-{instances}", instances, **settings) as hosts:
        time.sleep(1.5)  # the partition's budget full again
        before = emulator_stats(stack)["containers"].get(key, {"requestCharge": 0, "throttled": 0})
        started = time.perf_counter()
        _import(hosts[0][0], records)
        seconds = time.perf_counter() - started
        after = emulator_stats(stack)["containers"][key]
        written = _written(hosts)
        handed_back = sum(messages_handed_back(host) for _, host in hosts)
    container.replace_throughput(READ_BACK_RU_PER_SECOND)  # reading back is not measured
    stored = stored_records(Target(stack, database.id, container.id), file)
    database.delete_container(container)
    return Drain(
        instances=instances,
        seconds=seconds,
        request_charge=after["requestCharge"] - before["requestCharge"],
        throttled=after["throttled"] - before["throttled"],
        items_written=after["itemsWritten"] - before.get("itemsWritten", 0),
        written_by_instance=written,
        handed_back=handed_back,
        stored=stored,
    )


def run(stack: LocalStack) -> InstancesOnOneBudget:
    cosmos = CosmosClient(stack.cosmos_endpoint, EMULATOR_KEY, connection_verify=False)
    database = cosmos.create_database_if_not_exists(DATABASE)
    records = products(RECORDS, seed=23)
    with tempfile.TemporaryDirectory(prefix="bench-instances-") as folder:
        file = Path(folder) / "products.ndjson"
        write_ndjson(file, iter(records))
        one, three = (drain(stack, database, n, records, file) for n in INSTANCES)
    return InstancesOnOneBudget(one, three)


def table(result: InstancesOnOneBudget) -> str:
    rows = [
        "| instances | seconds | RU charged / budget | writes per record | messages handed "
        "back | goodput | 429s per 1,000 records | written by each instance | stored (read back) |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |",
    ]
    for d in (result.one, result.three):
        each = ", ".join(f"{n:,}" for n in d.written_by_instance)
        rows.append(
            f"| {d.instances} | {d.seconds:.1f} | {d.charged:.2f} | "
            f"{d.items_written / RECORDS:.3f} | {d.handed_back} | {d.goodput:.2f} | "
            f"{d.throttled_per_thousand:.1f} | {each} | {d.stored:,} of {RECORDS:,} |"
        )
    checks = result.checks()
    met = ", ".join(f"{name}: {'met' if ok else '**not met**'}" for name, ok in checks.items())
    return (
        "\n".join(rows) + f"\n\n429s of three against one: {result.throttled_ratio:.2f}x. "
        f"Targets: {met}."
    )
