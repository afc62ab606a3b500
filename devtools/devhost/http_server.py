"""HTTP triggers served under the route prefix. A request becomes the protocol's RpcHttp message
for the worker, and the worker's RpcHttp answer becomes the response, as the Functions host does.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from aiohttp import web
from multidict import CIMultiDict

from devtools.devhost.functions import HttpFunction
from devtools.devhost.protocol import worker_pb2 as protos
from devtools.devhost.worker import InvocationFailed, LanguageWorker

logger = logging.getLogger("devhost.http")

MAX_REQUEST_BYTES = 100 * 1024 * 1024  # the Functions host's own request size limit
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


def to_rpc_http(request: web.Request, body: bytes, route_params: dict[str, str]) -> protos.RpcHttp:
    """The trigger's data as the host sends it: method, url, headers, query, route values and
    the raw body bytes. Raises UnicodeEncodeError for a header that is not valid UTF-8, which
    the host refuses (as Kestrel refuses non-ASCII header bytes)."""
    return protos.RpcHttp(
        method=request.method,
        url=str(request.url),
        headers=_joined(request),
        query=dict(request.query),
        params=route_params,
        body=protos.TypedData(bytes=body),
    )


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


def create_http_app(
    functions: list[HttpFunction], prefix: str, worker: LanguageWorker, timeout: timedelta
) -> web.Application:
    async def invoke(
        function: HttpFunction, request: web.Request, params: dict[str, str]
    ) -> web.Response:
        try:
            trigger = to_rpc_http(request, await request.read(), params)
        except UnicodeEncodeError:
            return web.Response(status=400)
        inputs = [
            protos.ParameterBinding(name=function.binding_name, data=protos.TypedData(http=trigger))
        ]
        try:
            async with asyncio.timeout(timeout.total_seconds()):
                answer = await worker.invoke(function.function_id, inputs=inputs)
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
                return await invoke(function, request, route_params)
        allowed = sorted({m for function, _ in matches for m in function.methods})
        return web.Response(status=405, headers={"Allow": ", ".join(allowed)})

    app = web.Application(client_max_size=MAX_REQUEST_BYTES)
    app.router.add_route("*", r"/{tail:[\s\S]*}", dispatch)  # any path, newlines included
    return app
