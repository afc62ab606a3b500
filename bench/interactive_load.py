"""The interactive load of a shop's back office: product reads and price patches through the API,
at a fixed rate, whatever the answers' latency (an open loop, as users do not wait for each
other), and what each request saw: its latency, its status and its request charge."""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp

RATE_PER_SECOND = 25
PATCH = "application/json-patch+json"


@dataclass(frozen=True)
class Answer:
    seconds: float
    status: int
    request_charge: float


@dataclass(frozen=True)
class Latencies:
    """The answers of one phase of the load."""

    answers: tuple[Answer, ...]

    def percentile(self, share: float) -> float:
        ordered = sorted(answer.seconds for answer in self.answers)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]

    @property
    def p50(self) -> float:
        return statistics.median(answer.seconds for answer in self.answers)

    @property
    def p99(self) -> float:
        return self.percentile(0.99)

    @property
    def max(self) -> float:
        return max(answer.seconds for answer in self.answers)

    @property
    def statuses(self) -> dict[str, int]:
        return {str(k): n for k, n in sorted(Counter(a.status for a in self.answers).items())}

    @property
    def request_charge(self) -> float:
        return sum(answer.request_charge for answer in self.answers)

    def refused(self, *statuses: int) -> int:
        """How many answers had one of `statuses` (429 and 503: what users must never see)."""
        return sum(answer.status in statuses for answer in self.answers)


async def _send(session: aiohttp.ClientSession, method: str, url: str, **kwargs: Any) -> Answer:
    started = time.perf_counter()
    try:
        async with session.request(method, url, **kwargs) as response:
            await response.read()
            charge = float(response.headers.get("x-ms-request-charge") or 0)
            return Answer(time.perf_counter() - started, response.status, charge)
    except (aiohttp.ClientError, TimeoutError):
        return Answer(time.perf_counter() - started, 0, 0.0)  # status 0: no answer


def _requests(
    api_url: str, products: Sequence[dict[str, Any]], seed: int
) -> Callable[[aiohttp.ClientSession, int], Awaitable[Answer]]:
    """The n-th request: a read, or (every other one) a price patch, of a product in turn."""
    rng = random.Random(seed)

    def request(session: aiohttp.ClientSession, n: int) -> Awaitable[Answer]:
        product = products[n % len(products)]
        url = f"{api_url}/products/{product['categoryId']}/{product['id']}"
        if n % 2 == 0:
            return _send(session, "GET", url)
        price = round(rng.uniform(10, 1000), 2)
        patch = [{"op": "replace", "path": "/price", "value": price}]
        return _send(session, "PATCH", url, json=patch, headers={"content-type": PATCH})

    return request


async def run_load(
    api_url: str,
    products: Sequence[dict[str, Any]],
    *,
    stop: asyncio.Event | None = None,
    seconds: float | None = None,
    seed: int = 25,
) -> Latencies:
    """Send RATE_PER_SECOND requests a second until `stop` is set or `seconds` have passed,
    then wait for every answer."""
    request = _requests(api_url, products, seed)
    stop = stop or asyncio.Event()
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        started, sent = time.perf_counter(), []
        while not stop.is_set() and (seconds is None or time.perf_counter() - started < seconds):
            sent.append(asyncio.create_task(request(session, len(sent))))
            next_at = started + len(sent) / RATE_PER_SECOND
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
        return Latencies(tuple(await asyncio.gather(*sent)))
