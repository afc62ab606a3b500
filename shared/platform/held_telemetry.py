"""Telemetry recorded before its pipeline exists: held, then handed on.

A cold start sets up tracing alone; the metric and log pipelines (with their SDK modules, half of
what telemetry adds to a cold start) are built later, off the first response's path (see
`shared.platform.telemetry`). What the service measures and logs in between is held here, at most
`HOLD_LIMIT` items of each kind, and handed on once the pipelines exist: measurements to the real
instruments, log records to the SDK's handler in the trace context they were emitted in, so they
stay correlated with their spans. After that, everything passes straight through.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from opentelemetry import context as otel_context
from opentelemetry.context import Context
from opentelemetry.metrics import Counter, Histogram
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor
from opentelemetry.trace import SpanKind
from opentelemetry.util.types import Attributes

HOLD_LIMIT = 10_000
INVOCATION_KINDS = frozenset({SpanKind.SERVER, SpanKind.CONSUMER})


class Held[T]:
    """Items kept until `release` names their consumer, which then also takes every later one.
    Beyond `limit` items, further ones are dropped and counted."""

    def __init__(self, limit: int = HOLD_LIMIT) -> None:
        self._limit = limit
        self._items: list[T] = []
        self._consumer: Callable[[T], None] | None = None
        self._lock = threading.Lock()
        self.dropped = 0

    def put(self, item: T) -> None:
        with self._lock:
            consumer = self._consumer
            if consumer is None:
                if len(self._items) < self._limit:
                    self._items.append(item)
                else:
                    self.dropped += 1
                return
        consumer(item)

    def release(self, consumer: Callable[[T], None]) -> int:
        """Hand the items held so far to `consumer`, and every later one; how many there were."""
        with self._lock:
            self._consumer = consumer
            items, self._items = self._items, []
        for item in items:
            consumer(item)
        return len(items)


@dataclass(frozen=True)
class Measurement:
    """One measurement of the instrument in field `field` of the service's instruments."""

    field: str
    method: str  # "add" or "record"
    amount: float
    attributes: Attributes


class _Holding:
    """What a held instrument shares: the field it stands for and where its measurements wait.
    The name, unit and description are the real instrument's, taken for the same signature."""

    def __init__(
        self,
        name: str,
        *,
        field: str,
        held: Held[Measurement],
        unit: str = "",
        description: str = "",
    ) -> None:
        self._field = field
        self._held = held

    def _hold(self, method: str, amount: float, attributes: Attributes) -> None:
        self._held.put(Measurement(self._field, method, amount, attributes))


class HeldCounter(_Holding, Counter):
    """A counter whose increments wait in `held` until the meter provider exists."""

    def add(
        self, amount: float, attributes: Attributes = None, context: Context | None = None
    ) -> None:
        self._hold("add", amount, attributes)


class HeldHistogram(_Holding, Histogram):
    """A histogram whose records wait in `held` until the meter provider exists."""

    def record(
        self, amount: float, attributes: Attributes = None, context: Context | None = None
    ) -> None:
        self._hold("record", amount, attributes)


def replay_on(instruments: object) -> Callable[[Measurement], None]:
    """A consumer of held measurements that records each on the same field of `instruments`."""

    def measure(measurement: Measurement) -> None:
        instrument = getattr(instruments, measurement.field)
        getattr(instrument, measurement.method)(measurement.amount, measurement.attributes)

    return measure


class LogRelay(logging.Handler):
    """A root-logger handler that holds log records, each with the trace context it was emitted
    in, until `hand_on` names the handler of the log pipeline, and then relays every record to
    it. It stays in place after that, so no record is lost or sent twice by a swap."""

    def __init__(self, limit: int = HOLD_LIMIT) -> None:
        super().__init__()
        self.held: Held[tuple[logging.LogRecord, Context]] = Held(limit)

    def emit(self, record: logging.LogRecord) -> None:
        self.held.put((record, otel_context.get_current()))

    def hand_on(self, target: logging.Handler) -> int:
        """Relay the records held so far to `target`, and every later one; how many there were."""

        def relay(item: tuple[logging.LogRecord, Context]) -> None:
            record, context = item
            token = otel_context.attach(context)
            try:
                target.handle(record)
            finally:
                otel_context.detach(token)

        return self.held.release(relay)


class FirstInvocationEnd(SpanProcessor):
    """Sets `ended` when the first invocation's span (a server or consumer span) ends; spans of
    other work, such as a host's own SDK calls in the same process, do not count."""

    def __init__(self, ended: threading.Event) -> None:
        self._ended = ended

    def on_end(self, span: ReadableSpan) -> None:
        if not self._ended.is_set() and span.kind in INVOCATION_KINDS:
            self._ended.set()
