"""OpenTelemetry for the service: traces, metrics and logs, exported where the settings say.

Export is chosen by settings alone: Azure Monitor when APPLICATIONINSIGHTS_CONNECTION_STRING is
set, OTLP over HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set, nothing otherwise. With neither, no
OpenTelemetry module is imported and every function here is a no-op, so a cold start pays
nothing for telemetry it does not send. Both exporters sit behind the same SDK pipeline, and
nothing is instrumented but what the app does itself and the Azure SDKs it calls (see
`shared.platform.azure_monitor` for why not the Azure Monitor distro, and how its exporters stay
off the cold start). The standard OTEL_* variables (service name, resource attributes, sampler,
export intervals) are read by the SDK itself.

Azure SDK calls (Cosmos DB, Storage queues) become child spans through azure-core's tracing
(AZURE_TRACING_ENABLED, switched on with an exporter unless set to false).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal

from shared.platform import conventions
from shared.platform.charges import RequestCharge, metered
from shared.platform.settings import Settings

if TYPE_CHECKING:
    from opentelemetry.metrics import Counter, Histogram, MeterProvider
    from opentelemetry.sdk._logs.export import LogRecordExporter
    from opentelemetry.sdk.metrics.export import MetricExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider as SdkTracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter
    from opentelemetry.trace import Span, SpanContext, Tracer, TracerProvider

    from shared.platform.held_telemetry import Held, Measurement

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

    Tracing is set up at once, for the first invocation's spans. The metric and log pipelines
    are set up on a thread of their own `REST_OF_SETUP_DELAY_SECONDS` after the first invocation
    ends (or `REST_OF_SETUP_LATEST_SECONDS` after this call, if none has ended by then): their SDK
    modules cost a cold start half of what telemetry adds to it. What is measured and logged in
    between is held and then exported (`shared.platform.held_telemetry`)."""
    exporter = exporter_for(settings)
    if exporter is None or _instruments is not None:
        return exporter
    os.environ.setdefault("AZURE_TRACING_ENABLED", "true")
    sinks = _sinks_for(exporter, settings)
    resource = _resource()
    tracer_provider = _tracing_through(sinks.spans(), resource)
    _hold_until_after_first_invocation(tracer_provider, sinks, resource)
    logger.info("Telemetry is exported to %s", exporter.value)
    return exporter


@dataclass(frozen=True)
class Sinks:
    """Where traces, metrics and logs go: a builder of each exporter."""

    spans: Callable[[], SpanExporter]
    metrics: Callable[[], MetricExporter]
    logs: Callable[[], LogRecordExporter]


def _sinks_for(exporter: Exporter, settings: Settings) -> Sinks:
    if exporter is Exporter.AZURE_MONITOR:
        from shared.platform import azure_monitor

        secret = settings.applicationinsights_connection_string
        assert secret is not None
        connection_string = secret.get_secret_value()
        return Sinks(
            spans=functools.partial(azure_monitor.span_exporter, connection_string),
            metrics=functools.partial(azure_monitor.metric_exporter, connection_string),
            logs=functools.partial(azure_monitor.log_exporter, connection_string),
        )
    return Sinks(spans=_otlp_span_exporter, metrics=_otlp_metric_exporter, logs=_otlp_log_exporter)


# Exporters to OTEL_EXPORTER_OTLP_ENDPOINT (/v1/traces, /v1/metrics, /v1/logs).
def _otlp_span_exporter() -> SpanExporter:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter()


def _otlp_metric_exporter() -> MetricExporter:
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

    return OTLPMetricExporter()


def _otlp_log_exporter() -> LogRecordExporter:
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter

    return OTLPLogExporter()


def _resource() -> Resource:
    """OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES; in Azure, without a service name, the
    function app's name (Application Insights' cloud role), as Azure's resource detectors say."""
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource

    site = os.environ.get("WEBSITE_SITE_NAME")
    if site and "OTEL_SERVICE_NAME" not in os.environ:
        return Resource.create({SERVICE_NAME: site})
    return Resource.create()


# Logs are first exported when spans are (the SDK's span default), not after its 1 s for logs:
# the first export builds the Azure Monitor exporters, which should come after a cold start's
# first response, not during it.
FIRST_EXPORT_DELAY_MILLIS = 5_000
# The metric and log pipelines are set up this long after the first invocation's span ends, when
# its response has gone; at the latest this long after `configure`.
REST_OF_SETUP_DELAY_SECONDS = 1.0
REST_OF_SETUP_LATEST_SECONDS = 30.0


def _log_export_delay() -> float | None:
    """FIRST_EXPORT_DELAY_MILLIS, unless OTEL_BLRP_SCHEDULE_DELAY says otherwise."""
    return None if "OTEL_BLRP_SCHEDULE_DELAY" in os.environ else FIRST_EXPORT_DELAY_MILLIS


def _tracing_through(spans: SpanExporter, resource: Resource) -> SdkTracerProvider:
    """The global tracer provider, sending spans through `spans` in batches on the SDK's thread."""
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider as SdkTracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    tracer_provider = SdkTracerProvider(resource=resource)  # OTEL_TRACES_SAMPLER(_ARG)
    tracer_provider.add_span_processor(BatchSpanProcessor(spans))  # OTEL_BSP_*
    trace.set_tracer_provider(tracer_provider)
    return tracer_provider


