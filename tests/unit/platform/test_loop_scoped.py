"""Platform clients are built once per event loop, even when first asked for concurrently."""

from __future__ import annotations

import asyncio

import pytest

from shared.platform.loop_scoped import LoopScoped


class Builder:
    """Builds numbered values, yielding to the loop first as a real connect does."""

    def __init__(self, *, fail_first: bool = False) -> None:
        self.built = 0
        self.fail_first = fail_first

    async def __call__(self) -> int:
        await asyncio.sleep(0.01)
        self.built += 1
        if self.fail_first and self.built == 1:
            raise ConnectionError("unreachable")
        return self.built


def test_concurrent_first_uses_build_one_value() -> None:
    scoped: LoopScoped[str, int] = LoopScoped()
    build = Builder()

    async def main() -> list[int]:
        return list(await asyncio.gather(*(scoped.get("q", build) for _ in range(10))))

    assert asyncio.run(main()) == [1] * 10
    assert build.built == 1


def test_each_key_has_its_own_value() -> None:
    scoped: LoopScoped[str, int] = LoopScoped()
    build = Builder()

    async def main() -> tuple[int, int, int]:
        return (
            await scoped.get("a", build),
            await scoped.get("b", build),
            await scoped.get("a", build),
        )

    assert asyncio.run(main()) == (1, 2, 1)


def test_each_event_loop_has_its_own_value() -> None:
    scoped: LoopScoped[str, int] = LoopScoped()
    build = Builder()
    assert asyncio.run(scoped.get("q", build)) == 1
    assert asyncio.run(scoped.get("q", build)) == 2


def test_a_failed_build_leaves_nothing_and_the_next_use_builds_again() -> None:
    scoped: LoopScoped[str, int] = LoopScoped()
    build = Builder(fail_first=True)

    async def main() -> int:
        with pytest.raises(ConnectionError):
            await scoped.get("q", build)
        return await scoped.get("q", build)

    assert asyncio.run(main()) == 2


def test_discard_hands_back_every_value_and_the_next_use_builds_again() -> None:
    scoped: LoopScoped[str, int] = LoopScoped()
    build = Builder()

    async def main() -> tuple[list[int], int]:
        await scoped.get("a", build)
        await scoped.get("b", build)
        return scoped.discard(), await scoped.get("a", build)

    assert asyncio.run(main()) == ([1, 2], 3)


def test_a_failed_build_fails_every_caller_waiting_for_it_at_once() -> None:
    scoped: LoopScoped[str, int] = LoopScoped()
    build = Builder(fail_first=True)

    async def main() -> list[int | BaseException]:
        waiting = [scoped.get("q", build) for _ in range(5)]
        return list(await asyncio.gather(*waiting, return_exceptions=True))

    outcomes = asyncio.run(main())
    assert all(isinstance(outcome, ConnectionError) for outcome in outcomes)
    assert build.built == 1  # one attempt for all five, not five in turn


def test_a_cancelled_caller_leaves_the_build_to_the_others() -> None:
    scoped: LoopScoped[str, int] = LoopScoped()
    build = Builder()

    async def main() -> int:
        first = asyncio.create_task(scoped.get("q", build))
        await asyncio.sleep(0)
        second = asyncio.create_task(scoped.get("q", build))
        await asyncio.sleep(0)
        first.cancel()
        return await second

    assert asyncio.run(main()) == 1
    assert build.built == 1
