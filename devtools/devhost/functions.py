"""Index the app's functions into what this host can run, refusing anything it cannot."""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import azure.functions as func

from devtools.devhost.config import HostConfigError, resolve_setting_references

UserFunction = Callable[..., Any]


@dataclass(frozen=True)
class HttpFunction:
    name: str
    methods: frozenset[str]
    route: str
    pattern: re.Pattern[str]
    binding_name: str
    call: Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class QueueFunction:
    name: str
    queue_name: str
    connection: str
    binding_name: str
    call: Callable[..., Awaitable[Any]]


@dataclass
class FunctionIndex:
    http: list[HttpFunction] = field(default_factory=list)
    queues: list[QueueFunction] = field(default_factory=list)


def route_pattern(route: str) -> re.Pattern[str]:
    """A route template as a regex: 'products/{categoryId}/{id}', '{id:int}', '{id?}', '{*rest}'."""
    parts = []
    for segment in route.strip("/").split("/"):
        match = re.fullmatch(r"\{(\*?)(\w+)(?::[^}?]+)?(\??)\}", segment)
        if match is None:
            parts.append("/" + re.escape(segment))
        elif match.group(1):
            parts.append(f"(?:/(?P<{match.group(2)}>.*))?")
        elif match.group(3):
            parts.append(f"(?:/(?P<{match.group(2)}>[^/]+))?")
        else:
            parts.append(f"/(?P<{match.group(2)}>[^/]+)")
    return re.compile("".join(parts) + "/?", re.IGNORECASE)


def _as_coroutine(user_function: UserFunction) -> Callable[..., Awaitable[Any]]:
    if inspect.iscoroutinefunction(user_function):
        return user_function

    async def in_thread(**kwargs: Any) -> Any:
        import asyncio

        return await asyncio.to_thread(user_function, **kwargs)

    return in_thread


def _index_one(function: func.Function, index: FunctionIndex) -> None:
    name = function.get_function_name()
    trigger = function.get_trigger()
    data = trigger.get_dict_repr()
    others = [b for b in function.get_bindings() if b is not trigger]
    unsupported = [
        b.type for b in others if not (b.type == "http" and data["type"] == "httpTrigger")
    ]
    if unsupported:
        raise HostConfigError(f"Function {name}: bindings {unsupported} are not supported here")
    call = _as_coroutine(function.get_user_function())
    if data["type"] == "httpTrigger":
        methods = frozenset(str(getattr(m, "value", m)).upper() for m in data.get("methods") or [])
        route = data.get("route") or name
        index.http.append(
            HttpFunction(
                name=name,
                methods=methods or frozenset({"GET", "POST"}),
                route=route,
                pattern=route_pattern(route),
                binding_name=data["name"],
                call=call,
            )
        )
    elif data["type"] == "queueTrigger":
        index.queues.append(
            QueueFunction(
                name=name,
                queue_name=resolve_setting_references(data["queueName"]),
                connection=data.get("connection") or "AzureWebJobsStorage",
                binding_name=data["name"],
                call=call,
            )
        )
    else:
        raise HostConfigError(f"Function {name}: trigger {data['type']} is not supported here")


def index_functions(app: func.FunctionApp) -> FunctionIndex:
    index = FunctionIndex()
    for function in app.get_functions():
        _index_one(function, index)
    return index
