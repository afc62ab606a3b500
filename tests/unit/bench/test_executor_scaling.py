"""The many-keys scenario's floor: as many container calls as the executor made batches."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from bench.executor_scaling import InstantContainer, container_calls_alone, keyed_records


class CountingContainer(InstantContainer):
    def __init__(self) -> None:
        super().__init__()
        self.carried: list[tuple[str, int]] = []

    async def execute_item_batch(
        self, batch_operations: Sequence[tuple[str, tuple[Any, ...]]], partition_key: str, **_: Any
    ) -> list[dict[str, Any]]:
        self.carried.append((partition_key, len(batch_operations)))
        return await super().execute_item_batch(batch_operations, partition_key)


def test_the_floor_makes_exactly_the_executor_s_number_of_calls_carrying_every_record() -> None:
    records = keyed_records(200_000, 40)
    container = CountingContainer()
    asyncio.run(container_calls_alone(container, records, 2_520))
    assert container.batches == 2_520
    assert sum(size for _, size in container.carried) == 200_000
    assert {size for _, size in container.carried} == {79, 80}


def test_one_record_a_call_when_there_are_as_many_batches_as_records() -> None:
    records = keyed_records(500, 250)
    container = CountingContainer()
    asyncio.run(container_calls_alone(container, records, 500))
    assert [size for _, size in container.carried] == [1] * 500
    assert container.carried[0][0] == "k0" and container.carried[250][0] == "k0"