def _metrics_and_logs_through(
    sinks: Sinks, resource: Resource
) -> tuple[MeterProvider, logging.Handler]:
    """The global meter and logger providers, exporting through `sinks` on the SDK's threads,
    and the handler that turns standard log records into the log pipeline's, with their trace
    and span."""
    from opentelemetry import metrics
    from opentelemetry._logs import set_logger_provider
    from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
    from opentelemetry.sdk.metrics import MeterProvider as SdkMeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader

    reader = PeriodicExportingMetricReader(sinks.metrics())  # OTEL_METRIC_EXPORT_INTERVAL
    meter_provider = SdkMeterProvider(resource=resource, metric_readers=[reader])
    logger_provider = LoggerProvider(resource=resource)
    logger_provider.add_log_record_processor(
        BatchLogRecordProcessor(sinks.logs(), schedule_delay_millis=_log_export_delay())
    )
    metrics.set_meter_provider(meter_provider)
    set_logger_provider(logger_provider)
    return meter_provider, LoggingHandler(logger_provider=logger_provider)


def _hold_until_after_first_invocation(
    tracer_provider: SdkTracerProvider, sinks: Sinks, resource: Resource
) -> None:
    """Record into held instruments and a log relay until the metric and log pipelines are set
    up, on a thread of their own, after the first invocation has ended."""
    global _instruments
    from shared.platform.held_telemetry import FirstInvocationEnd, Held, LogRelay

    measurements: Held[Measurement] = Held()
    _instruments = _held_instruments(tracer_provider, measurements)
    relay = LogRelay()
    logging.getLogger().addHandler(relay)
    first_invocation_ended = threading.Event()
    tracer_provider.add_span_processor(FirstInvocationEnd(first_invocation_ended))

    def set_up_the_rest() -> None:
        first_invocation_ended.wait(REST_OF_SETUP_LATEST_SECONDS)
        time.sleep(REST_OF_SETUP_DELAY_SECONDS)
        try:
            meter_provider, log_handler = _metrics_and_logs_through(sinks, resource)
        except Exception as error:  # noqa: BLE001 - the app runs on without them
            logger.error("Metrics and logs are not exported: %s", type(error).__name__)
            return
        _hand_on(measurements, to=install(tracer_provider, meter_provider))
        relay.hand_on(log_handler)
        if relay.held.dropped:
            logger.warning("Telemetry dropped %d early log records", relay.held.dropped)

    threading.Thread(target=set_up_the_rest, name="telemetry-setup", daemon=True).start()


def _held_instruments(tracer_provider: TracerProvider, held: Held[Measurement]) -> Instruments:
    """The service's instruments with metric instruments that hold their measurements."""
    from opentelemetry import trace

    from shared.platform.held_telemetry import HeldCounter, HeldHistogram

    def make(field: str, spec: InstrumentSpec) -> Counter | Histogram:
        kind = HeldCounter if spec.kind == "counter" else HeldHistogram
        return kind(spec.name, field=field, held=held, unit=spec.unit, description=spec.description)

    tracer = trace.get_tracer(INSTRUMENTATION_SCOPE, tracer_provider=tracer_provider)
    return _instruments_from(tracer, make)


def _hand_on(held: Held[Measurement], *, to: Instruments) -> None:
    """Record the held measurements, and every later one, on the real instruments."""
    from shared.platform.held_telemetry import replay_on

    held.release(replay_on(to))
    if held.dropped:
        logger.warning("Telemetry dropped %d early measurements", held.dropped)


def install(
    tracer_provider: TracerProvider | None = None, meter_provider: MeterProvider | None = None
) -> Instruments:
    """Create the service's instruments on the given providers (the global ones by default)."""
    global _instruments
    from opentelemetry import metrics, trace

    meter = metrics.get_meter(INSTRUMENTATION_SCOPE, meter_provider=meter_provider)

    def make(_: str, spec: InstrumentSpec) -> Counter | Histogram:
        if spec.kind == "counter":
            return meter.create_counter(spec.name, unit=spec.unit, description=spec.description)
        return meter.create_histogram(spec.name, unit=spec.unit, description=spec.description)

    tracer = trace.get_tracer(INSTRUMENTATION_SCOPE, tracer_provider=tracer_provider)
    _instruments = _instruments_from(tracer, make)
    return _instruments


def _instruments_from(
    tracer: Tracer, make: Callable[[str, InstrumentSpec], Counter | Histogram]
) -> Instruments:
    """The service's instruments: `tracer`, and each metric instrument as `make` builds it
    from the field it fills and its spec."""
    made = {field: make(field, spec) for field, spec in _METRIC_INSTRUMENTS.items()}
    return Instruments(tracer=tracer, **made)  # type: ignore[arg-type]


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


@contextlib.contextmanager
def charged_span(
    name: str,
    *,
    kind: str = "internal",
    attributes: Attributes | None = None,
    links: Sequence[SpanContext] = (),
    carrier: Mapping[str, str] | None = None,
) -> Iterator[SpanHandle]:
    """A span (as `span`) around a unit of work that meters the request charge spent inside it
    (`handle.meter`, also counted in any enclosing meter) and records it on the span."""
    with (
        metered() as meter,
        span(name, kind=kind, attributes=attributes, links=links, carrier=carrier) as handle,
    ):
        handle.meter = meter
        try:
            yield handle
        finally:
            if meter.touched_cosmos:
                handle.set(REQUEST_CHARGE_ATTRIBUTE, meter.total)


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
