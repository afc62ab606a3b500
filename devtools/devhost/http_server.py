"""HTTP triggers served under the route prefix, converted to and from func.HttpRequest/Response."""

from __future__ import annotations

import logging
from typing import Any

import azure.functions as func
from aiohttp import web

from devtools.devhost.functions import HttpFunction

logger = logging.getLogger("devhost.http")

MAX_REQUEST_BYTES = 100 * 1024 * 1024  # the Functions host's own request size limit


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


def _to_func_request(
    request: web.Request, body: bytes, route_params: dict[str, str]
) -> func.HttpRequest:
    return func.HttpRequest(
        method=request.method,
        url=str(request.url),
        headers=dict(request.headers),
        params=dict(request.query),
        route_params=route_params,
        body=body,
    )


def _to_web_response(response: Any) -> web.Response:
    if not isinstance(response, func.HttpResponse):
        raise TypeError("An HTTP function must return func.HttpResponse")
    headers = dict(response.headers.items())
    if response.status_code in (204, 304):  # no content, so no content type either
        return web.Response(status=response.status_code, headers=headers)
    if not any(k.lower() == "content-type" for k in headers) and response.mimetype:
        charset = f"; charset={response.charset}" if response.charset else ""
        headers["Content-Type"] = f"{response.mimetype}{charset}"
    return web.Response(status=response.status_code, headers=headers, body=response.get_body())


def _not_found() -> web.Response:
    return web.Response(status=404)


def create_http_app(functions: list[HttpFunction], prefix: str) -> web.Application:
    async def dispatch(request: web.Request) -> web.StreamResponse:
        matches, under_prefix = _match(functions, prefix, request.path)
        if not under_prefix or not matches:
            return _not_found()
        for function, route_params in matches:
            if request.method.upper() in function.methods:
                body = await request.read()
                func_request = _to_func_request(request, body, route_params)
                try:
                    result = await function.call(**{function.binding_name: func_request})
                    return _to_web_response(result)
                except Exception as error:  # noqa: BLE001 - the host answers 500, as Functions does
                    logger.error("Function %s failed: %s", function.name, type(error).__name__)
                    return web.Response(status=500)
        allowed = sorted({m for function, _ in matches for m in function.methods})
        return web.Response(status=405, headers={"Allow": ", ".join(allowed)})

    app = web.Application(client_max_size=MAX_REQUEST_BYTES)
    app.router.add_route("*", r"/{tail:[\s\S]*}", dispatch)  # any path, newlines included
    return app
