"""Parts of one import waiting for it share each read of its progress."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from shared.ingest import import_parts, progress
from shared.ingest.import_parts import SharedReads


class CountedReads:
    """A stand-in for `progress.read_progress` that answers after `seconds`, counting calls."""

    def __init__(self, seconds: float = 0.05, error: Exception | None = None) -> None:
        self.calls = 0
        self.seconds = seconds
        self.error = error

    async def __call__(self, *, import_id: str) -> Any:
        self.calls += 1
        call = self.calls
        await asyncio.sleep(self.seconds)
        if self.error is not None:
            raise self.error
        return f"progress of {import_id} #{call}"


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> CountedReads:
    counted = CountedReads()
    monkeypatch.setattr(progress, "read_progress", counted)
    return counted


def test_concurrent_reads_of_one_import_cost_one_request(reads: CountedReads) -> None:
    async def twenty_four_parts() -> list[Any]:
        shared = SharedReads()
        return await asyncio.gather(*(shared.read("imp-a") for _ in range(24)))

    assert asyncio.run(twenty_four_parts()) == ["progress of imp-a #1"] * 24
    assert reads.calls == 1


def test_reads_of_other_imports_or_later_reads_are_their_own(reads: CountedReads) -> None:
    async def reads_apart() -> list[Any]:
        shared = SharedReads()
        first = await asyncio.gather(shared.read("imp-a"), shared.read("imp-b"))
        return [*first, await shared.read("imp-a")]

    assert asyncio.run(reads_apart()) == [
        "progress of imp-a #1",
        "progress of imp-b #2",
        "progress of imp-a #3",
    ]


def test_a_caller_that_gives_up_leaves_the_read_to_the_others(reads: CountedReads) -> None:
    async def one_gives_up() -> Any:
        shared = SharedReads()
        impatient = asyncio.create_task(shared.read("imp-a"))
        patient = asyncio.create_task(shared.read("imp-a"))
        await asyncio.sleep(0.01)
        impatient.cancel()
        return await patient

    assert asyncio.run(one_gives_up()) == "progress of imp-a #1"


def test_a_failed_read_fails_every_waiter_and_the_next_read_tries_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    failing = CountedReads(error=ConnectionError("reset"))
    monkeypatch.setattr(progress, "read_progress", failing)

    async def fails_then_retries() -> list[Any]:
        shared = SharedReads()
        outcomes = await asyncio.gather(
            *(shared.read("imp-a") for _ in range(3)), return_exceptions=True
        )
        failing.error = None
        return [*outcomes, await shared.read("imp-a")]

    *failed, retried = asyncio.run(fails_then_retries())
    assert [type(error) for error in failed] == [ConnectionError] * 3
    assert retried == "progress of imp-a #2"


def test_admission_reads_through_the_shared_reads() -> None:
    assert isinstance(import_parts._shared_reads, SharedReads)
