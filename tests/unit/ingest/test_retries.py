"""RetryBudget.call: transient failures are retried within the budget, nothing else is."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from shared.ingest.retries import Backoff, RetryBudget, RetryBudgetExhausted
from tests.unit.fakes import FakeClock, http_error


def failing(*errors: BaseException) -> Callable[[], Awaitable[str]]:
    """An operation that raises `errors` one per call, then succeeds."""
    remaining = list(errors)

    async def operation() -> str:
        if remaining:
            raise remaining.pop(0)
        return "done"

    return operation


def budget(seconds: float, clock: FakeClock) -> RetryBudget:
    return RetryBudget(
        seconds=seconds, backoff=Backoff(random=lambda: 1.0), clock=clock, sleep=clock.sleep
    )


def test_a_throttled_call_waits_what_cosmos_asked_for_and_succeeds() -> None:
    clock = FakeClock()
    result = asyncio.run(budget(10, clock).call(failing(http_error(429, retry_after_ms=750))))
    assert result == "done"
    assert clock.sleeps == [0.75]


def test_unavailability_and_timeouts_back_off_exponentially() -> None:
    clock = FakeClock()
    operation = failing(http_error(503), TimeoutError(), ConnectionError())
    assert asyncio.run(budget(10, clock).call(operation)) == "done"
    assert clock.sleeps == [0.05, 0.1, 0.2]


def test_an_error_that_is_not_transient_is_raised_at_once() -> None:
    clock = FakeClock()
    with pytest.raises(Exception) as raised:
        asyncio.run(budget(10, clock).call(failing(http_error(409))))
    assert getattr(raised.value, "status_code", None) == 409
    assert clock.sleeps == []


def test_when_the_wait_would_overrun_the_budget_the_last_error_is_the_cause() -> None:
    clock = FakeClock()
    throttled = http_error(429, retry_after_ms=5000)
    with pytest.raises(RetryBudgetExhausted) as raised:
        asyncio.run(budget(2, clock).call(failing(throttled)))
    assert raised.value.last_error is throttled
    assert raised.value.__cause__ is throttled
    assert "429" in str(raised.value)


def test_progress_renews_the_budget_from_then() -> None:
    clock = FakeClock()
    renewed = budget(10, clock)
    clock.now += 8
    renewed.renew()
    assert renewed.remaining() == 10


def test_a_renewed_budget_never_runs_past_its_longest() -> None:
    clock = FakeClock()
    renewed = RetryBudget(seconds=10, longest=25, clock=clock)
    for _ in range(5):
        clock.now += 8
        renewed.renew()
    assert renewed.deadline == renewed.started + 25
    assert renewed.remaining() == -15
