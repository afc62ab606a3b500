"""Clients that live as long as the event loop that made them: the one pattern by which the
platform keeps its SDK clients (Cosmos DB and Storage queues).

An aiohttp-based client belongs to the event loop it was created in. Each value here is built
lazily, on first use, inside the running loop, once even when several invocations ask at the
same moment (they share one build), and reused by every later invocation of that loop. A build
that fails fails every caller that waited for it, at once: with the service unreachable, twenty
waiting invocations must not each try again in turn. The next use builds again. `discard` and
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
        self._builds: weakref.WeakKeyDictionary[Loop, dict[K, asyncio.Future[V]]] = (
            weakref.WeakKeyDictionary()
        )

    async def get(self, key: K, build: Callable[[], Awaitable[V]]) -> V:
        """The value of `key` in the running loop, built by `build` on first use."""
        loop = asyncio.get_running_loop()
        values = self._values.setdefault(loop, {})
        if key in values:
            return values[key]
        builds = self._builds.setdefault(loop, {})
        building = builds.get(key)
        if building is None:
            building = builds[key] = asyncio.ensure_future(build())
            building.add_done_callback(lambda done: _forget(builds, key, done))
        # Shielded: a caller that is cancelled leaves the build to the others.
        value = await asyncio.shield(building)
        return values.setdefault(key, value)

    def discard(self) -> list[V]:
        """Take every value of the running loop out (the caller closes them)."""
        return list(self._values.pop(asyncio.get_running_loop(), {}).values())


def _forget[K, V](builds: dict[K, asyncio.Future[V]], key: K, done: asyncio.Future[V]) -> None:
    """A build that ended is no longer shared; its failure, if any, was its callers' (a build
    whose every caller was cancelled fails unseen)."""
    if builds.get(key) is done:
        del builds[key]
    if not done.cancelled():
        done.exception()  # retrieved: no "never retrieved" warning for a failure nobody awaited
