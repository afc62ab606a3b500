"""Counting a finished import part has three distinct outcomes."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest
from azure.cosmos.exceptions import CosmosBatchOperationError

from shared.ingest import progress
from shared.ingest.progress import PartCount
from tests.unit.fakes import http_error


class ImportsContainer:
    """Answers the part batch as Cosmos would: with success, or a failed operation."""

    def __init__(self, failure: BaseException | None = None) -> None:
        self.failure = failure
        self.batches: list[Sequence[Any]] = []

    async def execute_item_batch(self, operations: Sequence[Any], **_: Any) -> list[Any]:
        self.batches.append(operations)
        if self.failure:
            raise self.failure
        summary = {"importId": "i1", "accepted": 10, "messages": 1, "written": 9, "rejected": 1,
                   "messagesDone": 1, "createdAt": "2026-11-27T17:00:00+00:00"}  # fmt: skip
        return [{"statusCode": 201}, {"statusCode": 200, "resourceBody": summary}]


def batch_failure(index: int, status: int) -> CosmosBatchOperationError:
    responses: list[dict[str, Any]] = [{"statusCode": 424}, {"statusCode": 424}]
    responses[index] = {"statusCode": status}
    return CosmosBatchOperationError(
        error_index=index, headers={}, status_code=status, message="", operation_responses=responses
    )


def record_part(container: ImportsContainer, monkeypatch: pytest.MonkeyPatch) -> PartCount:
    async def imports_container() -> ImportsContainer:
        return container

    monkeypatch.setattr(progress, "imports_container", imports_container)
    call = progress.record_part(import_id="i1", part=3, message_id="m1", written=9, rejected=1)
    return asyncio.run(call).count


def test_a_part_counted_for_the_first_time_is_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    container = ImportsContainer()
    assert record_part(container, monkeypatch) is PartCount.COUNTED
    ((create, patch),) = container.batches
    assert create[0] == "create" and create[1][0]["id"] == "part-3"
    assert patch[0] == "patch" and patch[1][0] == progress.SUMMARY_ID


def test_a_part_counted_before_is_already_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    container = ImportsContainer(batch_failure(0, 409))
    assert record_part(container, monkeypatch) is PartCount.ALREADY_COUNTED


def test_a_part_of_an_import_without_a_summary_is_an_unknown_import(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    container = ImportsContainer(batch_failure(1, 404))
    assert record_part(container, monkeypatch) is PartCount.UNKNOWN_IMPORT


def test_any_other_failure_is_raised_for_the_retry_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    throttled = http_error(429)
    with pytest.raises(type(throttled)):
        record_part(ImportsContainer(throttled), monkeypatch)


def test_a_counted_part_comes_with_the_progress_after_it(monkeypatch: pytest.MonkeyPatch) -> None:
    async def imports_container() -> ImportsContainer:
        return ImportsContainer()

    monkeypatch.setattr(progress, "imports_container", imports_container)
    call = progress.record_part(import_id="i1", part=0, message_id="m1", written=9, rejected=1)
    recorded = asyncio.run(call)
    assert recorded.progress is not None
    assert recorded.progress.state is progress.ImportState.COMPLETED_WITH_REJECTS
