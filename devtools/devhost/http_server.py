"""HTTP triggers served under the route prefix. A request becomes the protocol's RpcHttp message
for the worker, and the worker's RpcHttp answer becomes the response, as the Functions host does.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from aiohttp import web
from multidict import CIMultiDict

from devtools.devhost.functions import HttpFunction
from devtools.devhost.protocol import worker_pb2 as protos
from devtools.devhost.worker import InvocationFailed, LanguageWorker

logger = logging.getLogger("devhost.http")

MAX_REQUEST_BYTES = 100 * 1024 * 1024  # the Functions host's limit: larger bodies get its 413
NO_CONTENT = (204, 304)


def _match(
    functions: list[HttpFunction], prefix: str, path: str
) -> tuple[list[tuple[HttpFunction, dict[str, str]]], bool]:
    """Functions whose route matches `path`, with their route values; and whether the prefix did."""
    head = f"/{prefix}" if prefix else ""
    if head and not (path.lower() == head or path.lower().startswith(head + "/")):
        return [], False
    rest = path[len(head) :]
    matches = []
    for function in functions:
        found = function.pattern.fullmatch(rest)
        if found:
            values = {k: v for k, v in found.groupdict().items() if v is not None}
            matches.append((function, values))
    return matches, True


def _joined(request: web.Request) -> dict[str, str]:
    """Headers as one value per name, repeated ones joined with ', ' as HTTP allows."""
    joined: dict[str, str] = {}
    for name, value in request.headers.items():
        joined[name] = f"{joined[name]}, {value}" if name in joined else value
    return joined


class BodyTooLarge(Exception):
    """The request body is over the host's limit; the host answers 413 and the worker never
    sees the request."""


class BodyTooSlow(Exception):
    """The request body arrives slower than the host's minimum rate (or stops short of its
    Content-Length); the host answers 408 and the worker never sees the request."""


@dataclass(frozen=True)
class BodyRate:
    """The slowest a body may arrive: on average at least `bytes_per_second` once
    `grace_seconds` have passed. Kestrel's MinRequestBodyDataRate is 240 bytes/s after 5 s."""

    bytes_per_second: float = 240.0
    grace_seconds: float = 5.0

    def deadline(self, started: float, received: int) -> float:
        """When the body has arrived too slowly unless more of it has come by then."""
        return started + max(self.grace_seconds, received / self.bytes_per_second)


KESTREL_BODY_RATE = BodyRate()


