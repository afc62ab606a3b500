"""The names the service records are OpenTelemetry's semantic conventions where one exists, checked
against opentelemetry-semantic-conventions' own constants, and the service's own `catalog.` names
otherwise: a hand-typed name cannot pass for a convention."""

from __future__ import annotations

import asyncio
import importlib
from enum import Enum
from functools import cache
from pathlib import Path
from types import SimpleNamespace

import azure.functions as func
import opentelemetry.semconv

from shared.api.http import http_endpoint, json_response
from shared.ingest.executor import BulkExecutor, ExecutorOptions
from shared.ingest.queue_edge import queue_endpoint
from shared.ingest.ranges import OneRange
from shared.ingest.retries import RetryBudget
from shared.platform import conventions, metrics
from tests.factories import http_request, record
from tests.unit.conftest import Captured
from tests.unit.fakes import ScriptedContainer, http_error

OWN = "catalog."


@cache
def semantic_conventions() -> tuple[frozenset[str], frozenset[str]]:
    """(names, enumerated values) of every attribute and metric the package defines."""
    names: set[str] = set()
    values: set[str] = set()
    root = Path(opentelemetry.semconv.__file__).parent  # _incubating is a namespace package
    for source in root.rglob("*.py"):
        parts = source.relative_to(root).with_suffix("").parts
        parts = parts[:-1] if parts[-1] == "__init__" else parts
        module = importlib.import_module(".".join(("opentelemetry.semconv", *parts)))
        for constant, value in vars(module).items():
            if constant.isupper() and isinstance(value, str):
                names.add(value)
            elif isinstance(value, type) and issubclass(value, Enum) and value is not Enum:
                values.update(str(member.value) for member in value)
    return frozenset(names), frozenset(values)


def test_the_check_reads_the_conventions_package() -> None:
    names, _ = semantic_conventions()
    assert "faas.invocation_id" in names and "db.system.name" in names
    assert "messaging.message.delivery_count" not in names  # Service Bus has its own; queues none


def test_every_convention_the_service_names_is_one_of_the_package() -> None:
    names, _ = semantic_conventions()
    assert sorted(conventions.NAMES - names) == []


def test_every_conventional_value_the_service_records_is_one_of_the_package() -> None:
    _, values = semantic_conventions()
    recorded = {value for allowed in conventions.VALUES.values() for value in allowed}
    assert sorted(recorded - values) == []


def exercise_every_edge() -> None:
    """An HTTP invocation, a queue message, a throttled bulk batch and every metric."""

    async def read_product(req: func.HttpRequest) -> func.HttpResponse:
        return json_response({})

    async def ingest_products(msg: func.QueueMessage) -> None:
        pass

    context = SimpleNamespace(invocation_id="inv")
    route = "products/{categoryId}/{id}"
    asyncio.run(
        http_endpoint(route, methods=["GET"])(read_product)(http_request("GET"), context=context)
    )
    message = func.QueueMessage(id="m", body=b"{}")
    asyncio.run(queue_endpoint("q")(ingest_products)(message, context=context))
    throttled = iter([http_error(429, retry_after_ms=1), http_error(400)])

    def respond(key: str, items: list[object]) -> None:
        if (error := next(throttled, None)) is not None:
            raise error

    async def write() -> None:
        options = ExecutorOptions(linger_seconds=0.001)
        bulk = BulkExecutor(ScriptedContainer(respond), options=options, ranges=OneRange())
        await bulk.write([record(0), record(1)], budget=RetryBudget(seconds=5))
        await bulk.close()

    asyncio.run(write())
    url = "https://localhost:8081/dbs/d/colls/c/docs/p1"
    metrics.record_cosmos_response(charge=1, status=429, method="GET", url=url, headers={})
    metrics.count_timeout()
    metrics.count_records(1, outcome="written")
    metrics.count_message_retried()
    metrics.record_import_duration(1.0)


def test_every_name_the_service_records_is_a_convention_or_its_own(captured: Captured) -> None:
    exercise_every_edge()
    names, _ = semantic_conventions()
    recorded = {key for span in captured.spans() for key in span.attributes or {}}
    data = captured.reader.get_metrics_data()
    for scope in data.resource_metrics[0].scope_metrics if data else []:
        for metric in scope.metrics:
            recorded.add(metric.name)
            recorded.update(k for p in metric.data.data_points for k in p.attributes or {})
    assert "faas.invocation_id" in recorded and "catalog.ingest.batches.throttled" in recorded
    assert sorted(n for n in recorded if n not in names and not n.startswith(OWN)) == []
