"""Clients that live as long as the event loop that made them: the one pattern by which the
platform keeps its SDK clients (Cosmos DB and Storage queues).

An aiohttp-based client belongs to the event loop it was created in. Each value here is built
lazily, on first use, inside the running loop, once even when several invocations ask at the
same moment (a lock per loop), and reused by every later invocation of that loop. `discard` and
`close` take values out so that the next use builds them again.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable, Hashable

type Loop = asyncio.AbstractEventLoop


class LoopScoped[K: Hashable, V]:
    """Values by key, one set per running event loop."""

    def __init__(self) -> None:
        self._values: weakref.WeakKeyDictionary[Loop, dict[K, V]] = weakref.WeakKeyDictionary()
        self._locks: weakref.WeakKeyDictionary[Loop, asyncio.Lock] = weakref.WeakKeyDictionary()

    async def get(self, key: K, build: Callable[[], Awaitable[V]]) -> V:
        """The value of `key` in the running loop, built by `build` on first use."""
        loop = asyncio.get_running_loop()
        value = self._values.get(loop, {}).get(key)
        if value is not None:
            return value
        async with self._locks.setdefault(loop, asyncio.Lock()):
            values = self._values.setdefault(loop, {})
            if key not in values:
                values[key] = await build()  # a failed build leaves nothing behind
            return values[key]

    def discard(self) -> list[V]:
        """Take every value of the running loop out (the caller closes them)."""
        return list(self._values.pop(asyncio.get_running_loop(), {}).values())
