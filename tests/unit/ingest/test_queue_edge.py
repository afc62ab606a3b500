"""Every queue invocation is a consumer span; a message handed back to the queue is counted."""

from __future__ import annotations

import asyncio
import inspect
from types import SimpleNamespace

import azure.functions as func
import pytest
from opentelemetry.trace import SpanKind, StatusCode

from shared.ingest.queue_edge import queue_endpoint
from shared.platform.charges import add_charge
from shared.platform.telemetry import REQUEST_CHARGE_ATTRIBUTE
from tests.unit.conftest import Captured


class DeliveredMessage(func.QueueMessage):
    """A message as the runtime hands it over: with its delivery count."""

    @property
    def dequeue_count(self) -> int:
        return 2


MESSAGE = DeliveredMessage(id="m1", body=b"{}")


def test_a_message_is_a_consumer_span_with_the_queue_and_its_charge(captured: Captured) -> None:
    @queue_endpoint("product-ingest")
    async def ingest_products(msg: func.QueueMessage) -> None:
        add_charge(7.0)

    asyncio.run(ingest_products(MESSAGE, context=SimpleNamespace(invocation_id="inv-1")))
    span = captured.span("process product-ingest")
    assert span.kind is SpanKind.CONSUMER
    assert span.attributes["faas.name"] == "ingest_products"
    assert span.attributes["faas.invocation_id"] == "inv-1"
    assert span.attributes["messaging.destination.name"] == "product-ingest"
    assert span.attributes["messaging.message.id"] == "m1"
    assert span.attributes["catalog.queue.message.dequeue_count"] == 2
    assert span.attributes[REQUEST_CHARGE_ATTRIBUTE] == 7.0
    assert captured.points("catalog.ingest.messages.retried") == []


def test_a_message_handed_back_to_the_queue_is_counted_and_its_span_failed(
    captured: Captured,
) -> None:
    @queue_endpoint("product-ingest")
    async def ingest_products(msg: func.QueueMessage) -> None:
        raise TimeoutError("Cosmos DB did not answer")

    with pytest.raises(TimeoutError):
        asyncio.run(ingest_products(MESSAGE))
    assert captured.span("process product-ingest").status.status_code is StatusCode.ERROR
    assert [p.value for p in captured.points("catalog.ingest.messages.retried")] == [1]


def test_the_worker_is_asked_for_the_context_of_each_message() -> None:
    @queue_endpoint("product-ingest")
    async def ingest_products(msg: func.QueueMessage) -> None:
        pass

    assert list(inspect.signature(ingest_products).parameters) == ["msg", "context"]
