"""The executor's batches carry the bulk writes' priority and throughput bucket."""

from __future__ import annotations

import asyncio

from shared.ingest.executor import BulkExecutor, ExecutorOptions
from shared.ingest.ranges import OneRange
from shared.ingest.retries import RetryBudget
from shared.platform.bulk_requests import BulkRequestOptions
from tests.factories import record
from tests.unit.fakes import ScriptedContainer


def test_every_batch_is_sent_with_the_bulk_request_options() -> None:
    container = ScriptedContainer()
    options = ExecutorOptions(
        linger_seconds=0.001,
        request_options=BulkRequestOptions(priority="Low", throughput_bucket=2),
    )
    bulk = BulkExecutor(container, options=options, ranges=OneRange())
    records = [record(n, category=f"c{n % 3}") for n in range(250)]

    async def write() -> None:
        try:
            await bulk.write(records, budget=RetryBudget(seconds=10))
        finally:
            await bulk.close()

    asyncio.run(write())
    assert len(container.options) >= 3
    for sent in container.options:
        assert sent["priority"] == "Low" and sent["throughput_bucket"] == 2
        assert sent["no_response"] is True
