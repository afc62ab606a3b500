"""Telemetry recorded before its pipeline exists: held in order, handed on once, with the trace
context of log records kept, and bounded; the pipeline completed after the first invocation."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import SpanKind

from shared.platform import telemetry, telemetry_pipelines
from shared.platform.held_telemetry import (
    FirstInvocationEnd,
    Held,
    LogRelay,
    Measurement,
    replay_on,
)
from tests.unit.conftest import Captured


def test_held_items_go_to_the_consumer_on_release_and_later_ones_straight_through() -> None:
    held: Held[int] = Held()
    consumed: list[int] = []
    held.put(1)
    held.put(2)
    assert consumed == []
    assert held.release(consumed.append) == 2
    held.put(3)
    assert consumed == [1, 2, 3]


def test_items_beyond_the_limit_are_dropped_and_counted() -> None:
    held: Held[int] = Held(limit=2)
    for item in range(5):
        held.put(item)
    consumed: list[int] = []
    held.release(consumed.append)
    assert (consumed, held.dropped) == ([0, 1], 3)


def test_measurements_made_before_the_meter_exists_are_recorded_on_its_instruments(
    captured: Captured,
) -> None:
    real = telemetry.instruments()
    assert real is not None
    held: Held[Measurement] = Held()
    early = telemetry_pipelines.held_instruments(TracerProvider(), held)
    early.records.add(3, {"catalog.record.outcome": "written"})
    early.request_charge.record(2.5, {"db.operation.name": "read_item"})
    assert captured.points("catalog.ingest.records") == []
    held.release(replay_on(real))
    early.records.add(4, {"catalog.record.outcome": "written"})  # a late caller of the held one
    (records,) = captured.points("catalog.ingest.records")
    (charges,) = captured.points("azure.cosmosdb.client.operation.request_charge")
    assert records.value == 7
    assert (charges.sum, dict(charges.attributes)) == (2.5, {"db.operation.name": "read_item"})


class _TraceIds(logging.Handler):
    """Records each message with the trace id current when the record reached it."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, int]] = []

    def emit(self, record: logging.LogRecord) -> None:
        trace_id = trace.get_current_span().get_span_context().trace_id
        self.seen.append((record.getMessage(), trace_id))


@pytest.fixture
def relayed() -> Iterator[tuple[logging.Logger, LogRelay]]:
    relay = LogRelay()
    log = logging.getLogger("tests.held_telemetry")
    log.addHandler(relay)
    log.setLevel(logging.INFO)
    yield log, relay
    log.removeHandler(relay)


def test_a_held_log_record_reaches_the_pipeline_in_the_trace_it_was_logged_in(
    relayed: tuple[logging.Logger, LogRelay],
) -> None:
    log, relay = relayed
    tracer = TracerProvider().get_tracer(__name__)
    with tracer.start_as_current_span("invocation") as span:
        log.info("early %d", 1)
    target = _TraceIds()
    assert relay.hand_on(target) == 1
    log.info("late")
    assert target.seen == [("early 1", span.get_span_context().trace_id), ("late", 0)]


def test_the_first_invocation_ends_with_a_server_or_consumer_span_not_with_other_work() -> None:
    provider = TracerProvider()
    ended = threading.Event()
    provider.add_span_processor(FirstInvocationEnd(ended))
    tracer = provider.get_tracer(__name__)
    for kind in (SpanKind.CLIENT, SpanKind.INTERNAL, SpanKind.PRODUCER):
        with tracer.start_as_current_span("a host's own SDK call", kind=kind):
            pass
    assert not ended.is_set()
    with tracer.start_as_current_span("queue message", kind=SpanKind.CONSUMER):
        assert not ended.is_set()
    assert ended.is_set()
