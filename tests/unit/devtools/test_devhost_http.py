"""The development host's HTTP edge: what the worker receives for a request, and the bodies the
host refuses before the worker sees them. The worker here records the invocation request it is
given instead of running an app."""

from __future__ import annotations

import asyncio
import gzip
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer

from devtools.devhost.functions import HttpFunction, route_pattern, served_methods
from devtools.devhost.http_server import (
    KESTREL_BODY_RATE,
    MAX_REQUEST_BYTES,
    BodyRate,
    RefusedRequestLog,
    create_http_app,
)
from devtools.devhost.protocol import worker_pb2 as protos
from devtools.devhost.worker import LanguageWorker

ECHO = HttpFunction(
    name="echo",
    function_id="echo-id",
    methods=frozenset({"POST"}),
    route="echo/{word}",
    pattern=route_pattern("echo/{word}"),
    binding_name="req",
)


class RecordingWorker(LanguageWorker):
    """Answers 200 to every invocation and keeps the requests it was given."""

    def __init__(self) -> None:
        super().__init__(Path("."))
        self.received: list[protos.InvocationRequest] = []

    async def run(self, message: protos.StreamingMessage) -> protos.InvocationResponse:
        self.received.append(message.invocation_request)
        answer = protos.RpcHttp(status_code="200")
        return protos.InvocationResponse(return_value=protos.TypedData(http=answer))

    def trigger(self) -> protos.RpcHttp:
        (request,) = self.received
        (binding,) = request.input_data
        assert (request.function_id, binding.name) == ("echo-id", "req")
        return binding.data.http


def with_host[T](
    worker: RecordingWorker,
    client: Callable[[TestServer], Awaitable[T]],
    *,
    max_body_bytes: int = MAX_REQUEST_BYTES,
    functions: tuple[HttpFunction, ...] = (ECHO,),
    function_key: str | None = None,
    body_rate: BodyRate = KESTREL_BODY_RATE,
) -> T:
    """Run `client` against a host serving `functions` (ECHO) under /api with `worker`."""

    async def main() -> T:
        app = create_http_app(
            list(functions),
            "api",
            worker,
            timedelta(seconds=5),
            max_body_bytes=max_body_bytes,
            function_key=function_key,
            body_rate=body_rate,
        )
        async with TestServer(app) as server:
            return await client(server)

    return asyncio.run(main())


def post(
    path: str, body: bytes | AsyncIterator[bytes], headers: dict[str, str] | None = None
) -> Callable[[TestServer], Awaitable[int]]:
    async def send(server: TestServer) -> int:
        async with (
            ClientSession(auto_decompress=False) as session,
            session.post(server.make_url(path), data=body, headers=headers) as response,
        ):
            return response.status

    return send


def raw(request_head: bytes, *body: bytes) -> Callable[[TestServer], Awaitable[bytes]]:
    """Send `request_head` and the `body` parts, never finish the body, and return the status
    line the host answers with."""

    async def send(server: TestServer) -> bytes:
        assert server.port is not None
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(request_head)
        for part in body:
            writer.write(part)
        await writer.drain()
        status = await asyncio.wait_for(reader.readline(), timeout=5)
        writer.close()
        return status

    return send


def binary(size: int) -> bytes:
    return random.Random(size).randbytes(size)


