"""Fakes for unit tests of pure logic: a container that answers batches from a script."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from azure.cosmos.exceptions import CosmosBatchOperationError, CosmosHttpResponseError


def http_error(status: int, retry_after_ms: int | None = None) -> CosmosHttpResponseError:
    error = CosmosHttpResponseError(status_code=status, message=f"status {status}")
    error.headers = {"x-ms-retry-after-ms": str(retry_after_ms)} if retry_after_ms else {}
    return error


def operation_error(index: int, status: int, size: int) -> CosmosBatchOperationError:
    responses = [{"statusCode": 424} for _ in range(size)]
    responses[index] = {"statusCode": status, "resourceBody": {"message": "bad item"}}
    return CosmosBatchOperationError(
        error_index=index, headers={}, status_code=status, message="", operation_responses=responses
    )


class ScriptedContainer:
    """Records every batch (and the keyword options it was sent with); `respond(partition_key,
    items)` raises or returns for each call."""

    def __init__(self, respond: Callable[[str, list[dict[str, Any]]], None] | None = None) -> None:
        self.calls: list[tuple[str, list[dict[str, Any]]]] = []
        self.options: list[dict[str, Any]] = []
        self.respond = respond

    async def execute_item_batch(
        self,
        batch_operations: Sequence[tuple[str, tuple[Any, ...]]],
        partition_key: str,
        **options: Any,
    ) -> list[dict[str, Any]]:
        items = [operation[1][0] for operation in batch_operations]
        self.calls.append((partition_key, items))
        self.options.append(options)
        if self.respond:
            self.respond(partition_key, items)
        return [{"statusCode": 200} for _ in items]


class FakeClock:
    """A clock that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
