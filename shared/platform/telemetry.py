"""OpenTelemetry for the service: traces, metrics and logs, exported where the settings say.

Export is chosen by settings alone: Azure Monitor when APPLICATIONINSIGHTS_CONNECTION_STRING is
set, OTLP over HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set, nothing otherwise. With neither, no
OpenTelemetry module is imported and every function here is a no-op, so a cold start pays
nothing for telemetry it does not send. Both exporters sit behind the same SDK pipelines
(`shared.platform.telemetry_pipelines`), and nothing is instrumented but what the app does
itself and the Azure SDKs it calls (see `shared.platform.azure_monitor` for why not the Azure
Monitor distro, and how its exporters stay off the cold start). The standard OTEL_* variables
(service name, resource attributes, sampler, export intervals) are read by the SDK itself.

Azure SDK calls (Cosmos DB, Storage queues) become child spans through azure-core's tracing
(AZURE_TRACING_ENABLED, switched on with an exporter unless set to false).
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal

from shared.platform import conventions
from shared.platform.charges import RequestCharge, metered
from shared.platform.settings import Settings

if TYPE_CHECKING:
    from opentelemetry.metrics import Counter, Histogram, MeterProvider
    from opentelemetry.trace import Span, SpanContext, Tracer, TracerProvider


logger = logging.getLogger(__name__)

INSTRUMENTATION_SCOPE = "product-catalog"
REQUEST_CHARGE_ATTRIBUTE = conventions.AZURE_COSMOSDB_OPERATION_REQUEST_CHARGE

type Attributes = Mapping[str, str | int | float | bool]


class Exporter(StrEnum):
    AZURE_MONITOR = "azure-monitor"
    OTLP = "otlp"


def exporter_for(settings: Settings) -> Exporter | None:
    """Where telemetry goes: Azure Monitor, an OTLP endpoint, or nowhere."""
    if settings.applicationinsights_connection_string is not None:
        return Exporter.AZURE_MONITOR
    if settings.otel_exporter_otlp_endpoint:
        return Exporter.OTLP
    return None


@dataclass(frozen=True)
class Instruments:
    """The tracer and the metric instruments the service records with."""

    tracer: Tracer
    request_charge: Histogram
    transient_failures: Counter
    records: Counter
    batch_operations: Histogram
    messages_retried: Counter
    import_duration: Histogram
    congestion_window: Histogram
    throttled_batches: Counter
    partition_pauses: Histogram


@dataclass(frozen=True)
class InstrumentSpec:
    kind: Literal["counter", "histogram"]
    name: str
    unit: str
    description: str


# The metric instruments, by the field of `Instruments` each fills.
_METRIC_INSTRUMENTS: dict[str, InstrumentSpec] = {
    "request_charge": InstrumentSpec(
        "histogram",
        conventions.AZURE_COSMOSDB_CLIENT_OPERATION_REQUEST_CHARGE,
        "{request_unit}",
        "Request units each Cosmos DB request consumed",
    ),
    "transient_failures": InstrumentSpec(
        "counter",
        "catalog.cosmos.transient_failures",
        "{failure}",
        "Cosmos DB answers worth retrying: 429, 503, and timeouts",
    ),
    "records": InstrumentSpec(
        "counter",
        "catalog.ingest.records",
        "{record}",
        "Records accepted by an import, written, or rejected",
    ),
    "batch_operations": InstrumentSpec(
        "histogram",
        "catalog.ingest.batch.operations",
        "{operation}",
        "Operations in each transactional batch the bulk executor sent",
    ),
    "messages_retried": InstrumentSpec(
        "counter",
        "catalog.ingest.messages.retried",
        "{message}",
        "Queue messages handed back to the queue to be delivered again",
    ),
    "import_duration": InstrumentSpec(
        "histogram",
        "catalog.import.duration",
        "s",
        "From an import's start to its last part counted",
    ),
    "congestion_window": InstrumentSpec(
        "histogram",
        "catalog.ingest.congestion.window",
        "{batch}",
        "Batches a physical partition may have in flight, after a reduction",
    ),
    "throttled_batches": InstrumentSpec(
        "counter",
        "catalog.ingest.batches.throttled",
        "{batch}",
        "Bulk batches Cosmos DB answered with 429",
    ),
    "partition_pauses": InstrumentSpec(
        "histogram",
        "catalog.ingest.partition.pause",
        "s",
        "How long a physical partition paused for a retry-after",
    ),
}


_instruments: Instruments | None = None


def instruments() -> Instruments | None:
    """The instruments, or None when telemetry is off."""
    return _instruments


def configure(settings: Settings) -> Exporter | None:
    """Set up export as the settings say (once per process); None when telemetry is off.
    Tracing starts at once, metrics and logs after the first invocation
    (`shared.platform.telemetry_pipelines`)."""
    exporter = exporter_for(settings)
    if exporter is None or _instruments is not None:
        return exporter
    os.environ.setdefault("AZURE_TRACING_ENABLED", "true")
    from shared.platform import telemetry_pipelines

    telemetry_pipelines.start(exporter, settings)
    logger.info("Telemetry is exported to %s", exporter.value)
    return exporter


def install(
    tracer_provider: TracerProvider | None = None, meter_provider: MeterProvider | None = None
) -> Instruments:
    """Create the service's instruments on the given providers (the global ones by default)."""
    from opentelemetry import metrics, trace

    meter = metrics.get_meter(INSTRUMENTATION_SCOPE, meter_provider=meter_provider)

    def make(_: str, spec: InstrumentSpec) -> Counter | Histogram:
        if spec.kind == "counter":
            return meter.create_counter(spec.name, unit=spec.unit, description=spec.description)
        return meter.create_histogram(spec.name, unit=spec.unit, description=spec.description)

    tracer = trace.get_tracer(INSTRUMENTATION_SCOPE, tracer_provider=tracer_provider)
    return use(instruments_from(tracer, make))


