from __future__ import annotations

import asyncio

import pytest

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


def test_what_is_attached_to_the_clients_is_built_once_and_closed_with_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Attachment:
        closed = False

        async def close(self) -> None:
            self.closed = True

    built: list[Attachment] = []

    async def build() -> Attachment:
        await asyncio.sleep(0)
        built.append(Attachment())
        return built[-1]

    async def scenario() -> None:
        clients = cosmos._Clients(  # no SDK client is opened by building this
            client=FakeClosable(),
            database=None,
            products=None,
            imports=None,  # type: ignore[arg-type]
        )

        async def current() -> cosmos._Clients:
            return clients

        monkeypatch.setattr(cosmos, "_current", current)
        first, second = await asyncio.gather(
            cosmos.attached("x", build), cosmos.attached("x", build)
        )
        assert first is second and len(built) == 1
        await clients.close()

    asyncio.run(scenario())
    assert built[0].closed


class FakeClosable:
    async def close(self) -> None:
        return None


def test_every_client_writes_items_as_utf8_not_escapes() -> None:
    async def build() -> list[bool]:
        settings = cosmos.get_settings()
        clients = [
            cosmos._build_client(settings),
            cosmos._build_client(settings, retry_throttling=False),
        ]
        flags = [c.client_connection._enable_compact_utf8_item_writes for c in clients]
        for client in clients:
            await client.close()
        return flags

    assert asyncio.run(build()) == [True, True]


def test_throttling_is_waited_out_for_a_tenth_of_the_http_timeout() -> None:
    async def build() -> list[tuple[int, int]]:
        settings = cosmos.get_settings().model_copy(update={"http_timeout_seconds": 10.0})
        clients = [
            cosmos._build_client(settings),
            cosmos._build_client(settings, retry_throttling=False),
        ]
        options = [c.client_connection.connection_policy.RetryOptions for c in clients]
        for client in clients:
            await client.close()
        return [(o.MaxRetryAttemptCount, o.MaxWaitTimeInSeconds) for o in options]

    assert asyncio.run(build()) == [(9, 1), (0, 30)]
