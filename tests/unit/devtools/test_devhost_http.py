"""The development host's HTTP edge: what the worker receives for a request, and the bodies the
host refuses before the worker sees them. The worker here records the invocation request it is
given instead of running an app."""

from __future__ import annotations

import asyncio
import gzip
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path

from aiohttp import ClientSession
from aiohttp.test_utils import TestServer

from devtools.devhost.functions import HttpFunction, route_pattern, served_methods
from devtools.devhost.http_server import MAX_REQUEST_BYTES, create_http_app
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