def instruments_from(
    tracer: Tracer, make: Callable[[str, InstrumentSpec], Counter | Histogram]
) -> Instruments:
    """The service's instruments: `tracer`, and each metric instrument as `make` builds it
    from the field it fills and its spec."""
    made = {field: make(field, spec) for field, spec in _METRIC_INSTRUMENTS.items()}
    return Instruments(tracer=tracer, **made)  # type: ignore[arg-type]


def use(chosen: Instruments) -> Instruments:
    """Record with `chosen` from now on."""
    global _instruments
    _instruments = chosen
    return chosen


def uninstall() -> None:
    """Back to no telemetry (for tests)."""
    global _instruments
    _instruments = None


class SpanHandle:
    """A span the code may annotate (a no-op when telemetry is off), and the request charge
    spent inside it."""

    def __init__(self, span: Span | None = None, meter: RequestCharge | None = None) -> None:
        self.span = span
        self.meter = meter or RequestCharge()

    def set(self, key: str, value: str | int | float | bool) -> None:
        if self.span is not None:
            self.span.set_attribute(key, value)

    def fail(self, description: str) -> None:
        """Mark the span as failed (an error the code handled, such as a 5xx answer)."""
        if self.span is not None:
            from opentelemetry.trace import Status, StatusCode

            self.span.set_status(Status(StatusCode.ERROR, description))


@contextlib.contextmanager
def span(
    name: str,
    *,
    kind: str = "internal",
    attributes: Attributes | None = None,
    links: Sequence[SpanContext] = (),
    carrier: Mapping[str, str] | None = None,
) -> Iterator[SpanHandle]:
    """A span around the block, current inside it. `kind` is an OpenTelemetry span kind
    (internal, server, consumer, ...); `carrier` holds W3C trace headers of the caller, used
    when no trace is active (the Functions worker attaches the host's trace when
    PYTHON_ENABLE_OPENTELEMETRY is true)."""
    if _instruments is None:
        yield SpanHandle()
        return
    from opentelemetry import propagate, trace
    from opentelemetry.trace import Link, SpanKind

    parent = None
    if carrier and not trace.get_current_span().get_span_context().is_valid:
        parent = propagate.extract(carrier)
    with _instruments.tracer.start_as_current_span(
        name,
        context=parent,
        kind=SpanKind[kind.upper()],
        attributes=attributes,
        links=[Link(context) for context in links],
    ) as current:
        yield SpanHandle(current)


class charged_span:  # lower case: used as a function, `with charged_span(...) as handle`
    """A span (as `span`) around a unit of work that meters the request charge spent inside it
    (`handle.meter`, also counted in any enclosing meter) and records it on the span. A class,
    not a generator: it wraps every bulk batch, and with telemetry off it is only the meter."""

    def __init__(
        self,
        name: str,
        *,
        kind: str = "internal",
        attributes: Attributes | None = None,
        links: Sequence[SpanContext] = (),
        carrier: Mapping[str, str] | None = None,
    ) -> None:
        self._metered = metered()
        self._span = (
            None
            if _instruments is None
            else span(name, kind=kind, attributes=attributes, links=links, carrier=carrier)
        )
        self._handle = SpanHandle(meter=self._metered.meter)

    def __enter__(self) -> SpanHandle:
        self._metered.__enter__()
        if self._span is not None:
            try:
                self._handle.span = self._span.__enter__().span
            except BaseException:
                self._metered.__exit__(None, None, None)
                raise
        return self._handle

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: Any
    ) -> bool | None:
        try:
            if self._span is None:
                return None
            if self._metered.meter.touched_cosmos:
                self._handle.set(REQUEST_CHARGE_ATTRIBUTE, self._metered.meter.total)
            return self._span.__exit__(kind, error, trace)
        finally:
            self._metered.__exit__(None, None, None)


def current_span_context() -> SpanContext | None:
    """The active span's context, to link a later span of shared work to it."""
    if _instruments is None:
        return None
    from opentelemetry import trace

    context = trace.get_current_span().get_span_context()
    return context if context.is_valid else None


def add_charge_to_current_span(charge: float) -> None:
    """Add `charge` to the active span's request charge (the SDK's spans carry none)."""
    if _instruments is None:
        return
    from opentelemetry import trace

    current = trace.get_current_span()
    if not current.is_recording():
        return
    recorded: Any = getattr(current, "attributes", None) or {}
    previous = recorded.get(REQUEST_CHARGE_ATTRIBUTE, 0.0)
    current.set_attribute(REQUEST_CHARGE_ATTRIBUTE, float(previous) + charge)