class RefusedRequestLog(logging.Filter):
    """For aiohttp's server log: a request it could not parse (a request line or a header over
    its 8 KB limits, bytes that are not HTTP) is logged with a traceback, and the message quotes
    the offending bytes, which may be a credential. The host's log keeps one line instead: what
    kind of refusal and its status, never the request's bytes or a stack."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info:
            error = record.exc_info[1]
            status = getattr(error, "code", None)
            record.msg = "A request was refused before it reached a function: %s%s"
            record.args = (type(error).__name__, f" ({status})" if status else "")
            record.exc_info, record.exc_text = None, None
        return True


def fill_rpc_http(
    http: protos.RpcHttp, request: web.Request, route_params: Mapping[str, str]
) -> None:
    """The trigger's data as the host sends it, set in place: method, url, headers, query and
    route values (the body is `read_body`'s). Raises UnicodeEncodeError for a header that is not
    valid UTF-8, which the host refuses (as Kestrel refuses non-ASCII header bytes)."""
    http.method = request.method
    http.url = str(request.url)
    http.headers.update(_joined(request))
    http.query.update(dict(request.query))
    http.params.update(route_params)


async def read_body(
    request: web.Request, *, limit: int, rate: BodyRate = KESTREL_BODY_RATE
) -> bytes:
    """The body's bytes as they arrived (no content decoding, as the host), read as a stream.
    Raises BodyTooLarge for a Content-Length over `limit` before a byte is read, or for a
    chunked body as soon as it passes `limit`; BodyTooSlow once it falls behind `rate` (a body
    shorter than its Content-Length would otherwise hold the request open for ever)."""
    if request.content_length is not None and request.content_length > limit:
        raise BodyTooLarge
    # Not request.read(): it keeps a bytearray and a bytes copy of the body, and lets aiohttp
    # buffer up to twice its client_max_size unread.
    loop = asyncio.get_running_loop()
    started = loop.time()
    chunks: list[bytes] = []
    size = 0
    while True:
        try:
            async with asyncio.timeout_at(rate.deadline(started, size)):
                chunk = await request.content.readany()
        except TimeoutError:
            raise BodyTooSlow from None
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)


async def http_invocation(
    worker: LanguageWorker,
    function: HttpFunction,
    request: web.Request,
    route_params: Mapping[str, str],
    *,
    limit: int,
    rate: BodyRate = KESTREL_BODY_RATE,
) -> protos.StreamingMessage:
    """The invocation request for an HTTP trigger, built in place so that the body is held once
    (the runtime makes its own copy for `func.HttpRequest`); nothing else keeps the bytes read."""
    message = worker.invocation(function.function_id)
    binding = message.invocation_request.input_data.add(name=function.binding_name)
    fill_rpc_http(binding.data.http, request, route_params)
    binding.data.http.body.bytes = await read_body(request, limit=limit, rate=rate)
    return message


def _body_bytes(data: protos.TypedData) -> bytes:
    kind = data.WhichOneof("data")
    if kind == "bytes":
        return data.bytes
    if kind in ("string", "json"):
        return str(getattr(data, kind)).encode("utf-8")
    return b""


def to_web_response(answer: protos.TypedData) -> web.Response:
    """The worker's return value as a response: status, headers, cookies and body."""
    if answer.WhichOneof("data") != "http":
        raise InvocationFailed("an HTTP function must return an HTTP response")
    http = answer.http
    status = int(http.status_code or 200)
    headers = CIMultiDict(http.headers)
    for cookie in http.cookies:
        headers.add("Set-Cookie", _set_cookie(cookie))
    if status in NO_CONTENT:  # no content, so no content type either
        headers.popall("Content-Type", None)
        return web.Response(status=status, headers=headers)
    return web.Response(status=status, headers=headers, body=_body_bytes(http.body))


_SAME_SITE = {
    protos.RpcHttpCookie.Lax: "Lax",
    protos.RpcHttpCookie.Strict: "Strict",
    protos.RpcHttpCookie.ExplicitNone: "None",
}


def _set_cookie(cookie: protos.RpcHttpCookie) -> str:
    """A Set-Cookie value from the worker's cookie; attributes it left empty are left out."""
    parts = [f"{cookie.name}={cookie.value}"]
    if cookie.path.value:
        parts.append(f"Path={cookie.path.value}")
    if cookie.domain.value:
        parts.append(f"Domain={cookie.domain.value}")
    if cookie.expires.HasField("value"):
        expires = cookie.expires.value.ToDatetime()
        parts.append(f"Expires={expires:%a, %d %b %Y %H:%M:%S} GMT")
    if cookie.max_age.HasField("value"):
        parts.append(f"Max-Age={int(cookie.max_age.value)}")
    if cookie.secure.value:
        parts.append("Secure")
    if cookie.http_only.value:
        parts.append("HttpOnly")
    if cookie.same_site in _SAME_SITE:
        parts.append(f"SameSite={_SAME_SITE[cookie.same_site]}")
    return "; ".join(parts)


def _refused_unread(status: int) -> web.Response:
    """The host's 413 or 408: no body, and the connection is not reused (the rest of the body
    is unread; aiohttp discards it for a while before closing)."""
    response = web.Response(status=status)
    response.force_close()
    return response


FUNCTION_KEY_HEADER = "x-functions-key"
FUNCTION_KEY_QUERY = "code"


def has_key(request: web.Request, function: HttpFunction, key: str | None) -> bool:
    """Whether the request may reach `function`: its route is anonymous, no key is checked here
    (`DEVHOST_FUNCTION_KEY` unset, as under Core Tools), or it sends the key as Azure takes one,
    in the x-functions-key header or else the code query parameter."""
    if key is None or function.auth_level == "anonymous":
        return True
    sent = request.headers.get(FUNCTION_KEY_HEADER) or request.query.get(FUNCTION_KEY_QUERY, "")
    return hmac.compare_digest(sent.encode(), key.encode())


def create_http_app(
    functions: list[HttpFunction],
    prefix: str,
    worker: LanguageWorker,
    timeout: timedelta,
    *,
    max_body_bytes: int = MAX_REQUEST_BYTES,
    function_key: str | None = None,
    body_rate: BodyRate = KESTREL_BODY_RATE,
) -> web.Application:
    async def invoke(
        function: HttpFunction, request: web.Request, params: dict[str, str]
    ) -> web.Response:
        try:
            message = await http_invocation(
                worker, function, request, params, limit=max_body_bytes, rate=body_rate
            )
        except UnicodeEncodeError:
            return web.Response(status=400)
        except BodyTooLarge:
            logger.warning(
                "Function %s: request body over %s bytes refused", function.name, max_body_bytes
            )
            return _refused_unread(413)
        except BodyTooSlow:
            logger.warning("Function %s: request body arrived too slowly; 408", function.name)
            return _refused_unread(408)
        try:
            async with asyncio.timeout(timeout.total_seconds()):
                answer = await worker.run(message)
            return to_web_response(answer.return_value)
        except TimeoutError:
            logger.error("Function %s timed out after %s", function.name, timeout)
        except InvocationFailed as error:  # the host answers 500 with no body, as Functions does
            logger.error("Function %s failed: %s", function.name, error)
        return web.Response(status=500)

    async def dispatch(request: web.Request) -> web.StreamResponse:
        matches, under_prefix = _match(functions, prefix, request.path)
        if not under_prefix or not matches:
            return web.Response(status=404)
        for function, route_params in matches:
            if request.method.upper() in function.methods:
                if not has_key(request, function, function_key):
                    return web.Response(status=401)  # Azure's: no body, nothing invoked
                # A HEAD answer keeps the headers of the GET answer and loses its body, as
                # Kestrel sends it (aiohttp does the same).
                return await invoke(function, request, route_params)
        allowed = sorted({m for function, _ in matches for m in function.methods})
        return web.Response(status=405, headers={"Allow": ", ".join(allowed)})

    # Bodies reach the worker as sent: the host does not decode Content-Encoding.
    app = web.Application(handler_args={"auto_decompress": False})
    app.router.add_route("*", r"/{tail:[\s\S]*}", dispatch)  # any path, newlines included
    return app
