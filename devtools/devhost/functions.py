"""Index the app's functions, as the worker reported them, into what this host can run; anything
else is refused at start-up, naming the function."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from devtools.devhost.config import HostConfigError, resolve_setting_references


@dataclass(frozen=True)
class FunctionMetadata:
    """What the worker says about one function: its id and its bindings (JSON, as in
    function.json)."""

    name: str
    function_id: str
    raw_bindings: list[str]


@dataclass(frozen=True)
class HttpFunction:
    name: str
    function_id: str
    methods: frozenset[str]  # what the function serves: as declared, with HEAD wherever GET is
    route: str
    pattern: re.Pattern[str]
    binding_name: str
    auth_level: str = "function"  # anonymous, function or admin: the host's default is function


@dataclass(frozen=True)
class QueueFunction:
    name: str
    function_id: str
    queue_name: str
    connection: str
    binding_name: str


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
    return re.compile("".join(parts) + "/?", re.IGNORECASE | re.DOTALL)


ALL_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE"})


def served_methods(declared: list[Any]) -> frozenset[str]:
    """The methods a trigger serves, as the host routes them: every method when none is
    declared; otherwise the declared ones, and HEAD with GET (the host's
    WebScriptHostHttpRoutesManager.BuildConstraintMethods; HEAD's body is never sent)."""
    methods = frozenset(str(method).upper() for method in declared)
    if not methods:
        return ALL_METHODS
    return methods | {"HEAD"} if "GET" in methods else methods


def _index_one(function: FunctionMetadata, index: FunctionIndex) -> None:
    bindings: list[dict[str, Any]] = [json.loads(raw) for raw in function.raw_bindings]
    triggers = [b for b in bindings if str(b.get("type", "")).endswith("Trigger")]
    if len(triggers) != 1:
        raise HostConfigError(f"Function {function.name}: expected exactly one trigger")
    trigger = triggers[0]
    others = [b["type"] for b in bindings if b is not trigger]
    unsupported = [t for t in others if not (t == "http" and trigger["type"] == "httpTrigger")]
    if unsupported:
        raise HostConfigError(
            f"Function {function.name}: bindings {unsupported} are not supported here"
        )
    if trigger["type"] == "httpTrigger":
        route = trigger.get("route") or function.name
        index.http.append(
            HttpFunction(
                name=function.name,
                function_id=function.function_id,
                methods=served_methods(trigger.get("methods") or []),
                route=route,
                pattern=route_pattern(route),
                binding_name=trigger["name"],
                auth_level=str(trigger.get("authLevel") or "function").lower(),
            )
        )
    elif trigger["type"] == "queueTrigger":
        index.queues.append(
            QueueFunction(
                name=function.name,
                function_id=function.function_id,
                queue_name=resolve_setting_references(trigger["queueName"]),
                connection=trigger.get("connection") or "AzureWebJobsStorage",
                binding_name=trigger["name"],
            )
        )
    else:
        raise HostConfigError(
            f"Function {function.name}: trigger {trigger['type']} is not supported here"
        )


def index_functions(functions: Iterable[FunctionMetadata]) -> FunctionIndex:
    index = FunctionIndex()
    for function in functions:
        _index_one(function, index)
    return index