async def in_chunks(body: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


def test_the_worker_receives_method_url_headers_query_route_values_and_body_as_sent() -> None:
    worker = RecordingWorker()
    body = binary(300_000)  # not UTF-8, several socket reads
    headers = {"x-probe": "p1", "content-type": "application/octet-stream"}
    assert with_host(worker, post("/api/echo/hello?q=x&n=1", body, headers)) == 200
    http = worker.trigger()
    assert http.method == "POST"
    assert http.url.endswith("/api/echo/hello?q=x&n=1")
    assert http.headers["x-probe"] == "p1"
    assert http.headers["Content-Length"] == str(len(body))
    assert dict(http.query) == {"q": "x", "n": "1"}
    assert dict(http.params) == {"word": "hello"}
    assert http.body.WhichOneof("data") == "bytes" and http.body.bytes == body


def test_an_empty_body_reaches_the_worker_as_empty_bytes() -> None:
    worker = RecordingWorker()
    assert with_host(worker, post("/api/echo/x", b"")) == 200
    body = worker.trigger().body
    assert body.WhichOneof("data") == "bytes" and body.bytes == b""


def test_a_chunked_body_reaches_the_worker_byte_for_byte() -> None:
    worker = RecordingWorker()
    body = binary(200_000)
    assert with_host(worker, post("/api/echo/x", in_chunks(body, 7_000))) == 200
    assert worker.trigger().body.bytes == body


def test_a_compressed_body_reaches_the_worker_undecoded() -> None:
    worker = RecordingWorker()
    body = gzip.compress(b'{"name": "saddle"}' * 100)
    headers = {"content-encoding": "gzip", "content-type": "application/json"}
    assert with_host(worker, post("/api/echo/x", body, headers)) == 200
    assert worker.trigger().body.bytes == body


def test_a_body_at_the_host_limit_reaches_the_worker() -> None:
    worker = RecordingWorker()
    body = binary(1024)
    assert with_host(worker, post("/api/echo/x", body), max_body_bytes=1024) == 200
    assert worker.trigger().body.bytes == body


def test_a_content_length_over_the_host_limit_is_refused_with_413_before_the_body_is_read() -> None:
    worker = RecordingWorker()
    head = (
        f"POST /api/echo/x HTTP/1.1\r\nHost: localhost\r\n"
        f"Content-Length: {MAX_REQUEST_BYTES + 1}\r\n\r\n"
    ).encode()
    status = with_host(worker, raw(head))  # not a byte of the body is ever sent
    assert status.startswith(b"HTTP/1.1 413 ")
    assert worker.received == []


def test_a_chunked_body_is_refused_with_413_as_soon_as_it_passes_the_host_limit() -> None:
    worker = RecordingWorker()
    head = b"POST /api/echo/x HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
    chunk = b"400\r\n" + b"a" * 0x400 + b"\r\n"
    status = with_host(worker, raw(head, chunk, chunk), max_body_bytes=1024)  # never ends
    assert status.startswith(b"HTTP/1.1 413 ")
    assert worker.received == []


def test_the_minimum_body_rate_is_kestrels_240_bytes_a_second_after_5_seconds() -> None:
    assert KESTREL_BODY_RATE.deadline(started=100.0, received=0) == 105.0
    assert KESTREL_BODY_RATE.deadline(started=100.0, received=1_200) == 105.0
    assert KESTREL_BODY_RATE.deadline(started=100.0, received=2_400) == 110.0


def test_a_body_that_stops_short_of_its_content_length_is_refused_with_408() -> None:
    worker = RecordingWorker()
    head = b"POST /api/echo/x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n"
    rate = BodyRate(bytes_per_second=240, grace_seconds=0.3)
    status = with_host(worker, raw(head, b'{"id":'), body_rate=rate)  # 94 bytes never come
    assert status.startswith(b"HTTP/1.1 408 ")
    assert worker.received == []


def test_a_body_that_pauses_within_the_grace_period_reaches_the_worker() -> None:
    async def with_a_pause() -> AsyncIterator[bytes]:
        yield b"a" * 50
        await asyncio.sleep(0.3)  # past 50 bytes at 240 bytes/s, within the grace period
        yield b"b" * 50

    worker = RecordingWorker()
    rate = BodyRate(bytes_per_second=240, grace_seconds=1.0)
    status = with_host(worker, post("/api/echo/x", with_a_pause()), body_rate=rate)
    assert status == 200
    assert worker.trigger().body.bytes == b"a" * 50 + b"b" * 50


def test_a_request_line_over_the_limit_is_logged_in_one_line_without_its_bytes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    server_log = logging.getLogger("aiohttp.server")
    refusal = RefusedRequestLog()
    server_log.addFilter(refusal)
    head = b"GET /api/echo/" + b"s3cret" * 2_000 + b" HTTP/1.1\r\nHost: localhost\r\n\r\n"
    try:
        with caplog.at_level(logging.DEBUG, logger="aiohttp.server"):
            status = with_host(RecordingWorker(), raw(head))
    finally:
        server_log.removeFilter(refusal)
    assert b" 400 " in status
    assert "refused before it reached a function: LineTooLong (400)" in caplog.text
    assert "s3cret" not in caplog.text
    assert "Traceback" not in caplog.text


def http_function(name: str, methods: set[str], *, auth_level: str = "function") -> HttpFunction:
    return HttpFunction(
        name=name,
        function_id="echo-id",
        methods=served_methods(list(methods)),
        route=name,
        pattern=route_pattern(name),
        binding_name="req",
        auth_level=auth_level,
    )


def call(
    method: str, path: str, headers: dict[str, str] | None = None
) -> Callable[[TestServer], Awaitable[tuple[int, dict[str, str], bytes]]]:
    async def send(server: TestServer) -> tuple[int, dict[str, str], bytes]:
        async with (
            ClientSession() as session,
            session.request(method, server.make_url(path), headers=headers) as response,
        ):
            return response.status, dict(response.headers), await response.read()

    return send


KEY = "local-key"


def test_a_keyed_route_without_the_key_is_401_and_nothing_is_invoked() -> None:
    worker = RecordingWorker()
    for headers, path in ((None, "/api/echo/x"), ({"x-functions-key": "wrong"}, "/api/echo/x")):
        status, _, body = with_host(worker, call("POST", path, headers), function_key=KEY)
        assert (status, body) == (401, b"")
    assert worker.received == []


def test_the_key_is_taken_from_the_header_or_the_code_parameter() -> None:
    by_header = call("POST", "/api/echo/x", {"x-functions-key": KEY})
    assert with_host(RecordingWorker(), by_header, function_key=KEY)[0] == 200
    by_query = call("POST", f"/api/echo/x?code={KEY}")
    assert with_host(RecordingWorker(), by_query, function_key=KEY)[0] == 200


def test_an_anonymous_route_needs_no_key_and_no_key_is_checked_unless_one_is_set() -> None:
    anonymous = http_function("health", {"GET"}, auth_level="anonymous")
    status, _, _ = with_host(
        RecordingWorker(), call("GET", "/api/health"), functions=(anonymous,), function_key=KEY
    )
    assert status == 200
    assert with_host(RecordingWorker(), call("POST", "/api/echo/x"))[0] == 200


def test_head_is_served_by_a_get_function_without_a_body() -> None:
    worker = RecordingWorker()
    status, _, body = with_host(
        worker, call("HEAD", "/api/item"), functions=(http_function("item", {"GET"}),)
    )
    assert (status, body) == (200, b"")
    assert worker.trigger().method == "HEAD"


def test_head_on_a_route_that_serves_neither_get_nor_head_is_405_with_allow() -> None:
    functions = (http_function("item", {"POST"}), http_function("item", {"PUT"}))
    status, headers, _ = with_host(
        RecordingWorker(), call("HEAD", "/api/item"), functions=functions
    )
    assert (status, headers["Allow"]) == (405, "POST, PUT")
