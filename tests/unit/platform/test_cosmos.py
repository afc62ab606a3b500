from __future__ import annotations

import asyncio

from shared.platform import cosmos


async def two_lookups() -> tuple[object, object]:
    first = await cosmos.products_container()
    second = await cosmos.products_container()
    await asyncio.gather(cosmos.products_container(), cosmos.imports_container())
    return first, second


def test_one_client_is_shared_within_an_event_loop_and_nothing_connects_until_used() -> None:
    first, second = asyncio.run(two_lookups())  # the endpoint is never contacted
    assert first is second


def test_a_new_event_loop_gets_its_own_client() -> None:
    first, _ = asyncio.run(two_lookups())
    again, _ = asyncio.run(two_lookups())
    assert first is not again
