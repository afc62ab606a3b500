"""Retry decisions for Cosmos calls made in the background (ingestion), within a time budget.

429: wait what Cosmos asked for (x-ms-retry-after-ms). 408, 449, 503, timeouts and connection
errors: exponential back-off with full jitter. Anything else is not retried here. Once the
budget is spent, the caller gets `RetryBudgetExhausted` and decides (ingestion hands the message
back to the queue).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from shared.platform import metrics
from shared.platform.errors import COSMOS_ERRORS, CosmosFailure, classify, cosmos_retry_after

T = TypeVar("T")


class RetryBudgetExhausted(Exception):
    """Transient failures went on for longer than the budget allows."""

    def __init__(self, last_error: BaseException) -> None:
        super().__init__(f"retry budget exhausted; last error: {error_summary(last_error)}")
        self.last_error = last_error


def error_summary(error: BaseException) -> str:
    """A failure in a few words, safe for a reason or a log line (a status, or the type)."""
    if isinstance(error, COSMOS_ERRORS):
        return f"Cosmos DB status {error.status_code}"
    return type(error).__name__


def retry_delay(error: BaseException, attempt: int, backoff: Backoff) -> float | None:
    """Seconds to wait before retrying after `error`, or None when it is not worth retrying."""
    failure = classify(error)
    if failure is CosmosFailure.THROTTLED:
        return cosmos_retry_after(error)
    if failure is CosmosFailure.TRANSIENT:
        return backoff.delay(attempt)
    return None


@dataclass(frozen=True)
class Backoff:
    """Exponential back-off with full jitter: uniform(0, min(cap, base * 2**attempt))."""

    base: float = 0.05
    cap: float = 2.0
    random: Callable[[], float] = field(default=random.random)

    def delay(self, attempt: int) -> float:
        ceiling: float = min(self.cap, self.base * 2.0**attempt)
        return self.random() * ceiling


@dataclass
class RetryBudget:
    """A deadline shared by every retry of one unit of work (one queue message).

    Progress renews it: work whose writes go on succeeding is not failing, however long it
    waits its turn behind other work, so `renew()` (called as its records are written) starts
    the `seconds` again from then, never past `longest` seconds after the budget began (the
    host's function timeout bounds the invocation whatever happens).
    """

    seconds: float
    longest: float | None = None
    backoff: Backoff = field(default_factory=Backoff)
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    started: float = field(init=False)
    deadline: float = field(init=False)

    def __post_init__(self) -> None:
        self.started = self.clock()
        self.deadline = self._capped(self.started + self.seconds)

    def _capped(self, deadline: float) -> float:
        return deadline if self.longest is None else min(deadline, self.started + self.longest)

    def renew(self) -> None:
        """The work progressed: its budget runs `seconds` from now (within `longest`)."""
        self.deadline = max(self.deadline, self._capped(self.clock() + self.seconds))

    def remaining(self) -> float:
        return self.deadline - self.clock()

    async def wait_before_retry(self, error: BaseException, attempt: int) -> None:
        """Sleep before the next attempt; re-raise `error` if it is not transient, or
        RetryBudgetExhausted if the wait would overrun the budget."""
        metrics.count_if_timeout(error)
        delay = retry_delay(error, attempt, self.backoff)
        if delay is None:
            raise error
        if delay > self.remaining():
            raise RetryBudgetExhausted(error) from error
        await self.sleep(delay)

    async def call(self, operation: Callable[[], Awaitable[T]]) -> T:
        """Run `operation`, retrying transient failures within the budget."""
        attempt = 0
        while True:
            try:
                return await operation()
            except Exception as error:  # noqa: BLE001 - wait_before_retry re-raises the rest
                await self.wait_before_retry(error, attempt)
                attempt += 1
